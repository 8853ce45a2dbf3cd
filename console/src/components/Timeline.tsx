// A contact's timeline, newest first: form submissions, emails, payments, activities, stage changes.
import { useState } from "preact/hooks";
import type { TimelineEntry } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { formatDateTime, useLocale, useT } from "../i18n";
import { EmailView } from "./EmailView";
import { ReplyForm } from "./ReplyForm";

const EMAIL_ENTRIES: ReadonlySet<string> = new Set(["email_received", "email_sent"]);

export function Timeline({ entries, onChanged }: { entries: readonly TimelineEntry[]; onChanged: () => void }) {
  const t = useT();
  const locale = useLocale();
  // Answering mail is support's (and admins'), as the API's "emails" write permission says.
  const answers = hasRole(useSession(), "admin", "support");
  const [replying, setReplying] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-labelledby="timeline-title" class="timeline">
      <h2 id="timeline-title">{t("contact.timeline")}</h2>
      {entries.length === 0 ? (
        <p>{t("contact.timelineEmpty")}</p>
      ) : (
        <ol>
          {entries.map((entry, index) => (
            <li key={`${entry.at}-${entry.type}-${String(entry.data["email_id"] ?? index)}`} data-entry-type={entry.type}>
              <time dateTime={entry.at}>{formatDateTime(locale, entry.at)}</time>{" "}
              <span class="entry-type">{entry.type}</span> <bdi>{entry.summary}</bdi>
              {EMAIL_ENTRIES.has(entry.type) && typeof entry.data["email_id"] === "string" && (
                <>
                  {" "}
                  <button type="button" aria-expanded={open === entry.data["email_id"]}
                    onClick={() => setOpen(open === entry.data["email_id"] ? null : String(entry.data["email_id"]))}>
                    {t("email.show")}
                  </button>
                  {open === entry.data["email_id"] && <EmailView emailId={open} />}
                </>
              )}
              {answers && entry.type === "email_received" && typeof entry.data["email_id"] === "string" && (
                <>
                  {" "}
                  <button type="button" aria-expanded={replying === entry.data["email_id"]}
                    onClick={() => setReplying(String(entry.data["email_id"]))}>
                    {t("reply.open")}
                  </button>
                  {replying === entry.data["email_id"] && <ReplyForm emailId={replying} onSent={onChanged} />}
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
