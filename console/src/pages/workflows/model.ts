// A workflow as the editors hold it, and the API's words for its parts (step kinds, events, statuses), kept in
// one place so every editor offers the same choices.
import type { components } from "../../api/schema";

export type Workflow = components["schemas"]["Workflow"];

export type Draft = { id: string; type: string } & Record<string, unknown>;
export interface DurationValue {
  days?: number;
  hours?: number;
  minutes?: number;
}
export interface ConditionValue {
  field: string;
  op?: string;
  value?: unknown;
}

export const STEP_TYPES = ["send_email", "wait", "set_field", "create_task", "webhook", "assign"] as const;
export const COMMON_EVENTS = [
  "Contact Created",
  "Contact Updated",
  "Form Submitted",
  "Activity Logged",
  "Payment Succeeded",
  "Deal Won",
  "Deal Stage Changed",
] as const;
export const STOP_REASONS = ["reply", "payment", "unsubscribe"] as const;
export const RE_ENTRY = ["once", "always", "restart"] as const;
export const STATUSES = ["draft", "paused", "active"] as const;

/** A value as a text box shows it (a list as `a, b`). */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.join(", ") : String(value);
}
