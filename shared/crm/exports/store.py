"""Exports as stored: asked for (saved, then queued for the export function), read by their creator alone,
moved through running to done or failed, and the built file's short-lived download link."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from crm.exports.lists import ListRequest
from crm.exports.spec import DONE, EXPORT, FAILED, KEEP_SECONDS, QUEUED, RUNNING, ExportItem
from crm.platform import aws
from crm.platform.access import Caller
from crm.platform.clock import epoch_seconds, iso_now
from crm.platform.config import get_settings
from crm.platform.secrets import cursor_secret
from crm.records.reads import Page, list_page, load
from crm.records.writes import new_id

DOWNLOAD_SECONDS = 300
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def start_export(caller: Caller, list_path: str, file_format: str) -> ExportItem:
    """Saved, then queued; if it cannot be queued it is removed again, so a failed request leaves nothing."""
    export_id, now = new_id(), iso_now()
    item = ExportItem(*ExportItem.key(export_id), export_id=export_id, list_path=list_path, format=file_format,
                      status=QUEUED, created_at=now, user_id=caller.user_id, roles=set(caller.roles) or None,
                      expires_at=epoch_seconds() + KEEP_SECONDS, GSI1PK=ExportItem.user_key(caller.user_id),
                      GSI1SK=f"{now}#{export_id}")
    item.save(ExportItem.PK.does_not_exist())
    try:
        aws.client("sqs").send_message(QueueUrl=get_settings().export_queue_url,
                                       MessageBody=json.dumps({"export_id": export_id}))
    except Exception:
        item.delete()
        raise
    return item


def read_export(caller: Caller, export_id: str) -> ExportItem:
    """Only its creator sees an export: to anyone else it does not exist."""
    return load(ExportItem, ExportItem.key(export_id), "export", lambda item: item.user_id == caller.user_id)


def export_view(item: ExportItem) -> dict[str, Any]:
    return EXPORT.view(item, download_url=download_url(item) if item.status == DONE and item.s3_key else None)


def own_exports(caller: Caller, limit: str | None, cursor: str | None) -> Page:
    return list_page(partial(ExportItem.by_created.query, ExportItem.user_key(caller.user_id)), export_view,
                     scope=f"exports:{caller.user_id}", secret=cursor_secret(get_settings()), limit=limit,
                     cursor=cursor)


def download_url(item: ExportItem) -> str:
    url: str = aws.client("s3").generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_SECONDS, Params={
        "Bucket": get_settings().transfer_bucket, "Key": item.s3_key,
        "ResponseContentType": CONTENT_TYPES[item.format],
        # ASCII by construction: the list's resource and action words and a date (file_name).
        "ResponseContentDisposition": f'attachment; filename="{item.filename}"'})
    return url


def file_name(item: ExportItem, request: ListRequest) -> str:
    """contacts-2026-12-04.csv: what was exported, and the day it was asked for."""
    return f"{request.title}-{item.created_at[:10]}.{item.format}"


def mark_running(item: ExportItem) -> None:
    item.update([ExportItem.status.set(RUNNING)], ExportItem.status.is_in(QUEUED, RUNNING))


def mark_done(item: ExportItem, rows: int, path: Path, filename: str) -> None:
    """Uploads the built file, then says so: a retry after a failure between the two writes the same key."""
    key = f"exports/{item.export_id}/{filename}"
    aws.client("s3").upload_file(str(path), get_settings().transfer_bucket, key,
                                 ExtraArgs={"ContentType": CONTENT_TYPES[item.format]})
    item.update([ExportItem.status.set(DONE), ExportItem.rows.set(rows), ExportItem.finished_at.set(iso_now()),
                 ExportItem.s3_key.set(key), ExportItem.filename.set(filename)], ExportItem.status == RUNNING)


def mark_failed(item: ExportItem, problem: str) -> None:
    item.update([ExportItem.status.set(FAILED), ExportItem.problem.set(problem),
                 ExportItem.finished_at.set(iso_now())], ExportItem.status == RUNNING)
