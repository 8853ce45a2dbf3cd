// The signed-in user, for the components that show or hide what their role may do.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Session } from "./session";

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}

/** Whether the user has one of `roles`: the console hides what a role may not do; the API still decides. */
export function hasRole(session: Session, ...roles: string[]): boolean {
  return session.roles.some((role) => roles.includes(role));
}
