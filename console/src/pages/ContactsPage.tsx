// The contacts list: filters and sort the API offers, pages fetched as the list scrolls, a row per contact.
import { useEffect, useState } from "preact/hooks";
import { api, data, type Contact } from "../api/client";
import { Problem } from "../components/Problem";
import { ExportButton } from "../components/ExportButton";
import { SearchBox } from "../components/SearchBox";
import { VirtualList } from "../components/VirtualList";
import { formatDateTime, formatNumber, useLocale, useT } from "../i18n";

const PAGE = 100;
const ROW_HEIGHT = 44;
const STAGES = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"] as const;
type Sort = "created" | "score";

export function displayName(contact: Pick<Contact, "first_name" | "last_name" | "email" | "phone">): string {
  return [contact.first_name, contact.last_name].filter(Boolean).join(" ") || contact.email || contact.phone || "";
}

/** The list on screen as the API's own GET path, which an export pages through. */
function listPath(sort: Sort, stage: string): string {
  const query = new URLSearchParams();
  if (sort === "score") query.set("sort", "-score");
  if (stage) query.set("lifecycle_stage", stage);
  const text = query.toString();
  return `/v1/contacts${text ? `?${text}` : ""}`;
}

export function ContactsPage() {
  const t = useT();
  const locale = useLocale();
  const [sort, setSort] = useState<Sort>("created");
  const [stage, setStage] = useState<string>("");
  const [items, setItems] = useState<readonly Contact[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  async function loadMore(from: string | null | undefined, replace: boolean) {
    if (loading || from === null) return;
    setLoading(true);
    try {
      const page = data(
        await api.GET("/v1/contacts", {
          params: {
            query: {
              limit: String(PAGE),
              sort: sort === "score" ? "-score" : null,
              lifecycle_stage: STAGES.find((known) => known === stage) ?? null,
              cursor: from ?? null,
            },
          },
        }),
      );
      setItems((before) => (replace ? page.items : [...before, ...page.items]));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    setItems([]);
    void loadMore(undefined, true);
  }, [sort, stage]);

  return (
    <section class="page contacts" aria-labelledby="contacts-title">
      <h1 id="contacts-title">{t("contacts.title")}</h1>
      <SearchBox />
      <div class="toolbar">
        <label>
          {t("contacts.sort")}{" "}
          <select value={sort} onChange={(event) => setSort(event.currentTarget.value as Sort)}>
            <option value="created">{t("contacts.sort.newest")}</option>
            <option value="score">{t("contacts.sort.score")}</option>
          </select>
        </label>
        <label>
          {t("contacts.stage")}{" "}
          <select value={stage} onChange={(event) => setStage(event.currentTarget.value)}>
            <option value="">{t("contacts.stage.any")}</option>
            {STAGES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <ExportButton list={listPath(sort, stage)} />
        <span class="muted" aria-live="polite">
          {t("contacts.count", { count: items.length })}
          {loading && ` · ${t("contacts.loadingMore")}`}
        </span>
      </div>
      {error && <Problem error={error} retry={() => void loadMore(cursor, items.length === 0)} />}
      <div class="row header-row" aria-hidden="true">
        <span>{t("contacts.column.name")}</span>
        <span>{t("contacts.column.email")}</span>
        <span>{t("contacts.column.phone")}</span>
        <span>{t("contacts.column.stage")}</span>
        <span>{t("contacts.column.score")}</span>
        <span>{t("contacts.column.created")}</span>
      </div>
      {items.length === 0 && !loading && !error ? (
        <p>{t("contacts.empty")}</p>
      ) : (
        <VirtualList
          items={items}
          rowHeight={ROW_HEIGHT}
          label={t("contacts.title")}
          onNearEnd={() => void loadMore(cursor, false)}
          renderRow={(contact) => (
            <a class="row" href={`#/contacts/${encodeURIComponent(contact.id)}`} data-contact-id={contact.id}>
              <span>
                <bdi>{displayName(contact) || t("contact.unnamed")}</bdi>
              </span>
              <span>
                <bdi>{contact.email ?? ""}</bdi>
              </span>
              <span>
                <bdi dir="ltr">{contact.phone ?? ""}</bdi>
              </span>
              <span>{contact.lifecycle_stage ?? ""}</span>
              <span>{contact.score == null ? "" : formatNumber(locale.language, contact.score)}</span>
              <span>{formatDateTime(locale, contact.created_at)}</span>
            </a>
          )}
        />
      )}
    </section>
  );
}
