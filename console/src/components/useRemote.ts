// One request's life for a component: loading, its data, or the API's error. A new `key` (another record)
// starts again from loading; a new `refresh` (the same record, changed) keeps showing the data it has until the
// fresh copy arrives, so what is on screen (a message, an open form) stays.
import { useEffect, useState } from "preact/hooks";

export type Remote<T> = { state: "loading" } | { state: "ready"; value: T } | { state: "failed"; error: Error };

export function useRemote<T>(load: () => Promise<T>, key: string, refresh = 0): [Remote<T>, () => void] {
  const [remote, setRemote] = useState<Remote<T>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [shownKey, setShownKey] = useState(key);
  useEffect(() => {
    let live = true;
    if (key !== shownKey || remote.state !== "ready") setRemote({ state: "loading" });
    setShownKey(key);
    load().then(
      (value) => live && setRemote({ state: "ready", value }),
      (error: unknown) => live && setRemote({ state: "failed", error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      live = false;
    };
  }, [key, refresh, attempt]);
  return [remote, () => setAttempt((n) => n + 1)];
}
