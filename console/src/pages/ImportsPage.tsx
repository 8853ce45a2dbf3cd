// Imports: upload a spreadsheet, map its columns (the API suggests a mapping in six languages), check it
// without writing (a dry run), run it with progress, download the rows that failed, and revert it.
import { useState } from "preact/hooks";
import { api, asError, data, type ImportJob } from "../api/client";
import { Problem } from "../components/Problem";
import { type Translate, formatNumber, isMessageKey, useLocale, useT } from "../i18n";

const ENTITIES = ["contacts", "companies", "deals", "activities"] as const;
type Entity = (typeof ENTITIES)[number];
const POLL_MS = 700;
const SETTLED = new Set(["ready", "failed", "checked", "completed", "reverted"]);

/** The string for a key built from an API value, or the value itself when the console has none for it. */
function known(t: Translate, key: string, fallback: string): string {
  return isMessageKey(key) ? t(key) : fallback;
}

async function settle(id: string, onProgress: (job: ImportJob) => void): Promise<ImportJob> {
  for (;;) {
    const job = data(await api.GET("/v1/imports/{import_id}", { params: { path: { import_id: id } } }));
    onProgress(job);
    if (SETTLED.has(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export function ImportsPage() {
  const t = useT();
  const { language } = useLocale();
  const [entity, setEntity] = useState<Entity>("contacts");
  const [file, setFile] = useState<File | null>(null);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [errorsLink, setErrorsLink] = useState<string | null>(null);
  const [problem, setProblem] = useState<Error | null>(null);

  async function step(work: () => Promise<void>) {
    try {
      setProblem(null);
      await work();
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  const upload = () =>
    step(async () => {
      if (!file) return;
      const started = data(await api.POST("/v1/imports", { body: { entity, file_name: file.name } }));
      const target = started.upload as { url: string; fields: Record<string, string> };
      const form = new FormData();
      for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
      form.append("file", file);
      // S3's answer to a presigned POST is not read (it comes from the bucket's origin); the job says when the
      // file arrived and was read.
      await fetch(target.url, { method: "POST", body: form, mode: "no-cors" });
      const read = await settle(started.id, setJob);
      setMapping(Object.fromEntries(Object.entries(read.suggested_mapping ?? {}).map(([k, v]) => [k, String(v ?? "")])));
    });

  const run = (what: "check" | "run" | "revert") =>
    step(async () => {
      if (!job) return;
      const path = { import_id: job.id };
      if (what === "check") {
        const chosen = Object.fromEntries(Object.entries(mapping).map(([k, v]) => [k, v.trim() || null]));
        const body = { mapping: chosen, mode: "create_or_update", empty_cells: "keep" } as const;
        data(await api.POST("/v1/imports/{import_id}/check", { params: { path }, body }));
      } else if (what === "run") {
        data(await api.POST("/v1/imports/{import_id}/run", { params: { path } }));
      } else {
        data(await api.POST("/v1/imports/{import_id}/revert", { params: { path } }));
      }
      const done = await settle(job.id, setJob);
      const errors = Number((done.progress as Record<string, unknown>)["errors"] ?? 0);
      setErrorsLink(null);
      if (errors > 0 && what !== "revert") {
        const link = data(await api.GET("/v1/imports/{import_id}/errors", { params: { path, query: { step: what } } }));
        setErrorsLink((link as { url?: string | null }).url ?? null);
      }
    });

  const progress = (job?.progress ?? {}) as Record<string, number | null>;
  return (
    <section class="page imports" aria-labelledby="imports-title">
      <h1 id="imports-title">{t("imports.title")}</h1>
      {problem && <Problem error={problem} />}
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          void upload();
        }}
      >
        <label>
          {t("imports.entity")}{" "}
          <select value={entity} onChange={(event) => setEntity(event.currentTarget.value as Entity)}>
            {ENTITIES.map((value) => (
              <option key={value} value={value}>
                {t(`imports.entity.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("imports.file")}{" "}
          <input type="file" accept=".csv,.xlsx,text/csv" required onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)} />
        </label>
        <button type="submit">{t("imports.upload")}</button>
      </form>
      {job && (
        <div class="import-job" data-import-id={job.id}>
          <p role="status">
            {t("imports.status", { status: known(t, `imports.status.${job.status}`, job.status) })}
            {job.problem ? ` — ${job.problem}` : ""}
          </p>
          {(job.status === "checking" || job.status === "running" || job.status === "reverting") && (
            <progress max={progress["total_rows"] ?? 0} value={progress["rows_done"] ?? 0}>
              {progress["rows_done"]}
            </progress>
          )}
          {job.status === "ready" && (
            <table class="mapping">
              <caption>{t("imports.mapping")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("imports.column")}</th>
                  <th scope="col">{t("imports.field")}</th>
                </tr>
              </thead>
              <tbody>
                {job.headers.map((header) => (
                  <tr key={String(header)}>
                    <th scope="row">
                      <bdi>{String(header)}</bdi>
                    </th>
                    <td>
                      <input
                        aria-label={t("imports.fieldFor", { column: String(header) })}
                        value={mapping[String(header)] ?? ""}
                        onInput={(event) => setMapping({ ...mapping, [String(header)]: event.currentTarget.value })}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {["checked", "completed", "reverted"].includes(job.status) && (
            <p class="totals">
              {["created", "updated", "unchanged", "skipped", "errors", "reverted"].map((name) => (
                <span key={name}>
                  {known(t, `imports.count.${name}`, name)}: {formatNumber(language, Number(progress[name] ?? 0))}{" "}
                </span>
              ))}
            </p>
          )}
          {errorsLink && (
            <p>
              <a href={errorsLink}>{t("imports.errors")}</a>
            </p>
          )}
          <div class="toolbar">
            {job.status === "ready" && (
              <button type="button" onClick={() => void run("check")}>
                {t("imports.check")}
              </button>
            )}
            {job.status === "checked" && (
              <button type="button" onClick={() => void run("run")}>
                {t("imports.run")}
              </button>
            )}
            {job.status === "completed" && (
              <button type="button" onClick={() => void run("revert")}>
                {t("imports.revert")}
              </button>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
