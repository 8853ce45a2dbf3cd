// The search box: people in any script and phone format (the API folds both), answered as the user types.
import { useEffect, useState } from "preact/hooks";
import { api, data, type SearchResult } from "../api/client";
import { useT } from "../i18n";
import { Problem } from "./Problem";

const PAUSE_MS = 250;

export function SearchBox() {
  const t = useT();
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<readonly SearchResult[] | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      api
        .GET("/v1/search", { params: { query: { q, type: "contact", limit: "20" } } })
        .then(data)
        .then(
          (page) => live && (setResults(page.items), setError(null)),
          (failure: Error) => live && setError(failure),
        );
    }, PAUSE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query]);

  return (
    <section class="search" role="search">
      <label for="search-people">{t("search.label")}</label>
      <input
        id="search-people"
        type="search"
        dir="auto"
        autoComplete="off"
        placeholder={t("search.placeholder")}
        value={query}
        onInput={(event) => setQuery(event.currentTarget.value)}
      />
      {error && <Problem error={error} />}
      {results && (
        <div class="search-results" aria-live="polite">
          <p>{results.length ? t("search.results", { count: results.length }) : t("search.none", { q: query.trim() })}</p>
          <ul>
            {results.map((result) => (
              <li key={result.id}>
                <a href={`#/contacts/${encodeURIComponent(result.id)}`}>
                  <bdi>{result.name || result.email || result.phone || result.id}</bdi>
                </a>
                {result.email && <span class="muted"> <bdi>{result.email}</bdi></span>}
                {result.phone && <span class="muted"> <bdi dir="ltr">{result.phone}</bdi></span>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
