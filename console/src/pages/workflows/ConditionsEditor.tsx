// Conditions (a trigger's or a branch's) kept as written but for their values, each read back as the kind of
// value it was, so the API still gets a number, a list or a text where it had one.
import { useT } from "../../i18n";
import { type ConditionValue, shown } from "./model";
import { type FieldProblems, FieldErrors } from "./problems";

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

export function ConditionsEditor(props: {
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
