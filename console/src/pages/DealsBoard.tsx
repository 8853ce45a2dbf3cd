// The deal pipeline as a kanban board: a column per stage, cards dragged between them (or moved with the
// keyboard through each card's "Move to" list). Every move is a PATCH with If-Match on the version the board
// read, so a card someone else changed meanwhile is refused with a clear message instead of overwriting them.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, data, type Deal, type DealPage, type Pipeline } from "../api/client";
import { Problem } from "../components/Problem";
import { DealCard } from "../components/DealCard";
import { useRemote } from "../components/useRemote";
import { type Translate, useT } from "../i18n";

const CLOSED = ["won", "lost"] as const;

async function loadDeals(pipelineId: string): Promise<Deal[]> {
  const deals: Deal[] = [];
  let cursor: string | null = null;
  do {
    const page: DealPage = data(
      await api.GET("/v1/deals", { params: { query: { pipeline_id: pipelineId, limit: "200", cursor } } }),
    );
    deals.push(...page.items);
    cursor = page.next_cursor ?? null;
  } while (cursor && deals.length < 2000);
  return deals;
}

export function DealsBoard() {
  const t = useT();
  const [pipelines, retry] = useRemote(async () => data(await api.GET("/v1/pipelines", {})).items, "pipelines");
  const [pipelineId, setPipelineId] = useState<string>("");
  const [deals, setDeals] = useState<Deal[] | null>(null);
  const [notice, setNotice] = useState<{ text: string; alert: boolean } | null>(null);
  const [error, setError] = useState<Error | null>(null);

  const pipeline: Pipeline | undefined =
    pipelines.state === "ready" ? (pipelines.value.find((p) => p.id === pipelineId) ?? pipelines.value[0]) : undefined;

  useEffect(() => {
    if (!pipeline) return;
    setDeals(null);
    loadDeals(pipeline.id).then(setDeals, (failure: Error) => setError(failure));
  }, [pipeline?.id]);

  async function move(deal: Deal, stage: string, reason?: string) {
    if (!pipeline || deal.stage === stage) return;
    const target = stageName(pipeline, stage, t);
    try {
      const moved = data(
        await api.PATCH("/v1/deals/{deal_id}", {
          params: { path: { deal_id: deal.id }, header: { "if-match": String(deal.version) } },
          body: { stage, ...(reason ? { close_reason: reason } : {}) },
        }),
      );
      setDeals((before) => before?.map((d) => (d.id === moved.id ? moved : d)) ?? null);
      setNotice({ text: t("deals.moved", { deal: deal.name ?? "", stage: target }), alert: false });
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 412) {
        const current = data(await api.GET("/v1/deals/{deal_id}", { params: { path: { deal_id: deal.id } } }));
        setDeals((before) => before?.map((d) => (d.id === current.id ? current : d)) ?? null);
        setNotice({ text: t("deals.stale", { deal: deal.name ?? "" }), alert: true });
      } else {
        setNotice({ text: failure instanceof Error ? failure.message : String(failure), alert: true });
      }
    }
  }

  if (pipelines.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (pipelines.state === "failed") return <Problem error={pipelines.error} retry={retry} />;
  if (!pipeline) return <p>{t("deals.empty")}</p>;
  const columns = [...pipeline.stages.map((stage) => stage.id), ...CLOSED];
  return (
    <section class="page deals" aria-labelledby="deals-title">
      <h1 id="deals-title">{t("deals.title")}</h1>
      <label>
        {t("deals.pipeline")}{" "}
        <select value={pipeline.id} onChange={(event) => setPipelineId(event.currentTarget.value)}>
          {pipelines.value.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <p class={notice?.alert ? "notice alert" : "notice"} role={notice?.alert ? "alert" : "status"}>
        {notice?.text ?? ""}
      </p>
      {error && <Problem error={error} />}
      {deals === null ? (
        <p aria-busy="true">{t("common.loading")}</p>
      ) : (
        <div class="board">
          {columns.map((stage) => {
            const inStage = deals.filter((deal) => deal.stage === stage);
            return (
              <section
                key={stage}
                class="column"
                data-stage={stage}
                aria-label={stageName(pipeline, stage, t)}
                onDragOver={(event) => event.preventDefault()}
                onDrop={(event) => {
                  event.preventDefault();
                  const deal = deals.find((d) => d.id === event.dataTransfer?.getData("text/plain"));
                  if (deal && !CLOSED.some((closed) => closed === stage)) void move(deal, stage);
                }}
              >
                <h2>
                  {stageName(pipeline, stage, t)} <span class="muted">{t("deals.count", { count: inStage.length })}</span>
                </h2>
                {inStage.length === 0 && <p class="muted">{t("deals.empty")}</p>}
                {inStage.map((deal) => (
                  <DealCard key={deal.id} deal={deal} stages={columns.map((id) => ({ id, name: stageName(pipeline, id, t) }))} onMove={move} />
                ))}
              </section>
            );
          })}
        </div>
      )}
    </section>
  );
}

function stageName(pipeline: Pipeline, stage: string, t: Translate): string {
  if (stage === "won") return t("deals.won");
  if (stage === "lost") return t("deals.lost");
  return pipeline.stages.find((s) => s.id === stage)?.name ?? stage;
}
