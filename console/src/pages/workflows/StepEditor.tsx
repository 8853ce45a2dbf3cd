// One step in the editor: the inputs its kind runs on, and the API's problems with it beside them.
import { useT } from "../../i18n";
import { ConditionsEditor } from "./ConditionsEditor";
import { DurationEditor } from "./DurationEditor";
import { type ConditionValue, type Draft, type DurationValue, shown, STEP_TYPES } from "./model";
import { type FieldProblems, FieldErrors } from "./problems";

export function StepEditor(props: {
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
