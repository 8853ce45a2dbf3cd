"""Deals and pipelines as stored."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from crm.records.table import CrmItem, VersionedItem


class DealItem(VersionedItem):
    """A deal in a pipeline's stage; `status` is open, won or lost (the closed stages every pipeline ends in).

    Indexes: GSI1 `DEALS` newest first; GSI2 `DEALS`, GSI3 a contact's deals and GSI4 an owner's deals, all
    three on `score_key` = `<expected_close_date or 9999-12-31>#<id>`. Its timeline lives in its partition.
    """

    deal_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    pipeline_id = UnicodeAttribute(null=True)
    stage = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    amount_minor = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    probability = NumberAttribute(null=True)
    expected_close_date = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    company_id = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)

    @staticmethod
    def key(deal_id: str) -> tuple[str, str]:
        return f"DEAL#{deal_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "DEALS"

    @staticmethod
    def created_key(created_at: str, deal_id: str) -> str:
        return f"{created_at}#{deal_id}"

    @staticmethod
    def close_date_key(expected_close_date: str | None, deal_id: str) -> str:
        return f"{expected_close_date or '9999-12-31'}#{deal_id}"

    @staticmethod
    def contact_partition(contact_id: str) -> str:
        return f"CONTACT#{contact_id}#DEALS"

    @staticmethod
    def owner_partition(owner: str) -> str:
        return f"DEAL_OWNER#{owner}"

    @staticmethod
    def history_key(deal_id: str, created_at: str, entry_id: str) -> tuple[str, str]:
        """A deal's timeline entry: a HistoryItem in the deal's partition, newest last by sort key."""
        return f"DEAL#{deal_id}", f"HISTORY#{created_at}#{entry_id}"


class PipelineItem(VersionedItem):
    """A sales pipeline: its open stages in order, each with the probability a deal there closes won.
    Every pipeline also ends in the closed stages `won` (100) and `lost` (0), which are not stored.
    Listed oldest first on GSI1 `PIPELINES`."""

    pipeline_id = UnicodeAttribute()
    name = UnicodeAttribute()
    stages = ListAttribute(of=MapAttribute)
    is_default = BooleanAttribute(default=False)
    # Set (epoch seconds, briefly ahead) while a delete checks that no deal is left; no deal is added
    # before it passes, and a delete that crashed holds nothing up for longer.
    deleting_until = NumberAttribute(null=True)

    @staticmethod
    def key(pipeline_id: str) -> tuple[str, str]:
        return f"PIPELINE#{pipeline_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "PIPELINES"


class PipelineDealItem(CrmItem):
    """A deal's membership of a pipeline, in the pipeline's partition, so "does this pipeline still have
    deals" is one Query of one item."""

    deal_id = UnicodeAttribute()

    @staticmethod
    def key(pipeline_id: str, deal_id: str) -> tuple[str, str]:
        return f"PIPELINE#{pipeline_id}", f"DEAL#{deal_id}"
