// How many of the user's notifications are unread, beside the Notifications link: read shortly after the console
// opens (after the page's own requests, which are what the user came for), every minute after, and whenever the
// notifications page marks one read or snoozes one.
import { useEffect, useState } from "preact/hooks";
import { api, data } from "../api/client";
import { formatNumber, useLocale, useT } from "../i18n";

const FIRST_MS = 1_500;
const EVERY_MS = 60_000;
const COUNTED = 100;
/** Dispatched on window by whatever changes which notifications are unread. */
export const NOTIFICATIONS_CHANGED = "crm:notifications-changed";

export function UnreadBadge() {
  const t = useT();
  const locale = useLocale();
  const [unread, setUnread] = useState<{ count: number; more: boolean } | null>(null);
  useEffect(() => {
    let live = true;
    const count = () =>
      api
        .GET("/v1/notifications", { params: { query: { unread: "true", limit: String(COUNTED) } } })
        .then((answer) => {
          const page = data(answer);
          if (live) setUnread({ count: page.items.length, more: Boolean(page.next_cursor) });
        })
        // A badge that cannot be read stays as it was; the notifications page shows the error.
        .catch(() => undefined);
    const first = setTimeout(() => void count(), FIRST_MS);
    const timer = setInterval(() => void count(), EVERY_MS);
    addEventListener(NOTIFICATIONS_CHANGED, count);
    return () => {
      live = false;
      clearTimeout(first);
      clearInterval(timer);
      removeEventListener(NOTIFICATIONS_CHANGED, count);
    };
  }, []);
  if (!unread || unread.count === 0) return null;
  const shown = `${formatNumber(locale.language, unread.count)}${unread.more ? "+" : ""}`;
  return (
    <span class="badge" data-unread={unread.count}>
      {t("notifications.unread", { count: shown })}
    </span>
  );
}
