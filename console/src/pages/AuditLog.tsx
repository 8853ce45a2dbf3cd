// The audit log (admins): every write, newest first, who did it and what changed, field by field; narrowed to
// one record by its entity:id.
import { useEffect, useState } from "preact/hooks";
import { api, asError, type AuditEntry, data } from "../api/client";
import { Problem } from "../components/Problem";
import { formatDateTime, useLocale, useT } from "../i18n";

export function AuditLog() {
  const t = useT();
  const locale = useLocale();
  const [entity, setEntity] = useState("");
  const [applied, setApplied] = useState("");
  const [entries, setEntries] = useState<readonly AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);

  async function load(from: string | null, replace: boolean) {
    try {
      const page = data(
        await api.GET("/v1/audit", { params: { query: { limit: "50", cursor: from, entity: applied || null } } }),
      );
      setEntries((before) => (replace ? page.items : [...before, ...page.items]));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (failure) {
      setError(asError(failure));
    }
  }

  useEffect(() => void load(null, true), [applied]);

  return (
    <section class="page audit" aria-labelledby="audit-title">
      <h1 id="audit-title">{t("audit.title")}</h1>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setApplied(entity.trim());
        }}
      >
        <label>
          {t("audit.record")}{" "}
          <input value={entity} placeholder="contact:4f0c…" onInput={(event) => setEntity(event.currentTarget.value)} />
        </label>
        <button type="submit">{t("audit.show")}</button>
      </form>
      {error && <Problem error={error} />}
      <table class="audit-table">
        <thead>
          <tr>
            <th scope="col">{t("audit.at")}</th>
            <th scope="col">{t("audit.who")}</th>
            <th scope="col">{t("audit.what")}</th>
            <th scope="col">{t("audit.changes")}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>{formatDateTime(locale, entry.at)}</td>
              <td>
                <bdi>{entry.actor}</bdi>
              </td>
              <td>
                {entry.action} {entry.entity}:<bdi>{entry.entity_id}</bdi>
              </td>
              <td>
                {Object.entries(entry.changes ?? {}).map(([field, change]) => (
                  <div key={field}>
                    {field}: <bdi>{JSON.stringify((change as { before?: unknown }).before ?? null)}</bdi> →{" "}
                    <bdi>{JSON.stringify((change as { after?: unknown }).after ?? null)}</bdi>
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button type="button" onClick={() => void load(cursor, false)}>
          {t("audit.more")}
        </button>
      )}
    </section>
  );
}
