// The API client: typed from the OpenAPI document the API serves (schema.d.ts is generated from it at build
// time), so a contract change that breaks the console fails `npm run build`.
import createClient, { type Middleware } from "openapi-fetch";
import { session } from "../auth/session";
import type { components, paths } from "./schema";

export type Contact = components["schemas"]["Contact"];
export type ContactPage = components["schemas"]["ContactPage"];
export type SearchResult = components["schemas"]["SearchResult"];
export type TimelineEntry = components["schemas"]["TimelineEntry"];
export type ErrorBody = components["schemas"]["ErrorBody"];
export type Deal = components["schemas"]["Deal"];
export type DealPage = components["schemas"]["DealPage"];
export type Activity = components["schemas"]["ActivityPage"]["items"][number];
export type Company = components["schemas"]["Company"];
export type AuditEntry = components["schemas"]["AuditEntry"];
export type Export = components["schemas"]["Export"];
export type ImportJob = components["schemas"]["Import"];
export type Form = components["schemas"]["Form"];
export type Notification = components["schemas"]["Notification"];
export type TeamMember = components["schemas"]["TeamMember"];
export type KeptSubmission = components["schemas"]["KeptSubmission"];
export type Pipeline = components["schemas"]["PipelinePage"]["items"][number];
export type CaseInInbox = components["schemas"]["CaseInInbox"];
export type SavedView = components["schemas"]["SavedView"];
export type AcceptedSubmission = components["schemas"]["AcceptedSubmission"];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
  ) {
    super(body?.error.message ?? `HTTP ${status}`);
  }
}

const bearer: Middleware = {
  onRequest({ request }) {
    const signedIn = session();
    if (signedIn) request.headers.set("Authorization", `Bearer ${signedIn.accessToken}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin });
api.use(bearer);

/** An answer without a body (a 204): nothing, or an ApiError with the API's own message. */
export function done(result: { error?: unknown; response: Response }): void {
  if (!result.response.ok) throw new ApiError(result.response.status, result.error as ErrorBody | undefined);
}

/** What went wrong, to show a person: the API's message with the fields it names, and a 412 (someone changed
 * the record since it was read) as `stale` when the page says what to do about it. */
export function asError(failure: unknown, stale?: string): Error {
  if (stale !== undefined && failure instanceof ApiError && failure.status === 412) return new Error(stale);
  if (failure instanceof ApiError && failure.body?.error.fields) {
    const fields = Object.entries(failure.body.error.fields as Record<string, string>);
    return new Error(`${failure.message} ${fields.map(([field, message]) => `${field}: ${message}`).join("; ")}`);
  }
  return failure instanceof Error ? failure : new Error(String(failure));
}

/** The data of an answer, or an ApiError with the API's own message. */
export function data<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new ApiError(result.response.status, result.error as ErrorBody | undefined);
  }
  return result.data;
}
