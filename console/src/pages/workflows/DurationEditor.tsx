// A length of time (a wait, a task's due date) in the days, hours and minutes the API's durations are made of.
import { useT } from "../../i18n";
import type { DurationValue } from "./model";

export function DurationEditor(props: {
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
