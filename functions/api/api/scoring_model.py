"""The scoring model: read it with the progress of its re-score, replace it (versioned, validated)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.clock import iso_now
from crm.errors import ClientError
from crm.events import outbox_event
from crm.models import get_item, transaction_connection
from crm.scoring_models import RescoreJobItem, ScoringModelItem
from crm.rescore import job_view, new_rescore_job
from crm.scoring import InvalidScoringModel, ScoringModel, default_model
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from api.bodies import json_body, require_version
from api.auth import current_caller
from api.params import STALE, answers

router = APIGatewayHttpRouter()


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


@router.get("/scoring-model")
def get_scoring_model() -> dict[str, Any]:
    current_caller().require("scoring_model", "read")
    return _view(_current())


@router.put("/scoring-model", responses=answers(200, {412: STALE}))
def put_scoring_model() -> dict[str, Any]:
    caller = current_caller()
    caller.require("scoring_model", "write")
    body = json_body(router.current_event)
    current = _current()
    current_version = int(current.version) if current else 1
    require_version(router.current_event, current_version, "model")
    version = current_version + 1
    try:
        model = ScoringModel.from_dict(body, version=version)
    except InvalidScoringModel as exc:
        raise ClientError(422, "invalid_scoring_model", "Some rules need attention.", exc.fields) from exc
    job, first_page = new_rescore_job("model change", version)
    model_json = json.dumps(_public(model), ensure_ascii=False, separators=(",", ":"))
    now = iso_now()
    saved = ScoringModelItem(*ScoringModelItem.key(), version=version, model_json=model_json, updated_at=now,
                             updated_by=caller.user_id, latest_job_id=job.job_id)
    record = ScoringModelItem(*ScoringModelItem.key(version), version=version, model_json=model_json,
                              updated_at=now, updated_by=caller.user_id)
    unchanged = (ScoringModelItem.PK.does_not_exist() if current is None
                 else ScoringModelItem.version == current_version)
    try:
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.save(saved, condition=unchanged)
            tx.save(record, condition=ScoringModelItem.PK.does_not_exist())
            tx.save(job)
            tx.save(first_page)
            tx.save(outbox_event("Scoring Model Changed", {"model_version": version, "job_id": job.job_id}))
    except TransactWriteError as exc:
        raise ClientError(412, "version_mismatch", "Someone saved the model meanwhile; read it and try again.") from exc
    return _view(saved) | {"rescore": job_view(job)}
