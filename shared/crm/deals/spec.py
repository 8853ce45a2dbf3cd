"""Deals and pipelines: a deal's fields once (stored, taken and shown by the API, validated), who may see one,
and the pipelines whose stages a deal moves through.

A deal is in one stage of one pipeline. Every pipeline ends in the closed stages `won` and `lost`, which no
pipeline stores; a deal's `status` follows its stage (won, lost, or open for any other).

Deal indexes: GSI1 `DEALS` newest first (`by_created`); on `order_key` (stored as `score_key`) =
`<expected_close_date or 9999-12-31>#<id>`: GSI2 every deal (`by_order`), GSI3 one contact's
(`by_group_order`), GSI4 one owner's (`by_owner_order`). A deal's timeline lives in its partition."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from crm.custom_fields.field import CustomFields
from crm.records.fields import Choice, Currency, Date, DateTime, MinorUnits, Percent, Ref, Text
from crm.records.spec import Entity, everyone
from crm.records.table import CrmItem, VersionedItem

DEFAULT_PIPELINE = "default"
OPEN, WON, LOST = "open", "won", "lost"
DEAL_STATUSES = (OPEN, WON, LOST)
CLOSED_STAGES = ({"id": WON, "name": "Won", "probability": 100}, {"id": LOST, "name": "Lost", "probability": 0})
BUILT_IN_STAGES = (
    {"id": "new", "name": "New", "probability": 10},
    {"id": "qualified", "name": "Qualified", "probability": 25},
    {"id": "proposal", "name": "Proposal", "probability": 50},
    {"id": "negotiation", "name": "Negotiation", "probability": 75},
)
MAX_STAGES = 30


class DealStage(Ref):
    """The stage a deal is in: every write leaves it in one (by default its pipeline's first)."""

    def always_shown(self) -> bool:
        return True


class DealItem(VersionedItem):
    """A deal in a pipeline's stage; `status` is open, won or lost. Moving a deal to `won` or `lost` sets
    `closed_at`; the probability is the stage's unless the caller sets one."""

    deal_id = UnicodeAttribute()
    name = Text()
    pipeline_id = Ref(absent=DEFAULT_PIPELINE, description=f"Default `{DEFAULT_PIPELINE}`.")
    stage = DealStage(63, min_length=None, description="Default the pipeline's first.")
    status = Choice(DEAL_STATUSES, absent=OPEN, description="won or lost moves the deal to that closed stage.")
    amount_minor = MinorUnits()
    currency = Currency()
    probability = Percent(description="Percent; default the stage's.")
    expected_close_date = Date()
    close_reason = Text(1000, description="Required for lost.")
    closed_at = DateTime(writable=False)
    owner = Text(128, min_length=1)
    external_id = Text(128, description="Its id where it came from; unique, an import matches on it.")
    contact_id = Ref()
    company_id = Ref()
    custom_fields = CustomFields()
    # When the deal entered its stage, and the seconds it spent in, and the times it left, each stage
    # before: the dashboards' time in stage, read from the deal itself (crm.deals.rules.stage_clock).
    stage_entered_at = UnicodeAttribute(null=True)
    stage_seconds: MapAttribute[str, Any] = MapAttribute(null=True)
    stage_exits: MapAttribute[str, Any] = MapAttribute(null=True)

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


# Deals have no rule per record: whoever the role matrix lets read deals sees every deal.
DEAL = Entity("deal", "Deal", DealItem, "deal_id", everyone)


class PipelineItem(VersionedItem):
    """A sales pipeline: its open stages in order, each with the probability a deal there closes won.
    Listed oldest first on GSI1 `PIPELINES`.

    The API's models of a pipeline are written by hand (api.routes.pipelines), not derived: a pipeline is
    shown with what it is not stored with (the closed stages, whether it is the built-in default), the
    never-stored default has no timestamps, and a PATCH may not clear a field."""

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


def stages_of(item: PipelineItem) -> list[dict[str, Any]]:
    """The open stages in order, numbers as ints."""
    return [{"id": str(s["id"]), "name": str(s["name"]), "probability": int(s["probability"])}
            for s in (s.as_dict() if hasattr(s, "as_dict") else s for s in item.stages)]


def pipeline_view(item: PipelineItem) -> dict[str, Any]:
    return {"id": item.pipeline_id, "name": item.name, "stages": stages_of(item),
            "closed_stages": [dict(s) for s in CLOSED_STAGES], "is_default": item.pipeline_id == DEFAULT_PIPELINE,
            "built_in": int(item.version) == 0, "created_at": item.created_at or None,
            "updated_at": item.updated_at or None, "version": int(item.version)}
