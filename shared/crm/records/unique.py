"""The sentinel that keeps a record's external id (its id in the system it was imported from) on one
record of its kind; crm.records.writes claims and frees it with every write."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from crm.records.table import CrmItem


class ExternalIdItem(CrmItem):
    record_id = UnicodeAttribute()

    @staticmethod
    def key(entity: str, external_id: str) -> tuple[str, str]:
        return f"UNIQUE#EXTERNAL#{entity}#{external_id}", "UNIQUE"
