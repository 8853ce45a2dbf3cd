// Workflows (marketing, admins): every workflow with its trigger and whether it runs; a new one made from a
// built-in template with its parameters (paused, its webhook secret shown this once) or written from scratch
// (trigger events, steps: send an email, wait, set a field, create a task, call a webhook, assign); any one edited
// and sent back whole (the API's 422 shown beside the field it names), switched on or off, or deleted; a dry run
// against a contact (the steps it would take, writing nothing) and its recent runs.
import { useState } from "preact/hooks";
import { api, data } from "../../api/client";
import { hasRole, useSession } from "../../auth/context";
import { Problem } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { useT } from "../../i18n";
import { FromTemplate } from "./FromTemplate";
import { WorkflowDetail } from "./WorkflowDetail";
import { WorkflowEditor } from "./WorkflowEditor";
import { WorkflowTable } from "./WorkflowTable";

export function WorkflowsPage() {
  const t = useT();
  const session = useSession();
  const canEdit = hasRole(session, "admin", "marketing");
  const [reloads, setReloads] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  // null: no editor; "new": a workflow written from scratch; else the id of the workflow edited.
  const [editing, setEditing] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [workflows, retry] = useRemote(async () => data(await api.GET("/v1/workflows", {})).items, "workflows", reloads);
  const [emails] = useRemote(async () => data(await api.GET("/v1/email-templates", {})).items, "workflow-emails");
  const reload = () => setReloads((n) => n + 1);
  const emailTemplates = emails.state === "ready" ? emails.value : [];
  const edited = workflows.state === "ready" ? workflows.value.find((workflow) => workflow.id === editing) : undefined;
  return (
    <section class="page workflows" aria-labelledby="workflows-title">
      <h1 id="workflows-title">{t("workflows.title")}</h1>
      <p role="status" class="workflows-status">
        {status}
      </p>
      {canEdit && <FromTemplate onCreated={reload} />}
      {canEdit && editing === null && (
        <p>
          <button type="button" id="workflow-write" onClick={() => setEditing("new")}>
            {t("workflows.write")}
          </button>
        </p>
      )}
      {canEdit && (editing === "new" || edited) && (
        <WorkflowEditor
          key={edited ? `${edited.id}:${edited.version}` : "new"}
          workflow={edited ?? null}
          emails={emailTemplates}
          onDone={(message) => {
            setEditing(null);
            if (message) {
              setStatus(message);
              reload();
            }
          }}
        />
      )}
      {workflows.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {workflows.state === "failed" && <Problem error={workflows.error} retry={retry} />}
      {workflows.state === "ready" && (
        <WorkflowTable
          items={workflows.value}
          canEdit={canEdit}
          onChanged={(message) => {
            if (message) setStatus(message);
            reload();
          }}
          onOpen={setOpen}
          onEdit={setEditing}
        />
      )}
      {workflows.state === "ready" &&
        workflows.value
          .filter((workflow) => workflow.id === open)
          .map((workflow) => <WorkflowDetail key={workflow.id} workflow={workflow} />)}
    </section>
  );
}
