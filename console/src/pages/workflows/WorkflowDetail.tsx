// One workflow opened: tried against a contact before it reaches anyone, and what it has done so far.
import { useT } from "../../i18n";
import { DryRunForm } from "./DryRunForm";
import type { Workflow } from "./model";
import { Runs } from "./Runs";

export function WorkflowDetail({ workflow }: { workflow: Workflow }) {
  const t = useT();
  return (
    <article class="workflow-detail" aria-labelledby="workflow-detail-title">
      <h2 id="workflow-detail-title">
        <bdi>{workflow.name}</bdi>
      </h2>
      <DryRunForm workflowId={workflow.id} />
      <h3>{t("workflows.runs")}</h3>
      <Runs workflowId={workflow.id} />
    </article>
  );
}
