"""A contact: its fields once (stored, taken and shown by the API, validated), who may see one, and the
sentinels that keep one person one record.

Indexes: GSI1 `CONTACTS` newest first (`by_created`); on `score_key` (the score, zero-padded): GSI2 every
contact (`by_score`), GSI3 one lifecycle stage (`by_stage_score`), GSI4 one owner (`by_owner_score`).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from crm.custom_fields.field import CustomFields
from crm.platform.access import Caller
from crm.records.fields import Choice, Document, Email, Integer, Listing, Phone, Text, TextSet
from crm.records.spec import Entity
from crm.records.table import ByCreatedIndex, CollectionOrderIndex, CrmItem, GroupOrderIndex, OwnerOrderIndex

CUSTOMER_STAGE = "customer"
LIFECYCLE_STAGES = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "other")
LEAD_STATUSES = ("new", "attempted_contact", "contacted", "future_contact", "not_interested", "junk", "lost",
                 "pre_qualified", "qualified", "warm", "hot")
# Addresses and phones one person may have.
MAX_IDENTIFIERS = 20
# How a contact came to the CRM, from a closed list: what the analytical store keeps of its origin (a
# contact's `source` is text staff may type anything into, so it never leaves the operational table).
CHANNELS = ("api", "form", "email", "payment")


def created_detail(contact_id: str, source: str | None, channel: str) -> dict[str, str | None]:
    """The detail of a Contact Created event."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return {"contact_id": contact_id, "source": source, "channel": channel}


# The RFM analysis' segments (crm.analytics.rfm, decision 0047), best first: marketing filters and exports by them.
RFM_SEGMENTS = ("Champions", "Loyal", "New customers", "Potential loyalists", "Can't lose them", "At risk",
                "Hibernating", "Lost")


class ContactItem(CrmItem):
    contact_id = UnicodeAttribute()
    email = Email(description="The primary address.")
    emails = TextSet(Email(matching_key=True), MAX_IDENTIFIERS,
                     description="Every address of the person, the primary one included.")
    phone = Phone()
    phones = TextSet(Phone(), MAX_IDENTIFIERS)
    first_name = Text()
    last_name = Text()
    company = Text()
    company_id = Text(64)
    job_title = Text()
    external_id = Text(128, description="Its id where it came from; unique, an import matches on it.")
    owner = Text(128)
    lifecycle_stage = Choice(LIFECYCLE_STAGES, default="lead", clear_keeps=True, null=False)
    lead_status = Choice(LEAD_STATUSES, default="new", null=False)
    source = Text()
    custom_fields = CustomFields(null=False)
    first_touch = Document(writable=False)
    last_touch = Document(writable=False)
    email_key = UnicodeAttribute(null=True)
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
    by_created = ByCreatedIndex()
    # Lead scoring: the result, its explanation, and the engagement ledger it was computed from.
    score = Integer(writable=False)
    grade = Text(writable=False)
    score_breakdown = Listing(writable=False)
    engagement: MapAttribute[str, Any] = MapAttribute(null=True)
    qualified = BooleanAttribute(null=True)
    # When the score last crossed into qualified (an MQL), for the dashboards' new MQLs per period.
    qualified_at = UnicodeAttribute(null=True)
    score_rev = NumberAttribute(null=True)
    email_status = UnicodeAttribute(null=True)
    # Marketing topics the person said yes or no to, each with when and how (crm.outbound.consent).
    consent = Document(writable=False, description="Per marketing topic: {status: subscribed or unsubscribed, at, "
                       "source}. Set by PUT /v1/contacts/{id}/consent and by one-click unsubscribe.")
    score_key = UnicodeAttribute(null=True)
    # Written by the RFM analysis of the payments in the analytical store (crm.analytics.rfm), never by a client.
    rfm_segment = Choice(RFM_SEGMENTS, writable=False, description="The RFM segment the daily analysis of "
                         "payments put the contact in; null for a contact who has not paid.")
    rfm = Document(writable=False, description="What the segment came from: scores r, f and m (1-5, quintiles "
                   "among payers), payments, net_minor and currency, last_paid_at.")
    subscription: MapAttribute[str, Any] = MapAttribute(null=True)
    subscription_event_at = NumberAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    by_score = CollectionOrderIndex()
    by_stage_score = GroupOrderIndex()
    by_owner_score = OwnerOrderIndex()

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


def visible_contact(caller: Caller, item: ContactItem) -> bool:
    """Support sees customers only. A merged-away or erased id stays visible, so that a caller learns
    where it went (308) or that it is gone (410) rather than 404."""
    return (not caller.customers_only or item.lifecycle_stage == CUSTOMER_STAGE
            or item.merged_into is not None or item.erased_at is not None)


CONTACT = Entity("contact", "Contact", ContactItem, "contact_id", visible_contact)


class UniqueItem(CrmItem):
    """A uniqueness sentinel: one per email key or E.164 phone, naming the contact that owns it."""

    kind = UnicodeAttribute()
    contact_id = UnicodeAttribute()

    @staticmethod
    def key(kind: str, value: str) -> tuple[str, str]:
        return f"UNIQUE#{kind.upper()}#{value}", "UNIQUE"
