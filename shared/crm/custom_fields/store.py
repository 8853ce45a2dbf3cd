"""A kind of record's custom field definitions, read with one Query, and a write's values checked against
them."""

from __future__ import annotations

from typing import Any

from crm.custom_fields.rules import CustomFieldCheck, FieldDefinition, with_built_ins
from crm.custom_fields.spec import FieldDefinitionItem


def definition_of(item: FieldDefinitionItem) -> FieldDefinition:
    return FieldDefinition(item.entity, item.field_key, item.label, item.field_type,
                           tuple(sorted(item.options or ())), bool(item.required), version=int(item.version))


def definitions_of(entity: str) -> dict[str, FieldDefinition]:
    """Built-in and stored definitions of one kind of record: one Query."""
    stored = FieldDefinitionItem.query(FieldDefinitionItem.key(entity, "")[0], consistent_read=True)
    return with_built_ins(entity, (definition_of(item) for item in stored))


def checked_custom_fields(entity: str, submitted: dict[str, Any], existing: dict[str, Any],
                          problems: dict[str, str], phone_region: str | None) -> dict[str, Any]:
    """The record's custom fields after the write; what is wrong goes into `problems` (422)."""
    check = CustomFieldCheck(definitions_of(entity), phone_region)
    merged = check.values(submitted, existing)
    problems.update(check.problems)
    return merged
