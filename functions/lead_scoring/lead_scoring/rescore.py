"""What a scoring trigger changes on one contact: pure logic over a snapshot, no AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crm.scoring import LedgerEntry, ScoreResult, ScoringModel, score_contact

QUALIFIABLE_STAGES = ("subscriber", "lead")
QUALIFIED_STAGE = "mql"


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
    if result.score != snapshot.score:
        timeline.append(("score_changed", f"Score {snapshot.score or 0} → {result.score} ({result.grade})",
                         {"from": snapshot.score or 0, "to": result.score, "grade": result.grade, "cause": cause,
                          "model_version": model.version}))
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
