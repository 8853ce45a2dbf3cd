// The contacts list: filters and sort the API offers, pages fetched as the list scrolls, a row per contact.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, asError, type Contact, data } from "../api/client";
import { useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { ExportButton } from "../components/ExportButton";
import { SavedViews } from "../components/SavedViews";
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

interface Filters {
  sort: Sort;
  stage: string;
  mine: boolean;
}
const EVERYONE: Filters = { sort: "created", stage: "", mine: false };

/** The list on screen as the API's own GET path, which an export pages through and a saved view keeps. */
function listPath(filters: Filters, userId: string): string {
  const query = new URLSearchParams();
  if (filters.sort === "score") query.set("sort", "-score");
  if (filters.stage) query.set("lifecycle_stage", filters.stage);
  if (filters.mine) query.set("owner", userId);
  const text = query.toString();
  return `/v1/contacts${text ? `?${text}` : ""}`;
}

/** A saved list's filters, read back from its path: what this page does not offer is left out. */
function filtersOf(list: string, userId: string): Filters {
  const query = new URLSearchParams(list.split("?")[1] ?? "");
  const stage = query.get("lifecycle_stage") ?? "";
  return {
    sort: query.get("sort") === "-score" ? "score" : "created",
    stage: STAGES.some((known) => known === stage) ? stage : "",
    mine: query.get("owner") === userId,
  };
}

export function ContactsPage() {
  const t = useT();
  const locale = useLocale();
  const session = useSession();
  const [filters, setFilters] = useState<Filters>(EVERYONE);
  const { sort, stage, mine } = filters;
  const [items, setItems] = useState<readonly Contact[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [answered, setAnswered] = useState(false);

  // Which filters' list is on screen: a page asked for under other filters is dropped when it arrives.
  const shownFilters = useRef(filters);

  async function loadMore(from: string | null | undefined, replace: boolean) {
    if ((loading && !replace) || from === null) return;
    const askedFor = filters;
    setLoading(true);
    try {
      const page = data(
        await api.GET("/v1/contacts", {
          params: {
            query: {
              limit: String(PAGE),
              sort: sort === "score" ? "-score" : null,
              lifecycle_stage: STAGES.find((known) => known === stage) ?? null,
              owner: mine ? session.userId : null,
              cursor: from ?? null,
            },
          },
        }),
      );
      if (shownFilters.current !== askedFor) return;
      setItems((before) => (replace ? page.items : [...before, ...page.items]));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (failure) {
      if (shownFilters.current === askedFor) setError(asError(failure));
    } finally {
      if (shownFilters.current === askedFor) setLoading(false);
      setAnswered(true);
    }
  }

  useEffect(() => {
    shownFilters.current = filters;
    setItems([]);
    void loadMore(undefined, true);
  }, [sort, stage, mine]);

  return (
    <section class="page contacts" aria-labelledby="contacts-title">
      <h1 id="contacts-title">{t("contacts.title")}</h1>
      <SearchBox />
      {/* After the list's first page: locally one API request runs at a time, and the list is what the page is for. */}
      {answered && (
        <SavedViews resource="contacts" list={listPath(filters, session.userId)} onPick={(list) => setFilters(filtersOf(list, session.userId))} />
      )}
      <div class="toolbar">
        <label>
          {t("contacts.sort")}{" "}
          <select value={sort} onChange={(event) => setFilters({ ...filters, sort: event.currentTarget.value as Sort })}>
            <option value="created">{t("contacts.sort.newest")}</option>
            <option value="score">{t("contacts.sort.score")}</option>
          </select>
        </label>
        <label>
          {t("contacts.stage")}{" "}
          <select value={stage} onChange={(event) => setFilters({ ...filters, stage: event.currentTarget.value })}>
            <option value="">{t("contacts.stage.any")}</option>
            {STAGES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={mine} onChange={(event) => setFilters({ ...filters, mine: event.currentTarget.checked })} />{" "}
          {t("contacts.mine")}
        </label>
        <ExportButton list={listPath(filters, session.userId)} />
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
