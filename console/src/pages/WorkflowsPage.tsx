// Workflows (marketing, admins): every workflow with its trigger and whether it runs; a new one made from a
// built-in template (paused, its webhook secret shown this once); switched on or off by sending it back whole;
// a dry run against a contact (the steps it would take, writing nothing) and its recent runs.
import { useState } from "preact/hooks";
import { ApiError, api, data } from "../api/client";
import type { components } from "../api/schema";
import { hasRole, useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { formatDateTime, useLocale, useT } from "../i18n";

type Workflow = components["schemas"]["Workflow"];

interface Builtin {
  key: string;
  name: string;
  description: string;
  parameters: Record<string, { default: number; description: string }>;
}

interface Checked {
  condition: string;
  holds: boolean;
}

interface DryRunResult {
  would_start: boolean;
  trigger: Checked[];
  path: { step_id: string; type: string; would?: string; subject?: string | null }[];
}

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

function failed(failure: unknown): Error {
  return failure instanceof Error ? failure : new Error(String(failure));
}

export function WorkflowsPage() {
  const t = useT();
  const session = useSession();
  const canEdit = hasRole(session, "admin", "marketing");
  const [reloads, setReloads] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [workflows, retry] = useRemote(async () => data(await api.GET("/v1/workflows", {})).items, "workflows", reloads);
  const reload = () => setReloads((n) => n + 1);
  return (
    <section class="page workflows" aria-labelledby="workflows-title">
      <h1 id="workflows-title">{t("workflows.title")}</h1>
      {canEdit && <FromTemplate onCreated={reload} />}
      {workflows.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {workflows.state === "failed" && <Problem error={workflows.error} retry={retry} />}
      {workflows.state === "ready" && (
        <WorkflowTable items={workflows.value} canEdit={canEdit} onChanged={reload} onOpen={setOpen} />
      )}
      {workflows.state === "ready" &&
        workflows.value
          .filter((workflow) => workflow.id === open)
          .map((workflow) => <WorkflowDetail key={workflow.id} workflow={workflow} />)}
    </section>
  );
}

function FromTemplate({ onCreated }: { onCreated: () => void }) {
  const t = useT();
  const [templates, retry] = useRemote(async () => {
    const builtins = data(await api.GET("/v1/workflows/templates", {})) as unknown as { items: Builtin[] };
    const emails = data(await api.GET("/v1/email-templates", {})).items;
    return { builtins: builtins.items, emails };
  }, "workflow-templates");
  const [key, setKey] = useState("");
  const [email, setEmail] = useState("");
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");
  if (templates.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (templates.state === "failed") return <Problem error={templates.error} retry={retry} />;
  const chosen = templates.value.builtins.find((builtin) => builtin.key === key) ?? templates.value.builtins[0];
  const emailId = email || templates.value.emails[0]?.id || "";

  async function create(event: Event) {
    event.preventDefault();
    if (!chosen) return;
    try {
      const made = data(
        await api.POST("/v1/workflows/templates/{key}", {
          params: { path: { key: chosen.key } },
          body: { email_template_id: emailId, parameters: {} },
        }),
      );
      setProblem(null);
      setStatus(t("workflows.created", { name: made.name, secret: made.webhook_secret }));
      onCreated();
    } catch (failure) {
      setProblem(failed(failure));
    }
  }

  return (
    <form class="workflow-new" onSubmit={(event) => void create(event)}>
      <h2>{t("workflows.new")}</h2>
      <p>
        <label>
          {t("workflows.template")}{" "}
          <select id="workflow-template" value={chosen?.key ?? ""} onChange={(event) => setKey(event.currentTarget.value)}>
            {templates.value.builtins.map((builtin) => (
              <option key={builtin.key} value={builtin.key}>
                {builtin.name}
              </option>
            ))}
          </select>
        </label>
      </p>
      {chosen && (
        <p class="muted">
          <bdi>{chosen.description}</bdi>
        </p>
      )}
      <p>
        <label>
          {t("workflows.emailTemplate")}{" "}
          <select id="workflow-email-template" value={emailId} onChange={(event) => setEmail(event.currentTarget.value)}>
            {templates.value.emails.map((template) => (
              <option key={template.id} value={template.id}>
                {template.name}
              </option>
            ))}
          </select>
        </label>
      </p>
      <button type="submit" disabled={!chosen || !emailId}>
        {t("workflows.create")}
      </button>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
    </form>
  );
}

function WorkflowTable(props: {
  items: Workflow[];
  canEdit: boolean;
  onChanged: () => void;
  onOpen: (id: string) => void;
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
      props.onChanged();
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      setProblem(stale ? new Error(t("common.stale")) : failed(failure));
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
                <td>{events.join(", ")}</td>
                <td>{workflow.status === "active" ? t("workflows.enabled") : t("workflows.disabled")}</td>
                <td>
                  {props.canEdit && (
                    <button type="button" class="toggle" onClick={() => void toggle(workflow)}>
                      {workflow.status === "active"
                        ? t("workflows.disable", { name: workflow.name })
                        : t("workflows.enable", { name: workflow.name })}
                    </button>
                  )}{" "}
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

function WorkflowDetail({ workflow }: { workflow: Workflow }) {
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

function DryRunForm({ workflowId }: { workflowId: string }) {
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
      setProblem(failed(failure));
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

function Runs({ workflowId }: { workflowId: string }) {
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
