// Spam review: what a form judged spam, with why and what was sent; a person releases a real one into a
// contact in one click (the API makes it as the form would have, once, audited).
import { useState } from "preact/hooks";
import { api, asError, data, type KeptSubmission } from "../api/client";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { formatDateTime, type MessageKey, type Translate, useLocale, useT } from "../i18n";

const KNOWN_REASONS: Record<string, MessageKey> = {
  honeypot_filled: "spam.reason.honeypot_filled",
  submitted_too_fast: "spam.reason.submitted_too_fast",
};

function reasonText(t: Translate, reason: string): string {
  const key = KNOWN_REASONS[reason];
  return key ? t(key) : t("spam.reason.other", { reason });
}

export function SpamReview() {
  const t = useT();
  const locale = useLocale();
  const [formId, setFormId] = useState("");
  const [forms, retryForms] = useRemote(async () => data(await api.GET("/v1/forms", {})).items, "forms");
  const chosen = formId || (forms.state === "ready" ? (forms.value[0]?.id ?? "") : "");
  const [spam, retry] = useRemote(
    async () =>
      chosen
        ? data(await api.GET("/v1/forms/{form_id}/spam", { params: { path: { form_id: chosen }, query: { status: "spam" } } }))
            .items
        : [],
    chosen,
  );
  const [released, setReleased] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);

  async function release(submission: KeptSubmission) {
    try {
      const done = data(
        await api.POST("/v1/forms/{form_id}/spam/{submission_id}/release", {
          params: { path: { form_id: chosen, submission_id: submission.id } },
        }),
      );
      setReleased((before) => ({ ...before, [submission.id]: done.contact_id ?? "" }));
      setError(null);
    } catch (failure) {
      setError(asError(failure));
    }
  }

  if (forms.state === "failed") return <Problem error={forms.error} retry={retryForms} />;
  return (
    <section class="page spam" aria-labelledby="spam-title">
      <h1 id="spam-title">{t("spam.title")}</h1>
      <label>
        {t("spam.form")}{" "}
        <select value={chosen} onChange={(event) => setFormId(event.currentTarget.value)}>
          {forms.state === "ready" &&
            forms.value.map((form) => (
              <option key={form.id} value={form.id}>
                {form.id}
              </option>
            ))}
        </select>
      </label>
      {error && <Problem error={error} />}
      {spam.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {spam.state === "failed" && <Problem error={spam.error} retry={retry} />}
      {spam.state === "ready" && spam.value.length === 0 && <p>{t("spam.empty")}</p>}
      {spam.state === "ready" &&
        spam.value.map((submission) => (
          <article key={submission.id} class="submission" data-submission-id={submission.id}>
            <h2>
              {t("spam.received")}: <time dateTime={submission.received_at}>{formatDateTime(locale, submission.received_at)}</time>
            </h2>
            <p>
              {t("spam.why")}: {submission.reasons.map((reason) => reasonText(t, reason)).join("; ")}
            </p>
            <h3>{t("spam.sent")}</h3>
            <dl>
              {Object.entries(submission.fields).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>
                    <bdi>{String(value)}</bdi>
                  </dd>
                </div>
              ))}
            </dl>
            {released[submission.id] !== undefined ? (
              <p role="status">
                {t("spam.released")}{" "}
                <a href={`#/contacts/${encodeURIComponent(released[submission.id] ?? "")}`}>{t("spam.openContact")}</a>
              </p>
            ) : (
              <button type="button" onClick={() => void release(submission)}>
                {t("spam.release")}
              </button>
            )}
          </article>
        ))}
    </section>
  );
}
