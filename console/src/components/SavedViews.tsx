// A list's saved views: pick one of one's own or the team's to show the list as it was saved, save the list on
// screen under a name (an admin may share it with the team), or delete a view one may delete. The API checks
// the saved list and runs it as whoever opens it.
import { useState } from "preact/hooks";
import { api, asError, data, type SavedView } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { useT } from "../i18n";
import { Problem } from "./Problem";
import { useRemote } from "./useRemote";

export function SavedViews(props: { resource: string; list: string; onPick: (list: string) => void }) {
  const t = useT();
  const session = useSession();
  const [changes, setChanges] = useState(0);
  const [chosen, setChosen] = useState("");
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [problem, setProblem] = useState<Error | null>(null);
  const [views] = useRemote(
    async () => data(await api.GET("/v1/saved-views", { params: { query: { resource: props.resource } } })).items,
    props.resource,
    changes,
  );
  const listed: readonly SavedView[] = views.state === "ready" ? views.value : [];
  const current = listed.find((view) => view.id === chosen);

  async function act(work: () => Promise<unknown>) {
    try {
      await work();
      setProblem(null);
      setChanges((n) => n + 1);
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  function pick(id: string) {
    setChosen(id);
    const view = listed.find((each) => each.id === id);
    if (view) props.onPick(view.list);
  }

  const save = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const saved = data(await api.POST("/v1/saved-views", { body: { name, list: props.list, shared } }));
      setChosen(saved.id);
      setName("");
    });
  };

  const remove = (view: SavedView) =>
    act(async () => {
      data(await api.DELETE("/v1/saved-views/{view_id}", { params: { path: { view_id: view.id } } }));
      setChosen("");
    });

  const mayDelete = (view: SavedView) => !view.shared || view.owner === session.userId || hasRole(session, "admin");

  return (
    <div class="saved-views">
      {problem && <Problem error={problem} />}
      <label>
        {t("views.label")}{" "}
        <select value={chosen} onChange={(event) => pick(event.currentTarget.value)}>
          <option value="">{t("views.none")}</option>
          {listed.map((view) => (
            <option key={view.id} value={view.id}>
              {view.shared ? t("views.team", { name: view.name }) : view.name}
            </option>
          ))}
        </select>
      </label>
      {current && mayDelete(current) && (
        <button type="button" onClick={() => void remove(current)}>
          {t("views.delete", { name: current.name })}
        </button>
      )}
      <form class="save-view" onSubmit={save}>
        <label>
          {t("views.name")}{" "}
          <input required dir="auto" maxLength={100} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
        {hasRole(session, "admin") && (
          <label>
            <input type="checkbox" checked={shared} onChange={(event) => setShared(event.currentTarget.checked)} />{" "}
            {t("views.share")}
          </label>
        )}
        <button type="submit">{t("views.save")}</button>
      </form>
    </div>
  );
}
