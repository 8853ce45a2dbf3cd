// What a role may do to a contact from its card: qualify it into a deal and reassign it (sales, admins), merge
// another record into it and erase it (admins). Each sends the version the card read; the API decides.
import { useState } from "preact/hooks";
import { api, asError, type Contact, data } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { useT } from "../i18n";
import { Problem } from "./Problem";

type Open = "qualify" | "reassign" | "merge" | "erase" | null;

export function ContactActions({ contact, onChanged }: { contact: Contact; onChanged: () => void }) {
  const t = useT();
  const session = useSession();
  const [open, setOpen] = useState<Open>(null);
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<Error | null>(null);
  const [done, setDone] = useState("");
  const sells = hasRole(session, "admin", "sales");
  const admin = hasRole(session, "admin");
  const path = { contact_id: contact.id };
  const header = { "if-match": String(contact.version) };

  async function run(event: Event) {
    event.preventDefault();
    try {
      if (open === "qualify") {
        data(await api.POST("/v1/contacts/{contact_id}/qualify", { params: { path, header }, body: { deal: { name: value } } }));
        setDone(t("actions.qualified"));
      } else if (open === "reassign") {
        data(await api.POST("/v1/contacts/{contact_id}/reassign", { params: { path, header }, body: { owner: value, include_open_deals: true, include_open_activities: true } }));
        setDone(t("actions.reassigned"));
      } else if (open === "merge") {
        data(await api.POST("/v1/contacts/{contact_id}/merge", { params: { path, header }, body: { loser_id: value } }));
        setDone(t("actions.merged"));
      } else if (open === "erase") {
        if (value !== contact.id) throw new Error(t("actions.eraseConfirmWrong"));
        const answer = await api.POST("/v1/contacts/{contact_id}/erase", { params: { path } });
        if (!answer.response.ok) data(answer);
        location.hash = "#/contacts";
        return;
      }
      setOpen(null);
      setValue("");
      setProblem(null);
      onChanged();
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  const buttons: [Open, boolean][] = [["qualify", sells], ["reassign", sells], ["merge", admin], ["erase", admin]];
  if (!buttons.some(([, allowed]) => allowed)) return null;
  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title">{t("actions.title")}</h2>
      <p role="status">{done}</p>
      <div class="toolbar">
        {buttons
          .filter(([, allowed]) => allowed)
          .map(([action]) => (
            <button type="button" key={action} aria-expanded={open === action} onClick={() => (setOpen(open === action ? null : action), setValue(""))}>
              {t(`actions.${action ?? "qualify"}`)}
            </button>
          ))}
      </div>
      {problem && <Problem error={problem} />}
      {open && (
        <form onSubmit={(event) => void run(event)}>
          <label>
            {t(`actions.${open}.field`)}{" "}
            <input required value={value} onInput={(event) => setValue(event.currentTarget.value)} />
          </label>{" "}
          <button type="submit">{t(`actions.${open}`)}</button>
        </form>
      )}
    </section>
  );
}
