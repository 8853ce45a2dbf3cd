"""The single table's items, as PynamoDB models. Keys are built here and nowhere else."""

from __future__ import annotations

from typing import TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from crm.config import Settings

OUTBOX_PREFIX = "OUTBOX#"


class CrmItem(Model):
    """Every item of the one table. `bind_table` points all models at the deployed table."""

    class Meta:
        table_name = "crm-unbound"
        region = "us-east-1"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)


_connection: Connection | None = None


def bind_table(settings: Settings) -> None:
    """Point every model (and the transaction connection) at the configured table and endpoint."""
    global _connection
    CrmItem.Meta.table_name = settings.table_name
    CrmItem.Meta.region = settings.region
    CrmItem.Meta.host = settings.aws_endpoint_url
    for model in (CrmItem, *_all_subclasses(CrmItem)):
        model._connection = None
    _connection = None


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


_Item = TypeVar("_Item", bound="CrmItem")


def get_item(model: type[_Item], key: tuple[str, str], consistent: bool = False) -> _Item | None:
    """One GetItem; None when there is no such item."""
    try:
        return model.get(*key, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def transaction_connection() -> Connection:
    """One connection, kept for the container's life, for TransactWriteItems."""
    global _connection
    if _connection is None:
        _connection = Connection(region=CrmItem.Meta.region, host=getattr(CrmItem.Meta, "host", None))
    return _connection


class ContactListIndex(GlobalSecondaryIndex):
    """GSI1: contacts newest first, so a page of the list is one Query."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class ScoreIndex(GlobalSecondaryIndex):
    """Contacts by score, highest first when queried backwards; one index per way of filtering."""

    class Meta:
        projection = AllProjection()

    score_key = UnicodeAttribute(range_key=True)


class AllByScore(ScoreIndex):
    class Meta(ScoreIndex.Meta):
        index_name = "GSI2"

    GSI2PK = UnicodeAttribute(hash_key=True)


class StageByScore(ScoreIndex):
    class Meta(ScoreIndex.Meta):
        index_name = "GSI3"

    GSI3PK = UnicodeAttribute(hash_key=True)


class OwnerByScore(ScoreIndex):
    class Meta(ScoreIndex.Meta):
        index_name = "GSI4"

    GSI4PK = UnicodeAttribute(hash_key=True)


class ContactItem(CrmItem):
    contact_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    email_key = UnicodeAttribute(null=True)
    emails = UnicodeSetAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phones = UnicodeSetAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    company = UnicodeAttribute(null=True)
    company_id = UnicodeAttribute(null=True)
    job_title = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    lifecycle_stage = UnicodeAttribute()
    lead_status = UnicodeAttribute()
    source = UnicodeAttribute(null=True)
    custom_fields = MapAttribute()
    first_touch = MapAttribute(null=True)
    last_touch = MapAttribute(null=True)
    search_name = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    # A merged-away contact keeps only its id and the winner's; an erased one only its tombstone.
    merged_into = UnicodeAttribute(null=True)
    erased_at = UnicodeAttribute(null=True)
    erased_by = UnicodeAttribute(null=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_created = ContactListIndex()
    # Lead scoring: the result, its explanation, and the engagement ledger it was computed from.
    score = NumberAttribute(null=True)
    grade = UnicodeAttribute(null=True)
    score_breakdown = ListAttribute(null=True)
    engagement = MapAttribute(null=True)
    qualified = BooleanAttribute(null=True)
    score_rev = NumberAttribute(null=True)
    email_status = UnicodeAttribute(null=True)
    score_key = UnicodeAttribute(null=True)
    subscription = MapAttribute(null=True)
    subscription_event_at = NumberAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    by_score = AllByScore()
    by_stage_score = StageByScore()
    by_owner_score = OwnerByScore()

    @staticmethod
    def key(contact_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "CONTACTS"

    @staticmethod
    def score_sort_key(score: int, contact_id: str) -> str:
        return f"{score:03d}#{contact_id}"

    @staticmethod
    def stage_key(stage: str) -> str:
        return f"STAGE#{stage}"

    @staticmethod
    def owner_key(owner: str) -> str:
        return f"OWNER#{owner}"


class UniqueItem(CrmItem):
    """A uniqueness sentinel: one per email key or E.164 phone, naming the contact that owns it."""

    kind = UnicodeAttribute()
    contact_id = UnicodeAttribute()

    @staticmethod
    def key(kind: str, value: str) -> tuple[str, str]:
        return f"UNIQUE#{kind.upper()}#{value}", "UNIQUE"


class HistoryItem(CrmItem):
    """One entry of a contact's timeline."""

    entry_type = UnicodeAttribute()
    summary = UnicodeAttribute()
    data = MapAttribute(null=True)
    created_at = UnicodeAttribute()

    @staticmethod
    def key(contact_id: str, created_at: str, entry_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", f"HISTORY#{created_at}#{entry_id}"


class FormItem(CrmItem):
    """A web form's configuration; its shape is validated by lead capture's FormConfig."""

    config = MapAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_id = ContactListIndex()

    @staticmethod
    def key(form_id: str) -> tuple[str, str]:
        return f"FORM#{form_id}", "CONFIG"

    @staticmethod
    def list_key() -> str:
        return "FORMS"


class SubmissionItem(CrmItem):
    """A raw form submission, kept whether it was accepted or judged spam."""

    submission_id = UnicodeAttribute()
    form_id = UnicodeAttribute()
    status = UnicodeAttribute()
    spam_reasons = ListAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute()
    raw_body = UnicodeAttribute(null=True)
    fields = MapAttribute()
    files = ListAttribute(null=True)
    source = MapAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(form_id: str, created_at: str, submission_id: str) -> tuple[str, str]:
        return f"FORM#{form_id}", f"SUBMISSION#{created_at}#{submission_id}"


class OutboxItem(CrmItem):
    """Events written with the state change they announce; the stream publisher sends them. One event is
    `event_id`, `detail_type` and `detail` (JSON); several from one transaction are `events`, a JSON list
    of `{"detail_type", "detail"}` whose details carry their ids, with `detail_type` naming them all
    (crm.events builds and reads both)."""

    event_id = UnicodeAttribute(null=True)
    detail_type = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    events = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return f"{OUTBOX_PREFIX}{event_id}", "EVENT"


class RateCounterItem(CrmItem):
    """Hits from one address on one form in one minute; expires by TTL."""

    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @staticmethod
    def key(form_id: str, ip: str, window: int) -> tuple[str, str]:
        return f"RATE#{form_id}#{ip}", f"WINDOW#{window}"
