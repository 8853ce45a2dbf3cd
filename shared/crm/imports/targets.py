"""What a column can fill for each kind of record, and a row's cells turned into the fields the API's own
write takes: every writable field of the entity's spec, each custom field (`custom.<key>`), and the
columns that name a related record rather than hold its id (a contact's company by domain or name, a
deal's pipeline and stage by name, an activity's contact by email or phone)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm.activities.spec import ACTIVITY
from crm.companies.rules import normalize_domain
from crm.companies.spec import COMPANIES, COMPANY, CompanyItem, DomainItem
from crm.contacts.spec import CONTACT, UniqueItem
from crm.contacts.store import current_contact_id
from crm.custom_fields.rules import FieldDefinition
from crm.custom_fields.store import definitions_of
from crm.deals.pipelines import find_pipeline
from crm.deals.spec import CLOSED_STAGES, DEAL, DealItem, PipelineItem, stages_of
from crm.imports.cells import custom_value, field_value, minor_units
from crm.imports.headers import SYNONYMS
from crm.platform.identity import email_key, normalize_email
from crm.platform.text import InvalidValue, fold_text
from crm.records.fields import DateTime, Flag, Integer, Phone, TextSet
from crm.records.spec import Entity
from crm.records.table import get_item
from crm.records.unique import ExternalIdItem

ID = "id"
CUSTOM = "custom."


class RowProblem(Exception):
    """What is wrong with one row: it is reported with its reason and the import goes on."""


@dataclass
class Planned:
    """A row as the API would take it: the fields to write, and the keys that may find its record."""

    fields: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def field_kind(api_field: Any) -> str:
    if isinstance(api_field, TextSet):
        return "phones" if isinstance(api_field.each, Phone) else "list"
    if isinstance(api_field, Integer):
        return "integer"
    if isinstance(api_field, Flag):
        return "flag"
    if isinstance(api_field, Phone):
        return "phone"
    if isinstance(api_field, DateTime):
        return "datetime"
    return "text"


def spec_targets(entity: Entity[Any]) -> dict[str, str]:
    """Every writable field of the spec but the custom fields' document, by how it takes a cell."""
    return {name: field_kind(api_field) for name, api_field in entity.fields.items()
            if api_field.writable and name != "custom_fields"}


def company_id_for(cell: str) -> str | None:
    """A company named by its id, its web domain or its name (folded, so any script or case matches)."""
    text = cell.strip()
    if get_item(CompanyItem, CompanyItem.key(text)) is not None:
        return text
    try:
        sentinel = get_item(DomainItem, DomainItem.key(normalize_domain(text)))
    except InvalidValue:
        sentinel = None
    if sentinel is not None:
        return str(sentinel.company_id)
    folded = fold_text(text)
    for item in CompanyItem.by_order.query(COMPANIES, CompanyItem.order_key.startswith(f"{folded}#"), limit=1):
        return str(item.company_id)
    return None


def contact_id_for(cell: str, region: str | None) -> str | None:
    """A contact named by its id, an email or a phone; a merged contact leads to the one it became."""
    text = cell.strip()
    if "@" in text:
        try:
            sentinel = get_item(UniqueItem, UniqueItem.key("email", email_key(normalize_email(text))))
        except InvalidValue:
            return None
    else:
        sentinel = None
        try:
            from crm.imports.cells import phone  # noqa: PLC0415 - the phone library loads only for a phone

            sentinel = get_item(UniqueItem, UniqueItem.key("phone", phone(text, region)))
        except InvalidValue:
            return current_contact_id(text)
    return current_contact_id(str(sentinel.contact_id)) if sentinel is not None else current_contact_id(text)


def external_record(entity: str, external_id: str) -> str | None:
    sentinel = get_item(ExternalIdItem, ExternalIdItem.key(entity, external_id))
    return str(sentinel.record_id) if sentinel is not None else None


def deal_id_for(cell: str) -> str | None:
    text = cell.strip()
    if get_item(DealItem, DealItem.key(text)) is not None:
        return text
    return external_record("deal", text)


def pipeline_for(cell: str) -> PipelineItem:
    """A pipeline by its id or its name, or the default when the cell is empty."""
    text = cell.strip() or "default"
    found = find_pipeline(text)
    if found is not None:
        return found
    folded = fold_text(text)
    for item in PipelineItem.by_created.query(PipelineItem.list_key()):
        if fold_text(str(item.name)) == folded:
            return item
    raise RowProblem(f"There is no pipeline named {text}.")


def stage_for(pipeline: PipelineItem, cell: str) -> str:
    folded = fold_text(cell)
    for stage in (*stages_of(pipeline), *CLOSED_STAGES):
        if folded in (fold_text(str(stage["id"])), fold_text(str(stage["name"]))):
            return str(stage["id"])
    names = ", ".join(str(stage["name"]) for stage in (*stages_of(pipeline), *CLOSED_STAGES))
    raise RowProblem(f"The pipeline {pipeline.name} has no stage {cell}; its stages are {names}.")


Relation = Callable[[dict[str, str], Planned, str | None], None]


def _company_of_contact(cells: dict[str, str], planned: Planned, region: str | None) -> None:
    """The company column keeps its text on the contact and links the company it names, if there is one."""
    text = cells.get("company", "")
    if text:
        planned.fields.setdefault("company", text)
        company_id = company_id_for(text)
        if company_id:
            planned.fields["company_id"] = company_id


def _full_name(cells: dict[str, str], planned: Planned, region: str | None) -> None:
    first, _, last = cells.get("full_name", "").strip().partition(" ")
    if first:
        planned.fields.setdefault("first_name", first)
    if last.strip():
        planned.fields.setdefault("last_name", last.strip())


def _linked(name: str, finder: Callable[[str], str | None], what: str) -> Relation:
    def link(cells: dict[str, str], planned: Planned, region: str | None) -> None:
        text = cells.get(name, "")
        if text:
            record_id = finder(text)
            if record_id is None:
                raise RowProblem(f"There is no {what} {text}.")
            planned.fields[f"{name}_id"] = record_id
    return link


def _contact_link(cells: dict[str, str], planned: Planned, region: str | None) -> None:
    _linked("contact", lambda text: contact_id_for(text, region), "contact")(cells, planned, region)


def _company_link(cells: dict[str, str], planned: Planned, region: str | None) -> None:
    _linked("company", company_id_for, "company")(cells, planned, region)


def _deal_link(cells: dict[str, str], planned: Planned, region: str | None) -> None:
    _linked("deal", deal_id_for, "deal")(cells, planned, region)


def _pipeline_and_stage(cells: dict[str, str], planned: Planned, region: str | None) -> None:
    """A stage by its name in the pipeline the row names, or else in the default pipeline."""
    if cells.get("pipeline") or cells.get("stage"):
        pipeline = pipeline_for(cells.get("pipeline") or planned.fields.get("pipeline_id") or "")
        if cells.get("pipeline"):
            planned.fields["pipeline_id"] = pipeline.pipeline_id
        if cells.get("stage"):
            planned.fields["stage"] = stage_for(pipeline, cells["stage"])


def _amount(cells: dict[str, str], planned: Planned, region: str | None) -> None:
    if cells.get("amount"):
        try:
            planned.fields["amount_minor"] = minor_units(cells["amount"], cells.get("currency"))
        except InvalidValue as exc:
            raise RowProblem(f"amount: {exc}") from exc


@dataclass(frozen=True)
class Importable:
    """One kind of record as an import sees it: its spec, the columns that name related records, and
    how to find the record a row is about."""

    resource: str
    entity: Entity[Any]
    relations: Mapping[str, Relation]
    keys: tuple[str, ...]
    default_keys: tuple[str, ...]
    # Header words that mean a field of this entity in particular: "Company" is a company's name.
    aliases: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def targets(self) -> dict[str, str]:
        """Every target a column may map to, by how it takes a cell."""
        return {ID: "text", **spec_targets(self.entity), **dict.fromkeys(self.relations, "relation"),
                **{f"{CUSTOM}{key}": f"custom:{definition.field_type}"
                   for key, definition in self.custom_fields().items()}}

    def custom_fields(self) -> dict[str, FieldDefinition]:
        return definitions_of(self.entity.name)

    def target_names(self) -> dict[str, list[str]]:
        """Target -> the other names a header may call it (a custom field's label)."""
        names: dict[str, list[str]] = {target: list(self.aliases.get(target, ())) for target in self.targets()}
        for key, definition in self.custom_fields().items():
            names[f"{CUSTOM}{key}"] = [key, definition.label]
        return names

    def planned(self, cells: dict[str, str], region: str | None, targets: Mapping[str, str]) -> Planned:
        """The row's fields and keys; an empty cell is left out (the caller decides whether it clears)."""
        planned = Planned()
        custom: dict[str, Any] = {}
        for target, cell in cells.items():
            kind = targets[target]
            if not cell or kind == "relation":
                continue
            try:
                if target == ID:
                    planned.keys[ID] = cell
                elif kind.startswith("custom:"):
                    custom[target.removeprefix(CUSTOM)] = custom_value(kind.removeprefix("custom:"), cell, region)
                else:
                    planned.fields[target] = field_value(kind, cell, region)
            except InvalidValue as exc:
                raise RowProblem(f"{target}: {exc}") from exc
        if custom:
            planned.fields["custom_fields"] = custom
        for relation in self.relations.values():
            relation(cells, planned, region)
        planned.keys.update(self.identity(planned.fields))
        return planned

    def identity(self, fields: dict[str, Any]) -> dict[str, str]:
        """The row's values of the keys it may match on, in the form the sentinels keep them."""
        keys: dict[str, str] = {}
        if fields.get("external_id"):
            keys["external_id"] = str(fields["external_id"]).strip()
        if self.resource == "contacts":
            if fields.get("email"):
                try:
                    keys["email"] = email_key(normalize_email(str(fields["email"])))
                except InvalidValue as exc:
                    raise RowProblem(f"email: {exc}") from exc
            if fields.get("phone"):
                keys["phone"] = str(fields["phone"])
        if self.resource == "companies" and (fields.get("domain") or fields.get("website")):
            # A company is one per web domain: a file with only a website column names it by that.
            fields.setdefault("domain", fields.get("website"))
            try:
                keys["domain"] = normalize_domain(str(fields["domain"]))
            except InvalidValue as exc:
                raise RowProblem(f"domain: {exc}") from exc
        return keys

    def find(self, keys: Mapping[str, str], match_on: tuple[str, ...], known: Known | None = None) -> str | None:
        """The record a row is about: by its id when the file has one, else by each key in turn (from what
        `prefetch` read for the chunk, when it has the key)."""
        if keys.get(ID):
            if get_item(self.entity.item, self.record_key(keys[ID])) is None:
                raise RowProblem(f"There is no {self.entity.name} with the id {keys[ID]}.")
            return keys[ID]
        for key in match_on:
            value = keys.get(key)
            if not value:
                continue
            owner = known[(key, value)] if known is not None and (key, value) in known else self._owner(key, value)
            if owner:
                return current_contact_id(owner) if self.resource == "contacts" else owner
        return None

    def record_key(self, record_id: str) -> tuple[str, str]:
        return self.entity.item.key(record_id)

    def prefetch(self, identities: Iterable[Mapping[str, str]], match_on: tuple[str, ...]) -> Known:
        """Who owns each identity of a chunk's rows, in one BatchGetItem per kind of sentinel rather than a
        GetItem per row. A row that creates a record adds its identities, so a later row of the chunk finds it;
        what another chunk claims meanwhile the write's own sentinel condition catches (409, then found again)."""
        wanted = {(key, value) for keys in identities for key, value in keys.items() if key in match_on and value}
        known: Known = dict.fromkeys(wanted)
        for model, pairs in _by_sentinel(self.entity.name, wanted).items():
            owners = {item.PK: _owner_of(item) for item in model.batch_get(list(pairs))}
            known.update({pair: owners.get(key[0]) for key, pair in pairs.items()})
        return known

    def _owner(self, key: str, value: str) -> str | None:
        model, item_key = _sentinel(self.entity.name, key, value)
        item = get_item(model, item_key)
        return _owner_of(item) if item is not None else None


Known = dict[tuple[str, str], str | None]


def _sentinel(entity: str, key: str, value: str) -> tuple[Any, tuple[str, str]]:
    """The sentinel item that says which record owns an identity."""
    if key == "external_id":
        return ExternalIdItem, ExternalIdItem.key(entity, value)
    if key == "domain":
        return DomainItem, DomainItem.key(value)
    return UniqueItem, UniqueItem.key(key, value)


def _by_sentinel(entity: str, pairs: Iterable[tuple[str, str]]) -> dict[Any, dict[tuple[str, str], tuple[str, str]]]:
    grouped: dict[Any, dict[tuple[str, str], tuple[str, str]]] = {}
    for key, value in pairs:
        model, item_key = _sentinel(entity, key, value)
        grouped.setdefault(model, {})[item_key] = (key, value)
    return grouped


# Which attribute of each sentinel names the record that owns it.
_OWNER = {UniqueItem: "contact_id", DomainItem: "company_id", ExternalIdItem: "record_id"}


def _owner_of(sentinel: Any) -> str:
    return str(getattr(sentinel, _OWNER[type(sentinel)]))


IMPORTABLE: dict[str, Importable] = {
    "contacts": Importable("contacts", CONTACT, {"company": _company_of_contact, "full_name": _full_name},
                           ("email", "phone", "external_id"), ("email", "phone")),
    "companies": Importable("companies", COMPANY, {}, ("domain", "external_id"), ("domain",),
                            {"name": SYNONYMS["company"]}),
    "deals": Importable("deals", DEAL, {"pipeline": _pipeline_and_stage, "amount": _amount,
                                        "contact": _contact_link, "company": _company_link},
                        ("external_id",), ("external_id",)),
    "activities": Importable("activities", ACTIVITY, {"contact": _contact_link, "company": _company_link,
                                                      "deal": _deal_link},
                             ("external_id",), ("external_id",)),
}
