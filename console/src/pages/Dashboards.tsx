// Dashboards for managers: the live counters of /v1/dashboards as charts, for a period and a grain, in the
// user's time zone. Each widget is one request; a widget the role may not read says so and the others show.
import { useState } from "preact/hooks";
import { api, data } from "../api/client";
import { type Bar, BarChart } from "../components/BarChart";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { type Translate, formatNumber, useLocale, useT } from "../i18n";

type Grain = "day" | "week" | "month" | "quarter" | "year";
const GRAINS: readonly Grain[] = ["day", "week", "month", "quarter", "year"];

async function widget(name: string, grain: Grain, tz: string): Promise<Record<string, unknown>> {
  const answer = data(
    await api.GET("/v1/dashboards/{widget}", { params: { path: { widget: name }, query: { grain, tz } } }),
  );
  return answer as unknown as Record<string, unknown>;
}

function periods(answer: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(answer["periods"]) ? (answer["periods"] as Record<string, unknown>[]) : [];
}

function number(value: unknown): number {
  return typeof value === "number" ? value : 0;
}

function Widget({ name, grain, render }: { name: string; grain: Grain; render: (answer: Record<string, unknown>) => preact.ComponentChildren }) {
  const t = useT();
  const { timeZone } = useLocale();
  const [answer, retry] = useRemote(() => widget(name, grain, timeZone), `${name}:${grain}:${timeZone}`);
  return (
    <section class="widget" aria-label={name} data-widget={name}>
      {answer.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {answer.state === "failed" && <Problem error={answer.error} retry={retry} />}
      {answer.state === "ready" && render(answer.value)}
    </section>
  );
}

function funnel(t: Translate, answer: Record<string, unknown>) {
  const bars: Bar[] = periods(answer).map((p) => ({ label: String(p["period"]), value: number(p["created"]) }));
  const total = (answer["total"] ?? {}) as Record<string, unknown>;
  return (
    <>
      <BarChart title={t("dash.created")} bars={bars} />
      <p>{t("dash.newMqls", { count: number(total["new_mqls"]) })}</p>
    </>
  );
}

function deals(t: Translate, language: Parameters<typeof formatNumber>[0], answer: Record<string, unknown>) {
  const rows = periods(answer);
  const total = (answer["total"] ?? {}) as Record<string, unknown>;
  const rate = typeof total["win_rate"] === "number" ? Math.round(total["win_rate"] * 100) : null;
  return (
    <>
      <BarChart title={t("dash.won")} bars={rows.map((p) => ({ label: String(p["period"]), value: number(p["won"]) }))} />
      <BarChart title={t("dash.lost")} bars={rows.map((p) => ({ label: String(p["period"]), value: number(p["lost"]) }))} />
      <p>{rate === null ? t("dash.noWinRate") : t("dash.winRate", { rate: formatNumber(language, rate) })}</p>
    </>
  );
}

function pipeline(t: Translate, answer: Record<string, unknown>) {
  const stages = Array.isArray(answer["stages"]) ? (answer["stages"] as Record<string, unknown>[]) : [];
  return <BarChart title={t("dash.openDeals")} bars={stages.map((s) => ({ label: String(s["stage"]), value: number(s["open_deals"]) }))} />;
}

function scores(t: Translate, answer: Record<string, unknown>) {
  const bands = Array.isArray(answer["score_bands"]) ? (answer["score_bands"] as Record<string, unknown>[]) : [];
  return <BarChart title={t("dash.scoreBands")} bars={bands.map((b) => ({ label: String(b["band"]), value: number(b["contacts"]) }))} />;
}

export function Dashboards() {
  const t = useT();
  const { language } = useLocale();
  const [grain, setGrain] = useState<Grain>("month");
  return (
    <section class="page dashboards" aria-labelledby="dash-title">
      <h1 id="dash-title">{t("dash.title")}</h1>
      <label>
        {t("dash.grain")}{" "}
        <select value={grain} onChange={(event) => setGrain(event.currentTarget.value as Grain)}>
          {GRAINS.map((value) => (
            <option key={value} value={value}>
              {t(`dash.grain.${value}`)}
            </option>
          ))}
        </select>
      </label>
      <div class="widgets">
        <Widget name="funnel" grain={grain} render={(answer) => funnel(t, answer)} />
        <Widget name="scores" grain={grain} render={(answer) => scores(t, answer)} />
        <Widget name="pipeline" grain={grain} render={(answer) => pipeline(t, answer)} />
        <Widget name="deals" grain={grain} render={(answer) => deals(t, language, answer)} />
      </div>
    </section>
  );
}
