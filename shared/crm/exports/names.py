"""The names of the records an exported page links to (its contact_id, company_id, deal_id, pipeline_id), read
in batches, and only those the exporter may see: a name it may not read stays empty, the id stays."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crm.companies.spec import CompanyItem, visible_company
from crm.contacts.spec import ContactItem, visible_contact
from crm.deals.rules import built_in_pipeline
from crm.deals.spec import DEFAULT_PIPELINE, DealItem, PipelineItem
from crm.platform.access import Caller
from crm.records.spec import everyone
from crm.records.table import CrmItem


def contact_name(item: ContactItem) -> str:
    return " ".join(filter(None, (item.first_name, item.last_name))) or item.email or ""


def record_name(item: Any) -> str:
    return str(item.name or "")


@dataclass(frozen=True)
class Relation:
    """A field that links to another record: the permission that reads it, and how to find and name it."""

    resource: str
    item: type[CrmItem]
    id_attribute: str
    visible: Callable[[Caller, Any], bool]
    name: Callable[[Any], str]


RELATIONS: dict[str, Relation] = {
    "contact_id": Relation("contacts", ContactItem, "contact_id", visible_contact, contact_name),
    "company_id": Relation("companies", CompanyItem, "company_id", visible_company, record_name),
    "deal_id": Relation("deals", DealItem, "deal_id", everyone, record_name),
    "pipeline_id": Relation("definitions", PipelineItem, "pipeline_id", everyone, record_name),
}
# The default pipeline is not stored until an admin edits it (crm.deals.pipelines); a stored copy's name wins.
BUILT_IN_NAMES = {"pipeline_id": {DEFAULT_PIPELINE: built_in_pipeline().name}}


def relation_names(caller: Caller, items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """field -> id -> name, for every relation field the items have (crm.exports.sheets adds a name column
    for each)."""
    items = list(items)
    names: dict[str, dict[str, str]] = {}
    for field, relation in RELATIONS.items():
        if not any(field in item for item in items):
            continue
        ids = {value for item in items if isinstance(value := item.get(field), str) and value}
        names[field] = _names(caller, field, relation, ids) if caller.can(relation.resource, "read") else {}
    return names


def _names(caller: Caller, field: str, relation: Relation, ids: set[str]) -> dict[str, str]:
    found = dict(BUILT_IN_NAMES.get(field, {}))
    keys = [relation.item.key(record_id) for record_id in sorted(ids)]  # type: ignore[attr-defined]
    for item in relation.item.batch_get(keys):
        if relation.visible(caller, item):
            found[getattr(item, relation.id_attribute)] = relation.name(item)
    return found
