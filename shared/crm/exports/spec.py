"""An export as stored and shown: the list it pages through, as whom, in which format, and how far it got.

`EXPORT#<id>` / `EXPORT`; its creator's exports newest first on GSI1 `EXPORTS#<user>`. The table's TTL
removes the record 30 days after it was asked for.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from crm.records.fields import Integer, Text
from crm.records.table import ByCreatedIndex, CrmItem
from crm.records.views import RecordView, shown_as

FORMATS = ("csv", "xlsx")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# What a retried message leaves alone.
FINISHED = frozenset({DONE, FAILED})
KEEP_SECONDS = 30 * 24 * 3600
MAX_LIST_LENGTH = 2000


class ExportItem(CrmItem):
    export_id = UnicodeAttribute()
    list_path = shown_as("list", Text(MAX_LIST_LENGTH, writable=False, required=True, null=False,
                                      description="The list exported, as its GET path and query under /v1."))
    format = Text(writable=False, required=True, null=False, description="csv or xlsx.")
    status = Text(writable=False, required=True, null=False, description="queued, running, done or failed.")
    rows = Integer(writable=False, description="How many rows the file holds, once done.")
    created_at = Text(writable=False, required=True, null=False)
    finished_at = Text(writable=False)
    problem = Text(writable=False, description="Why the export failed.")
    # Whom the list is read as: the creator, with the roles they had when they asked.
    user_id = UnicodeAttribute()
    roles = UnicodeSetAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    filename = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    by_created = ByCreatedIndex()

    @staticmethod
    def key(export_id: str) -> tuple[str, str]:
        return f"EXPORT#{export_id}", "EXPORT"

    @staticmethod
    def user_key(user_id: str) -> str:
        return f"EXPORTS#{user_id}"


EXPORT = RecordView("Export", ExportItem, "export_id", computed={"download_url": str | None},
                    page_title="ExportPage")
