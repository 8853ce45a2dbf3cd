"""A contact as stored: its item, and the sentinels that keep one person one record."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from crm.records.table import AllByScore, ContactListIndex, CrmItem, OwnerByScore, StageByScore


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
