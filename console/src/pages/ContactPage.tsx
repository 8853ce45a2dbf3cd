// A contact's card: the fields, custom fields, score and why, owner, and the timeline of everything that
// happened to them that the caller's role may see.
import { useState } from "preact/hooks";
import { api, data, type Contact, type TimelineEntry } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { ActivityPanel } from "../components/ActivityPanel";
import { ContactActions } from "../components/ContactActions";
import { Problem } from "../components/Problem";
import { ScoreBreakdown } from "../components/ScoreBreakdown";
import { Timeline } from "../components/Timeline";
import { useRemote } from "../components/useRemote";
import { type MessageKey, useT } from "../i18n";
import { displayName } from "./ContactsPage";

const FIELDS: readonly [keyof Contact, MessageKey][] = [
  ["email", "contact.email"],
  ["phone", "contact.phone"],
  ["company", "contact.company"],
  ["job_title", "contact.jobTitle"],
  ["lifecycle_stage", "contact.stage"],
  ["lead_status", "contact.leadStatus"],
  ["source", "contact.source"],
];

async function loadCard(id: string): Promise<{ contact: Contact; timeline: readonly TimelineEntry[] }> {
  const path = { contact_id: id };
  const [contact, timeline] = await Promise.all([
    api.GET("/v1/contacts/{contact_id}", { params: { path } }).then(data),
    api.GET("/v1/contacts/{contact_id}/timeline", { params: { path } }).then(data),
  ]);
  return { contact, timeline: (timeline as { items?: TimelineEntry[] }).items ?? [] };
}

export function ContactPage({ id }: { id: string }) {
  const t = useT();
  const session = useSession();
  const [reloads, setReloads] = useState(0);
  const [card, retry] = useRemote(() => loadCard(id), id, reloads);
  if (card.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (card.state === "failed") return <Problem error={card.error} retry={retry} />;
  const { contact, timeline } = card.value;
  const custom = Object.entries(contact.custom_fields ?? {});
  return (
    <article class="page card" aria-labelledby="contact-name">
      <p>
        <a href="#/contacts">{t("contact.back")}</a>
      </p>
      <h1 id="contact-name">
        <bdi>{displayName(contact) || t("contact.unnamed")}</bdi>
      </h1>
      <div class="card-columns">
        <section aria-labelledby="details-title">
          <h2 id="details-title">{t("contact.fields")}</h2>
          <dl>
            {FIELDS.map(([field, label]) => (
              <div key={field}>
                <dt>{t(label)}</dt>
                <dd>
                  <bdi dir={field === "phone" ? "ltr" : "auto"}>{String(contact[field] ?? "—")}</bdi>
                </dd>
              </div>
            ))}
            <div>
              <dt>{t("contact.owner")}</dt>
              <dd>
                <bdi>{contact.owner ?? t("contact.noOwner")}</bdi>
              </dd>
            </div>
          </dl>
          {custom.length > 0 && (
            <>
              <h3>{t("contact.customFields")}</h3>
              <dl>
                {custom.map(([key, value]) => (
                  <div key={key}>
                    <dt>{key}</dt>
                    <dd>
                      <bdi>{String(value)}</bdi>
                    </dd>
                  </div>
                ))}
              </dl>
            </>
          )}
        </section>
        <ScoreBreakdown score={contact.score ?? null} grade={contact.grade ?? null} breakdown={contact.score_breakdown ?? []} />
      </div>
      <ContactActions contact={contact} onChanged={() => setReloads((n) => n + 1)} />
      <ActivityPanel contactId={contact.id} canWrite={hasRole(session, "admin", "sales", "support")} />
      <Timeline entries={timeline} onChanged={() => setReloads((n) => n + 1)} />
    </article>
  );
}
