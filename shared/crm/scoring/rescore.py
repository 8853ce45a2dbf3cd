"""Background re-scoring jobs: started by a model change or the daily decay, run a page at a time."""

from __future__ import annotations

import uuid

from crm.platform.clock import iso_now
from crm.records.outbox import OutboxItem, outbox_event
from crm.scoring.spec import RescoreJobItem

RESCORE_BATCH_EVENT = "Rescore Batch Requested"


def new_rescore_job(reason: str, model_version: int) -> tuple[RescoreJobItem, OutboxItem]:
    """The job and the event that asks for its first page, to be written in one transaction."""
    job_id = uuid.uuid4().hex
    now = iso_now()
    job = RescoreJobItem(*RescoreJobItem.key(job_id), job_id=job_id, reason=reason, model_version=model_version,
                         status="running", cursor=None, processed=0, changed=0, started_at=now, updated_at=now)
    return job, next_page_event(job_id, None)


def next_page_event(job_id: str, cursor: str | None) -> OutboxItem:
    return outbox_event(RESCORE_BATCH_EVENT, {"job_id": job_id, "cursor": cursor})


def job_view(job: RescoreJobItem) -> dict[str, object]:
    return {"job_id": job.job_id, "reason": job.reason, "model_version": int(job.model_version),
            "status": job.status, "processed": int(job.processed), "changed": int(job.changed),
            "started_at": job.started_at, "updated_at": job.updated_at}
