// Who is signed in. Tokens live in this module's memory only: never in localStorage, sessionStorage or a
// cookie another script or site could read. A reload signs in again through the user pool's own session
// (Cognito's hosted UI cookie), which asks for no password while it lasts. Only the PKCE verifier and the
// state (not secrets once the code is used) wait in sessionStorage across the redirect.
import { challengeOf, randomToken } from "./pkce";

export interface ConsoleConfig {
  authorize_url: string;
  token_url: string;
  logout_url: string;
  client_id: string;
  scopes: string;
}

export interface Session {
  accessToken: string;
  idToken: string;
  expiresAt: number;
  email: string;
  userId: string;
  roles: readonly string[];
}

const PENDING = "crm.console.pending-sign-in";
let current: Session | null = null;

export function session(): Session | null {
  return current && current.expiresAt > Date.now() ? current : null;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  return (await response.json()) as ConsoleConfig;
}

function redirectUri(): string {
  return `${location.origin}/`;
}

export async function beginSignIn(config: ConsoleConfig): Promise<never> {
  const verifier = randomToken(48);
  const state = randomToken(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, back: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    scope: config.scopes,
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${config.authorize_url}?${query.toString()}`);
  return new Promise<never>(() => undefined);
}

/** Finishes a sign-in when the authorization server has just sent the user back with a code. */
export async function completeSignIn(config: ConsoleConfig): Promise<Session | null> {
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  const pending = sessionStorage.getItem(PENDING);
  if (!code || !pending) return null;
  sessionStorage.removeItem(PENDING);
  const { verifier, state, back } = JSON.parse(pending) as { verifier: string; state: string; back: string };
  history.replaceState(null, "", `/${back}`);
  if (query.get("state") !== state) throw new Error("the sign-in came back with another state");
  const response = await fetch(config.token_url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.client_id,
      code,
      redirect_uri: redirectUri(),
      code_verifier: verifier,
    }),
  });
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as { access_token: string; id_token: string; expires_in: number };
  const claims = decodeClaims(tokens.id_token);
  current = {
    accessToken: tokens.access_token,
    idToken: tokens.id_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    email: String(claims["email"] ?? claims["cognito:username"] ?? ""),
    userId: String(claims["sub"] ?? ""),
    roles: Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"].map(String) : [],
  };
  return current;
}

export function signOut(config: ConsoleConfig): void {
  current = null;
  sessionStorage.removeItem(PENDING);
  const query = new URLSearchParams({ client_id: config.client_id, logout_uri: redirectUri() });
  location.assign(`${config.logout_url}?${query.toString()}`);
}

function decodeClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}
