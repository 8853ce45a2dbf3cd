// Saved reports (every role: one's own, those shared with one's roles, every report to an admin): each run now
// and shown as a table read as the person running it, or downloaded as CSV or XLSX; a new one made from an
// entity's list, a group-by and a measure, and shared with roles; its owner or an admin edits it (PATCH, If-Match)
// or deletes it, or sets or clears the schedule that emails it.
import { useState } from "preact/hooks";
import { api, ApiError, asError, data, done } from "../api/client";
import type { components } from "../api/schema";
import { hasRole, useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { formatDateTime, formatNumber, type MessageKey, useLocale, useT } from "../i18n";

type Report = components["schemas"]["Report"];
type ReportRun = components["schemas"]["ReportRun"];
type Cell = ReportRun["totals"][number];

const ENTITIES = ["contacts", "companies", "deals", "activities"] as const;
const FUNCTIONS = ["count", "sum", "avg", "min", "max"] as const;
const GRAINS = ["", "day", "week", "month", "quarter", "year"] as const;
const FORMATS = ["csv", "xlsx"] as const;
const ROLES = ["admin", "sales", "marketing", "support"] as const;


export function ReportsPage() {
  const t = useT();
  const [reloads, setReloads] = useState(0);
  const [running, setRunning] = useState<string | null>(null);
  const [scheduling, setScheduling] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [reports, retry] = useRemote(async () => data(await api.GET("/v1/reports", {})).items, "reports", reloads);
  const reload = () => setReloads((n) => n + 1);
  return (
    <section class="page reports" aria-labelledby="reports-title">
      <h1 id="reports-title">{t("reports.title")}</h1>
      {reports.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {reports.state === "failed" && <Problem error={reports.error} retry={retry} />}
      {reports.state === "ready" && (
        <>
          <ReportTable
            reports={reports.value}
            onRun={setRunning}
            onSchedule={setScheduling}
            onEdit={setEditing}
            onChanged={reload}
          />
          {reports.value
            .filter((report) => report.id === editing)
            .map((report) => (
              <ReportForm
                key={`${report.id}:${report.version}`}
                report={report}
                onDone={(changed) => {
                  setEditing(null);
                  if (changed) reload();
                }}
              />
            ))}
          {reports.value
            .filter((report) => report.id === scheduling)
            .map((report) => (
              <ScheduleForm
                key={`${report.id}:${report.version}`}
                report={report}
                onDone={() => {
                  setScheduling(null);
                  reload();
                }}
              />
            ))}
          {reports.value
            .filter((report) => report.id === running)
            .map((report) => (
              <RunResult key={report.id} report={report} />
            ))}
        </>
      )}
      <ReportForm report={null} onDone={(changed) => changed && reload()} />
    </section>
  );
}

function ReportTable(props: {
  reports: Report[];
  onRun: (id: string) => void;
  onSchedule: (id: string) => void;
  onEdit: (id: string) => void;
  onChanged: () => void;
}) {
  const t = useT();
  const session = useSession();
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");
  const mayEdit = (report: Report) => report.owner === session.userId || hasRole(session, "admin");

  async function remove(report: Report) {
    if (!confirm(t("reports.confirmDelete", { name: report.name }))) return;
    try {
      const result = await api.DELETE("/v1/reports/{report_id}", {
        params: { path: { report_id: report.id }, header: { "if-match": String(report.version) } },
      });
      done(result);
      setProblem(null);
      setStatus(t("reports.deleted", { name: report.name }));
      props.onChanged();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      {props.reports.length === 0 ? (
        <p>{t("reports.none")}</p>
      ) : (
        <table class="audit-table report-list">
          <caption>{t("reports.list")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("reports.name")}</th>
              <th scope="col">{t("reports.entity")}</th>
              <th scope="col">{t("reports.sharedWith")}</th>
              <th scope="col">{t("reports.schedule")}</th>
              <th scope="col">{t("workflows.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {props.reports.map((report) => (
              <tr key={report.id} data-report-id={report.id}>
                <th scope="row">
                  <bdi>{report.name}</bdi>
                </th>
                <td>{t(`reports.entity.${report.entity}` as MessageKey)}</td>
                <td class="shared-with">
                  {report.shared_with.length > 0 ? (
                    report.shared_with.map((role) => t(`reports.role.${role}` as MessageKey)).join(", ")
                  ) : (
                    <span class="muted">{t("reports.private")}</span>
                  )}
                </td>
                <td>
                  {report.schedule ? (
                    <bdi dir="ltr">{report.schedule.expression}</bdi>
                  ) : (
                    <span class="muted">{t("reports.noSchedule")}</span>
                  )}
                </td>
                <td>
                  <button type="button" class="run" onClick={() => props.onRun(report.id)}>
                    {t("reports.run", { name: report.name })}
                  </button>
                  {mayEdit(report) && (
                    <>
                      {" "}
                      <button type="button" class="edit" onClick={() => props.onEdit(report.id)}>
                        {t("reports.edit", { name: report.name })}
                      </button>{" "}
                      <button type="button" class="schedule" onClick={() => props.onSchedule(report.id)}>
                        {t("reports.scheduleOf", { name: report.name })}
                      </button>{" "}
                      <button type="button" class="delete" onClick={() => void remove(report)}>
                        {t("reports.delete", { name: report.name })}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function RunResult({ report }: { report: Report }) {
  const t = useT();
  const locale = useLocale();
  const [run, retry] = useRemote(
    async () =>
      data(await api.POST("/v1/reports/{report_id}/run", { params: { path: { report_id: report.id } } })) as ReportRun,
    `run:${report.id}`,
  );
  if (run.state === "loading") return <p aria-busy="true">{t("reports.running")}</p>;
  if (run.state === "failed") return <Problem error={run.error} retry={retry} />;
  const table = run.value;
  const cell = (value: Cell) =>
    value === null ? "" : typeof value === "number" ? formatNumber(locale.language, value) : <bdi>{String(value)}</bdi>;
  return (
    <article class="report-run" aria-labelledby="report-run-title">
      <h2 id="report-run-title">
        <bdi>{table.name}</bdi>
      </h2>
      <p class="muted">
        {t("reports.ranAt", { when: formatDateTime(locale, table.generated_at), records: table.records })}
      </p>
      <Downloads report={report} />
      <table class="audit-table report-table">
        <caption>{t("reports.result", { name: table.name })}</caption>
        <thead>
          <tr>
            {table.columns.map((column) => (
              <th scope="col" key={column}>
                <bdi dir="ltr">{column}</bdi>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, index) => (
            <tr key={index}>
              {row.map((value, at) => (
                <td key={at}>{cell(value)}</td>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr class="totals">
            {table.totals.map((value, at) =>
              at === 0 ? (
                <th scope="row" key={at}>
                  {value === null ? t("reports.total") : cell(value)}
                </th>
              ) : (
                <td key={at}>{cell(value)}</td>
              ),
            )}
          </tr>
        </tfoot>
      </table>
    </article>
  );
}

/** The report run again as a file (CSV or XLSX, formula-safe) the browser saves under the API's name for it. */
function Downloads({ report }: { report: Report }) {
  const t = useT();
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");

  async function download(format: (typeof FORMATS)[number]) {
    try {
      setStatus(t("reports.downloading"));
      const result = await api.POST("/v1/reports/{report_id}/run", {
        params: { path: { report_id: report.id }, query: { format } },
        parseAs: "blob",
      });
      if (!result.response.ok || !(result.data instanceof Blob)) {
        throw new ApiError(result.response.status, result.error as never);
      }
      const disposition = result.response.headers.get("content-disposition") ?? "";
      const file = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `report.${format}`;
      const link = document.createElement("a");
      link.href = URL.createObjectURL(result.data);
      link.download = file;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      setProblem(null);
      setStatus(t("reports.downloaded", { file }));
    } catch (failure) {
      setStatus("");
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <div class="report-downloads">
      {FORMATS.map((format) => (
        <span key={format}>
          <button type="button" class={`download-${format}`} onClick={() => void download(format)}>
            {t("reports.download", { format: format.toUpperCase() })}
          </button>{" "}
        </span>
      ))}
      <span role="status">{status}</span>
      {problem && <Problem error={problem} />}
    </div>
  );
}

function ReportForm({ report, onDone }: { report: Report | null; onDone: (changed: boolean) => void }) {
  const t = useT();
  const first = report?.group_by[0];
  const measure = report?.measures[0];
  const [name, setName] = useState(report?.name ?? "");
  const [description, setDescription] = useState(report?.description ?? "");
  const [entity, setEntity] = useState<(typeof ENTITIES)[number]>((report?.entity as (typeof ENTITIES)[number]) ?? "contacts");
  const [filters, setFilters] = useState(report?.filters ?? "");
  const [groupBy, setGroupBy] = useState(first?.field ?? "");
  const [grain, setGrain] = useState(first?.grain ?? "");
  const [fn, setFn] = useState<(typeof FUNCTIONS)[number]>((measure?.fn as (typeof FUNCTIONS)[number]) ?? "count");
  const [field, setField] = useState(measure?.field ?? "");
  const [shared, setShared] = useState<string[]>(report?.shared_with ?? []);
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");
  // The new form keeps the ids the page has always had; the edit form's are its own.
  const id = (part: string) => (report ? `report-edit-${part}` : `report-${part}`);

  async function save(event: Event) {
    event.preventDefault();
    // A second group-by and further measures, which this form does not show, are kept as they are.
    const body = {
      name,
      description: description.trim() ? description : null,
      entity,
      filters: filters.replace(/^\?/, ""),
      group_by: [
        ...(groupBy.trim() ? [{ field: groupBy.trim(), grain: grain ? (grain as "day") : null }] : []),
        ...(report?.group_by.slice(1) ?? []),
      ],
      measures: [{ fn, field: fn === "count" ? null : field.trim() || null }, ...(report?.measures.slice(1) ?? [])],
      shared_with: shared,
    };
    try {
      if (report) {
        data(
          await api.PATCH("/v1/reports/{report_id}", {
            params: { path: { report_id: report.id }, header: { "if-match": String(report.version) } },
            body: body as never,
          }),
        );
        onDone(true);
        return;
      }
      const made = data(await api.POST("/v1/reports", { body: body as never }));
      setProblem(null);
      setStatus(t("reports.created", { name: made.name }));
      setName("");
      setDescription("");
      setShared([]);
      onDone(true);
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  const titleId = id("form-title");
  return (
    <form class={report ? "report-edit" : "report-new"} aria-labelledby={titleId} onSubmit={(event) => void save(event)}>
      <h2 id={titleId}>
        <bdi>{report ? t("reports.editing", { name: report.name }) : t("reports.new")}</bdi>
      </h2>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("reports.name")}{" "}
          <input id={id("name")} dir="auto" required maxLength={200} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("reports.description")}{" "}
          <input id={id("description")} dir="auto" size={50} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("reports.entity")}{" "}
          <select id={id("entity")} value={entity} onChange={(event) => setEntity(event.currentTarget.value as typeof entity)}>
            {ENTITIES.map((value) => (
              <option key={value} value={value}>
                {t(`reports.entity.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </p>
      <p>
        <label>
          {t("reports.filters")}{" "}
          <input id={id("filters")} dir="ltr" placeholder="lifecycle_stage=lead" value={filters} onInput={(event) => setFilters(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("reports.groupBy")}{" "}
          <input id={id("group-by")} dir="ltr" placeholder="lifecycle_stage" value={groupBy} onInput={(event) => setGroupBy(event.currentTarget.value)} />
        </label>{" "}
        <label>
          {t("reports.grain")}{" "}
          <select value={grain} onChange={(event) => setGrain(event.currentTarget.value)}>
            {GRAINS.map((value) => (
              <option key={value} value={value}>
                {value ? t(`reports.grain.${value}`) : t("reports.grain.none")}
              </option>
            ))}
          </select>
        </label>
      </p>
      <p>
        <label>
          {t("reports.measure")}{" "}
          <select id={id("fn")} value={fn} onChange={(event) => setFn(event.currentTarget.value as typeof fn)}>
            {FUNCTIONS.map((value) => (
              <option key={value} value={value}>
                {t(`reports.fn.${value}`)}
              </option>
            ))}
          </select>
        </label>{" "}
        {fn !== "count" && (
          <label>
            {t("reports.measureField")}{" "}
            <input dir="ltr" required value={field} onInput={(event) => setField(event.currentTarget.value)} />
          </label>
        )}
      </p>
      <fieldset class="report-shared">
        <legend>{t("reports.shareWith")}</legend>
        {ROLES.map((role) => (
          <label key={role}>
            <input
              type="checkbox"
              name="shared_with"
              value={role}
              checked={shared.includes(role)}
              onChange={(event) => setShared(event.currentTarget.checked ? [...shared, role] : shared.filter((r) => r !== role))}
            />{" "}
            {t(`reports.role.${role}`)}{" "}
          </label>
        ))}
      </fieldset>
      <button type="submit">{report ? t("reports.save", { name: report.name }) : t("reports.create")}</button>
      {report && (
        <>
          {" "}
          <button type="button" onClick={() => onDone(false)}>
            {t("assignment.cancel")}
          </button>
        </>
      )}
    </form>
  );
}

function ScheduleForm({ report, onDone }: { report: Report; onDone: () => void }) {
  const t = useT();
  const [expression, setExpression] = useState(report.schedule?.expression ?? "cron(0 8 ? * MON *)");
  const [timeZone, setTimeZone] = useState(report.schedule?.time_zone ?? report.time_zone);
  const [recipients, setRecipients] = useState((report.schedule?.recipients ?? []).join(", "));
  const [format, setFormat] = useState<string>(report.schedule?.format ?? "csv");
  const [problem, setProblem] = useState<Error | null>(null);
  const header = { "if-match": String(report.version) };

  async function save(event: Event) {
    event.preventDefault();
    try {
      data(
        await api.PUT("/v1/reports/{report_id}/schedule", {
          params: { path: { report_id: report.id }, header },
          body: {
            expression,
            time_zone: timeZone,
            recipients: recipients
              .split(",")
              .map((address) => address.trim())
              .filter(Boolean),
            format: format as "csv",
          },
        }),
      );
      onDone();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  async function clear() {
    try {
      data(await api.DELETE("/v1/reports/{report_id}/schedule", { params: { path: { report_id: report.id }, header } }));
      onDone();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <form class="report-schedule" aria-labelledby="report-schedule-title" onSubmit={(event) => void save(event)}>
      <h2 id="report-schedule-title">{t("reports.scheduleOf", { name: report.name })}</h2>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("reports.expression")}{" "}
          <input id="schedule-expression" dir="ltr" required value={expression} onInput={(event) => setExpression(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("reports.timeZone")}{" "}
          <input dir="ltr" required value={timeZone} onInput={(event) => setTimeZone(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("reports.recipients")}{" "}
          <input id="schedule-recipients" dir="ltr" required value={recipients} onInput={(event) => setRecipients(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("reports.format")}{" "}
          <select value={format} onChange={(event) => setFormat(event.currentTarget.value)}>
            {FORMATS.map((value) => (
              <option key={value} value={value}>
                {value.toUpperCase()}
              </option>
            ))}
          </select>
        </label>
      </p>
      <button type="submit">{t("reports.setSchedule")}</button>{" "}
      {report.schedule && (
        <button type="button" onClick={() => void clear()}>
          {t("reports.clearSchedule")}
        </button>
      )}{" "}
      <button type="button" onClick={onDone}>
        {t("assignment.cancel")}
      </button>
    </form>
  );
}
