// The scoring model (marketing, admins edit; sales reads): each rule's points and the qualification threshold,
// edited in place and saved whole; the API names every wrong rule (fit_rules[2].points) and re-scores contacts.
import { useState } from "preact/hooks";
import { api, asError, data } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { useT } from "../i18n";

interface Rule {
  id: string;
  label: string;
  group: string;
  points: number;
  [other: string]: unknown;
}

interface Model {
  qualification_threshold: number;
  fit_rules: Rule[];
  engagement_rules: Rule[];
  [other: string]: unknown;
}

export function ScoringModel() {
  const t = useT();
  const session = useSession();
  const canEdit = hasRole(session, "admin", "marketing");
  const [saved, setSaved] = useState(0);
  const [loaded, retry] = useRemote(
    async () => (data(await api.GET("/v1/scoring-model", {})) as unknown as { model: Model }).model,
    "model",
    saved,
  );
  const [draft, setDraft] = useState<Model | null>(null);
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");
  if (loaded.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (loaded.state === "failed") return <Problem error={loaded.error} retry={retry} />;
  const model = draft ?? loaded.value;

  function points(kind: "fit_rules" | "engagement_rules", index: number, value: number) {
    setDraft({ ...model, [kind]: model[kind].map((rule, at) => (at === index ? { ...rule, points: value } : rule)) });
  }

  async function save(event: Event) {
    event.preventDefault();
    try {
      data(await api.PUT("/v1/scoring-model", { body: model as never }));
      setDraft(null);
      setProblem(null);
      setStatus(t("scoring.saved"));
      setSaved((n) => n + 1);
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  const table = (kind: "fit_rules" | "engagement_rules", caption: string) => (
    <table class="fields-table" data-rules={kind}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t("scoring.rule")}</th>
          <th scope="col">{t("scoring.group")}</th>
          <th scope="col">{t("scoring.points")}</th>
        </tr>
      </thead>
      <tbody>
        {model[kind].map((rule, index) => (
          <tr key={rule.id}>
            <th scope="row">
              <bdi>{rule.label}</bdi>
            </th>
            <td>{rule.group}</td>
            <td>
              <input
                type="number"
                aria-label={t("scoring.pointsFor", { rule: rule.label })}
                value={rule.points}
                disabled={!canEdit}
                onInput={(event) => points(kind, index, Number(event.currentTarget.value))}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

  return (
    <section class="page scoring" aria-labelledby="scoring-title">
      <h1 id="scoring-title">{t("scoring.title")}</h1>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      <form onSubmit={(event) => void save(event)}>
        <label>
          {t("scoring.threshold")}{" "}
          <input
            type="number"
            value={model.qualification_threshold}
            disabled={!canEdit}
            onInput={(event) => setDraft({ ...model, qualification_threshold: Number(event.currentTarget.value) })}
          />
        </label>
        {table("fit_rules", t("scoring.fit"))}
        {table("engagement_rules", t("scoring.engagement"))}
        {canEdit && <button type="submit">{t("scoring.save")}</button>}
      </form>
    </section>
  );
}
