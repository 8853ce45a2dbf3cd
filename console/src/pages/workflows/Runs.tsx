// A workflow's recent runs, so one can see whom it reached, where each stands and why one failed.
import { api, data } from "../../api/client";
import { Problem } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { formatDateTime, useLocale, useT } from "../../i18n";

interface Run {
  run_id: string;
  contact_id: string;
  status: string;
  position: string | null;
  steps_taken: number;
  error: string | null;
  started_at: string | null;
  updated_at: string | null;
}

export function Runs({ workflowId }: { workflowId: string }) {
  const t = useT();
  const locale = useLocale();
  const [runs, retry] = useRemote(
    async () =>
      (
        data(
          await api.GET("/v1/workflows/{workflow_id}/runs", {
            params: { path: { workflow_id: workflowId }, query: { limit: "20" } },
          }),
        ) as unknown as { items: Run[] }
      ).items,
    `runs:${workflowId}`,
  );
  if (runs.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (runs.state === "failed") return <Problem error={runs.error} retry={retry} />;
  if (runs.value.length === 0) return <p class="runs-none">{t("workflows.noRuns")}</p>;
  return (
    <table class="audit-table runs">
      <caption>{t("workflows.runs")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("workflows.run.contact")}</th>
          <th scope="col">{t("workflows.status")}</th>
          <th scope="col">{t("workflows.run.position")}</th>
          <th scope="col">{t("workflows.run.steps")}</th>
          <th scope="col">{t("workflows.run.started")}</th>
        </tr>
      </thead>
      <tbody>
        {runs.value.map((run) => (
          <tr key={run.run_id}>
            <td>
              <a href={`#/contacts/${encodeURIComponent(run.contact_id)}`}>{run.contact_id}</a>
            </td>
            <td>
              {run.status}
              {run.error && (
                <>
                  {" "}
                  <bdi dir="ltr">({run.error})</bdi>
                </>
              )}
            </td>
            <td>{run.position ?? ""}</td>
            <td>{run.steps_taken}</td>
            <td>{formatDateTime(locale, run.started_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
