// Pipelines (admins edit; every role reads): each pipeline with its open stages in order and the closed stages
// every pipeline ends in; an admin renames it and its stages, adds, reorders or removes stages and saves the
// pipeline whole (If-Match on the version read), creates a new pipeline, or deletes one. The API refuses to delete
// a pipeline that still has deals, and a save that leaves out a stage still holding deals (409 each), and says
// so here.
import { useState } from "preact/hooks";
import { api, ApiError, asError, data, done, type Pipeline } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { useT } from "../i18n";

type Stage = Pipeline["stages"][number];


/** A stage id from its name (a-z, 0-9, _ and -), or stage-<n> when the name has no such letter. */
function stageId(name: string, taken: readonly Stage[]): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^[-_]+|-+$/g, "")
      .slice(0, 50) || "stage";
  const reserved = new Set(["won", "lost", ...taken.map((stage) => stage.id)]);
  if (!reserved.has(base)) return base;
  let n = 2;
  while (reserved.has(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

export function PipelinesPage() {
  const t = useT();
  const session = useSession();
  const canEdit = hasRole(session, "admin");
  const [reloads, setReloads] = useState(0);
  const [status, setStatus] = useState("");
  const [pipelines, retry] = useRemote(async () => data(await api.GET("/v1/pipelines", {})).items, "pipelines", reloads);
  const reload = () => setReloads((n) => n + 1);
  return (
    <section class="page pipelines" aria-labelledby="pipelines-title">
      <h1 id="pipelines-title">{t("pipelines.title")}</h1>
      <p role="status" class="pipelines-status">
        {status}
      </p>
      {pipelines.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {pipelines.state === "failed" && <Problem error={pipelines.error} retry={retry} />}
      {pipelines.state === "ready" &&
        pipelines.value.map((pipeline) => (
          <PipelineEditor
            key={`${pipeline.id}:${pipeline.version}`}
            pipeline={pipeline}
            canEdit={canEdit}
            onSaved={(name) => {
              // On the page, not the card: the saved pipeline's card is drawn anew at its new version.
              setStatus(t("pipelines.saved", { name }));
              reload();
            }}
            onDeleted={(name) => {
              setStatus(t("pipelines.deleted", { name }));
              reload();
            }}
          />
        ))}
      {canEdit && <NewPipeline onCreated={reload} />}
    </section>
  );
}

function PipelineEditor(props: { pipeline: Pipeline; canEdit: boolean; onSaved: (name: string) => void; onDeleted: (name: string) => void }) {
  const { pipeline, canEdit, onSaved } = props;
  const t = useT();
  const [name, setName] = useState(pipeline.name);
  const [stages, setStages] = useState<Stage[]>(pipeline.stages);
  const [newStage, setNewStage] = useState("");
  const [newProbability, setNewProbability] = useState("50");
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");
  // Why the API or the console would not do what was asked: a pipeline with deals, a stage with deals.
  const [refusal, setRefusal] = useState("");
  const titleId = `pipeline-${pipeline.id}`;

  function removeStage(index: number) {
    const stage = stages[index];
    if (!stage) return;
    setRefusal("");
    setProblem(null);
    setStages(stages.filter((_, at) => at !== index));
    setStatus(t("pipelines.stageRemoved", { stage: stage.name }));
  }

  async function removePipeline() {
    if (!confirm(t("pipelines.confirmDelete", { name: pipeline.name }))) return;
    try {
      const result = await api.DELETE("/v1/pipelines/{pipeline_id}", {
        params: { path: { pipeline_id: pipeline.id }, header: { "if-match": String(pipeline.version) } },
      });
      done(result);
      props.onDeleted(pipeline.name);
    } catch (failure) {
      if (failure instanceof ApiError && failure.body?.error.code === "pipeline_has_deals") {
        setRefusal(t("pipelines.hasDeals", { name: pipeline.name }));
      } else if (failure instanceof ApiError && failure.status === 409) {
        setRefusal(failure.message);
      } else {
        setProblem(asError(failure, t("common.stale")));
      }
    }
  }

  function change(index: number, patch: Partial<Stage>) {
    setStages(stages.map((stage, at) => (at === index ? { ...stage, ...patch } : stage)));
  }

  function move(index: number, by: -1 | 1) {
    const next = [...stages];
    const [moved] = next.splice(index, 1);
    if (!moved) return;
    next.splice(index + by, 0, moved);
    setStages(next);
  }

  function add(event: Event) {
    event.preventDefault();
    const stageName = newStage.trim();
    if (!stageName) return;
    setStages([...stages, { id: stageId(stageName, stages), name: stageName, probability: Number(newProbability) }]);
    setNewStage("");
    setStatus(t("pipelines.stageAdded", { stage: stageName }));
  }

  async function save(event: Event) {
    event.preventDefault();
    try {
      data(
        await api.PATCH("/v1/pipelines/{pipeline_id}", {
          params: { path: { pipeline_id: pipeline.id }, header: { "if-match": String(pipeline.version) } },
          body: { name, stages },
        }),
      );
      setProblem(null);
      setRefusal("");
      onSaved(name);
    } catch (failure) {
      if (failure instanceof ApiError && failure.body?.error.code === "stage_has_deals") {
        // The API kept the pipeline as it was: the stages left out come back, with the reason.
        const kept = pipeline.stages.filter((saved) => !stages.some((stage) => stage.id === saved.id));
        setStages(pipeline.stages);
        setStatus("");
        setRefusal(t("pipelines.stageHasDeals", { stage: kept.map((stage) => stage.name).join(", ") }));
      } else {
        setProblem(asError(failure, t("common.stale")));
      }
    }
  }

  return (
    <article class="pipeline-card" data-pipeline-id={pipeline.id} data-version={pipeline.version} aria-labelledby={titleId}>
      <h2 id={titleId}>
        <bdi>{pipeline.name}</bdi>
        {pipeline.is_default && <span class="muted"> ({t("pipelines.default")})</span>}
      </h2>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      {refusal && (
        <div role="alert" class="problem refusal">
          <p>{refusal}</p>
        </div>
      )}
      <form onSubmit={(event) => void save(event)}>
        {canEdit && (
          <p>
            <label>
              {t("pipelines.name")}{" "}
              <input dir="auto" required maxLength={200} value={name} onInput={(event) => setName(event.currentTarget.value)} />
            </label>
          </p>
        )}
        <table class="fields-table stages">
          <caption>{t("pipelines.stages", { name: pipeline.name })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("pipelines.stage")}</th>
              <th scope="col">{t("pipelines.stageName")}</th>
              <th scope="col">{t("pipelines.probability")}</th>
              {canEdit && <th scope="col">{t("pipelines.order")}</th>}
            </tr>
          </thead>
          <tbody>
            {stages.map((stage, index) => (
              <tr key={stage.id} data-stage-id={stage.id}>
                <th scope="row">
                  <code>{stage.id}</code>
                </th>
                <td>
                  {canEdit ? (
                    <input
                      dir="auto"
                      required
                      aria-label={t("pipelines.nameOf", { stage: stage.id })}
                      value={stage.name}
                      onInput={(event) => change(index, { name: event.currentTarget.value })}
                    />
                  ) : (
                    <bdi>{stage.name}</bdi>
                  )}
                </td>
                <td>
                  {canEdit ? (
                    <input
                      type="number"
                      min={0}
                      max={100}
                      aria-label={t("pipelines.probabilityOf", { stage: stage.id })}
                      value={stage.probability}
                      onInput={(event) => change(index, { probability: Number(event.currentTarget.value) })}
                    />
                  ) : (
                    `${stage.probability}%`
                  )}
                </td>
                {canEdit && (
                  <td>
                    <button type="button" class="up" disabled={index === 0} onClick={() => move(index, -1)}>
                      {t("pipelines.up", { stage: stage.name })}
                    </button>{" "}
                    <button type="button" class="down" disabled={index === stages.length - 1} onClick={() => move(index, 1)}>
                      {t("pipelines.down", { stage: stage.name })}
                    </button>{" "}
                    <button type="button" class="remove" disabled={stages.length === 1} onClick={() => removeStage(index)}>
                      {t("pipelines.remove", { stage: stage.name })}
                    </button>
                  </td>
                )}
              </tr>
            ))}
            {pipeline.closed_stages.map((stage) => (
              <tr key={stage.id} class="closed">
                <th scope="row">
                  <code>{stage.id}</code>
                </th>
                <td>
                  <bdi>{stage.name}</bdi>
                </td>
                <td>{`${stage.probability}%`}</td>
                {canEdit && <td>{t("pipelines.closed")}</td>}
              </tr>
            ))}
          </tbody>
        </table>
        {canEdit && <button type="submit">{t("pipelines.save", { name: pipeline.name })}</button>}
      </form>
      {canEdit && (
        <form class="stage-new" onSubmit={add}>
          <label>
            {t("pipelines.newStage")}{" "}
            <input dir="auto" maxLength={200} value={newStage} onInput={(event) => setNewStage(event.currentTarget.value)} />
          </label>{" "}
          <label>
            {t("pipelines.probability")}{" "}
            <input type="number" min={0} max={100} value={newProbability} onInput={(event) => setNewProbability(event.currentTarget.value)} />
          </label>{" "}
          <button type="submit">{t("pipelines.addStage")}</button>
        </form>
      )}
      {canEdit && !pipeline.is_default && (
        <p>
          <button type="button" class="delete-pipeline" onClick={() => void removePipeline()}>
            {t("pipelines.delete", { name: pipeline.name })}
          </button>
        </p>
      )}
    </article>
  );
}

function NewPipeline({ onCreated }: { onCreated: () => void }) {
  const t = useT();
  const [name, setName] = useState("");
  const [firstStage, setFirstStage] = useState("");
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");

  async function create(event: Event) {
    event.preventDefault();
    try {
      const stage = firstStage.trim();
      const made = data(
        await api.POST("/v1/pipelines", {
          body: { name, stages: [{ id: stageId(stage, []), name: stage, probability: 10 }] },
        }),
      );
      setProblem(null);
      setStatus(t("pipelines.created", { name: made.name }));
      setName("");
      setFirstStage("");
      onCreated();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <form class="pipeline-new" aria-labelledby="pipeline-new-title" onSubmit={(event) => void create(event)}>
      <h2 id="pipeline-new-title">{t("pipelines.new")}</h2>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("pipelines.name")}{" "}
          <input id="pipeline-name" dir="auto" required maxLength={200} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("pipelines.firstStage")}{" "}
          <input id="pipeline-first-stage" dir="auto" required maxLength={200} value={firstStage} onInput={(event) => setFirstStage(event.currentTarget.value)} />
        </label>
      </p>
      <button type="submit">{t("pipelines.create")}</button>
    </form>
  );
}
