// A contact's activities: tasks, calls, meetings and notes, newest due first; log one with an optional due time
// and reminder (typed in the user's own time, sent in UTC), and tick one done (If-Match on the version shown).
import { useState } from "preact/hooks";
import { type Activity, api, ApiError, asError, data } from "../api/client";
import { formatDateTime, useLocale, useT } from "../i18n";
import { Problem } from "./Problem";
import { useRemote } from "./useRemote";

const TYPES = ["task", "call", "meeting", "note"] as const;
type ActivityType = (typeof TYPES)[number];

/** A `datetime-local` value (the user's wall clock) as the UTC moment the API stores. */
function utc(local: string): string | null {
  return local ? new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z") : null;
}

export function ActivityPanel({ contactId, canWrite }: { contactId: string; canWrite: boolean }) {
  const t = useT();
  const locale = useLocale();
  const [version, setVersion] = useState(0);
  const [activities, retry] = useRemote(
    async () => data(await api.GET("/v1/activities", { params: { query: { contact_id: contactId, limit: "100" } } })).items,
    contactId,
    version,
  );
  const [type, setType] = useState<ActivityType>("call");
  const [subject, setSubject] = useState("");
  const [due, setDue] = useState("");
  const [remind, setRemind] = useState("");
  const [problem, setProblem] = useState<Error | null>(null);

  async function log(event: Event) {
    event.preventDefault();
    try {
      data(
        await api.POST("/v1/activities", {
          body: { type, subject, contact_id: contactId, due_at: utc(due), remind_at: utc(remind) },
        }),
      );
      setSubject("");
      setDue("");
      setRemind("");
      setProblem(null);
      setVersion((n) => n + 1);
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  async function finish(activity: Activity) {
    try {
      data(
        await api.PATCH("/v1/activities/{activity_id}", {
          params: { path: { activity_id: activity.id }, header: { "if-match": String(activity.version) } },
          body: { done: !activity.done },
        }),
      );
      setVersion((n) => n + 1);
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      setProblem(stale ? new Error(t("activities.stale")) : asError(failure));
      setVersion((n) => n + 1);
    }
  }

  return (
    <section aria-labelledby="activities-title" class="activities">
      <h2 id="activities-title">{t("activities.title")}</h2>
      {problem && <Problem error={problem} />}
      {activities.state === "failed" && <Problem error={activities.error} retry={retry} />}
      {activities.state === "ready" && activities.value.length === 0 && <p>{t("activities.none")}</p>}
      {activities.state === "ready" && (
        <ul>
          {activities.value.map((activity) => (
            <li key={activity.id} data-activity-id={activity.id}>
              <label>
                <input type="checkbox" checked={activity.done ?? false} disabled={!canWrite} onChange={() => void finish(activity)} />{" "}
                <span class="entry-type">{activity.type}</span> <bdi>{activity.subject}</bdi>
              </label>
              {activity.due_at && (
                <span class="muted"> · {t("activities.due", { when: formatDateTime(locale, activity.due_at) })}</span>
              )}
              {activity.remind_at && (
                <span class="muted"> · {t("activities.reminder", { when: formatDateTime(locale, activity.remind_at) })}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      {canWrite && (
        <form class="log-activity" onSubmit={(event) => void log(event)}>
          <label>
            {t("activities.type")}{" "}
            <select value={type} onChange={(event) => setType(event.currentTarget.value as ActivityType)}>
              {TYPES.map((value) => (
                <option key={value} value={value}>
                  {t(`activities.type.${value}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("activities.subject")}{" "}
            <input required maxLength={500} value={subject} onInput={(event) => setSubject(event.currentTarget.value)} />
          </label>
          <label>
            {t("activities.dueAt")}{" "}
            <input type="datetime-local" value={due} onInput={(event) => setDue(event.currentTarget.value)} />
          </label>
          <label>
            {t("activities.remindAt")}{" "}
            <input type="datetime-local" value={remind} onInput={(event) => setRemind(event.currentTarget.value)} />
          </label>
          <button type="submit">{t("activities.log")}</button>
        </form>
      )}
    </section>
  );
}
