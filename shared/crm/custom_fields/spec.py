"""A custom field's definition as stored."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from crm.records.table import VersionedItem


class FieldDefinitionItem(VersionedItem):
    """A custom field of one kind of record; all of a kind's definitions are one Query."""

    entity = UnicodeAttribute()
    field_key = UnicodeAttribute()
    label = UnicodeAttribute()
    field_type = UnicodeAttribute()
    options = UnicodeSetAttribute(null=True)
    required = BooleanAttribute(default=False)

    @staticmethod
    def key(entity: str, field_key: str) -> tuple[str, str]:
        return f"FIELDS#{entity}", f"FIELD#{field_key}"
