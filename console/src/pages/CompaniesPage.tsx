// Companies: the list (newest first, scrolling through any number) and a company's card with its people.
import { useEffect, useState } from "preact/hooks";
import { api, asError, type Company, data } from "../api/client";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { VirtualList } from "../components/VirtualList";
import { type MessageKey, formatDateTime, useLocale, useT } from "../i18n";
import { displayName } from "./ContactsPage";

const ROW_HEIGHT = 44;

export function CompaniesPage() {
  const t = useT();
  const locale = useLocale();
  const [items, setItems] = useState<readonly Company[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  async function loadMore() {
    if (loading || cursor === null) return;
    setLoading(true);
    try {
      const page = data(await api.GET("/v1/companies", { params: { query: { limit: "100", cursor: cursor ?? null } } }));
      setItems((before) => [...before, ...page.items]);
      setCursor(page.next_cursor ?? null);
    } catch (failure) {
      setError(asError(failure));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => void loadMore(), []);

  return (
    <section class="page companies" aria-labelledby="companies-title">
      <h1 id="companies-title">{t("companies.title")}</h1>
      {error && <Problem error={error} retry={() => void loadMore()} />}
      <div class="row company-row header-row" aria-hidden="true">
        <span>{t("companies.name")}</span>
        <span>{t("companies.domain")}</span>
        <span>{t("companies.industry")}</span>
        <span>{t("contacts.column.created")}</span>
      </div>
      {items.length === 0 && !loading && !error ? (
        <p>{t("companies.empty")}</p>
      ) : (
        <VirtualList
          items={items}
          rowHeight={ROW_HEIGHT}
          label={t("companies.title")}
          onNearEnd={() => void loadMore()}
          renderRow={(company) => (
            <a class="row company-row" href={`#/companies/${encodeURIComponent(company.id)}`}>
              <span>
                <bdi>{company.name}</bdi>
              </span>
              <span>
                <bdi dir="ltr">{company.domain ?? ""}</bdi>
              </span>
              <span>{company.industry ?? ""}</span>
              <span>{formatDateTime(locale, company.created_at)}</span>
            </a>
          )}
        />
      )}
    </section>
  );
}

const FIELDS: readonly [keyof Company, MessageKey][] = [
  ["domain", "companies.domain"],
  ["industry", "companies.industry"],
  ["phone", "contact.phone"],
  ["website", "companies.website"],
  ["lifecycle_stage", "contact.stage"],
  ["owner", "contact.owner"],
];

export function CompanyPage({ id }: { id: string }) {
  const t = useT();
  const [card, retry] = useRemote(async () => {
    const [company, people] = await Promise.all([
      api.GET("/v1/companies/{company_id}", { params: { path: { company_id: id } } }).then(data),
      api.GET("/v1/contacts", { params: { query: { company_id: id, limit: "100" } } }).then(data),
    ]);
    return { company, people: people.items };
  }, id);
  if (card.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (card.state === "failed") return <Problem error={card.error} retry={retry} />;
  const { company, people } = card.value;
  return (
    <article class="page card" aria-labelledby="company-name">
      <p>
        <a href="#/companies">{t("companies.back")}</a>
      </p>
      <h1 id="company-name">
        <bdi>{company.name}</bdi>
      </h1>
      <dl>
        {FIELDS.map(([field, label]) => (
          <div key={field}>
            <dt>{t(label)}</dt>
            <dd>
              <bdi>{String(company[field] ?? "—")}</bdi>
            </dd>
          </div>
        ))}
      </dl>
      <h2>{t("companies.people")}</h2>
      {people.length === 0 ? (
        <p>{t("companies.noPeople")}</p>
      ) : (
        <ul>
          {people.map((person) => (
            <li key={person.id}>
              <a href={`#/contacts/${encodeURIComponent(person.id)}`}>
                <bdi>{displayName(person) || t("contact.unnamed")}</bdi>
              </a>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
