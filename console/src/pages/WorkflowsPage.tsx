// Workflows (marketing, admins): every workflow with its trigger and whether it runs; a new one made from a
// built-in template with its parameters (paused, its webhook secret shown this once) or written from scratch
// (trigger events, steps: send an email, wait, set a field, create a task, call a webhook, assign); any one edited
// and sent back whole (the API's 422 shown beside the field it names), switched on or off, or deleted; a dry run
// against a contact (the steps it would take, writing nothing) and its recent runs.
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

function FromTemplate({ onCreated }: { onCreated: () => void }) {
  const t = useT();
  const [templates, retry] = useRemote(async () => {
    const builtins = data(await api.GET("/v1/workflows/templates", {})) as unknown as { items: Builtin[] };
    const emails = data(await api.GET("/v1/email-templates", {})).items;
    return { builtins: builtins.items, emails };
  }, "workflow-templates");
  const [key, setKey] = useState("");
  const [email, setEmail] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Error | null>(null);
  const [fields, setFields] = useState<FieldProblems>({});
  const [status, setStatus] = useState("");
  if (templates.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (templates.state === "failed") return <Problem error={templates.error} retry={retry} />;
  const chosen = templates.value.builtins.find((builtin) => builtin.key === key) ?? templates.value.builtins[0];
  const emailId = email || templates.value.emails[0]?.id || "";
  const parameters = Object.entries(chosen?.parameters ?? {});

  async function create(event: Event) {
    event.preventDefault();
    if (!chosen) return;
    try {
      const given = Object.fromEntries(
        parameters.map(([name, parameter]) => [name, Number(values[`${chosen.key}.${name}`] ?? parameter.default)]),
      );
      const made = data(
        await api.POST("/v1/workflows/templates/{key}", {
          params: { path: { key: chosen.key } },
          body: { email_template_id: emailId, parameters: given },
        }),
      );
      setProblem(null);
      setFields({});
      setStatus(t("workflows.created", { name: made.name, secret: made.webhook_secret }));
      onCreated();
    } catch (failure) {
      setProblem(failed(failure));
      setFields(fieldProblems(failure));
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
      {chosen &&
        parameters.map(([name, parameter]) => (
          <p key={`${chosen.key}.${name}`}>
            <label>
              {t("workflows.parameter", { name })}{" "}
              <input
                id={`workflow-param-${name}`}
                type="number"
                min={0}
                max={366}
                required
                value={values[`${chosen.key}.${name}`] ?? String(parameter.default)}
                onInput={(event) => setValues({ ...values, [`${chosen.key}.${name}`]: event.currentTarget.value })}
                {...described(fields, `parameters.${name}`, `workflow-param-${name}-error`)}
              />
            </label>{" "}
            <span class="muted">
              <bdi>{parameter.description}</bdi>
            </span>
            <FieldErrors fields={fields} at={`parameters.${name}`} id={`workflow-param-${name}-error`} />
          </p>
        ))}
      <button type="submit" disabled={!chosen || !emailId}>
        {t("workflows.create")}
      </button>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
    </form>
  );
}

// ---- Writing a workflow whole ----

type FieldProblems = Record<string, string>;
type Draft = { id: string; type: string } & Record<string, unknown>;
interface DurationValue {
  days?: number;
  hours?: number;
  minutes?: number;
}
interface ConditionValue {
  field: string;
  op?: string;
  value?: unknown;
}

const STEP_TYPES = ["send_email", "wait", "set_field", "create_task", "webhook", "assign"] as const;
const COMMON_EVENTS = [
  "Contact Created",
  "Contact Updated",
  "Form Submitted",
  "Activity Logged",
  "Payment Succeeded",
  "Deal Won",
  "Deal Stage Changed",
] as const;
const STOP_REASONS = ["reply", "payment", "unsubscribe"] as const;
const RE_ENTRY = ["once", "always", "restart"] as const;
const STATUSES = ["draft", "paused", "active"] as const;

/** The API's 422 `fields`, by where each problem is (`steps.1.duration`). */
function fieldProblems(failure: unknown): FieldProblems {
  return failure instanceof ApiError && failure.body?.error.fields ? (failure.body.error.fields as FieldProblems) : {};
}

/** The problems at `at` or inside it (`steps.1` holds `steps.1.wait.duration`). */
function problemsAt(fields: FieldProblems, at: string): string[] {
  return Object.entries(fields)
    .filter(([where]) => where === at || where.startsWith(`${at}.`))
    .map(([where, message]) => (where === at ? message : `${where.slice(at.length + 1)}: ${message}`));
}

function described(fields: FieldProblems, at: string, id: string): Record<string, string> {
  return problemsAt(fields, at).length > 0 ? { "aria-invalid": "true", "aria-describedby": id } : {};
}

function FieldErrors({ fields, at, id }: { fields: FieldProblems; at: string; id: string }) {
  const found = problemsAt(fields, at);
  if (found.length === 0) return null;
  return (
    <ul class="field-errors problem" id={id}>
      {found.map((message) => (
        <li key={message}>
          <bdi dir="ltr">{message}</bdi>
        </li>
      ))}
    </ul>
  );
}

function newStep(type: string, steps: Draft[], emails: { id: string }[]): Draft {
  const base = type.replace("_", "-");
  const taken = new Set(steps.map((step) => step.id));
  let n = 1;
  while (taken.has(`${base}-${n}`)) n += 1;
  const id = `${base}-${n}`;
  switch (type) {
    case "send_email":
      return { id, type, template_id: emails[0]?.id ?? "" };
    case "wait":
      return { id, type, duration: { days: 1 } };
    case "set_field":
      return { id, type, field: "lifecycle_stage", value: "" };
    case "create_task":
      return { id, type, subject: "", due_in: { days: 1 } };
    case "webhook":
      return { id, type, url: "https://" };
    default:
      return { id, type };
  }
}

/** A condition's value as typed, read back as the kind of value it had (a number, a list, a text). */
function conditionValue(text: string, before: unknown, op: string | undefined): unknown {
  if (op === "exists" || op === "missing") return null;
  if (Array.isArray(before) || op === "in" || op === "not_in") {
    return text
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean);
  }
  if (typeof before === "number" || op === "older_than_days" || op === "within_days") {
    return text.trim() === "" || Number.isNaN(Number(text)) ? text : Number(text);
  }
  return text;
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

function WorkflowEditor(props: {
  workflow: Workflow | null;
  emails: { id: string; name: string }[];
  onDone: (message: string | null) => void;
}) {
  const t = useT();
  const workflow = props.workflow;
  const trigger = (workflow?.trigger ?? { events: [], conditions: [] }) as { events?: string[]; conditions?: ConditionValue[] };
  const [name, setName] = useState(workflow?.name ?? "");
  const [description, setDescription] = useState(workflow?.description ?? "");
  const [status, setStatus] = useState<string>(workflow?.status ?? "draft");
  const [events, setEvents] = useState<string[]>((trigger.events ?? []).filter((e) => (COMMON_EVENTS as readonly string[]).includes(e)));
  const [otherEvents, setOtherEvents] = useState(
    (trigger.events ?? []).filter((e) => !(COMMON_EVENTS as readonly string[]).includes(e)).join(", "),
  );
  const [conditions, setConditions] = useState<ConditionValue[]>(trigger.conditions ?? []);
  const [steps, setSteps] = useState<Draft[]>((workflow?.steps ?? []) as Draft[]);
  const [reEntry, setReEntry] = useState<string>(workflow?.re_entry ?? "once");
  const [stopOn, setStopOn] = useState<string[]>(workflow?.stop_on ?? ["unsubscribe"]);
  const [adding, setAdding] = useState<string>("send_email");
  const [problem, setProblem] = useState<Error | null>(null);
  const [fields, setFields] = useState<FieldProblems>({});

  function change(index: number, patch: Record<string, unknown>) {
    setSteps(steps.map((step, at) => (at === index ? ({ ...step, ...patch } as Draft) : step)));
  }

  function move(index: number, by: -1 | 1) {
    const next = [...steps];
    const [moved] = next.splice(index, 1);
    if (!moved) return;
    next.splice(index + by, 0, moved);
    setSteps(next);
  }

  async function save(event: Event) {
    event.preventDefault();
    const body = {
      name,
      description: description.trim() ? description : null,
      status,
      trigger: {
        events: [
          ...events,
          ...otherEvents
            .split(",")
            .map((part) => part.trim())
            .filter(Boolean),
        ],
        conditions,
      },
      steps,
      re_entry: reEntry,
      stop_on: stopOn,
    };
    try {
      if (workflow) {
        data(
          await api.PUT("/v1/workflows/{workflow_id}", {
            params: { path: { workflow_id: workflow.id }, header: { "if-match": String(workflow.version) } },
            body: body as never,
          }),
        );
        props.onDone(t("workflows.saved", { name }));
      } else {
        const made = data(await api.POST("/v1/workflows", { body: body as never }));
        props.onDone(t("workflows.created", { name: made.name, secret: made.webhook_secret }));
      }
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      setProblem(stale ? new Error(t("common.stale")) : failed(failure));
      setFields(fieldProblems(failure));
    }
  }

  const title = workflow ? t("workflows.editing", { name: workflow.name }) : t("workflows.writeTitle");
  return (
    <form class="workflow-editor" aria-labelledby="workflow-editor-title" onSubmit={(event) => void save(event)}>
      <h2 id="workflow-editor-title">
        <bdi>{title}</bdi>
      </h2>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("workflows.name")}{" "}
          <input
            id="workflow-name"
            dir="auto"
            required
            maxLength={200}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
            {...described(fields, "name", "workflow-name-error")}
          />
        </label>
        <FieldErrors fields={fields} at="name" id="workflow-name-error" />
      </p>
      <p>
        <label>
          {t("workflows.description")}{" "}
          <input
            id="workflow-description"
            dir="auto"
            maxLength={2000}
            size={60}
            value={description}
            onInput={(event) => setDescription(event.currentTarget.value)}
            {...described(fields, "description", "workflow-description-error")}
          />
        </label>
        <FieldErrors fields={fields} at="description" id="workflow-description-error" />
      </p>
      <p>
        <label>
          {t("workflows.status")}{" "}
          <select id="workflow-status" value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`workflows.status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </p>
      <fieldset class="workflow-trigger">
        <legend>{t("workflows.trigger")}</legend>
        {COMMON_EVENTS.map((eventType) => (
          <label key={eventType} class="event-choice">
            <input
              type="checkbox"
              value={eventType}
              checked={events.includes(eventType)}
              onChange={(event) =>
                setEvents(event.currentTarget.checked ? [...events, eventType] : events.filter((e) => e !== eventType))
              }
            />{" "}
            <bdi dir="ltr">{eventType}</bdi>{" "}
          </label>
        ))}
        <p>
          <label>
            {t("workflows.otherEvents")}{" "}
            <input id="workflow-other-events" dir="ltr" value={otherEvents} onInput={(event) => setOtherEvents(event.currentTarget.value)} />
          </label>
        </p>
        {conditions.length > 0 && (
          <ConditionsEditor
            label={t("workflows.conditions")}
            conditions={conditions}
            onChange={setConditions}
            fields={fields}
            at="trigger.conditions"
          />
        )}
        <FieldErrors fields={fields} at="trigger" id="workflow-trigger-error" />
      </fieldset>
      <fieldset class="workflow-steps">
        <legend>{t("workflows.steps")}</legend>
        <FieldErrors fields={Object.fromEntries(Object.entries(fields).filter(([where]) => where === "steps"))} at="steps" id="workflow-steps-error" />
        <ol>
          {steps.map((step, index) => (
            <li key={index} class="workflow-step" data-step-type={step.type} data-step-id={step.id}>
              <StepEditor
                step={step}
                index={index}
                emails={props.emails}
                fields={fields}
                onChange={(patch) => change(index, patch)}
              />
              <p>
                <button type="button" class="up" disabled={index === 0} onClick={() => move(index, -1)}>
                  {t("workflows.stepUp", { step: step.id })}
                </button>{" "}
                <button type="button" class="down" disabled={index === steps.length - 1} onClick={() => move(index, 1)}>
                  {t("workflows.stepDown", { step: step.id })}
                </button>{" "}
                <button type="button" class="remove" onClick={() => setSteps(steps.filter((_, at) => at !== index))}>
                  {t("workflows.stepRemove", { step: step.id })}
                </button>
              </p>
            </li>
          ))}
        </ol>
        <p>
          <label>
            {t("workflows.stepType")}{" "}
            <select id="workflow-step-type" value={adding} onChange={(event) => setAdding(event.currentTarget.value)}>
              {STEP_TYPES.map((type) => (
                <option key={type} value={type}>
                  {t(`workflows.step.${type}`)}
                </option>
              ))}
            </select>
          </label>{" "}
          <button type="button" id="workflow-add-step" onClick={() => setSteps([...steps, newStep(adding, steps, props.emails)])}>
            {t("workflows.addStep")}
          </button>
        </p>
      </fieldset>
      <p>
        <label>
          {t("workflows.reEntry")}{" "}
          <select id="workflow-re-entry" value={reEntry} onChange={(event) => setReEntry(event.currentTarget.value)}>
            {RE_ENTRY.map((value) => (
              <option key={value} value={value}>
                {t(`workflows.reEntry.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </p>
      <fieldset class="workflow-stop-on">
        <legend>{t("workflows.stopOn")}</legend>
        {STOP_REASONS.map((reason) => (
          <label key={reason}>
            <input
              type="checkbox"
              checked={stopOn.includes(reason)}
              onChange={(event) =>
                setStopOn(event.currentTarget.checked ? [...stopOn, reason] : stopOn.filter((r) => r !== reason))
              }
            />{" "}
            {t(`workflows.stopOn.${reason}`)}{" "}
          </label>
        ))}
      </fieldset>
      <FieldErrors fields={fields} at="re_entry" id="workflow-re-entry-error" />
      <FieldErrors fields={fields} at="stop_on" id="workflow-stop-on-error" />
      <FieldErrors fields={fields} at="status" id="workflow-status-error" />
      <p>
        <button type="submit">{t("workflows.save")}</button>{" "}
        <button type="button" onClick={() => props.onDone(null)}>
          {t("assignment.cancel")}
        </button>
      </p>
    </form>
  );
}

function DurationEditor(props: {
  label: string;
  value: DurationValue | undefined;
  idPrefix: string;
  onChange: (value: DurationValue) => void;
}) {
  const t = useT();
  const value = props.value ?? {};
  return (
    <fieldset class="duration">
      <legend>{props.label}</legend>
      {(["days", "hours", "minutes"] as const).map((unit) => (
        <label key={unit}>
          {t(`workflows.duration.${unit}`)}{" "}
          <input
            id={`${props.idPrefix}-${unit}`}
            class={`duration-${unit}`}
            type="number"
            value={value[unit] ?? 0}
            onInput={(event) => props.onChange({ ...value, [unit]: Number(event.currentTarget.value) })}
          />{" "}
        </label>
      ))}
    </fieldset>
  );
}

function ConditionsEditor(props: {
  label: string;
  conditions: ConditionValue[];
  onChange: (conditions: ConditionValue[]) => void;
  fields: FieldProblems;
  at: string;
}) {
  const t = useT();
  return (
    <div class="conditions">
      <p>{props.label}</p>
      <ul>
        {props.conditions.map((condition, index) => (
          <li key={index}>
            <label>
              <bdi dir="ltr">
                {condition.field} {condition.op ?? "eq"}
              </bdi>{" "}
              {condition.op !== "exists" && condition.op !== "missing" && (
                <input
                  class="condition-value"
                  dir="ltr"
                  aria-label={t("workflows.conditionValue", { field: condition.field })}
                  value={shown(condition.value)}
                  onInput={(event) =>
                    props.onChange(
                      props.conditions.map((c, at) =>
                        at === index ? { ...c, value: conditionValue(event.currentTarget.value, c.value, c.op) } : c,
                      ),
                    )
                  }
                />
              )}
            </label>
            <FieldErrors fields={props.fields} at={`${props.at}.${index}`} id={`${props.at}-${index}-error`.replace(/\./g, "-")} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function StepEditor(props: {
  step: Draft;
  index: number;
  emails: { id: string; name: string }[];
  fields: FieldProblems;
  onChange: (patch: Record<string, unknown>) => void;
}) {
  const t = useT();
  const { step, index, fields } = props;
  const prefix = `step-${index}`;
  const at = `steps.${index}`;
  const text = (key: string) => (typeof step[key] === "string" ? (step[key] as string) : "");
  const kind = (STEP_TYPES as readonly string[]).includes(step.type) || step.type === "branch" ? step.type : "";
  return (
    <div class="step-editor">
      <p>
        <strong>{kind ? t(`workflows.step.${kind as "wait"}`) : step.type}</strong>{" "}
        <label>
          {t("workflows.stepId")}{" "}
          <input
            id={`${prefix}-id`}
            dir="ltr"
            required
            maxLength={20}
            pattern="[A-Za-z0-9_\-]{1,20}"
            value={step.id}
            onInput={(event) => props.onChange({ id: event.currentTarget.value })}
          />
        </label>
      </p>
      {step.type === "send_email" && (
        <p>
          <label>
            {t("workflows.emailTemplate")}{" "}
            <select id={`${prefix}-template`} value={text("template_id")} onChange={(event) => props.onChange({ template_id: event.currentTarget.value })}>
              {!props.emails.some((email) => email.id === text("template_id")) && <option value={text("template_id")}>{text("template_id")}</option>}
              {props.emails.map((email) => (
                <option key={email.id} value={email.id}>
                  {email.name}
                </option>
              ))}
            </select>
          </label>
        </p>
      )}
      {step.type === "wait" && step.until === undefined && (
        <DurationEditor
          label={t("workflows.waitFor")}
          idPrefix={`${prefix}-duration`}
          value={step.duration as DurationValue | undefined}
          onChange={(duration) => props.onChange({ duration })}
        />
      )}
      {step.type === "wait" && step.until !== undefined && (
        <p>
          <label>
            {t("workflows.waitUntil")}{" "}
            <input
              dir="ltr"
              value={(step.until as { field?: string }).field ?? ""}
              onInput={(event) => props.onChange({ until: { ...(step.until as object), field: event.currentTarget.value } })}
            />
          </label>
        </p>
      )}
      {step.type === "set_field" && (
        <p>
          <label>
            {t("workflows.field")}{" "}
            <input id={`${prefix}-field`} dir="ltr" required value={text("field")} onInput={(event) => props.onChange({ field: event.currentTarget.value })} />
          </label>{" "}
          <label>
            {t("workflows.value")}{" "}
            <input id={`${prefix}-value`} dir="auto" value={shown(step.value)} onInput={(event) => props.onChange({ value: event.currentTarget.value })} />
          </label>
        </p>
      )}
      {step.type === "create_task" && (
        <>
          <p>
            <label>
              {t("workflows.taskSubject")}{" "}
              <input id={`${prefix}-subject`} dir="auto" required maxLength={500} value={text("subject")} onInput={(event) => props.onChange({ subject: event.currentTarget.value })} />
            </label>
          </p>
          <DurationEditor
            label={t("workflows.dueIn")}
            idPrefix={`${prefix}-due`}
            value={step.due_in as DurationValue | undefined}
            onChange={(due_in) => props.onChange({ due_in })}
          />
        </>
      )}
      {step.type === "webhook" && (
        <p>
          <label>
            {t("workflows.url")}{" "}
            <input id={`${prefix}-url`} dir="ltr" type="url" required size={50} value={text("url")} onInput={(event) => props.onChange({ url: event.currentTarget.value })} />
          </label>
        </p>
      )}
      {step.type === "assign" && (
        <p>
          <label>
            {t("workflows.ruleId")}{" "}
            <input
              id={`${prefix}-rule`}
              dir="ltr"
              value={text("rule_id")}
              onInput={(event) => {
                const value = event.currentTarget.value.trim();
                props.onChange({ rule_id: value === "" ? undefined : value });
              }}
            />
          </label>
        </p>
      )}
      {step.type === "branch" && (
        <>
          <ConditionsEditor
            label={t("workflows.branchIf")}
            conditions={(step.conditions as ConditionValue[] | undefined) ?? []}
            onChange={(conditions) => props.onChange({ conditions })}
            fields={fields}
            at={`${at}.conditions`}
          />
          <p class="muted">
            {t("workflows.branchTargets", { then: text("then") || t("workflows.next"), otherwise: text("else") || t("workflows.next") })}
          </p>
        </>
      )}
      <FieldErrors fields={fields} at={at} id={`${prefix}-error`} />
    </div>
  );
}

function WorkflowTable(props: {
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
      setProblem(stale ? new Error(t("common.stale")) : failed(failure));
    }
  }

  async function remove(workflow: Workflow) {
    if (!confirm(t("workflows.confirmDelete", { name: workflow.name }))) return;
    try {
      const result = await api.DELETE("/v1/workflows/{workflow_id}", {
        params: { path: { workflow_id: workflow.id }, header: { "if-match": String(workflow.version) } },
      });
      if (!result.response.ok) throw new ApiError(result.response.status, result.error as never);
      setProblem(null);
      props.onChanged(t("workflows.deleted", { name: workflow.name }));
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
