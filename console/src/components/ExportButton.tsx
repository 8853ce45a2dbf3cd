// Exports the list on screen (its filters and sort) to CSV or XLSX: the API builds the file in the background,
// with the caller's own visibility; this waits for it and offers the download link it gives.
import { useState } from "preact/hooks";
import { api, asError, data, type Export } from "../api/client";
import { useT } from "../i18n";
import { Problem } from "./Problem";

const POLL_MS = 700;

export function ExportButton({ list }: { list: string }) {
  const t = useT();
  const [format, setFormat] = useState<"csv" | "xlsx">("csv");
  const [job, setJob] = useState<Export | null>(null);
  const [error, setError] = useState<Error | null>(null);

  async function start() {
    try {
      setError(null);
      let current = data(await api.POST("/v1/exports", { body: { list, format } })) as Export;
      setJob(current);
      while (current.status !== "done" && current.status !== "failed") {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        current = data(await api.GET("/v1/exports/{export_id}", { params: { path: { export_id: current.id } } }));
        setJob(current);
      }
    } catch (failure) {
      setError(asError(failure));
    }
  }

  const working = job !== null && job.status !== "done" && job.status !== "failed";
  return (
    <div class="export">
      <label>
        {t("export.format")}{" "}
        <select value={format} onChange={(event) => setFormat(event.currentTarget.value as "csv" | "xlsx")}>
          <option value="csv">CSV</option>
          <option value="xlsx">XLSX</option>
        </select>
      </label>{" "}
      <button type="button" disabled={working} onClick={() => void start()}>
        {t("export.start")}
      </button>{" "}
      <span role="status">
        {working && t("export.working")}
        {job?.status === "done" && job.download_url && (
          <a href={job.download_url} download>
            {t("export.download", { rows: job.rows ?? 0 })}
          </a>
        )}
        {job?.status === "failed" && t("export.failed", { problem: job.problem ?? "" })}
      </span>
      {error && <Problem error={error} />}
    </div>
  );
}
