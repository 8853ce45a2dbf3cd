// The team: one's own profile for everyone (time zone, language, working hours, time away: reminders and new
// leads follow it), and for admins every user of the pool with their roles (Cognito groups, read only).
import { useState } from "preact/hooks";
import { api, ApiError, asError, data, type TeamMember } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { useT } from "../i18n";

type Editable = "time_zone" | "language" | "work_starts" | "work_ends" | "away_from" | "away_until";
const FIELDS: readonly Editable[] = ["time_zone", "language", "work_starts", "work_ends", "away_from", "away_until"];

export function TeamPage() {
  const t = useT();
  const session = useSession();
  const [saved, setSaved] = useState(0);
  const [me, retry] = useRemote(async () => data(await api.GET("/v1/users/me", {})), "me", saved);
  const [draft, setDraft] = useState<Partial<Record<Editable, string>>>({});
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");

  async function save(event: Event, profile: TeamMember) {
    event.preventDefault();
    try {
      const body = Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v === "" ? null : v]));
      data(
        await api.PUT("/v1/users/me", {
          params: { header: { "if-match": String(profile.version) } },
          body: body as never,
        }),
      );
      setDraft({});
      setProblem(null);
      setStatus(t("team.saved"));
      setSaved((n) => n + 1);
    } catch (failure) {
      setProblem(failure instanceof ApiError ? failure : asError(failure));
    }
  }

  return (
    <section class="page team" aria-labelledby="team-title">
      <h1 id="team-title">{t("team.title")}</h1>
      <h2>{t("team.me")}</h2>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      {me.state === "failed" && <Problem error={me.error} retry={retry} />}
      {me.state === "ready" && (
        <form class="profile" onSubmit={(event) => void save(event, me.value)}>
          {FIELDS.map((field) => (
            <p key={field}>
              <label>
                {t(`team.field.${field}`)}{" "}
                <input
                  dir="ltr"
                  value={draft[field] ?? String(me.value[field] ?? "")}
                  onInput={(event) => setDraft({ ...draft, [field]: event.currentTarget.value })}
                />
              </label>
            </p>
          ))}
          <button type="submit">{t("team.save")}</button>
        </form>
      )}
      {hasRole(session, "admin") && <Directory />}
    </section>
  );
}

function Directory() {
  const t = useT();
  const [directory, retry] = useRemote(async () => data(await api.GET("/v1/users", {})), "directory");
  if (directory.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (directory.state === "failed") return <Problem error={directory.error} retry={retry} />;
  const profiles = new Map(directory.value.profiles.map((profile) => [profile.id, profile]));
  return (
    <table class="audit-table users">
      <caption>{t("team.users")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("team.email")}</th>
          <th scope="col">{t("team.roles")}</th>
          <th scope="col">{t("team.field.time_zone")}</th>
          <th scope="col">{t("team.status")}</th>
        </tr>
      </thead>
      <tbody>
        {(directory.value.users ?? []).map((user) => (
          <tr key={user.id} data-user-id={user.id}>
            <td>
              <bdi>{user.email ?? user.username}</bdi>
            </td>
            <td>{user.groups.join(", ")}</td>
            <td>{profiles.get(user.id)?.time_zone ?? "UTC"}</td>
            <td>{user.enabled ? (user.status ?? "") : t("team.disabled")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
