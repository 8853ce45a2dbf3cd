"""A deal's and a pipeline's rules as pure functions: where a write leaves a deal (stage, status,
probability, close), what a deal needs, and what a pipeline's stages may be.

The closed stages `won` and `lost` are statuses won and lost, every other stage is open. Moving a deal to
`won` or `lost` (by `stage` or by `status`) sets `closed_at`; `lost` needs a `close_reason` (won may have
one); reopening clears both. The probability is the stage's unless the caller sets one; a stage change
without one takes the new stage's.
"""

from __future__ import annotations

from typing import Any

from crm.deals.spec import (
    BUILT_IN_STAGES,
    CLOSED_STAGES,
    DEFAULT_PIPELINE,
    LOST,
    OPEN,
    WON,
    DealItem,
    PipelineItem,
    stages_of,
)
from crm.platform.clock import seconds_between
from crm.platform.errors import HttpError
from crm.platform.text import InvalidValue, clean_text


def current(values: dict[str, Any], existing: Any, name: str) -> Any:
    """A field as the write leaves it: what it sets, else what the record had (nothing for a new one)."""
    return values[name] if name in values else getattr(existing, name) if existing is not None else None


def deal_problems(values: dict[str, Any], existing: DealItem | None) -> dict[str, str]:
    """A deal has a name, and an amount has its currency."""
    problems: dict[str, str] = {}
    if not current(values, existing, "name"):
        problems["name"] = "A deal needs a name."
    if current(values, existing, "amount_minor") is not None and not current(values, existing, "currency"):
        problems["currency"] = "Give the currency of the amount."
    return problems


def stage_probabilities(item: PipelineItem) -> dict[str, int]:
    """Every stage a deal in this pipeline may be in, open ones first, with its probability."""
    return {s["id"]: s["probability"] for s in (*stages_of(item), *CLOSED_STAGES)}


def status_of(stage: str) -> str:
    return stage if stage in (WON, LOST) else OPEN


def plan_stage(submitted: dict[str, Any], existing: DealItem | None, pipeline: PipelineItem,
               values: dict[str, Any], problems: dict[str, str], now: str) -> None:
    """Stage, status, probability, closed_at and close_reason, which follow one another, set in `values`
    (whose `pipeline_id` is the deal's after the write); what is wrong goes into `problems`."""
    probabilities = stage_probabilities(pipeline)
    old_stage = existing.stage if existing is not None else None
    moved_pipeline = existing is not None and values["pipeline_id"] != (existing.pipeline_id or DEFAULT_PIPELINE)
    stage = target_stage(submitted, existing, stages_of(pipeline)[0]["id"], moved_pipeline)
    if stage not in probabilities and (stage != old_stage or moved_pipeline):
        problems["stage"] = f"One of {', '.join(probabilities)}."
        return
    status = status_of(stage)
    if submitted.get("status") not in (None, status):
        problems["status"] = f"The stage {stage} is {status}."
    values["stage"], values["status"] = stage, status
    _plan_probability(submitted, stage, old_stage, probabilities, values, problems)
    _plan_close(existing, values, problems, now)


def target_stage(submitted: dict[str, Any], existing: DealItem | None, first: str, moved_pipeline: bool) -> Any:
    """The stage the write names; else the closed stage its status names; else the pipeline's first stage
    for a new deal, a reopened one, or an open one moved to another pipeline; else where it was."""
    stage, status = submitted.get("stage"), submitted.get("status")
    if stage is not None:
        return stage
    if status in (WON, LOST):
        return status
    old_status = (existing.status or OPEN) if existing is not None else None
    if existing is None or (status == OPEN and old_status != OPEN) or (moved_pipeline and old_status == OPEN):
        return first
    return existing.stage


def _plan_probability(submitted: dict[str, Any], stage: str, old_stage: str | None, probabilities: dict[str, int],
                      values: dict[str, Any], problems: dict[str, str]) -> None:
    if submitted.get("probability") is not None:
        if status_of(stage) != OPEN:
            problems["probability"] = "A closed deal's probability is its stage's."
        values["probability"] = submitted["probability"]
    elif stage != old_stage or "probability" in submitted:
        values["probability"] = probabilities.get(stage)


def _plan_close(existing: DealItem | None, values: dict[str, Any], problems: dict[str, str], now: str) -> None:
    status = values["status"]
    old_status = (existing.status or OPEN) if existing is not None else None
    if status == OPEN:
        if values.get("close_reason"):
            problems["close_reason"] = "Only a won or lost deal has a close reason."
        values["close_reason"] = values["closed_at"] = None
        return
    if status == LOST and not values.get("close_reason", existing.close_reason if existing is not None else None):
        problems["close_reason"] = "Say why the deal was lost."
    if status != old_status:
        values["closed_at"] = now


def built_in_pipeline() -> PipelineItem:
    """The default pipeline as it is until an admin edits it: version 0, never stored."""
    return PipelineItem(*PipelineItem.key(DEFAULT_PIPELINE), pipeline_id=DEFAULT_PIPELINE, name="Sales pipeline",
                        stages=[dict(s) for s in BUILT_IN_STAGES], is_default=True, created_at="", updated_at="",
                        version=0)


def checked_pipeline(submitted: dict[str, Any]) -> dict[str, Any]:
    """The submitted name and stages, cleaned; stage ids distinct and not a closed stage's. Neither may be
    cleared. Anything wrong is one 422 naming every field."""
    problems: dict[str, str] = {name: "May not be cleared." for name in ("name", "stages")
                                if name in submitted and submitted[name] is None}
    values: dict[str, Any] = {}
    for name, clean in (("name", _name), ("stages", _stages)):
        try:
            if submitted.get(name):
                values[name] = clean(submitted[name])
        except InvalidValue as exc:
            problems[name] = str(exc)
    stage_ids = stage_ids_problem([stage["id"] for stage in values.get("stages", ())])
    if stage_ids:
        problems["stages"] = stage_ids
    if problems:
        raise HttpError(422, "invalid_fields", "The pipeline needs attention.", problems)
    return values


def stage_ids_problem(ids: list[str]) -> str | None:
    if len(set(ids)) != len(ids):
        return "Stage ids must be distinct."
    if {WON, LOST} & set(ids):
        return "won and lost are the closed stages every pipeline ends in; do not list them."
    return None


def _stages(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**stage, "name": _name(stage["name"])} for stage in stages]


def _name(raw: str) -> str:
    value = clean_text(raw, 200)
    if not value:
        raise InvalidValue("Must not be empty.")
    return value


def stage_clock(item: DealItem, at: str) -> dict[str, Any]:
    """A stage move's bookkeeping: the time the deal spent in the stage it leaves is added to that stage,
    and the clock of the new one starts `at`."""
    left = item.stage or ""
    since = item.stage_entered_at or item.created_at
    seconds = seconds_between(since, at) or 0
    spent = item.stage_seconds.as_dict() if item.stage_seconds is not None else {}
    exits = item.stage_exits.as_dict() if item.stage_exits is not None else {}
    return {"stage_entered_at": at,
            "stage_seconds": {**spent, left: int(spent.get(left, 0)) + seconds},
            "stage_exits": {**exits, left: int(exits.get(left, 0)) + 1}}
