// Email templates (marketing and admins write them; every role reads them, to send one): the list; a new one
// written (its first language's subject, text and optional HTML); a template's subject and bodies per language
// edited, a language added, and saved whole (If-Match on the version read; the API names a variant that does not
// parse); one deleted; a preview of it as a contact would get it, or why it would not be sent, its HTML shown in a
// sandboxed frame (no script, no same origin: the console's Content-Security-Policy allows no inline script).
import { useState } from "preact/hooks";
import { api, asError, data, done } from "../api/client";
import type { components } from "../api/schema";
import { hasRole, useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { formatDateTime, useLocale, useT } from "../i18n";

type Template = components["schemas"]["EmailTemplate"];
type Variant = Template["variants"][string];
type Preview = components["schemas"]["EmailPreview"];


/** Variants as the API takes them: an HTML body left empty is none. */
function withoutEmptyHtml(variants: Record<string, Variant>): Record<string, Variant> {
  return Object.fromEntries(
    Object.entries(variants).map(([language, variant]) => [
      language,
      { subject: variant.subject, text: variant.text, html: variant.html?.trim() ? variant.html : null },
    ]),
  );
}

export function EmailTemplates() {
  const t = useT();
  const locale = useLocale();
  const session = useSession();
  const canEdit = hasRole(session, "admin", "marketing");
  const [reloads, setReloads] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [problem, setProblem] = useState<Error | null>(null);
  const [templates, retry] = useRemote(async () => data(await api.GET("/v1/email-templates", {})).items, "email-templates", reloads);
  const reload = () => setReloads((n) => n + 1);

  async function remove(template: Template) {
    if (!confirm(t("emailTemplates.confirmDelete", { name: template.name }))) return;
    try {
      const result = await api.DELETE("/v1/email-templates/{template_id}", {
        params: { path: { template_id: template.id }, header: { "if-match": String(template.version) } },
      });
      done(result);
      setProblem(null);
      setStatus(t("emailTemplates.deleted", { name: template.name }));
      if (open === template.id) setOpen(null);
      reload();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <section class="page email-templates" aria-labelledby="email-templates-title">
      <h1 id="email-templates-title">{t("emailTemplates.title")}</h1>
      <p role="status" class="templates-status">
        {status}
      </p>
      {problem && <Problem error={problem} />}
      {templates.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {templates.state === "failed" && <Problem error={templates.error} retry={retry} />}
      {templates.state === "ready" &&
        (templates.value.length === 0 ? (
          <p>{t("emailTemplates.none")}</p>
        ) : (
          <table class="audit-table template-list">
            <caption>{t("emailTemplates.list")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("emailTemplates.name")}</th>
                <th scope="col">{t("emailTemplates.topic")}</th>
                <th scope="col">{t("emailTemplates.languages")}</th>
                <th scope="col">{t("emailTemplates.updated")}</th>
                <th scope="col">{t("workflows.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {templates.value.map((template) => (
                <tr key={template.id} data-template-id={template.id}>
                  <th scope="row">
                    <bdi>{template.name}</bdi>
                  </th>
                  <td>
                    <bdi>{template.topic}</bdi>
                  </td>
                  <td>{Object.keys(template.variants).join(", ")}</td>
                  <td>{formatDateTime(locale, template.updated_at)}</td>
                  <td>
                    <button type="button" class="open" onClick={() => setOpen(template.id)}>
                      {t("emailTemplates.open", { name: template.name })}
                    </button>
                    {canEdit && (
                      <>
                        {" "}
                        <button type="button" class="delete" onClick={() => void remove(template)}>
                          {t("emailTemplates.delete", { name: template.name })}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {templates.state === "ready" &&
        templates.value
          .filter((template) => template.id === open)
          .map((template) => (
            <article key={template.id} class="template-detail" aria-labelledby="template-title">
              <h2 id="template-title">
                <bdi>{template.name}</bdi>
              </h2>
              {/* Drawn anew at each version; the preview beside it keeps what the user typed. */}
              <TemplateEditor
                key={`${template.id}:${template.version}`}
                template={template}
                onSaved={(name) => {
                  setStatus(t("emailTemplates.saved", { name }));
                  reload();
                }}
              />
              <PreviewForm templateId={template.id} />
            </article>
          ))}
      {canEdit && (
        <NewTemplate
          onCreated={(template) => {
            setStatus(t("emailTemplates.created", { name: template.name }));
            setOpen(template.id);
            reload();
          }}
        />
      )}
    </section>
  );
}

function TemplateEditor({ template, onSaved }: { template: Template; onSaved: (name: string) => void }) {
  const t = useT();
  const session = useSession();
  const canEdit = hasRole(session, "admin", "marketing");
  const [name, setName] = useState(template.name);
  const [topic, setTopic] = useState(template.topic);
  const [variants, setVariants] = useState<Record<string, Variant>>(template.variants);
  const [problem, setProblem] = useState<Error | null>(null);

  const [newLanguage, setNewLanguage] = useState("");

  function change(language: string, patch: Partial<Variant>) {
    const current = variants[language];
    if (current) setVariants({ ...variants, [language]: { ...current, ...patch } });
  }

  function addLanguage() {
    const language = newLanguage.trim();
    if (!language || variants[language]) return;
    const first = variants[template.default_language] ?? Object.values(variants)[0];
    setVariants({ ...variants, [language]: { subject: first?.subject ?? "", text: first?.text ?? "", html: first?.html ?? null } });
    setNewLanguage("");
  }

  async function save(event: Event) {
    event.preventDefault();
    try {
      data(
        await api.PUT("/v1/email-templates/{template_id}", {
          params: { path: { template_id: template.id }, header: { "if-match": String(template.version) } },
          body: { name, topic, default_language: template.default_language, variants: withoutEmptyHtml(variants) },
        }),
      );
      setProblem(null);
      onSaved(name);
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <form class="template-editor" onSubmit={(event) => void save(event)}>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("emailTemplates.name")}{" "}
          <input dir="auto" required maxLength={200} disabled={!canEdit} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>{" "}
        <label>
          {t("emailTemplates.topic")}{" "}
          <input dir="ltr" required maxLength={64} disabled={!canEdit} value={topic} onInput={(event) => setTopic(event.currentTarget.value)} />
        </label>
      </p>
      {Object.entries(variants).map(([language, variant]) => (
        <fieldset key={language} data-language={language}>
          <legend>{t("emailTemplates.variant", { language })}</legend>
          <p>
            <label>
              {t("emailTemplates.subject")}{" "}
              <input
                class="variant-subject"
                dir="auto"
                required
                size={60}
                disabled={!canEdit}
                value={variant.subject}
                onInput={(event) => change(language, { subject: event.currentTarget.value })}
              />
            </label>
          </p>
          <p>
            <label>
              {t("emailTemplates.text")}
              <br />
              <textarea
                class="variant-text"
                dir="auto"
                required
                rows={8}
                cols={70}
                disabled={!canEdit}
                value={variant.text}
                onInput={(event) => change(language, { text: event.currentTarget.value })}
              />
            </label>
          </p>
          <p>
            <label>
              {t("emailTemplates.html")}
              <br />
              <textarea
                class="variant-html"
                dir="ltr"
                rows={8}
                cols={70}
                disabled={!canEdit}
                value={variant.html ?? ""}
                onInput={(event) => change(language, { html: event.currentTarget.value })}
              />
            </label>
          </p>
        </fieldset>
      ))}
      {canEdit && (
        <p>
          <label>
            {t("emailTemplates.newLanguage")}{" "}
            <input class="new-language" dir="ltr" size={8} maxLength={35} value={newLanguage} onInput={(event) => setNewLanguage(event.currentTarget.value)} />
          </label>{" "}
          <button type="button" class="add-language" onClick={addLanguage}>
            {t("emailTemplates.addLanguage")}
          </button>
        </p>
      )}
      {canEdit && <button type="submit">{t("emailTemplates.save", { name: template.name })}</button>}
    </form>
  );
}

function PreviewForm({ templateId }: { templateId: string }) {
  const t = useT();
  const [contact, setContact] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [problem, setProblem] = useState<Error | null>(null);

  async function show(event: Event) {
    event.preventDefault();
    try {
      const answer = data(
        await api.POST("/v1/email-templates/{template_id}/preview", {
          params: { path: { template_id: templateId } },
          body: { contact_id: contact.trim(), variables: {} },
        }),
      );
      setPreview(answer);
      setProblem(null);
    } catch (failure) {
      setPreview(null);
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <div class="template-preview">
      <h3>{t("emailTemplates.preview")}</h3>
      <form onSubmit={(event) => void show(event)}>
        <label>
          {t("emailTemplates.previewContact")}{" "}
          <input id="preview-contact" dir="ltr" required value={contact} onInput={(event) => setContact(event.currentTarget.value)} />
        </label>{" "}
        <button type="submit">{t("emailTemplates.showPreview")}</button>
      </form>
      {problem && <Problem error={problem} />}
      {preview && (
        <div class="preview-result" role="status">
          <p>
            {preview.would_send
              ? t("emailTemplates.wouldSend")
              : t("emailTemplates.wouldSkip", { reason: preview.skip_reason ?? "" })}
          </p>
          <dl>
            <dt>{t("emailTemplates.to")}</dt>
            <dd>
              <bdi dir="ltr">{preview.to ?? ""}</bdi>
            </dd>
            <dt>{t("emailTemplates.language")}</dt>
            <dd>{preview.language ?? ""}</dd>
            <dt>{t("emailTemplates.subject")}</dt>
            <dd class="preview-subject">
              <bdi>{preview.subject ?? ""}</bdi>
            </dd>
          </dl>
          <pre class="preview-text" dir="auto">
            {preview.text ?? ""}
          </pre>
          {preview.html && (
            <>
              <h4>{t("emailTemplates.htmlPreview")}</h4>
              {/* An empty sandbox: the email's HTML runs no script and is of no origin (it cannot read the console). */}
              <iframe class="preview-html" sandbox="" srcdoc={preview.html} title={t("emailTemplates.htmlPreview")} />
            </>
          )}
        </div>
      )}
    </div>
  );
}

function NewTemplate({ onCreated }: { onCreated: (template: Template) => void }) {
  const t = useT();
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("transactional");
  const [language, setLanguage] = useState("en");
  const [subject, setSubject] = useState("");
  const [text, setText] = useState("");
  const [html, setHtml] = useState("");
  const [problem, setProblem] = useState<Error | null>(null);

  async function create(event: Event) {
    event.preventDefault();
    try {
      const made = data(
        await api.POST("/v1/email-templates", {
          body: {
            name,
            topic,
            default_language: language,
            variants: withoutEmptyHtml({ [language]: { subject, text, html } }),
          },
        }),
      );
      setProblem(null);
      setName("");
      setSubject("");
      setText("");
      setHtml("");
      onCreated(made);
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <form class="template-new" aria-labelledby="template-new-title" onSubmit={(event) => void create(event)}>
      <h2 id="template-new-title">{t("emailTemplates.new")}</h2>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("emailTemplates.name")}{" "}
          <input id="template-name" dir="auto" required maxLength={200} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>{" "}
        <label>
          {t("emailTemplates.topic")}{" "}
          <input id="template-topic" dir="ltr" required maxLength={64} value={topic} onInput={(event) => setTopic(event.currentTarget.value)} />
        </label>{" "}
        <label>
          {t("emailTemplates.language")}{" "}
          <input id="template-language" dir="ltr" required size={8} maxLength={35} value={language} onInput={(event) => setLanguage(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("emailTemplates.subject")}{" "}
          <input id="template-subject" dir="auto" required size={60} value={subject} onInput={(event) => setSubject(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("emailTemplates.text")}
          <br />
          <textarea id="template-text" dir="auto" required rows={6} cols={70} value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("emailTemplates.html")}
          <br />
          <textarea id="template-html" dir="ltr" rows={6} cols={70} value={html} onInput={(event) => setHtml(event.currentTarget.value)} />
        </label>
      </p>
      <button type="submit">{t("emailTemplates.create")}</button>
    </form>
  );
}
