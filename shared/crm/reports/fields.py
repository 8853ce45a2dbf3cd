"""What each kind of record may be reported by, derived from its spec (crm.records.fields) and its custom field
definitions, never listed by hand field by field:

- grouped by: a choice (lifecycle_stage, lead_status, stage's status, an activity's type), a flag (done), a
  currency, a date or a moment (with a grain: expected_close_date, due_at, closed_at, and every record's
  created_at and updated_at), a picklist, checkbox or date custom field, and the few text fields that name one
  of a handful of values a business reuses rather than free text (`CATEGORY_TEXT`: an owner, a source, ...);
- measured by: every whole-number field (amount_minor, score, probability) and every number custom field.

Free text (a name, a subject, an email) and ids (contact_id, external_id) are neither: a group per person or per
record is no report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.activities.spec import ACTIVITY
from crm.companies.spec import COMPANY
from crm.contacts.spec import CONTACT
from crm.custom_fields.rules import FieldDefinition
from crm.custom_fields.store import definitions_of
from crm.deals.spec import DEAL
from crm.records.fields import ApiField, Choice, Currency, Date, DateTime, Flag, Integer
from crm.records.spec import Entity
from crm.reports.rules import CATEGORY, CUSTOM_PREFIX, DATE, MOMENT, Dimension, Fields

# Each report's entity (its list under /v1), and its records' name for custom field definitions.
ENTITIES: dict[str, tuple[str, Entity[Any]]] = {
    "contacts": ("contact", CONTACT),
    "companies": ("company", COMPANY),
    "deals": ("deal", DEAL),
    "activities": ("activity", ACTIVITY),
}
# Text fields that hold one of a few values a business reuses (whose record it is, where it came from, a
# contact's company as typed, an industry, a score's grade, a deal's pipeline and stage): the only text grouped by.
CATEGORY_TEXT = frozenset({"owner", "source", "company", "industry", "grade", "pipeline_id", "stage"})
# Every record's own times, which the spec does not declare as fields.
MOMENTS = ("created_at", "updated_at")
CUSTOM_DIMENSIONS = {"picklist": CATEGORY, "checkbox": CATEGORY, "date": DATE}


def dimension_of(name: str, field: ApiField) -> Dimension | None:
    """How a declared field is grouped, or None when it is not."""
    if isinstance(field, Choice):
        return Dimension(CATEGORY, field.options)
    if isinstance(field, DateTime):
        return Dimension(MOMENT)
    if isinstance(field, Date):
        return Dimension(DATE)
    if isinstance(field, Flag | Currency) or (name in CATEGORY_TEXT and not isinstance(field, Integer)):
        return Dimension(CATEGORY)
    return None


def reportable(entity: str, custom: Mapping[str, FieldDefinition]) -> Fields:
    """The fields `entity`'s records may be grouped and measured by, with `custom`, its custom field
    definitions (crm.custom_fields.store.definitions_of)."""
    spec = ENTITIES[entity][1]
    groupable: dict[str, Dimension] = {name: Dimension(MOMENT) for name in MOMENTS}
    numeric: set[str] = set()
    for name, field in spec.fields.items():
        dimension = dimension_of(name, field)
        if dimension is not None:
            groupable[name] = dimension
        elif isinstance(field, Integer):
            numeric.add(name)
    for key, definition in custom.items():
        name = f"{CUSTOM_PREFIX}{key}"
        if definition.field_type in CUSTOM_DIMENSIONS:
            groupable[name] = Dimension(CUSTOM_DIMENSIONS[definition.field_type], definition.options)
        elif definition.field_type == "number":
            numeric.add(name)
    known = {"id", *MOMENTS, *spec.fields, *(f"{CUSTOM_PREFIX}{key}" for key in custom)}
    return Fields(groupable, frozenset(numeric), frozenset(known))


def fields_of(entity: str) -> Fields:
    """`reportable` with the entity's custom field definitions as stored now (one Query)."""
    return reportable(entity, definitions_of(ENTITIES[entity][0]))
