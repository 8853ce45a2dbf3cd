// A contact's timeline, newest first: form submissions, emails, payments, activities, stage changes.
import type { TimelineEntry } from "../api/client";
import { formatDateTime, useLocale, useT } from "../i18n";

export function Timeline({ entries }: { entries: readonly TimelineEntry[] }) {
  const t = useT();
  const locale = useLocale();
  return (
    <section aria-labelledby="timeline-title" class="timeline">
      <h2 id="timeline-title">{t("contact.timeline")}</h2>
      {entries.length === 0 ? (
        <p>{t("contact.timelineEmpty")}</p>
      ) : (
        <ol>
          {entries.map((entry, index) => (
            <li key={`${entry.at}-${index}`} data-entry-type={entry.type}>
              <time dateTime={entry.at}>{formatDateTime(locale, entry.at)}</time>{" "}
              <span class="entry-type">{entry.type}</span> <bdi>{entry.summary}</bdi>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
