// Answers an email from the CRM: sent from the user's own address on the business's domain, threaded with the
// mail it answers (the API sets In-Reply-To and References), and on the contact's timeline.
import { useState } from "preact/hooks";
import { api, asError, data } from "../api/client";
import { useT } from "../i18n";
import { Problem } from "./Problem";

export function ReplyForm({ emailId, onSent }: { emailId: string; onSent: () => void }) {
  const t = useT();
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<Error | null>(null);
  const [sent, setSent] = useState(false);

  async function send(event: Event) {
    event.preventDefault();
    try {
      const answer = data(await api.POST("/v1/emails", { body: { reply_to_email_id: emailId, text, variables: {}, attachments: [] } }));
      if (answer.status !== "sent") throw new Error(t("reply.notSent", { reason: String(answer.reason ?? answer.status) }));
      setSent(true);
      setProblem(null);
      onSent();
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  if (sent) return <p role="status">{t("reply.sent")}</p>;
  return (
    <form class="reply" onSubmit={(event) => void send(event)}>
      {problem && <Problem error={problem} />}
      <label>
        {t("reply.label")}
        <textarea required dir="auto" rows={4} value={text} onInput={(event) => setText(event.currentTarget.value)} />
      </label>
      <button type="submit">{t("reply.send")}</button>
    </form>
  );
}
