// A list read a page at a time on request ("show more"): the pages so far, joined, and the next one's cursor.
// A new `key` (another list, or other filters) starts again from its first page.
import { useState } from "preact/hooks";
import { type Remote, useRemote } from "./useRemote";

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Pages<T> {
  shown: readonly T[];
  page: Remote<Page<T>>;
  retry: () => void;
  /** Asks for the next page; null when there is none (or while one is on its way). */
  more: (() => void) | null;
}

export function usePages<T>(load: (cursor: string | null) => Promise<Page<T>>, key: string): Pages<T> {
  const [cursor, setCursor] = useState<{ key: string; at: string | null }>({ key, at: null });
  const [shown, setShown] = useState<T[]>([]);
  const at = cursor.key === key ? cursor.at : null;
  const [page, retry] = useRemote(async () => {
    const loaded = await load(at);
    setShown((before) => (at ? [...before, ...loaded.items] : loaded.items));
    return loaded;
  }, `${key}:${at ?? ""}`);
  const next = page.state === "ready" ? page.value.next_cursor : null;
  return { shown: at === null && page.state === "loading" ? [] : shown, page, retry,
    more: next ? () => setCursor({ key, at: next }) : null };
}
