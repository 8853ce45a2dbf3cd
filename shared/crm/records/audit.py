"""The audit log as stored: one entry per change, field by field."""

from __future__ import annotations

from pynamodb.attributes import (
    MapAttribute,
    UnicodeAttribute,
)

from crm.records.table import ContactListIndex, CrmItem


class AuditItem(CrmItem):
    """Who changed what, when: field-level before and after. Kept per record, and newest first overall."""

    audit_id = UnicodeAttribute()
    entity = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    changes = MapAttribute()
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    by_created = ContactListIndex()

    @staticmethod
    def key(entity: str, entity_id: str, at: str, audit_id: str) -> tuple[str, str]:
        return f"AUDIT#{entity}#{entity_id}", f"{at}#{audit_id}"

    @staticmethod
    def list_key() -> str:
        return "AUDIT"
