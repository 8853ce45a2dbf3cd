"""An import from upload to revert, as steps that run in the background.

The upload lands in S3 (a presigned POST, nothing large through the API); its notification makes the
import function read it into chunks of rows. A step (check, run, revert) is one fan-out message, then one
message per chunk, processed in parallel. Each chunk's totals are added to the job with a chunk marker in
one transaction, so a chunk delivered twice counts once; the chunk that completes the count assembles the
step's result and error files and ends the step. Rows a run writes carry their own markers
(crm.imports.rows), which makes a chunk that failed halfway safe to run again."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from crm.imports.files import FileProblem, read_table
from crm.imports.headers import suggest_mapping
from crm.imports.rows import ERROR, Options, Outcome, apply, check, problem_text
from crm.imports.spec import (
    CHUNK_ROWS,
    COUNTERS,
    FAILED,
    FINISHED,
    READING,
    READY,
    WAITING,
    WORKING,
    ImportChunkItem,
    ImportItem,
    ImportRowItem,
    SeenItem,
)
from crm.imports.targets import IMPORTABLE, Importable, Known, Planned, RowProblem
from crm.platform import aws
from crm.platform.access import Caller
from crm.platform.clock import epoch_seconds, iso_now
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.observability import logger
from crm.records.table import get_item, transaction_connection
from crm.records.writes import new_id

SAMPLE_ROWS = 5
SEEN_SECONDS = 7 * 24 * 3600
CONDITION_FAILED = "ConditionalCheckFailedException"
COPY_BYTES = 1024 * 1024


def upload_key(import_id: str) -> str:
    return f"imports/{import_id}/upload"


def chunk_key(import_id: str, step: str, chunk: int) -> str:
    """Run and check read the file's chunks; a revert reads the records it planned to undo."""
    folder = "revert-plan" if step == "revert" else "chunks"
    return f"imports/{import_id}/{folder}/{chunk:06d}.json"


def part_key(import_id: str, step: str, kind: str, chunk: int) -> str:
    return f"imports/{import_id}/{step}/{kind}/{chunk:06d}.csv"


def file_key(import_id: str, step: str, kind: str) -> str:
    return f"imports/{import_id}/{step}/{kind}.csv"


def caller_of(job: ImportItem) -> Caller:
    return Caller(str(job.created_by), frozenset(str(role) for role in job.roles or ()))


def load_job(import_id: str) -> ImportItem | None:
    return get_item(ImportItem, ImportItem.key(import_id), consistent=True)


def send(body: dict[str, Any]) -> None:
    aws.client("sqs").send_message(QueueUrl=get_settings().import_queue_url, MessageBody=json.dumps(body))


# --- reading the upload -----------------------------------------------------------------------------------


def read_upload(import_id: str) -> None:
    """The file as rows in chunks of CHUNK_ROWS, its headers, a sample and a suggested mapping; a file that
    cannot be imported ends the import `failed` with a message for the person who sent it."""
    job = load_job(import_id)
    if job is None or job.status not in (WAITING, READING):
        return
    job.update(actions=[ImportItem.status.set(READING), ImportItem.updated_at.set(iso_now())])
    bucket = get_settings().transfer_bucket
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        # One streamed GET into the function's disk: a 512 MB upload never sits in memory.
        with path.open("wb") as copy:
            shutil.copyfileobj(aws.client("s3").get_object(Bucket=bucket, Key=upload_key(import_id))["Body"],
                               copy, COPY_BYTES)
        try:
            layout, headers, rows = read_table(path, job.sheet)
            total, chunks, sample = _write_chunks(import_id, rows)
            if total == 0:
                raise FileProblem("header_only", "The file has a header row but no rows under it.")
        except FileProblem as problem:
            job.update(actions=[ImportItem.status.set(FAILED), ImportItem.problem.set(problem.message),
                                ImportItem.updated_at.set(iso_now())])
            return
    importable = IMPORTABLE[str(job.entity)]
    suggested = suggest_mapping(headers, [row.cells for row in sample], importable.target_names())
    job.update(actions=[
        ImportItem.status.set(READY), ImportItem.layout.set(layout_view(layout)),
        ImportItem.headers.set(headers), ImportItem.sample.set([row.cells for row in sample]),
        ImportItem.suggested_mapping.set(suggested), ImportItem.total_rows.set(total),
        ImportItem.chunks.set(chunks), ImportItem.updated_at.set(iso_now())])


def layout_view(layout: Any) -> dict[str, Any]:
    return {"format": layout.format, "encoding": layout.encoding, "delimiter": layout.delimiter,
            "sheet": layout.sheet, "sheets": list(layout.sheets)}


def _write_chunks(import_id: str, rows: Iterable[Any]) -> tuple[int, int, list[Any]]:
    s3, bucket = aws.client("s3"), get_settings().transfer_bucket
    total, chunk = 0, 0
    batch: list[list[Any]] = []
    sample: list[Any] = []
    for row in rows:
        total += 1
        if len(sample) < SAMPLE_ROWS:
            sample.append(row)
        batch.append([row.number, row.cells, row.problem])
        if len(batch) == CHUNK_ROWS:
            s3.put_object(Bucket=bucket, Key=chunk_key(import_id, "run", chunk), Body=json.dumps(batch).encode())
            chunk, batch = chunk + 1, []
    if batch:
        s3.put_object(Bucket=bucket, Key=chunk_key(import_id, "run", chunk), Body=json.dumps(batch).encode())
        chunk += 1
    return total, chunk, sample


# --- a step: fan out, chunks, finish ----------------------------------------------------------------------


def begin_step(job: ImportItem, step: str, extra: list[Any]) -> ImportItem:
    """Starts a step if the job is still where it was read (else 409); its counters start at zero."""
    step_id = new_id()
    now = iso_now()
    actions = [ImportItem.status.set(WORKING[step]), ImportItem.step.set(step), ImportItem.step_id.set(step_id),
               ImportItem.step_started_at.set(now), ImportItem.finished_at.remove(), ImportItem.chunks_done.set(0),
               ImportItem.updated_at.set(now), ImportItem.version.set(int(job.version) + 1),
               *(getattr(ImportItem, name).set(0) for name in COUNTERS), *extra]
    before = {"status": job.status, "step": job.step, "step_id": job.step_id}
    try:
        job.update(actions=actions, condition=ImportItem.version == int(job.version))
    except UpdateError as exc:
        if exc.cause_response_code == CONDITION_FAILED:
            raise HttpError(409, "import_busy", "The import changed meanwhile; read it again.") from exc
        raise
    try:
        send({"import_id": job.import_id, "step": step, "step_id": step_id, "fan_out": True})
    except Exception:
        # Nothing will run the step: the import goes back to where it was, and the caller may ask again.
        job.update(actions=[getattr(ImportItem, name).set(value) if value is not None
                            else getattr(ImportItem, name).remove() for name, value in before.items()],
                   condition=ImportItem.step_id == step_id)
        raise
    return job


def fan_out(import_id: str, step_id: str) -> None:
    """One message per chunk of the step; a revert first plans which records it undoes."""
    job = load_job(import_id)
    if job is None or job.step_id != step_id:
        return
    step = str(job.step)
    chunks = plan_revert(job) if step == "revert" else int(job.chunks)
    sqs, queue = aws.client("sqs"), get_settings().import_queue_url
    messages = [{"import_id": import_id, "step": step, "step_id": step_id, "chunk": chunk, "of": chunks}
                for chunk in range(chunks)]
    for start in range(0, len(messages), 10):
        sqs.send_message_batch(QueueUrl=queue, Entries=[
            {"Id": str(index), "MessageBody": json.dumps(message)}
            for index, message in enumerate(messages[start:start + 10])])
    if chunks == 0:
        finish(import_id, step_id, 0)


def run_chunk(import_id: str, step_id: str, chunk: int, of: int) -> None:
    job = load_job(import_id)
    if job is None or job.step_id != step_id or job.status != WORKING.get(str(job.step)):
        return
    if get_item(ImportChunkItem, ImportChunkItem.key(import_id, step_id, chunk), consistent=True) is None:
        step = str(job.step)
        rows = json.loads(aws.client("s3").get_object(
            Bucket=get_settings().transfer_bucket, Key=chunk_key(import_id, step, chunk))["Body"].read())
        if step == "revert":
            from crm.imports.revert import revert_records  # noqa: PLC0415 - only a revert needs it

            results, failed = revert_records(job, rows)
        else:
            results, failed = _rows(job, step, chunk, rows)
        _store_parts(job, step, chunk, results, failed)
        _count(job, chunk, results)
    finish(import_id, step_id, of)


@dataclass(frozen=True)
class Chunk:
    """What every row of one chunk of a step is read and written with."""

    job: ImportItem
    step: str
    number: int
    importable: Importable
    targets: dict[str, str]
    mapping: dict[str, str]
    headers: list[str]
    options: Options
    caller: Caller

    @classmethod
    def of(cls, job: ImportItem, step: str, number: int) -> Chunk:
        importable = IMPORTABLE[str(job.entity)]
        return cls(job, step, number, importable, importable.targets(),
                   job.mapping.as_dict() if job.mapping else {}, list(job.headers or []),
                   Options.of(job.options.as_dict() if job.options else {}), caller_of(job))

    def marker_key(self, row: int) -> tuple[str, str]:
        return ImportRowItem.key(str(self.job.import_id), self.number, row)


def _rows(job: ImportItem, step: str, chunk: int, rows: list[Any]) -> tuple[list[list[Any]], list[list[Any]]]:
    """Each row's outcome, as [row, action, record id, reason], and the failed rows as they were plus why."""
    context = Chunk.of(job, step, chunk)
    done = _applied(context, rows) if step == "run" else {}
    planned = {number: _planned(context, cells, problem) for number, cells, problem in rows if number not in done}
    known = context.importable.prefetch((plan[1].keys for plan in planned.values() if isinstance(plan, tuple)),
                                        context.options.match_on)
    results, failed = [], []
    for number, cells, _ in rows:
        outcome = done.get(number) or _row(context, number, planned[number], known)
        results.append([number, outcome.action, outcome.record_id or "", outcome.reason or ""])
        if outcome.action == ERROR:
            failed.append([*cells[:len(context.headers)], outcome.reason or ""])
    return results, failed


def _applied(chunk: Chunk, rows: list[Any]) -> dict[int, Outcome]:
    """Rows of this chunk a previous delivery wrote already."""
    keys = [chunk.marker_key(number) for number, _, _ in rows]
    return {int(item.SK.rsplit("#", 1)[1]): Outcome(str(item.outcome), str(item.record_id))
            for item in ImportRowItem.batch_get(keys, consistent_read=True)}


def _planned(chunk: Chunk, cells: list[str], problem: str | None) -> tuple[dict[str, str], Planned] | Outcome:
    """The row's mapped cells and the fields and keys they make, or why it fails."""
    if problem:
        return Outcome(ERROR, None, problem)
    mapped = {target: cells[index].strip() for index, header in enumerate(chunk.headers)
              if (target := chunk.mapping.get(header)) and index < len(cells)}
    try:
        return mapped, chunk.importable.planned(mapped, chunk.options.region, chunk.targets)
    except Exception as exc:  # noqa: BLE001 - sorted out by _failed, as _row's
        return _failed(exc)


def _row(chunk: Chunk, number: int, plan: tuple[dict[str, str], Planned] | Outcome, known: Known) -> Outcome:
    if isinstance(plan, Outcome):
        return plan
    mapped, planned = plan
    try:
        if chunk.step == "check":
            outcome = check(chunk.importable, planned, mapped, chunk.options, chunk.caller, known)
            return _seen(chunk.job, number, outcome, planned.keys, chunk.options)
        return apply(chunk.importable, planned, mapped, chunk.options, chunk.caller, chunk.marker_key(number), known)
    except Exception as exc:  # noqa: BLE001 - a row's own problem is its error; anything else is raised again
        return _failed(exc)


def _failed(exc: Exception) -> Outcome:
    """A row's problem (a value, a refused write) as its error; an outage is raised, so the chunk is retried."""
    if isinstance(exc, (RowProblem, ValueError)) or (isinstance(exc, HttpError) and exc.status < 500):
        return Outcome(ERROR, None, problem_text(exc))
    raise exc


def _seen(job: ImportItem, number: int, outcome: Outcome, keys: dict[str, str], options: Options) -> Outcome:
    """In a dry run, a row that would create a record another row of the file creates first is that record."""
    if outcome.action != "create":
        return outcome
    for name, value in keys.items():
        if name == "id":
            continue
        key = SeenItem.key(str(job.import_id), str(job.step_id), f"{name}#{value}")
        try:
            SeenItem(*key, row=number, expires_at=epoch_seconds() + SEEN_SECONDS).save(
                condition=SeenItem.PK.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != CONDITION_FAILED:
                raise
            first = get_item(SeenItem, key, consistent=True)
            if first is None or int(first.row) == number:
                continue
            if options.mode == "create":
                return Outcome("skip", None, f"The same record as row {int(first.row)}, which creates it.")
            return Outcome("update", None, f"The same record as row {int(first.row)}, which creates it.")
    return outcome


def _store_parts(job: ImportItem, step: str, chunk: int, results: list[list[Any]], failed: list[list[Any]]) -> None:
    s3, bucket = aws.client("s3"), get_settings().transfer_bucket
    s3.put_object(Bucket=bucket, Key=part_key(str(job.import_id), step, "results", chunk), Body=_csv(results))
    s3.put_object(Bucket=bucket, Key=part_key(str(job.import_id), step, "errors", chunk), Body=_csv(failed))


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _count(job: ImportItem, chunk: int, results: list[list[Any]]) -> None:
    """The chunk's totals join the job's once: the chunk marker and the counters in one transaction."""
    totals: dict[str, int] = {"rows_done": len(results)}
    for _, action, _, _ in results:
        counter = {"create": "created", "update": "updated", "skip": "skipped", "error": "errors"}.get(action, action)
        totals[counter] = totals.get(counter, 0) + 1
    marker = ImportChunkItem(*ImportChunkItem.key(str(job.import_id), str(job.step_id), chunk), totals=totals)
    actions = [ImportItem.chunks_done.add(1), *(getattr(ImportItem, name).add(value)
                                                for name, value in totals.items() if name in COUNTERS)]
    try:
        with TransactWrite(connection=transaction_connection()) as tx:
            tx.save(marker, condition=ImportChunkItem.PK.does_not_exist())
            tx.update(job, actions=actions, condition=ImportItem.step_id == str(job.step_id))
    except TransactWriteError:
        logger.info("chunk already counted or the step moved on", extra={"import_id": job.import_id,
                                                                          "chunk": chunk})


def finish(import_id: str, step_id: str, of: int) -> None:
    """When every chunk is counted: the step's files from its parts, then the job's end (once)."""
    job = load_job(import_id)
    if job is None or job.step_id != step_id or job.status != WORKING.get(str(job.step)):
        return
    if int(job.chunks_done) < of:
        return
    step = str(job.step)
    headers = list(job.headers or [])
    _assemble(import_id, step, "results", ["row", "action", "record_id", "reason"], of)
    _assemble(import_id, step, "errors", [*headers, "error"], of)
    actions: list[Any] = [ImportItem.status.set(FINISHED[step]), ImportItem.finished_at.set(iso_now()),
                          ImportItem.updated_at.set(iso_now())]
    if step in ("check", "run"):
        totals = getattr(ImportItem, f"{step}_totals")
        actions.append(totals.set({name: int(getattr(job, name)) for name in COUNTERS}))
    try:
        job.update(actions=actions, condition=(ImportItem.step_id == step_id)
                   & (ImportItem.status == WORKING[step]))
    except UpdateError as exc:
        if exc.cause_response_code != CONDITION_FAILED:  # else another chunk ended the step first
            raise


def _assemble(import_id: str, step: str, kind: str, header: list[str], chunks: int) -> None:
    """One CSV (UTF-8 with BOM, so Excel reads every script) from the chunks' parts, in row order."""
    s3, bucket = aws.client("s3"), get_settings().transfer_bucket
    with tempfile.TemporaryFile() as out:
        out.write(b"\xef\xbb\xbf" + _csv([header]))
        for chunk in range(chunks):
            try:
                body = s3.get_object(Bucket=bucket, Key=part_key(import_id, step, kind, chunk))["Body"]
            except s3.exceptions.NoSuchKey:
                continue
            out.write(body.read())
        out.seek(0)
        s3.upload_fileobj(out, bucket, file_key(import_id, step, kind))


def _version(row: dict[str, Any]) -> int:
    return int(row["version"])


def plan_revert(job: ImportItem) -> int:
    """The run's rows grouped by the record they wrote, CHUNK_ROWS records a chunk: a record two rows of
    the file wrote is undone once, to what it was before the import first touched it."""
    records: dict[str, list[dict[str, Any]]] = {}
    for item in ImportRowItem.query(f"IMPORT#{job.import_id}", ImportRowItem.SK.startswith("ROW#"),
                                    consistent_read=True):
        records.setdefault(str(item.record_id), []).append({
            "row": int(item.SK.rsplit("#", 1)[1]), "outcome": str(item.outcome),
            "version": int(item.record_version), "before": item.before.as_dict() if item.before else None})
    groups: list[list[Any]] = [[record_id, sorted(rows, key=_version)] for record_id, rows in records.items()]
    s3, bucket = aws.client("s3"), get_settings().transfer_bucket
    chunks = 0
    for start in range(0, len(groups), CHUNK_ROWS):
        s3.put_object(Bucket=bucket, Key=chunk_key(str(job.import_id), "revert", chunks),
                      Body=json.dumps(groups[start:start + CHUNK_ROWS]).encode())
        chunks += 1
    return chunks


def progress(job: ImportItem) -> dict[str, Any]:
    """Rows done of the total, the step's rate and the time it still needs, from the job alone."""
    done, total = int(job.rows_done), int(job.total_rows)
    rate = seconds_left = None
    if job.step_started_at and done:
        started = _epoch(str(job.step_started_at))
        ended = _epoch(str(job.finished_at)) if job.finished_at else time.time()
        rate = round(done / max(ended - started, 0.001), 1)
        seconds_left = round(max(total - done, 0) / rate, 1) if job.step != "revert" else None
    return {"rows_done": done, "total_rows": total, "rate_per_second": rate, "seconds_left": seconds_left,
            **{name: int(getattr(job, name)) for name in COUNTERS if name != "rows_done"}}


def _epoch(iso: str) -> float:
    """An ISO time the clock wrote (UTC, `Z`), as seconds since the epoch whatever the machine's zone."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
