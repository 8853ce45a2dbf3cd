// The quick way to a working workflow: a built-in template and its few parameters, made paused so nothing is
// sent before someone switches it on; its webhook secret is shown this once.
import { useState } from "preact/hooks";
import { api, asError, data } from "../../api/client";
import { Problem } from "../../components/Problem";
import { useRemote } from "../../components/useRemote";
import { useT } from "../../i18n";
import { type FieldProblems, described, FieldErrors, fieldProblems } from "./problems";

interface Builtin {
  key: string;
  name: string;
  description: string;
  parameters: Record<string, { default: number; description: string }>;
}

export function FromTemplate({ onCreated }: { onCreated: () => void }) {
  const t = useT();
  const [templates, retry] = useRemote(async () => {
    const builtins = data(await api.GET("/v1/workflows/templates", {})) as unknown as { items: Builtin[] };
    const emails = data(await api.GET("/v1/email-templates", {})).items;
    return { builtins: builtins.items, emails };
  }, "workflow-templates");
  const [key, setKey] = useState("");
  const [email, setEmail] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Error | null>(null);
  const [fields, setFields] = useState<FieldProblems>({});
  const [status, setStatus] = useState("");
  if (templates.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (templates.state === "failed") return <Problem error={templates.error} retry={retry} />;
  const chosen = templates.value.builtins.find((builtin) => builtin.key === key) ?? templates.value.builtins[0];
  const emailId = email || templates.value.emails[0]?.id || "";
  const parameters = Object.entries(chosen?.parameters ?? {});

  async function create(event: Event) {
    event.preventDefault();
    if (!chosen) return;
    try {
      const given = Object.fromEntries(
        parameters.map(([name, parameter]) => [name, Number(values[`${chosen.key}.${name}`] ?? parameter.default)]),
      );
      const made = data(
        await api.POST("/v1/workflows/templates/{key}", {
          params: { path: { key: chosen.key } },
          body: { email_template_id: emailId, parameters: given },
        }),
      );
      setProblem(null);
      setFields({});
      setStatus(t("workflows.created", { name: made.name, secret: made.webhook_secret }));
      onCreated();
    } catch (failure) {
      setProblem(asError(failure));
      setFields(fieldProblems(failure));
    }
  }

  return (
    <form class="workflow-new" onSubmit={(event) => void create(event)}>
      <h2>{t("workflows.new")}</h2>
      <p>
        <label>
          {t("workflows.template")}{" "}
          <select id="workflow-template" value={chosen?.key ?? ""} onChange={(event) => setKey(event.currentTarget.value)}>
            {templates.value.builtins.map((builtin) => (
              <option key={builtin.key} value={builtin.key}>
                {builtin.name}
              </option>
            ))}
          </select>
        </label>
      </p>
      {chosen && (
        <p class="muted">
          <bdi>{chosen.description}</bdi>
        </p>
      )}
      <p>
        <label>
          {t("workflows.emailTemplate")}{" "}
          <select id="workflow-email-template" value={emailId} onChange={(event) => setEmail(event.currentTarget.value)}>
            {templates.value.emails.map((template) => (
              <option key={template.id} value={template.id}>
                {template.name}
              </option>
            ))}
          </select>
        </label>
      </p>
      {chosen &&
        parameters.map(([name, parameter]) => (
          <p key={`${chosen.key}.${name}`}>
            <label>
              {t("workflows.parameter", { name })}{" "}
              <input
                id={`workflow-param-${name}`}
                type="number"
                min={0}
                max={366}
                required
                value={values[`${chosen.key}.${name}`] ?? String(parameter.default)}
                onInput={(event) => setValues({ ...values, [`${chosen.key}.${name}`]: event.currentTarget.value })}
                {...described(fields, `parameters.${name}`, `workflow-param-${name}-error`)}
              />
            </label>{" "}
            <span class="muted">
              <bdi>{parameter.description}</bdi>
            </span>
            <FieldErrors fields={fields} at={`parameters.${name}`} id={`workflow-param-${name}-error`} />
          </p>
        ))}
      <button type="submit" disabled={!chosen || !emailId}>
        {t("workflows.create")}
      </button>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
    </form>
  );
}
