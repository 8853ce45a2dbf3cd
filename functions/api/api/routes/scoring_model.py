"""The scoring model: read it with the progress of its re-score, replace it (versioned, validated)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.platform.clock import iso_now
from crm.platform.errors import HttpError
from crm.records.table import get_item
from crm.records.writes import RECORD, Change
from crm.scoring.rescore import job_view, new_rescore_job
from crm.scoring.rules import ENGAGEMENT_EVENTS, FIT_OPERATORS, InvalidScoringModel, ScoringModel, default_model
from crm.scoring.spec import RescoreJobItem, ScoringModelItem
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from api.auth import current_caller, requires
from api.bodies import require_version
from api.params import STALE, answers

router = APIGatewayHttpRouter()
Points = StrictInt | StrictFloat


# The shape of a model, for the document and a first check; crm.scoring validates what the rules mean
# and names each wrong rule (`fit_rules[2].op`).
class FitRuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    label: str
    group: Annotated[str, Field(description="Its points count toward this group's cap.")]
    field: Annotated[str, Field(description="A contact property, or custom:<key>.")]
    op: Annotated[str, Field(description=f"One of {', '.join(FIT_OPERATORS)}.")]
    points: Points
    value: Any = None


class EngagementRuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    label: str
    group: str
    event: Annotated[str, Field(description=f"One of {', '.join(ENGAGEMENT_EVENTS)}.")]
    points: Points
    cap: Points
    half_life_days: Points


class ScoringModelBody(BaseModel):
    """The whole model, as `GET /v1/scoring-model` shows it under `model`; the PUT replaces it."""

    model_config = ConfigDict(extra="forbid")
    qualification_threshold: StrictInt = 60
    group_caps: dict[str, StrictInt] = {}
    fit_rules: list[FitRuleBody] = []
    engagement_rules: list[EngagementRuleBody] = []
    fit_grades: Annotated[dict[str, StrictInt], Field(description="Minimum fit points for A, B and C.")]
    engagement_grades: Annotated[dict[str, StrictInt], Field(description="Minimum engagement points for 1, 2.")]


def _current() -> ScoringModelItem | None:
    return get_item(ScoringModelItem, ScoringModelItem.key(), consistent=True)


def _view(item: ScoringModelItem | None) -> dict[str, Any]:
    if item is None:
        return {"version": 1, "source": "default", "model": _public(default_model()), "updated_at": None,
                "updated_by": None, "rescore": None}
    job = get_item(RescoreJobItem, RescoreJobItem.key(item.latest_job_id)) if item.latest_job_id else None
    model = ScoringModel.from_dict(json.loads(item.model_json), version=int(item.version))
    return {"version": int(item.version), "source": "saved", "model": _public(model),
            "updated_at": item.updated_at, "updated_by": item.updated_by, "rescore": job_view(job) if job else None}


def _public(model: ScoringModel) -> dict[str, Any]:
    data = model.to_dict()
    data.pop("version")
    return data


@router.get("/scoring-model", middlewares=[requires("scoring_model", "read")])
def get_scoring_model() -> dict[str, Any]:
    return _view(_current())


@router.put("/scoring-model", responses=answers(200, {412: STALE}), middlewares=[requires("scoring_model", "write")])
def put_scoring_model(body: ScoringModelBody) -> dict[str, Any]:
    caller = current_caller()
    current = _current()
    current_version = int(current.version) if current else 1
    require_version(router.current_event, current_version, "model")
    version = current_version + 1
    try:
        model = ScoringModel.from_dict(body.model_dump(exclude_unset=True), version=version)
    except InvalidScoringModel as exc:
        raise HttpError(422, "invalid_scoring_model", "Some rules need attention.", exc.fields) from exc
    job, first_page = new_rescore_job("model change", version)
    model_json = json.dumps(_public(model), ensure_ascii=False, separators=(",", ":"))
    now = iso_now()
    saved = ScoringModelItem(*ScoringModelItem.key(), version=version, model_json=model_json, updated_at=now,
                             updated_by=caller.user_id, latest_job_id=job.job_id)
    record = ScoringModelItem(*ScoringModelItem.key(version), version=version, model_json=model_json,
                              updated_at=now, updated_by=caller.user_id)
    unchanged = (ScoringModelItem.PK.does_not_exist() if current is None
                 else ScoringModelItem.version == current_version)
    change = Change("scoring_model", str(version), "update", caller.user_id)
    change.transaction.put(RECORD, saved, unchanged)
    change.unique("version", record, HttpError(412, "version_mismatch",
                                               "Someone saved the model meanwhile; read it and try again."))
    change.transaction.put("job", job)
    change.transaction.put("job:first_page", first_page)
    change.transaction.event("Scoring Model Changed", {"model_version": version, "job_id": job.job_id})
    change.audit(json.loads(current.model_json) if current else _public(default_model()), _public(model))
    change.commit()
    return _view(saved) | {"rescore": job_view(job)}
