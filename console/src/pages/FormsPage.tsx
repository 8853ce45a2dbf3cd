// Web forms (marketing, admins): each form's fields edited in place (label, type, required, the contact field
// it fills), saved with If-Match on the version read; the snippet that embeds it on a site, to copy; and a link
// to its spam review; and its accepted submissions.
import { useState } from "preact/hooks";
import { api, ApiError, asError, data, type Form } from "../api/client";
import { hasRole, useSession } from "../auth/context";
import { FormSubmissions } from "../components/FormSubmissions";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { useT } from "../i18n";

interface FormField {
  name: string;
  label: string;
  type?: string;
  required?: boolean;
  maps_to?: string | null;
  [other: string]: unknown;
}

const TYPES = ["text", "email", "tel", "textarea", "number", "checkbox", "select", "file"] as const;

export function FormsPage() {
  const t = useT();
  const [reloads, setReloads] = useState(0);
  const [forms, retry] = useRemote(async () => data(await api.GET("/v1/forms", {})).items, "forms", reloads);
  if (forms.state === "loading") return <p aria-busy="true">{t("common.loading")}</p>;
  if (forms.state === "failed") return <Problem error={forms.error} retry={retry} />;
  return (
    <section class="page forms" aria-labelledby="forms-title">
      <h1 id="forms-title">{t("forms.title")}</h1>
      {forms.value.map((form) => (
        <FormEditor key={`${form.id}:${form.version}`} form={form} onSaved={() => setReloads((n) => n + 1)} />
      ))}
    </section>
  );
}

function FormEditor({ form, onSaved }: { form: Form; onSaved: () => void }) {
  const t = useT();
  const session = useSession();
  const canEdit = hasRole(session, "admin", "marketing");
  const config = form.config as { name?: string; fields?: FormField[] };
  const [fields, setFields] = useState<FormField[]>(config.fields ?? []);
  const [problem, setProblem] = useState<Error | null>(null);
  const [copied, setCopied] = useState(false);
  const [showing, setShowing] = useState(false);
  const snippet = `<script src="${location.origin}/forms/${form.id}/embed.js"></script>`;

  function change(index: number, patch: Partial<FormField>) {
    setFields(fields.map((field, at) => (at === index ? { ...field, ...patch } : field)));
  }

  async function save(event: Event) {
    event.preventDefault();
    try {
      const { form_id: _ignored, ...rest } = form.config as Record<string, unknown>;
      data(
        await api.PUT("/v1/forms/{form_id}", {
          params: { path: { form_id: form.id }, header: { "if-match": String(form.version) } },
          body: { ...rest, fields },
        }),
      );
      setProblem(null);
      onSaved();
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      setProblem(stale ? new Error(t("forms.stale")) : asError(failure));
    }
  }

  return (
    <article class="form-card" data-form-id={form.id} aria-labelledby={`form-${form.id}`}>
      <h2 id={`form-${form.id}`}>
        <bdi>{config.name ?? form.id}</bdi> <span class="muted">({form.id})</span>
      </h2>
      <p>
        <label>
          {t("forms.embed")}{" "}
          <input readOnly value={snippet} size={60} dir="ltr" />
        </label>{" "}
        <button
          type="button"
          onClick={() => void navigator.clipboard?.writeText(snippet).then(() => setCopied(true), () => setCopied(false))}
        >
          {t("forms.copy")}
        </button>{" "}
        <span role="status">{copied ? t("forms.copied") : ""}</span>
      </p>
      <p>
        <a href="#/spam">{t("forms.spam")}</a>{" "}
        <button type="button" aria-expanded={showing} onClick={() => setShowing(!showing)}>
          {t("forms.showSubmissions")}
        </button>
      </p>
      {showing && <FormSubmissions formId={form.id} />}
      {problem && <Problem error={problem} />}
      <form onSubmit={(event) => void save(event)}>
        <table class="fields-table">
          <caption>{t("forms.fields")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("forms.field.name")}</th>
              <th scope="col">{t("forms.field.label")}</th>
              <th scope="col">{t("forms.field.type")}</th>
              <th scope="col">{t("forms.field.required")}</th>
              <th scope="col">{t("forms.field.mapsTo")}</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((field, index) => (
              <tr key={field.name}>
                <th scope="row">{field.name}</th>
                <td>
                  <input
                    aria-label={t("forms.labelOf", { field: field.name })}
                    value={field.label}
                    disabled={!canEdit}
                    onInput={(event) => change(index, { label: event.currentTarget.value })}
                  />
                </td>
                <td>
                  <select
                    aria-label={t("forms.typeOf", { field: field.name })}
                    value={field.type ?? "text"}
                    disabled={!canEdit}
                    onChange={(event) => change(index, { type: event.currentTarget.value })}
                  >
                    {TYPES.map((type) => (
                      <option key={type} value={type}>
                        {type}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={t("forms.requiredOf", { field: field.name })}
                    checked={field.required ?? false}
                    disabled={!canEdit}
                    onChange={(event) => change(index, { required: event.currentTarget.checked })}
                  />
                </td>
                <td>
                  <input
                    aria-label={t("forms.mapsToOf", { field: field.name })}
                    value={field.maps_to ?? ""}
                    disabled={!canEdit}
                    onInput={(event) => change(index, { maps_to: event.currentTarget.value || null })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {canEdit && <button type="submit">{t("forms.save")}</button>}
      </form>
    </article>
  );
}
