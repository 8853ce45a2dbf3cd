"""Lists under their forms the accepted submissions kept before a form's list existed (a stack upgraded to it):
each submission entry of a timeline without its form keys gets them. The update is conditioned on the entry
still being there without them (a merge or an erase meanwhile moved or deleted it), so a rerun changes nothing."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from crm.forms.submissions import OUTCOME
from crm.records.history import HistoryItem


def reindex_submissions() -> tuple[int, int]:
    """(submission entries read without form keys, entries listed under their form)."""
    read = changed = 0
    outside = (HistoryItem.SK.startswith("HISTORY#") & HistoryItem.entry_type.is_in(*OUTCOME)
               & HistoryItem.GSI1PK.does_not_exist())
    for entry in HistoryItem.scan(outside):
        data = entry.data.as_dict() if entry.data else {}
        if not data.get("form_id") or not data.get("submission_id"):
            continue  # a contact made another way (the API, an import, an email)
        read += 1
        keys = HistoryItem.form_keys(str(data["form_id"]), entry.created_at, str(data["submission_id"]))
        try:
            entry.update([HistoryItem.GSI1PK.set(keys["GSI1PK"]), HistoryItem.GSI1SK.set(keys["GSI1SK"])],
                         condition=HistoryItem.PK.exists() & HistoryItem.GSI1PK.does_not_exist())
            changed += 1
        except UpdateError:
            continue
    return read, changed
