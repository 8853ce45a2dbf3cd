// Custom fields (admins write them, every role reads them): one kind of record's fields at a time, the built-in
// ones read only; a new field added; a field's label, options and whether it is required edited (If-Match on the
// version read); a field deleted (records keep the values they have).
import { useState } from "preact/hooks";
import { api, asError, data, done } from "../api/client";
import type { components } from "../api/schema";
import { hasRole, useSession } from "../auth/context";
import { Problem } from "../components/Problem";
import { useRemote } from "../components/useRemote";
import { type MessageKey, useT } from "../i18n";

type Definition = components["schemas"]["FieldDefinitionView"];
const ENTITIES = ["contact", "company", "deal", "activity"] as const;
type Entity = (typeof ENTITIES)[number];
const TYPES = ["text", "number", "date", "checkbox", "email", "phone", "url", "picklist", "multi_picklist", "currency"] as const;
type FieldType = (typeof TYPES)[number];
const WITH_OPTIONS: ReadonlySet<string> = new Set(["picklist", "multi_picklist"]);


const options = (text: string) =>
  text
    .split(",")
    .map((option) => option.trim())
    .filter(Boolean);

export function CustomFields() {
  const t = useT();
  const session = useSession();
  const canEdit = hasRole(session, "admin");
  const [entity, setEntity] = useState<Entity>("contact");
  const [reloads, setReloads] = useState(0);
  const [fields, retry] = useRemote(
    async () => data(await api.GET("/v1/custom-fields", { params: { query: { entity } } })).items,
    `fields:${entity}`,
    reloads,
  );
  const reload = () => setReloads((n) => n + 1);
  return (
    <section class="page custom-fields" aria-labelledby="custom-fields-title">
      <h1 id="custom-fields-title">{t("customFields.title")}</h1>
      <p>
        <label>
          {t("customFields.entity")}{" "}
          <select id="custom-fields-entity" value={entity} onChange={(event) => setEntity(event.currentTarget.value as Entity)}>
            {ENTITIES.map((value) => (
              <option key={value} value={value}>
                {t(`customFields.entity.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </p>
      {fields.state === "loading" && <p aria-busy="true">{t("common.loading")}</p>}
      {fields.state === "failed" && <Problem error={fields.error} retry={retry} />}
      {fields.state === "ready" && (
        <table class="fields-table custom-fields-table">
          <caption>{t("customFields.list", { entity: t(`customFields.entity.${entity}`) })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("customFields.key")}</th>
              <th scope="col">{t("customFields.label")}</th>
              <th scope="col">{t("customFields.type")}</th>
              <th scope="col">{t("customFields.options")}</th>
              <th scope="col">{t("customFields.required")}</th>
              <th scope="col">{t("workflows.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {fields.value.map((field) => (
              <FieldRow key={`${field.key}:${field.version}`} field={field} canEdit={canEdit && !field.built_in} onChanged={reload} />
            ))}
          </tbody>
        </table>
      )}
      {canEdit && <NewField key={entity} entity={entity} onCreated={reload} />}
    </section>
  );
}

function FieldRow({ field, canEdit, onChanged }: { field: Definition; canEdit: boolean; onChanged: () => void }) {
  const t = useT();
  const [label, setLabel] = useState(field.label);
  const [choices, setChoices] = useState(field.options.join(", "));
  const [required, setRequired] = useState(field.required);
  const [problem, setProblem] = useState<Error | null>(null);
  const path = { entity: field.entity, key: field.key };
  const header = { "if-match": String(field.version) };

  async function save() {
    try {
      const body: { label: string; required: boolean; options?: string[] } = { label, required };
      if (WITH_OPTIONS.has(field.type)) body.options = options(choices);
      data(await api.PATCH("/v1/custom-fields/{entity}/{key}", { params: { path, header }, body: body as never }));
      setProblem(null);
      onChanged();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  async function remove() {
    if (!confirm(t("customFields.confirmDelete", { field: field.label }))) return;
    try {
      const result = await api.DELETE("/v1/custom-fields/{entity}/{key}", { params: { path, header } });
      done(result);
      onChanged();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <tr data-field-key={field.key}>
      <th scope="row">
        <code>{field.key}</code>
        {field.built_in && <span class="muted"> ({t("customFields.builtIn")})</span>}
      </th>
      <td>
        {canEdit ? (
          <input
            dir="auto"
            aria-label={t("customFields.labelOf", { field: field.key })}
            value={label}
            onInput={(event) => setLabel(event.currentTarget.value)}
          />
        ) : (
          <bdi>{field.label}</bdi>
        )}
      </td>
      <td>{t(`customFields.type.${field.type}` as MessageKey)}</td>
      <td>
        {canEdit && WITH_OPTIONS.has(field.type) ? (
          <input
            dir="auto"
            aria-label={t("customFields.optionsOf", { field: field.key })}
            value={choices}
            onInput={(event) => setChoices(event.currentTarget.value)}
          />
        ) : (
          <bdi>{field.options.join(", ")}</bdi>
        )}
      </td>
      <td>
        <input
          type="checkbox"
          aria-label={t("customFields.requiredOf", { field: field.key })}
          checked={required}
          disabled={!canEdit}
          onChange={(event) => setRequired(event.currentTarget.checked)}
        />
      </td>
      <td>
        {canEdit && (
          <>
            <button type="button" class="save" onClick={() => void save()}>
              {t("customFields.save", { field: field.key })}
            </button>{" "}
            <button type="button" class="delete" onClick={() => void remove()}>
              {t("customFields.delete", { field: field.key })}
            </button>
          </>
        )}
        {problem && <Problem error={problem} />}
      </td>
    </tr>
  );
}

function NewField({ entity, onCreated }: { entity: Entity; onCreated: () => void }) {
  const t = useT();
  const [key, setKey] = useState("");
  const [label, setLabel] = useState("");
  const [type, setType] = useState<FieldType>("text");
  const [choices, setChoices] = useState("");
  const [required, setRequired] = useState(false);
  const [problem, setProblem] = useState<Error | null>(null);
  const [status, setStatus] = useState("");

  async function create(event: Event) {
    event.preventDefault();
    try {
      const made = data(
        await api.POST("/v1/custom-fields", {
          body: { entity, key: key.trim(), label, type, options: WITH_OPTIONS.has(type) ? options(choices) : [], required },
        }),
      );
      setProblem(null);
      setStatus(t("customFields.created", { field: made.label }));
      setKey("");
      setLabel("");
      setChoices("");
      onCreated();
    } catch (failure) {
      setProblem(asError(failure, t("common.stale")));
    }
  }

  return (
    <form class="field-new" aria-labelledby="field-new-title" onSubmit={(event) => void create(event)}>
      <h2 id="field-new-title">{t("customFields.new", { entity: t(`customFields.entity.${entity}`) })}</h2>
      <p role="status">{status}</p>
      {problem && <Problem error={problem} />}
      <p>
        <label>
          {t("customFields.key")}{" "}
          <input id="field-key" dir="ltr" required pattern="[a-z0-9_]+" maxLength={63} value={key} onInput={(event) => setKey(event.currentTarget.value)} />
        </label>{" "}
        <span class="muted">{t("customFields.keyHint")}</span>
      </p>
      <p>
        <label>
          {t("customFields.label")}{" "}
          <input id="field-label" dir="auto" required maxLength={200} value={label} onInput={(event) => setLabel(event.currentTarget.value)} />
        </label>
      </p>
      <p>
        <label>
          {t("customFields.type")}{" "}
          <select id="field-type" value={type} onChange={(event) => setType(event.currentTarget.value as FieldType)}>
            {TYPES.map((value) => (
              <option key={value} value={value}>
                {t(`customFields.type.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </p>
      {WITH_OPTIONS.has(type) && (
        <p>
          <label>
            {t("customFields.optionsHint")}{" "}
            <input id="field-options" dir="auto" required value={choices} onInput={(event) => setChoices(event.currentTarget.value)} />
          </label>
        </p>
      )}
      <p>
        <label>
          <input type="checkbox" checked={required} onChange={(event) => setRequired(event.currentTarget.checked)} />{" "}
          {t("customFields.required")}
        </label>
      </p>
      <button type="submit">{t("customFields.add")}</button>
    </form>
  );
}
