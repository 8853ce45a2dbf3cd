// Support's case inbox: the open, pending (waiting for the customer) and closed cases, the most recently active
// first; a case opens on its email thread, where support reads each email and its files, answers, and moves the
// case on. A customer's reply opens a case again by itself.
import { useState } from "preact/hooks";
import { api, asError, type CaseInInbox, data } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { EmailView } from "../components/EmailView";
import { Problem } from "../components/Problem";
import { ReplyForm } from "../components/ReplyForm";
import { usePages } from "../components/usePages";
import { useRemote } from "../components/useRemote";
import { formatDateTime, formatNumber, type MessageKey, useLocale, useT } from "../i18n";

type CaseStatus = "open" | "pending" | "closed";
const STATUSES: readonly CaseStatus[] = ["open", "pending", "closed"];
const STATUS_LABEL: Record<CaseStatus, MessageKey> = {
  open: "cases.open",
  pending: "cases.pending",
  closed: "cases.closed",
};

export function CasesInbox() {
  const t = useT();
  const locale = useLocale();
  const [status, setStatus] = useState<CaseStatus>("open");
  const { shown, page, retry, more } = usePages<CaseInInbox>(
    async (cursor) => data(await api.GET("/v1/cases", { params: { query: { status, ...(cursor ? { cursor } : {}) } } })),
    status,
  );

  return (
    <section class="page cases" aria-labelledby="cases-title">
      <h1 id="cases-title">{t("cases.title")}</h1>
      <div class="tabs" role="group" aria-label={t("cases.status")}>
        {STATUSES.map((each) => (
          <button key={each} type="button" aria-pressed={each === status} data-status={each} onClick={() => setStatus(each)}>
            {t(STATUS_LABEL[each])}
          </button>
        ))}
      </div>
      {page.state === "failed" && <Problem error={page.error} retry={retry} />}
      {page.state === "ready" && shown.length === 0 && <p>{t("cases.none")}</p>}
      {shown.length > 0 && (
        <table class="case-table">
          <caption>{t(STATUS_LABEL[status])}</caption>
          <thead>
            <tr>
              <th scope="col">{t("cases.subject")}</th>
              <th scope="col">{t("cases.mailbox")}</th>
              <th scope="col">{t("cases.emails")}</th>
              <th scope="col">{t("cases.updated")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((each) => (
              <tr key={each.id} data-case-id={each.id}>
                <th scope="row">
                  <a class="case-row" href={`#/cases/${encodeURIComponent(each.id)}`}>
                    <bdi>{each.subject ?? t("cases.noSubject")}</bdi>
                  </a>
                </th>
                <td>
                  <bdi>{each.mailbox}</bdi>
                </td>
                <td>{formatNumber(locale.language, each.email_count)}</td>
                <td>
                  <time dateTime={each.updated_at}>{formatDateTime(locale, each.updated_at)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {more && (
        <button type="button" onClick={more}>
          {t("cases.more")}
        </button>
      )}
    </section>
  );
}

export function CasePage({ id }: { id: string }) {
  const t = useT();
  const locale = useLocale();
  // Moving a case on is admin's and support's, as the API's "cases" write permission says; sales reads.
  const handles = hasRole(useSession(), "admin", "support");
  const [changes, setChanges] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [problem, setProblem] = useState<Error | null>(null);
  const [loaded, retry] = useRemote(
    async () => data(await api.GET("/v1/cases/{case_id}", { params: { path: { case_id: id } } })),
    id,
    changes,
  );
  if (loaded.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (loaded.state === "failed") return <Problem error={loaded.error} retry={retry} />;
  const shown = loaded.value;
  const emails = [...shown.emails].sort((a, b) => a.received_at.localeCompare(b.received_at));
  const last = emails.at(-1);

  async function move(status: CaseStatus) {
    try {
      data(await api.PATCH("/v1/cases/{case_id}", { params: { path: { case_id: id } }, body: { status } }));
      setProblem(null);
      setChanges((n) => n + 1);
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  return (
    <section class="page case" aria-labelledby="case-subject" data-status={shown.status}>
      <p>
        <a href="#/cases">{t("cases.back")}</a>
      </p>
      <h1 id="case-subject">
        <bdi>{shown.subject ?? t("cases.noSubject")}</bdi>
      </h1>
      <dl class="card">
        <dt>{t("cases.status")}</dt>
        <dd id="case-status">{t(STATUS_LABEL[shown.status as CaseStatus] ?? "cases.open")}</dd>
        <dt>{t("cases.mailbox")}</dt>
        <dd>
          <bdi>{shown.mailbox}</bdi>
        </dd>
        {shown.contact_id && (
          <>
            <dt>{t("cases.contact")}</dt>
            <dd>
              <a href={`#/contacts/${encodeURIComponent(shown.contact_id)}`}>{t("cases.openContact")}</a>
            </dd>
          </>
        )}
        <dt>{t("cases.updated")}</dt>
        <dd>
          <time dateTime={shown.updated_at}>{formatDateTime(locale, shown.updated_at)}</time>
        </dd>
      </dl>
      {problem && <Problem error={problem} />}
      {handles && (
        <div class="actions" role="group" aria-label={t("cases.moveOn")}>
          {shown.status !== "pending" && (
            <button type="button" onClick={() => void move("pending")}>
              {t("cases.markPending")}
            </button>
          )}
          {shown.status !== "closed" && (
            <button type="button" onClick={() => void move("closed")}>
              {t("cases.close")}
            </button>
          )}
          {shown.status !== "open" && (
            <button type="button" onClick={() => void move("open")}>
              {t("cases.reopen")}
            </button>
          )}
        </div>
      )}
      <h2>{t("cases.thread")}</h2>
      <ol class="thread">
        {emails.map((email) => (
          <li key={email.id} data-email-id={email.id}>
            <time dateTime={email.received_at}>{formatDateTime(locale, email.received_at)}</time>{" "}
            <bdi>{email.from ?? ""}</bdi> <bdi>{email.subject ?? ""}</bdi>{" "}
            <button type="button" aria-expanded={open === email.id} onClick={() => setOpen(open === email.id ? null : email.id)}>
              {t("email.show")}
            </button>
            {open === email.id ? <EmailView emailId={email.id} /> : <p class="muted" dir="auto">{email.preview ?? ""}</p>}
          </li>
        ))}
      </ol>
      {handles && last && (
        <section aria-labelledby="case-reply-title">
          <h2 id="case-reply-title">{t("cases.answer")}</h2>
          <ReplyForm emailId={last.id} onSent={() => setChanges((n) => n + 1)} />
        </section>
      )}
    </section>
  );
}
