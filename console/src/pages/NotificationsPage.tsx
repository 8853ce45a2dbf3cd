// The user's own notifications (a reminder due, ...): newest first, marked read, or snoozed for an hour, when
// they come back unread.
import { useState } from "preact/hooks";
import { api, asError, data, type Notification } from "../api/client";
import { Problem } from "../components/Problem";
import { NOTIFICATIONS_CHANGED } from "../components/UnreadBadge";
import { useRemote } from "../components/useRemote";
import { formatDateTime, useLocale, useT } from "../i18n";

const HOUR_MS = 3_600_000;

export function NotificationsPage() {
  const t = useT();
  const locale = useLocale();
  const [changes, setChanges] = useState(0);
  const [list, retry] = useRemote(async () => data(await api.GET("/v1/notifications", {})).items, "notifications", changes);
  const [problem, setProblem] = useState<Error | null>(null);

  async function act(work: () => Promise<unknown>) {
    try {
      await work();
      setProblem(null);
      setChanges((n) => n + 1);
      dispatchEvent(new Event(NOTIFICATIONS_CHANGED));
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  const path = (note: Notification) => ({ path: { notification_id: note.id } });
  const read = (note: Notification) =>
    act(async () => data(await api.POST("/v1/notifications/{notification_id}/read", { params: path(note) })));
  const snooze = (note: Notification) =>
    act(async () => {
      const until = new Date(Date.now() + HOUR_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
      data(await api.POST("/v1/notifications/{notification_id}/snooze", { params: path(note), body: { until } }));
    });

  return (
    <section class="page notifications" aria-labelledby="notifications-title">
      <h1 id="notifications-title">{t("notifications.title")}</h1>
      {problem && <Problem error={problem} />}
      {list.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {list.state === "failed" && <Problem error={list.error} retry={retry} />}
      {list.state === "ready" && list.value.length === 0 && <p>{t("notifications.none")}</p>}
      {list.state === "ready" && (
        <ul class="notification-list">
          {list.value.map((note) => (
            <li key={note.id} data-notification-id={note.id} class={note.read ? "read" : "unread"}>
              <strong>
                <bdi>{note.title}</bdi>
              </strong>{" "}
              <time dateTime={note.created_at}>{formatDateTime(locale, note.created_at)}</time>
              {!note.read && (
                <button type="button" onClick={() => void read(note)}>
                  {t("notifications.markRead")}
                </button>
              )}{" "}
              <button type="button" onClick={() => void snooze(note)}>
                {t("notifications.snoozeHour")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
