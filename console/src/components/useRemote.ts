// One request's life for a component: loading, its data, or the API's error; started again when `key` changes.
import { useEffect, useState } from "preact/hooks";

export type Remote<T> = { state: "loading" } | { state: "ready"; value: T } | { state: "failed"; error: Error };

export function useRemote<T>(load: () => Promise<T>, key: string): [Remote<T>, () => void] {
  const [remote, setRemote] = useState<Remote<T>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    setRemote({ state: "loading" });
    load().then(
      (value) => live && setRemote({ state: "ready", value }),
      (error: unknown) => live && setRemote({ state: "failed", error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      live = false;
    };
  }, [key, attempt]);
  return [remote, () => setAttempt((n) => n + 1)];
}
