"""A saved report as stored: one item per report, `REPORT#<id>` / `REPORT`, every report on GSI1 `REPORTS`
newest first (a list Queries it, filtered to the reports the caller may see).

What it reads and how it sums it up (entity, filters, group_by, measures, time_zone), who may see it (its
owner, admins, and the roles in shared_with), when it is emailed (schedule), and the owner's roles when they
last saved it: a scheduled run reads as the owner, with those roles. `last_sent` says what the last scheduled
email did; it is bookkeeping, not an edit, and leaves the version alone.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute, UnicodeSetAttribute

from crm.records.table import ListedItem

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_FILTERS = 2000


class ReportItem(ListedItem):
    report_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    entity = UnicodeAttribute()
    filters = UnicodeAttribute(null=True)
    group_by = ListAttribute(of=MapAttribute, null=True)
    measures = ListAttribute(of=MapAttribute)
    time_zone = UnicodeAttribute()
    shared_with = UnicodeSetAttribute(null=True)
    owner = UnicodeAttribute()
    owner_roles = UnicodeSetAttribute(null=True)
    schedule: MapAttribute[str, Any] = MapAttribute(null=True)
    last_sent: MapAttribute[str, Any] = MapAttribute(null=True)
    # The scheduled time of the last run the mailer took on (a run delivered again finds it taken).
    claimed_run = UnicodeAttribute(null=True)

    @staticmethod
    def key(report_id: str) -> tuple[str, str]:
        return f"REPORT#{report_id}", "REPORT"

    @staticmethod
    def list_key() -> str:
        return "REPORTS"


def plain(value: Any) -> Any:
    """A stored map or list as plain Python (PynamoDB gives maps back as MapAttribute or dict)."""
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
