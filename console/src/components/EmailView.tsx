// One email opened in place: who wrote to whom, its text as the sender wrote it (never its HTML, which could
// carry scripts or trackers), and its files.
import { api, data } from "../api/client";
import { formatDateTime, useLocale, useT } from "../i18n";
import { AttachmentLinks, attachmentsOf } from "./AttachmentLinks";
import { Problem } from "./Problem";
import { useRemote } from "./useRemote";

export function EmailView({ emailId }: { emailId: string }) {
  const t = useT();
  const locale = useLocale();
  const [email, retry] = useRemote(
    async () => data(await api.GET("/v1/emails/{email_id}", { params: { path: { email_id: emailId } } })),
    emailId,
  );
  if (email.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (email.state === "failed") return <Problem error={email.error} retry={retry} />;
  const shown = email.value;
  return (
    <article class="email" data-email-id={shown.id}>
      <dl class="email-head">
        <dt>{t("email.from")}</dt>
        <dd>
          <bdi>{shown.from?.name ? `${shown.from.name} <${shown.from.address ?? ""}>` : (shown.from?.address ?? "")}</bdi>
        </dd>
        <dt>{t("email.to")}</dt>
        <dd>
          <bdi>{(shown.to ?? []).join(", ")}</bdi>
        </dd>
        <dt>{t("email.received")}</dt>
        <dd>
          <time dateTime={shown.received_at}>{formatDateTime(locale, shown.received_at)}</time>
        </dd>
      </dl>
      <div class="email-body" dir="auto">
        {shown.text_body ?? shown.preview ?? ""}
      </div>
      <AttachmentLinks files={attachmentsOf(shown.attachments)} />
    </article>
  );
}
