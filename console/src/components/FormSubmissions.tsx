// A form's accepted submissions, newest first, opened on demand: when each came, whether it made a new contact
// or added to one (a link to the card), and what was sent; more pages on request.
import { type AcceptedSubmission, api, data } from "../api/client";
import { formatDateTime, useLocale, useT } from "../i18n";
import { Problem } from "./Problem";
import { usePages } from "./usePages";

export function FormSubmissions({ formId }: { formId: string }) {
  const t = useT();
  const locale = useLocale();
  const { shown, page, retry, more } = usePages<AcceptedSubmission>(
    async (cursor) =>
      data(
        await api.GET("/v1/forms/{form_id}/submissions", {
          params: { path: { form_id: formId }, query: cursor ? { cursor } : {} },
        }),
      ),
    formId,
  );

  return (
    <div class="submissions">
      {page.state === "failed" && <Problem error={page.error} retry={retry} />}
      {page.state === "ready" && shown.length === 0 && <p>{t("forms.noSubmissions")}</p>}
      {shown.length > 0 && (
        <table class="submission-table">
          <caption>{t("forms.submissions")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("forms.submission.at")}</th>
              <th scope="col">{t("forms.submission.contact")}</th>
              <th scope="col">{t("forms.submission.sent")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((submission) => (
              <tr key={submission.id} data-submission-id={submission.id}>
                <th scope="row">
                  <time dateTime={submission.received_at}>{formatDateTime(locale, submission.received_at)}</time>
                </th>
                <td>
                  <a href={`#/contacts/${encodeURIComponent(submission.contact_id)}`}>
                    {submission.outcome === "created" ? t("forms.submission.created") : t("forms.submission.updated")}
                  </a>
                </td>
                <td>
                  <dl class="sent">
                    {Object.entries(submission.fields).map(([name, value]) => (
                      <div key={name}>
                        <dt>{name}</dt>
                        <dd>
                          <bdi>{typeof value === "string" ? value : JSON.stringify(value)}</bdi>
                        </dd>
                      </div>
                    ))}
                  </dl>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {more && (
        <button type="button" onClick={more}>
          {t("forms.moreSubmissions")}
        </button>
      )}
    </div>
  );
}
