// Every workflow at a glance and the quick changes to one (on or off, delete), each sent with the version shown
// so a row someone else changed meanwhile is refused, not overwritten.
import { useState } from "preact/hooks";
import { api, ApiError, asError, data, done } from "../../api/client";
import { Problem } from "../../components/Problem";
import { useT } from "../../i18n";
import type { Workflow } from "./model";

export function WorkflowTable(props: {
  items: Workflow[];
  canEdit: boolean;
  onChanged: (message: string | null) => void;
  onOpen: (id: string) => void;
  onEdit: (id: string) => void;
}) {
  const t = useT();
  const [problem, setProblem] = useState<Error | null>(null);

  async function toggle(workflow: Workflow) {
    const status = workflow.status === "active" ? "paused" : "active";
    try {
      data(
        await api.PUT("/v1/workflows/{workflow_id}", {
          params: { path: { workflow_id: workflow.id }, header: { "if-match": String(workflow.version) } },
          body: {
            name: workflow.name,
            description: workflow.description,
            status,
            trigger: workflow.trigger,
            steps: workflow.steps,
            re_entry: workflow.re_entry,
            stop_on: workflow.stop_on,
          } as never,
        }),
      );
      setProblem(null);
      props.onChanged(null);
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      setProblem(stale ? new Error(t("common.stale")) : asError(failure));
    }
  }

  async function remove(workflow: Workflow) {
    if (!confirm(t("workflows.confirmDelete", { name: workflow.name }))) return;
    try {
      const result = await api.DELETE("/v1/workflows/{workflow_id}", {
        params: { path: { workflow_id: workflow.id }, header: { "if-match": String(workflow.version) } },
      });
      done(result);
      setProblem(null);
      props.onChanged(t("workflows.deleted", { name: workflow.name }));
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      setProblem(stale ? new Error(t("common.stale")) : asError(failure));
    }
  }

  if (props.items.length === 0) return <p>{t("workflows.none")}</p>;
  return (
    <>
      {problem && <Problem error={problem} />}
      <table class="audit-table workflow-list">
        <caption>{t("workflows.list")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("workflows.name")}</th>
            <th scope="col">{t("workflows.trigger")}</th>
            <th scope="col">{t("workflows.status")}</th>
            <th scope="col">{t("workflows.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((workflow) => {
            const events = (workflow.trigger as { events?: string[] }).events ?? [];
            return (
              <tr key={workflow.id} data-workflow-id={workflow.id} data-status={workflow.status}>
                <th scope="row">
                  <bdi>{workflow.name}</bdi>
                </th>
                <td>
                  <bdi dir="ltr">{events.join(", ")}</bdi>
                </td>
                <td>{workflow.status === "active" ? t("workflows.enabled") : t("workflows.disabled")}</td>
                <td>
                  {props.canEdit && (
                    <>
                      <button type="button" class="toggle" onClick={() => void toggle(workflow)}>
                        {workflow.status === "active"
                          ? t("workflows.disable", { name: workflow.name })
                          : t("workflows.enable", { name: workflow.name })}
                      </button>{" "}
                      <button type="button" class="edit" onClick={() => props.onEdit(workflow.id)}>
                        {t("workflows.edit", { name: workflow.name })}
                      </button>{" "}
                      <button type="button" class="delete" onClick={() => void remove(workflow)}>
                        {t("workflows.delete", { name: workflow.name })}
                      </button>{" "}
                    </>
                  )}
                  <button type="button" class="open" onClick={() => props.onOpen(workflow.id)}>
                    {t("workflows.open", { name: workflow.name })}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
