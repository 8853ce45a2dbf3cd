"""A contact's whole timeline, read for a merge or an erase, and the records its entries name; and what a
contact keeps when it becomes a redirect or a tombstone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from crm.contacts.spec import ContactItem
from crm.forms.spec import SubmissionItem
from crm.mail.spec import CaseItem, EmailItem
from crm.records.history import HistoryItem
from crm.records.table import CrmItem

T = TypeVar("T")
HISTORY_PREFIX = "HISTORY#"
# Attributes a contact keeps when it becomes a redirect (merged) or a tombstone (erased).
KEPT_ATTRIBUTES = frozenset({"PK", "SK", "contact_id", "created_at", "updated_at", "version", "merged_into",
                             "erased_at", "erased_by"})
# A merge page holds, per timeline entry, its copy, its original and at most two linked records.
TIMELINE_PAGE = 24


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def stripped(item: ContactItem) -> dict[str, None]:
    """Every attribute of the contact that a redirect or a tombstone drops, index keys included, so it
    leaves every list and keeps nothing personal."""
    return {name: None for name in ContactItem.get_attributes()
            if name not in KEPT_ATTRIBUTES and getattr(item, name) is not None}


def timeline(contact_id: str) -> Iterator[HistoryItem]:
    """A contact's timeline entries, oldest first, read consistently (the profile shares the partition)."""
    return HistoryItem.query(ContactItem.key(contact_id)[0], HistoryItem.SK.startswith(HISTORY_PREFIX),
                             consistent_read=True)


def entry_data(entry: HistoryItem) -> dict[str, Any]:
    return entry.data.as_dict() if entry.data else {}


def linked(model: type[CrmItem], keys: Iterable[tuple[str, str]]) -> list[Any]:
    """The records a page of timeline entries names, in one BatchGetItem (none when it names none)."""
    unique = sorted(set(keys))
    return list(model.batch_get(unique)) if unique else []


@dataclass(frozen=True)
class TimelineLinks:
    """The records a page of timeline entries names: emails, the cases they opened, form submissions."""

    emails: list[EmailItem]
    cases: list[CaseItem]
    submissions: list[SubmissionItem]


def timeline_links(entries: list[HistoryItem]) -> TimelineLinks:
    """One BatchGetItem per kind of record the entries name (none for a kind they do not name)."""
    data = [(entry, entry_data(entry)) for entry in entries]
    return TimelineLinks(
        emails=linked(EmailItem, (EmailItem.key(v["email_id"]) for _, v in data if v.get("email_id"))),
        cases=linked(CaseItem, (CaseItem.key(v["case_id"]) for _, v in data if v.get("case_id"))),
        submissions=linked(SubmissionItem, (SubmissionItem.key(v["form_id"], e.created_at, v["submission_id"])
                                            for e, v in data if v.get("form_id") and v.get("submission_id"))))
