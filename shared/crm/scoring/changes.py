"""What a scoring trigger changes on one contact, shared by the scoring function (an event, a re-score
page) and lead capture (a new lead scored in the transaction that creates it): the pure decision over a
snapshot (`rescore`), and the contact's attributes that carry its result.

Only score changes that cross the qualification threshold go on the timeline (`qualified`,
`score_below_threshold`), with their event and stage change; the score itself is explained on the contact
(`score`, `grade`, `score_breakdown`), so a change that crosses nothing writes the contact alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crm.contacts.spec import ContactItem
from crm.platform.cache import TtlCache
from crm.platform.clock import iso_now
from crm.records.table import get_item
from crm.scoring.rules import LedgerEntry, ScoreResult, ScoringModel, default_model, score_contact

QUALIFIABLE_STAGES = ("subscriber", "lead")
QUALIFIED_STAGE = "mql"
# The contact's properties scoring rules read (beyond custom fields).
SCORED_PROPERTIES = ("email", "phone", "first_name", "last_name", "company", "job_title", "owner",
                     "lifecycle_stage", "lead_status", "source", "email_status")
MODEL_CACHE_SECONDS = 60
_model_cache: TtlCache[str, ScoringModel] = TtlCache(max_entries=1)


@dataclass(frozen=True)
class ContactSnapshot:
    contact_id: str
    properties: dict[str, Any]
    ledger: tuple[LedgerEntry, ...]
    version: int
    score_rev: int | None
    score: int | None
    grade: str | None
    breakdown: list[dict[str, Any]] | None
    qualified: bool
    lifecycle_stage: str
    has_ledger: bool


@dataclass(frozen=True)
class ScoreChange:
    result: ScoreResult
    new_entry: LedgerEntry | None
    qualified: bool
    stage: str | None
    timeline: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def crosses(self) -> bool:
        """Whether other items (timeline entries, events) change with the contact."""
        return bool(self.timeline or self.events)


def rescore(snapshot: ContactSnapshot, model: ScoringModel, as_of: date, cause: str,
            new_entry: LedgerEntry | None = None) -> ScoreChange | None:
    """The change to write, or None when the trigger changes nothing (a re-delivery, say)."""
    if new_entry is not None and new_entry.event_id in {e.event_id for e in snapshot.ledger}:
        new_entry = None
    ledger = snapshot.ledger + ((new_entry,) if new_entry else ())
    result = score_contact(model, snapshot.properties, ledger, as_of)
    unchanged = (result.score == snapshot.score and result.grade == snapshot.grade
                 and list(result.breakdown) == (snapshot.breakdown or []))
    if new_entry is None and unchanged:
        return None
    timeline: list[tuple[str, str, dict[str, Any]]] = []
    events: list[tuple[str, dict[str, Any]]] = []
    qualified_now = result.score >= model.qualification_threshold
    stage = None
    if qualified_now and not snapshot.qualified:
        if snapshot.lifecycle_stage in QUALIFIABLE_STAGES:
            stage = QUALIFIED_STAGE
        timeline.append(("qualified", f"Reached the qualification threshold of {model.qualification_threshold}",
                         {"score": result.score, "cause": cause}))
        events.append(("Contact Qualified", {"contact_id": snapshot.contact_id, "score": result.score,
                                             "grade": result.grade, "model_version": model.version}))
    elif snapshot.qualified and not qualified_now:
        # Recorded for the team to see; the contact keeps its lifecycle stage.
        timeline.append(("score_below_threshold",
                         f"Dropped below the qualification threshold of {model.qualification_threshold}",
                         {"score": result.score, "cause": cause}))
    return ScoreChange(result=result, new_entry=new_entry, qualified=qualified_now, stage=stage,
                       timeline=timeline, events=events)


def score_values(snapshot: ContactSnapshot, change: ScoreChange) -> dict[str, Any]:
    """The contact's attributes a change sets (its ledger entry and version aside): the score and its
    explanation, a revision to condition the next write on, and what a crossing changes (`qualified` is
    written only when it changes: absent reads as not qualified)."""
    result = change.result
    values: dict[str, Any] = {
        "score": result.score,
        "grade": result.grade,
        "score_breakdown": list(result.breakdown),
        "score_key": ContactItem.score_sort_key(result.score, snapshot.contact_id),
        "score_rev": (snapshot.score_rev or 0) + 1,
    }
    if change.qualified != snapshot.qualified:
        values["qualified"] = change.qualified
        values["qualified_at"] = iso_now() if change.qualified else None
    if change.stage is not None:
        values |= {"lifecycle_stage": change.stage, "GSI3PK": ContactItem.stage_key(change.stage)}
    return values


def ledger_value(entry: LedgerEntry) -> dict[str, str]:
    return {"type": entry.event_type, "at": entry.at}


def snapshot_of(item: ContactItem) -> ContactSnapshot:
    ledger = item.engagement.as_dict() if item.engagement is not None else {}
    properties = {name: getattr(item, name) for name in SCORED_PROPERTIES}
    properties["custom_fields"] = item.custom_fields.as_dict() if item.custom_fields else {}
    return ContactSnapshot(
        contact_id=item.contact_id,
        properties=properties,
        ledger=tuple(LedgerEntry(event_id, entry["type"], entry["at"]) for event_id, entry in ledger.items()),
        version=int(item.version),
        score_rev=int(item.score_rev) if item.score_rev is not None else None,
        score=int(item.score) if item.score is not None else None,
        grade=item.grade,
        breakdown=list(item.score_breakdown) if item.score_breakdown is not None else None,
        qualified=bool(item.qualified),
        lifecycle_stage=item.lifecycle_stage,
        has_ledger=item.engagement is not None,
    )


def score_new_contact(item: ContactItem, entry: LedgerEntry, model: ScoringModel, as_of: date,
                      cause: str) -> ScoreChange:
    """Scores a contact about to be created, with the engagement that created it (its ledger's first
    entry): the result is set on `item`; the change's timeline entries and events, if it qualifies, are
    for the caller to write in the same transaction. The same decision the scoring function makes."""
    snapshot = snapshot_of(item)
    change = rescore(snapshot, model, as_of, cause, entry)
    if change is None:  # never: a new ledger entry is always a change
        raise AssertionError("a new contact's first engagement changed nothing")
    for name, value in score_values(snapshot, change).items():
        setattr(item, name, value)
    item.engagement = {entry.event_id: ledger_value(entry)}
    return change


def current_model(fresh: bool = False) -> ScoringModel:
    """The model in force, cached per container; the default until someone saves one."""
    if fresh:
        _model_cache.clear()
    return _model_cache.get("model", _stored_model, MODEL_CACHE_SECONDS)


def _stored_model() -> ScoringModel:
    from crm.scoring.spec import ScoringModelItem  # noqa: PLC0415 - only functions that score build it

    item = get_item(ScoringModelItem, ScoringModelItem.key())
    return ScoringModel.from_dict(json.loads(item.model_json), version=int(item.version)) if item else default_model()
