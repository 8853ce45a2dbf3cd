// What a workflow would do to one contact (whether it starts, each step it would take), asked of the API without
// writing anything, so a workflow can be checked before it is switched on.
import { useState } from "preact/hooks";
import { api, asError, data } from "../../api/client";
import { Problem } from "../../components/Problem";
import { useT } from "../../i18n";

interface Checked {
  condition: string;
  holds: boolean;
}

interface DryRunResult {
  would_start: boolean;
  trigger: Checked[];
  path: { step_id: string; type: string; would?: string; subject?: string | null }[];
}

export function DryRunForm({ workflowId }: { workflowId: string }) {
  const t = useT();
  const [contact, setContact] = useState("");
  const [result, setResult] = useState<DryRunResult | null>(null);
  const [problem, setProblem] = useState<Error | null>(null);

  async function run(event: Event) {
    event.preventDefault();
    try {
      const answer = data(
        await api.POST("/v1/workflows/{workflow_id}/dry-run", {
          params: { path: { workflow_id: workflowId } },
          body: { contact_id: contact.trim(), event: {} },
        }),
      );
      setResult(answer as unknown as DryRunResult);
      setProblem(null);
    } catch (failure) {
      setResult(null);
      setProblem(asError(failure));
    }
  }

  return (
    <div class="dry-run">
      <form onSubmit={(event) => void run(event)}>
        <label>
          {t("workflows.dryRunContact")}{" "}
          <input id="dry-run-contact" dir="ltr" required value={contact} onInput={(event) => setContact(event.currentTarget.value)} />
        </label>{" "}
        <button type="submit">{t("workflows.dryRun")}</button>
      </form>
      {problem && <Problem error={problem} />}
      {result && (
        <div class="dry-run-result" role="status">
          <p>{result.would_start ? t("workflows.wouldStart") : t("workflows.wouldNotStart")}</p>
          {result.trigger.length > 0 && (
            <ul class="dry-run-trigger">
              {result.trigger.map((checked, index) => (
                <li key={index}>
                  <bdi dir="ltr">{checked.condition}</bdi>: {checked.holds ? t("workflows.holds") : t("workflows.fails")}
                </li>
              ))}
            </ul>
          )}
          <ol class="dry-run-steps" aria-label={t("workflows.steps")}>
            {result.path.map((step) => (
              <li key={step.step_id} data-step-type={step.type}>
                <strong>{step.step_id}</strong> ({step.type}): <bdi dir="ltr">{step.would ?? ""}</bdi>
                {step.subject && (
                  <>
                    {" "}
                    — <bdi>{step.subject}</bdi>
                  </>
                )}
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
