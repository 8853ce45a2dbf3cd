// A workflow written from scratch or edited, sent back whole with the version it was read at, so a change saved
// by someone else in between is refused rather than overwritten; the API's problems shown beside their fields.
import { useState } from "preact/hooks";
import { api, ApiError, asError, data } from "../../api/client";
import { Problem } from "../../components/Problem";
import { useT } from "../../i18n";
import { ConditionsEditor } from "./ConditionsEditor";
import {
  COMMON_EVENTS,
  type ConditionValue,
  type Draft,
  RE_ENTRY,
  STATUSES,
  STEP_TYPES,
  STOP_REASONS,
  type Workflow,
} from "./model";
import { type FieldProblems, described, FieldErrors, fieldProblems } from "./problems";
import { StepEditor } from "./StepEditor";

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

export function WorkflowEditor(props: {
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
      setProblem(stale ? new Error(t("common.stale")) : asError(failure));
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
