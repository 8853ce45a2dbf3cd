// The API's field problems (a 422's `fields`) shown beside the inputs they name and tied to them for screen
// readers, so a person fixes each where they typed it; any other failure goes to Problem as an Error.
import { ApiError } from "../../api/client";

export type FieldProblems = Record<string, string>;


/** The API's 422 `fields`, by where each problem is (`steps.1.duration`). */
export function fieldProblems(failure: unknown): FieldProblems {
  return failure instanceof ApiError && failure.body?.error.fields ? (failure.body.error.fields as FieldProblems) : {};
}

/** The problems at `at` or inside it (`steps.1` holds `steps.1.wait.duration`). */
function problemsAt(fields: FieldProblems, at: string): string[] {
  return Object.entries(fields)
    .filter(([where]) => where === at || where.startsWith(`${at}.`))
    .map(([where, message]) => (where === at ? message : `${where.slice(at.length + 1)}: ${message}`));
}

export function described(fields: FieldProblems, at: string, id: string): Record<string, string> {
  return problemsAt(fields, at).length > 0 ? { "aria-invalid": "true", "aria-describedby": id } : {};
}

export function FieldErrors({ fields, at, id }: { fields: FieldProblems; at: string; id: string }) {
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
