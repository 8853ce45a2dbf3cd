// Assignment rules (admins): the ordered rules that give a new lead its owner, tried first to last; each moved
// up or down (the whole order is sent back), written whole (conditions, strategy, members and their weights, the
// SLA: minutes until a lead nobody contacted is escalated, and how) or deleted, with If-Match on the version read.
import { useState } from "preact/hooks";
import { api, asError, data, done } from "../api/client";
import type { components } from "../api/schema";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { type MessageKey, useT } from "../i18n";

type Rule = components["schemas"]["Rule"];
type RuleFields = components["schemas"]["RuleFields"];

const STRATEGIES = ["round_robin", "weighted", "least_loaded"] as const;
const SLA_ACTIONS = ["alert_manager", "reassign"] as const;
const LISTS = ["sources", "countries", "languages", "form_ids"] as const;
type ListCondition = (typeof LISTS)[number];

interface Member {
  user_id: string;
  weight?: number;
  daily_cap?: number | null;
  monthly_cap?: number | null;
}

interface Conditions {
  sources?: string[];
  countries?: string[];
  languages?: string[];
  form_ids?: string[];
  min_score?: number | null;
  max_score?: number | null;
}


export function AssignmentRules() {
  const t = useT();
  const [reloads, setReloads] = useState(0);
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [rules, retry] = useRemote(async () => data(await api.GET("/v1/assignment-rules", {})).items, "rules", reloads);
  const reload = () => setReloads((n) => n + 1);
  return (
    <section class="page assignment" aria-labelledby="assignment-title">
      <h1 id="assignment-title">{t("assignment.title")}</h1>
      <p class="muted">{t("assignment.about")}</p>
      {rules.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {rules.state === "failed" && <Problem error={rules.error} retry={retry} />}
      {rules.state === "ready" && <RuleTable rules={rules.value} onChanged={reload} onEdit={setEditing} />}
      {editing === null ? (
        <button type="button" id="rule-new" onClick={() => setEditing("new")}>
          {t("assignment.new")}
        </button>
      ) : (
        <RuleForm
          key={editing === "new" ? "new" : `${editing.id}:${editing.version}`}
          rule={editing === "new" ? null : editing}
          onDone={(changed) => {
            setEditing(null);
            if (changed) reload();
          }}
        />
      )}
    </section>
  );
}

function RuleTable(props: { rules: Rule[]; onChanged: () => void; onEdit: (rule: Rule) => void }) {
  const t = useT();
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");

  async function move(index: number, by: -1 | 1) {
    const ids = props.rules.map((rule) => rule.id);
    const [moved] = ids.splice(index, 1);
    if (moved === undefined) return;
    ids.splice(index + by, 0, moved);
    try {
      data(await api.POST("/v1/assignment-rules/order", { body: { rule_ids: ids } }));
      setProblem(null);
      setStatus(t("assignment.moved"));
      props.onChanged();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  async function remove(rule: Rule) {
    if (!confirm(t("assignment.confirmDelete", { name: rule.name }))) return;
    try {
      const result = await api.DELETE("/v1/assignment-rules/{rule_id}", {
        params: { path: { rule_id: rule.id }, header: { "if-match": String(rule.version) } },
      });
      done(result);
      setProblem(null);
      setStatus(t("assignment.deleted", { name: rule.name }));
      props.onChanged();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      {props.rules.length === 0 ? (
        <p>{t("assignment.none")}</p>
      ) : (
        <table class="audit-table rules">
          <caption>{t("assignment.order")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("assignment.position")}</th>
              <th scope="col">{t("assignment.name")}</th>
              <th scope="col">{t("assignment.strategy")}</th>
              <th scope="col">{t("assignment.members")}</th>
              <th scope="col">{t("assignment.sla")}</th>
              <th scope="col">{t("assignment.enabled")}</th>
              <th scope="col">{t("workflows.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {props.rules.map((rule, index) => (
              <tr key={rule.id} data-rule-id={rule.id}>
                <td>{index + 1}</td>
                <th scope="row">
                  <bdi>{rule.name}</bdi>
                </th>
                <td>{t(`assignment.strategy.${rule.strategy}` as MessageKey)}</td>
                <td>{(rule.members as unknown as Member[]).map((member) => member.user_id).join(", ")}</td>
                <td class="sla">
                  {rule.sla_minutes
                    ? t("assignment.slaShown", {
                        minutes: rule.sla_minutes,
                        action: t(`assignment.slaAction.${rule.sla_action ?? "alert_manager"}` as MessageKey),
                      })
                    : t("assignment.noSla")}
                </td>
                <td>{rule.enabled ? t("assignment.yes") : t("assignment.no")}</td>
                <td>
                  <button type="button" class="up" disabled={index === 0} onClick={() => void move(index, -1)}>
                    {t("assignment.up", { name: rule.name })}
                  </button>{" "}
                  <button
                    type="button"
                    class="down"
                    disabled={index === props.rules.length - 1}
                    onClick={() => void move(index, 1)}
                  >
                    {t("assignment.down", { name: rule.name })}
                  </button>{" "}
                  <button type="button" class="edit" onClick={() => props.onEdit(rule)}>
                    {t("assignment.edit", { name: rule.name })}
                  </button>{" "}
                  <button type="button" class="delete" onClick={() => void remove(rule)}>
                    {t("assignment.delete", { name: rule.name })}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function RuleForm({ rule, onDone }: { rule: Rule | null; onDone: (changed: boolean) => void }) {
  const t = useT();
  const [directory] = useRemote(async () => data(await api.GET("/v1/users", {})).users ?? [], "directory");
  const conditions = (rule?.conditions ?? {}) as Conditions;
  const [name, setName] = useState(rule?.name ?? "");
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const [strategy, setStrategy] = useState<string>(rule?.strategy ?? "round_robin");
  const [lists, setLists] = useState<Record<ListCondition, string>>({
    sources: (conditions.sources ?? []).join(", "),
    countries: (conditions.countries ?? []).join(", "),
    languages: (conditions.languages ?? []).join(", "),
    form_ids: (conditions.form_ids ?? []).join(", "),
  });
  const [minScore, setMinScore] = useState(conditions.min_score?.toString() ?? "");
  const [maxScore, setMaxScore] = useState(conditions.max_score?.toString() ?? "");
  const [members, setMembers] = useState<Member[]>((rule?.members ?? []) as unknown as Member[]);
  const [extra, setExtra] = useState("");
  const [slaMinutes, setSlaMinutes] = useState(rule?.sla_minutes?.toString() ?? "");
  const [slaAction, setSlaAction] = useState<string>(rule?.sla_action ?? "alert_manager");
  const [problem, setProblem] = useState<Error | null>(null);

  function toggleMember(userId: string, on: boolean) {
    setMembers(on ? [...members, { user_id: userId, weight: 1 }] : members.filter((m) => m.user_id !== userId));
  }

  function weigh(userId: string, weight: number) {
    setMembers(members.map((member) => (member.user_id === userId ? { ...member, weight } : member)));
  }

  async function save(event: Event) {
    event.preventDefault();
    const split = (text: string) =>
      text
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean);
    const chosen = [...members, ...split(extra).filter((id) => !members.some((m) => m.user_id === id)).map((id) => ({ user_id: id, weight: 1 }))];
    const body = {
      name,
      enabled,
      strategy,
      conditions: {
        ...Object.fromEntries(LISTS.map((list) => [list, split(lists[list])])),
        min_score: minScore === "" ? null : Number(minScore),
        max_score: maxScore === "" ? null : Number(maxScore),
      },
      members: chosen.map((member) => Object.fromEntries(Object.entries(member).filter(([, v]) => v !== null && v !== undefined))),
      sla_minutes: slaMinutes.trim() === "" ? null : Number(slaMinutes),
      sla_action: slaMinutes.trim() === "" ? null : slaAction,
    } as unknown as RuleFields;
    try {
      if (rule) {
        data(
          await api.PUT("/v1/assignment-rules/{rule_id}", {
            params: { path: { rule_id: rule.id }, header: { "if-match": String(rule.version) } },
            body,
          }),
        );
      } else {
        data(await api.POST("/v1/assignment-rules", { body }));
      }
      onDone(true);
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  const users = directory.state === "ready" ? directory.value : [];
  const known = new Set(users.map((user) => user.id));
  return (
    <form class="rule-form" aria-labelledby="rule-form-title" onSubmit={(event) => void save(event)}>
      <h2 id="rule-form-title">{rule ? t("assignment.editing", { name: rule.name }) : t("assignment.new")}</h2>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("assignment.name")}{" "}
          <input id="rule-name" dir="auto" required maxLength={200} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} />{" "}
          {t("assignment.enabled")}
        </label>
      </p>
      <p>
        <label>
          {t("assignment.strategy")}{" "}
          <select id="rule-strategy" value={strategy} onChange={(event) => setStrategy(event.currentTarget.value)}>
            {STRATEGIES.map((value) => (
              <option key={value} value={value}>
                {t(`assignment.strategy.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </p>
      <fieldset>
        <legend>{t("assignment.conditions")}</legend>
        {LISTS.map((list) => (
          <p key={list}>
            <label>
              {t(`assignment.condition.${list}`)}{" "}
              <input
                dir="ltr"
                value={lists[list]}
                onInput={(event) => setLists({ ...lists, [list]: event.currentTarget.value })}
              />
            </label>
          </p>
        ))}
        <p>
          <label>
            {t("assignment.condition.min_score")}{" "}
            <input type="number" min={0} max={1000} value={minScore} onInput={(event) => setMinScore(event.currentTarget.value)} />
          </label>{" "}
          <label>
            {t("assignment.condition.max_score")}{" "}
            <input type="number" min={0} max={1000} value={maxScore} onInput={(event) => setMaxScore(event.currentTarget.value)} />
          </label>
        </p>
      </fieldset>
      <fieldset>
        <legend>{t("assignment.members")}</legend>
        {directory.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
        {users.map((user) => {
          const member = members.find((m) => m.user_id === user.id);
          const who = user.email ?? user.username;
          return (
            <p key={user.id} class="member">
              <label>
                <input type="checkbox" checked={member !== undefined} onChange={(event) => toggleMember(user.id, event.currentTarget.checked)} />{" "}
                <bdi>{who}</bdi>
              </label>{" "}
              {member && strategy === "weighted" && (
                <label>
                  {t("assignment.weight")}{" "}
                  <input
                    type="number"
                    min={0}
                    max={100}
                    value={member.weight ?? 1}
                    aria-label={t("assignment.weightOf", { who })}
                    onInput={(event) => weigh(user.id, Number(event.currentTarget.value))}
                  />
                </label>
              )}
            </p>
          );
        })}
        {members
          .filter((member) => !known.has(member.user_id))
          .map((member) => (
            <p key={member.user_id} class="member">
              <label>
                <input type="checkbox" checked onChange={() => toggleMember(member.user_id, false)} /> {member.user_id}
              </label>
            </p>
          ))}
        <p>
          <label>
            {t("assignment.memberIds")}{" "}
            <input id="rule-member-ids" dir="ltr" value={extra} onInput={(event) => setExtra(event.currentTarget.value)} />
          </label>
        </p>
      </fieldset>
      <fieldset class="rule-sla">
        <legend>{t("assignment.sla")}</legend>
        <p>
          <label>
            {t("assignment.slaMinutes")}{" "}
            <input
              id="rule-sla-minutes"
              type="number"
              min={1}
              max={525600}
              value={slaMinutes}
              onInput={(event) => setSlaMinutes(event.currentTarget.value)}
            />
          </label>{" "}
          <label>
            {t("assignment.slaAction")}{" "}
            <select id="rule-sla-action" value={slaAction} disabled={slaMinutes.trim() === ""} onChange={(event) => setSlaAction(event.currentTarget.value)}>
              {SLA_ACTIONS.map((value) => (
                <option key={value} value={value}>
                  {t(`assignment.slaAction.${value}`)}
                </option>
              ))}
            </select>
          </label>
        </p>
      </fieldset>
      <button type="submit">{t("assignment.save")}</button>{" "}
      <button type="button" onClick={() => onDone(false)}>
        {t("assignment.cancel")}
      </button>
    </form>
  );
}
