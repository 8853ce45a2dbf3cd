"""What the API does for an import: start one with a presigned upload, check what a person asks of it
(mapping, mode, matching, region) before any step begins, show it, and hand out its files."""

from __future__ import annotations

from typing import Any

from crm.imports.files import MAX_FILE_BYTES
from crm.imports.jobs import begin_step, file_key, load_job, progress, upload_key
from crm.imports.spec import FINISHED, IMPORT, MODES, READY, STARTED_IMPORT, ImportItem, MappingItem
from crm.imports.targets import IMPORTABLE, Importable
from crm.platform import aws
from crm.platform.access import Caller
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.records.table import get_item
from crm.records.writes import new_id

UPLOAD_SECONDS = 3600
DOWNLOAD_SECONDS = 300


def importable_for(caller: Caller, entity: str) -> Importable:
    """An import writes as the API does: whoever may write the entity may import it."""
    caller.require(IMPORTABLE[entity].resource, "write")
    return IMPORTABLE[entity]


def start_import(caller: Caller, entity: str, file_name: str, sheet: str | None) -> dict[str, Any]:
    importable_for(caller, entity)
    import_id, now = new_id(), iso_now()
    job = ImportItem(*ImportItem.key(import_id), import_id=import_id, entity=entity, status="waiting_for_file",
                     created_by=caller.user_id, roles=sorted(caller.roles), file_name=file_name, sheet=sheet,
                     created_at=now, updated_at=now, version=1, GSI1PK=ImportItem.list_key(caller.user_id),
                     GSI1SK=f"{now}#{import_id}")
    job.save(condition=ImportItem.PK.does_not_exist())
    upload = aws.client("s3").generate_presigned_post(
        Bucket=get_settings().transfer_bucket, Key=upload_key(import_id), ExpiresIn=UPLOAD_SECONDS,
        Conditions=[["content-length-range", 1, MAX_FILE_BYTES]])
    return STARTED_IMPORT.view(job, progress=progress(job),
                               upload={**upload, "max_bytes": MAX_FILE_BYTES, "expires_in": UPLOAD_SECONDS})


def readable_job(caller: Caller, import_id: str) -> ImportItem:
    """Its creator's, or any for an admin; 404 for everyone else, as if it did not exist."""
    job = load_job(import_id)
    if job is None or (job.created_by != caller.user_id and "admin" not in caller.roles):
        raise HttpError(404, "not_found", "There is no import with this id.")
    return job


def import_view(job: ImportItem) -> dict[str, Any]:
    return IMPORT.view(job, progress=progress(job))


def checked_mapping(job: ImportItem, importable: Importable, mapping: dict[str, str | None]) -> dict[str, str]:
    """header -> target, every header one the file has and every target one the entity takes, each once."""
    headers, targets = set(job.headers or []), importable.targets()
    problems: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, target in mapping.items():
        if header not in headers:
            problems[header] = "The file has no such column."
        elif target and target not in targets:
            problems[header] = f"{target} is not a field of {job.entity}."
        elif target and target in used:
            problems[header] = f"{target} is already filled from the column {used[target]}."
        elif target:
            used[target] = header
    if problems:
        raise HttpError(422, "invalid_mapping", "Some columns cannot be mapped like this.", problems)
    if not used:
        raise HttpError(422, "invalid_mapping", "Map at least one column to a field.")
    return {header: target for target, header in used.items()}


def start_check(caller: Caller, job: ImportItem, asked: dict[str, Any]) -> ImportItem:
    """A dry run as asked (the API's CheckRequest): mapping, or a saved one's name, mode, keys to match on,
    the phone region, and whether empty cells clear fields."""
    importable = importable_for(caller, str(job.entity))
    if job.status not in (READY, FINISHED["check"]):
        raise HttpError(409, "import_not_ready", f"The import is {job.status}; a dry run needs a file read "
                                                 "and no run started.")
    columns = checked_mapping(job, importable, asked_mapping(job, asked.get("mapping"), asked.get("mapping_name")))
    keys = asked["match_on"] if asked.get("match_on") is not None else list(importable.default_keys)
    unknown = [key for key in keys if key not in importable.keys]
    if unknown:
        raise HttpError(422, "invalid_options", "Some options are not possible for this import.",
                        {"match_on": f"{job.entity} match on {', '.join(importable.keys)}."})
    if asked["mode"] not in MODES:
        raise HttpError(422, "invalid_options", "Some options are not possible for this import.",
                        {"mode": f"One of {', '.join(MODES)}."})
    region = asked.get("default_region")
    options = {"mode": asked["mode"], "match_on": keys, "default_region": region.upper() if region else None,
               "empty_clears": asked.get("empty_cells") == "clear"}
    return begin_step(job, "check", [ImportItem.mapping.set(columns), ImportItem.options.set(options)])


def asked_mapping(job: ImportItem, mapping: dict[str, str | None] | None, name: str | None) -> dict[str, str | None]:
    """The mapping given, else the saved one named (for the columns this file has), else the suggested."""
    if mapping is not None:
        return mapping
    if name:
        saved = get_item(MappingItem, MappingItem.key(str(job.entity), name))
        if saved is None:
            raise HttpError(422, "invalid_mapping", f"There is no saved mapping {name}.")
        return {header: target for header, target in saved.columns.as_dict().items()
                if header in (job.headers or [])}
    return job.suggested_mapping.as_dict() if job.suggested_mapping else {}


def start_run(caller: Caller, job: ImportItem) -> ImportItem:
    importable_for(caller, str(job.entity))
    if job.status != FINISHED["check"]:
        raise HttpError(409, "import_not_checked", f"The import is {job.status}; it runs once, after its dry run.")
    return begin_step(job, "run", [])


def start_revert(caller: Caller, job: ImportItem) -> ImportItem:
    importable_for(caller, str(job.entity))
    if job.status != FINISHED["run"]:
        raise HttpError(409, "import_not_completed", f"The import is {job.status}; only a completed import "
                                                     "is reverted, once.")
    return begin_step(job, "revert", [])


def file_link(job: ImportItem, step: str, kind: str) -> dict[str, Any]:
    """A presigned GET of a finished step's results or errors, for five minutes."""
    finished = {"check": ("checked", "running", "completed", "reverting", "reverted"),
                "run": ("completed", "reverting", "reverted"), "revert": ("reverted",)}[step]
    if job.status not in finished:
        raise HttpError(409, "not_ready", f"The {step} step has not finished.")
    name = f"{job.import_id}-{step}-{kind}.csv"
    url = aws.client("s3").generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_SECONDS, Params={
        "Bucket": get_settings().transfer_bucket, "Key": file_key(str(job.import_id), step, kind),
        "ResponseContentType": "text/csv; charset=utf-8",
        "ResponseContentDisposition": f'attachment; filename="{name}"'})
    return {"url": url, "expires_in": DOWNLOAD_SECONDS}


def save_mapping(caller: Caller, entity: str, name: str, columns: dict[str, str]) -> dict[str, Any]:
    importable = importable_for(caller, entity)
    targets = importable.targets()
    unknown = {header: f"{target} is not a field of {entity}." for header, target in columns.items()
               if target not in targets}
    if unknown:
        raise HttpError(422, "invalid_mapping", "Some columns cannot be mapped like this.", unknown)
    item = MappingItem(*MappingItem.key(entity, name), name=name, entity=entity, columns=columns,
                       saved_by=caller.user_id, saved_at=iso_now())
    item.save()
    return mapping_view(item)


def mapping_view(item: MappingItem) -> dict[str, Any]:
    return {"name": item.name, "entity": item.entity, "columns": item.columns.as_dict(), "saved_by": item.saved_by,
            "saved_at": item.saved_at}
