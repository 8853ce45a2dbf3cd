"""A saved view as stored: `SAVED_VIEWS#<owner>` (one's own) or `SAVED_VIEWS#team` (shared with everyone) /
`VIEW#<id>`, so the views a person may pick from are two Queries of two small partitions.

A view is a list's GET path under /v1 with its filters and sort (/v1/contacts?lifecycle_stage=lead&sort=-score),
checked as an export checks one (crm.exports.lists); opening it runs the list as whoever opens it, so a shared
view never shows anyone more than their role lets them see."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from crm.records.fields import Flag, Text
from crm.records.table import CrmItem
from crm.records.views import RecordView, shown_as

TEAM = "team"
MAX_NAME = 100
MAX_LIST = 1000
# Per partition: a person's own views, or the team's.
MAX_VIEWS = 100


class SavedViewItem(CrmItem):
    view_id = UnicodeAttribute()
    name = Text(MAX_NAME, writable=False, required=True, null=False)
    list_path = shown_as("list", Text(MAX_LIST, writable=False, required=True, null=False,
                     description="The list's GET path with its filters and sort, as the API reads it."))
    shared = Flag(writable=False, required=True, null=False, description="Shown to the whole team.")
    owner = Text(writable=False, required=True, null=False)
    created_at = Text(writable=False, required=True, null=False)

    @staticmethod
    def key(partition: str, view_id: str) -> tuple[str, str]:
        return f"SAVED_VIEWS#{partition}", f"VIEW#{view_id}"


SAVED_VIEW = RecordView("SavedView", SavedViewItem, "view_id")
