"""The audit log as stored, and as the API shows it (AUDIT_ENTRY): one entry per change, field by field."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from crm.records.fields import Document, Text, plain_numbers
from crm.records.table import ByCreatedIndex, CrmItem
from crm.records.views import RecordView


class Changes(Document):
    """Each changed field's name -> {"before": ..., "after": ...}, shown with plain numbers."""

    def present(self, stored: Any) -> Any:
        return {name: plain_numbers(change) for name, change in (super().present(stored) or {}).items()}


class AuditItem(CrmItem):
    """Who changed what, when: field-level before and after. Kept per record, and newest first overall."""

    audit_id = UnicodeAttribute()
    entity = Text(writable=False, required=True, null=False)
    entity_id = Text(writable=False, required=True, null=False)
    action = Text(writable=False, required=True, null=False)
    actor = Text(writable=False, required=True, null=False)
    at = Text(writable=False, required=True, null=False)
    changes = Changes(writable=False, required=True, null=False)
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    by_created = ByCreatedIndex()

    @staticmethod
    def key(entity: str, entity_id: str, at: str, audit_id: str) -> tuple[str, str]:
        return f"AUDIT#{entity}#{entity_id}", f"{at}#{audit_id}"

    @staticmethod
    def list_key() -> str:
        return "AUDIT"


AUDIT_ENTRY = RecordView("AuditEntry", AuditItem, "audit_id", page_title="AuditPage")
