"""The single table's items, as PynamoDB models. Keys are built here and nowhere else."""

from __future__ import annotations

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

    @staticmethod
    def key(form_id: str) -> tuple[str, str]:
        return f"FORM#{form_id}", "CONFIG"


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
    """An event written with the state change it announces; the stream publisher sends it."""

    event_id = UnicodeAttribute()
    detail_type = UnicodeAttribute()
    detail = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return f"{OUTBOX_PREFIX}{event_id}", "EVENT"


class ScoringModelItem(CrmItem):
    """The scoring model: `CURRENT` plus one item per version, kept for the record."""

    version = NumberAttribute()
    model_json = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    latest_job_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(version: int | None = None) -> tuple[str, str]:
        return "SCORING_MODEL", "CURRENT" if version is None else f"VERSION#{version:06d}"


class RescoreJobItem(CrmItem):
    """A background re-score of every contact, one page per event, resumable from its cursor."""

    job_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    model_version = NumberAttribute()
    status = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    processed = NumberAttribute(default=0)
    changed = NumberAttribute(default=0)
    started_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(job_id: str) -> tuple[str, str]:
        return "SCORING_MODEL", f"JOB#{job_id}"


class WebhookEventItem(CrmItem):
    """A provider's event, recorded once (its id is the key) with its raw body, whatever it did."""

    provider = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    status = UnicodeAttribute()
    raw_body = UnicodeAttribute()
    headers = MapAttribute()
    payment_key = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()

    @staticmethod
    def key(provider: str, event_id: str) -> tuple[str, str]:
        return f"WEBHOOK#{provider}#{event_id}", "EVENT"


class PaymentItem(CrmItem):
    """One payment at one provider; every event about it (paid, failed, refunded) lands here."""

    payment_key = UnicodeAttribute()
    provider = UnicodeAttribute()
    provider_payment_id = UnicodeAttribute()
    contact_id = UnicodeAttribute(null=True)
    deal_id = UnicodeAttribute(null=True)
    amount_minor = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    succeeded_at = UnicodeAttribute(null=True)
    failed_at = UnicodeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    first_seen_at = UnicodeAttribute(null=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_contact = ContactListIndex()

    @staticmethod
    def key(payment_key: str) -> tuple[str, str]:
        return f"PAYMENT#{payment_key}", "PAYMENT"

    @staticmethod
    def contact_list_key(contact_id: str) -> str:
        return f"PAYMENTS#{contact_id}"


class RefundItem(CrmItem):
    payment_key = UnicodeAttribute()
    refund_id = UnicodeAttribute()
    amount_minor = NumberAttribute()
    refunded_at = UnicodeAttribute()

    @staticmethod
    def key(payment_key: str, refund_id: str) -> tuple[str, str]:
        return f"PAYMENT#{payment_key}", f"REFUND#{refund_id}"


class CustomerLinkItem(CrmItem):
    """Which contact a provider's customer is, so events that carry no email can be mapped."""

    contact_id = UnicodeAttribute()

    @staticmethod
    def key(provider: str, customer_id: str) -> tuple[str, str]:
        return f"CUSTOMER#{provider}#{customer_id}", "LINK"


class DealItem(CrmItem):
    deal_id = UnicodeAttribute()
    stage = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)

    @staticmethod
    def key(deal_id: str) -> tuple[str, str]:
        return f"DEAL#{deal_id}", "PROFILE"


class MailboxesItem(CrmItem):
    """Inbound addresses and their routing, as edited through the API (validated by crm.mailboxes)."""

    definitions_json = UnicodeAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()

    @staticmethod
    def key() -> tuple[str, str]:
        return "MAILBOXES", "CONFIG"


class RateCounterItem(CrmItem):
    """Hits from one address on one form in one minute; expires by TTL."""

    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()

    @staticmethod
    def key(form_id: str, ip: str, window: int) -> tuple[str, str]:
        return f"RATE#{form_id}#{ip}", f"WINDOW#{window}"



class EmailItem(CrmItem):
    """One received email, keyed by its Message-ID (or its raw bytes' hash), so it is stored once.

    Bodies are cut to fit an item; the raw MIME in the inbound bucket stays the full record."""

    email_id = UnicodeAttribute()
    status = UnicodeAttribute()
    flags = ListAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    thread_id = UnicodeAttribute()
    in_reply_to = UnicodeAttribute(null=True)
    references = ListAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    from_address = UnicodeAttribute(null=True)
    from_name = UnicodeAttribute(null=True)
    to = ListAttribute(null=True)
    cc = ListAttribute(null=True)
    reply_to = ListAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    text_body = UnicodeAttribute(null=True)
    html_body = UnicodeAttribute(null=True)
    preview = UnicodeAttribute(null=True)
    attachments = ListAttribute(null=True)
    contact_ids = ListAttribute(null=True)
    mailbox = UnicodeAttribute(null=True)
    routed_to = MapAttribute(null=True)
    case_id = UnicodeAttribute(null=True)
    raw_bucket = UnicodeAttribute()
    raw_key = UnicodeAttribute()
    size = NumberAttribute()
    received_at = UnicodeAttribute()
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    by_thread = ContactListIndex()

    @staticmethod
    def key(email_id: str) -> tuple[str, str]:
        return f"EMAIL#{email_id}", "EMAIL"

    @staticmethod
    def thread_key(thread_id: str) -> str:
        return f"THREAD#{thread_id}"


class AttachmentItem(CrmItem):
    """A file that arrived by email, stored once per content (its SHA-256 is its id and S3 key)."""

    attachment_id = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    first_email_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(sha256: str) -> tuple[str, str]:
        return f"ATTACHMENT#{sha256}", "BLOB"


class CaseItem(CrmItem):
    """A support case opened by mail to a support address; replies on its thread attach to it."""

    case_id = UnicodeAttribute()
    status = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    thread_id = UnicodeAttribute()
    mailbox = UnicodeAttribute()
    queue = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    email_count = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(case_id: str) -> tuple[str, str]:
        return f"CASE#{case_id}", "CASE"


class AutoReplyItem(CrmItem):
    """One auto-reply from one inbound address to one sender; its TTL is the 24-hour window."""

    sent_at = NumberAttribute()
    expires_at = NumberAttribute()

    @staticmethod
    def key(mailbox: str, sender_key: str) -> tuple[str, str]:
        return f"AUTOREPLY#{mailbox}#{sender_key}", "WINDOW"
