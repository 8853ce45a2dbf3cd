"""(f) Imports on the local stack: a generated contacts CSV (names in several scripts, unique emails and
phones) sent as a client sends it (presigned POST, then the dry run and the run through the API, with
crm_local.importer's client), timed per step, with every AWS call of the import function counted.

The stack runs in a child process of its own (`python -m bench.imports --child OUT`) so that the botocore
hooks of bench.aws_calls and bench.requests_count see every call its functions make, and its environment
stays out of the bench's. Calls are attributed to the function whose invocation made them; the figures
are the ImportFunction's alone: the stream's consumers of the created contacts (publisher, search index,
scoring) are priced by operation in the requests and cost sections.

`python -m bench.imports` runs this section alone."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import aws_calls
from bench.cost import (
    DEFAULT_LATENCY_MS,
    DYNAMODB_PER_RRU,
    DYNAMODB_PER_WRU,
    FULL_VCPU_MB,
    LAMBDA_GB_SECOND,
    LAMBDA_PER_REQUEST,
    LATENCY_MS,
    MILLION,
    _read_units,
    write_units_of,
)
from bench.requests_count import recording_item_writes

# The local stack runs one import chunk at a time through one embedded AWS that answers one request at a
# time, and its stream consumers index and score each created contact meanwhile: it imports a few rows a
# second where AWS runs ten chunks at once. 100,000 rows would take hours here, so the default is a size
# that finishes in about three minutes; CRM_BENCH_IMPORT_ROWS asks for more.
IMPORT_ROWS = int(os.environ.get("CRM_BENCH_IMPORT_ROWS") or 600)
CHILD_TIMEOUT_SECONDS = 3600
IMPORT_FUNCTION = "ImportFunction"
EXPORT_FUNCTION = "ExportFunction"
POLL_SECONDS = 0.5
# us-east-1 list prices, USD: SQS standard requests; S3 Standard PUT-class and GET-class requests.
SQS_PER_REQUEST = 0.40 / MILLION
S3_PUT_CLASS = 0.005 / 1000
S3_GET_CLASS = 0.0004 / 1000
S3_PUT_OPERATIONS = frozenset({"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
                               "CopyObject", "ListObjects", "ListObjectsV2"})
SQS_SENDS = frozenset({"SendMessage", "SendMessageBatch"})
ASSUMPTIONS = (
    "Import cost per million rows, deployed: the ImportFunction's own requests as counted here (DynamoDB WRU/RRU "
    "as in the cost section; S3 PUT-class $0.005/1,000, GET-class $0.0004/1,000; SQS $0.40/M: its sends, plus a "
    "receive and a delete per message its event source delivers); Lambda at its MemorySize in template.yaml, "
    "duration = its thread's CPU here x 1769/memory MB + the cost section's round trip per AWS request, plus "
    "$0.20/M invocations. The stream consumers of created records are left out (see the per-operation costs).",
)
FIRST_NAMES = ("سارا", "Ivan", "李", "Jürgen", "José", "Олег", "Ayşe", "محمد", "Αλέξης", "田中", "Priya", "Noa")
LAST_NAMES = ("احمدی", "Petrov", "王", "Müller", "García", "Смирнов", "Yılmaz", "کریمی", "Παπαδόπουλος", "佐藤")


@dataclasses.dataclass(frozen=True)
class StepFigures:
    step: str
    rows: int
    seconds: float
    rows_per_second: float
    invocations: int
    requests_per_row: dict[str, float]
    dynamodb_requests_per_row: float
    write_units_per_row: float
    read_units_per_row: float
    cpu_ms_per_row: float
    usd_per_million_rows: dict[str, float]

    @property
    def total_usd_per_million_rows(self) -> float:
        return sum(self.usd_per_million_rows.values())


@dataclasses.dataclass(frozen=True)
class ImportRun:
    rows: int
    steps: list[StepFigures]
    error: str | None = None


def contacts_csv(rows: int) -> bytes:
    """A header and `rows` people: names in several scripts, each with its own email and phone."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["First name", "Last name", "Email", "Phone", "Job title"])
    for i in range(rows):
        writer.writerow([FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)],
                         f"person-{i}@import-bench.example", f"+1 415 {200 + i // 10000:03d} {i % 10000:04d}",
                         "Buyer" if i % 3 else ""])
    return out.getvalue().encode("utf-8")


# --- the parent: run the child, read its figures ------------------------------------------------------------


def measure_imports(rows: int = IMPORT_ROWS) -> ImportRun:
    from bench.local_stack import _environment  # noqa: PLC0415 - the local stack section's clean environment

    with tempfile.TemporaryDirectory(prefix="crm-bench-import-") as directory:
        out = Path(directory) / "imports.json"
        try:
            finished = subprocess.run([sys.executable, "-m", "bench.imports", "--child", str(out), "--rows",
                                       str(rows)], env=_environment(Path(directory)), capture_output=True,
                                      timeout=CHILD_TIMEOUT_SECONDS, check=False,
                                      cwd=Path(__file__).resolve().parent.parent)
        except subprocess.TimeoutExpired:
            return ImportRun(rows, [], f"not done within {CHILD_TIMEOUT_SECONDS} s")
        if not out.exists():
            said = finished.stderr.decode(errors="replace")[-2000:]
            return ImportRun(rows, [], f"exit {finished.returncode}: {said}")
        found = json.loads(out.read_text(encoding="utf-8"))
    return ImportRun(found["rows"], [StepFigures(**step) for step in found["steps"]], found.get("error"))


# --- the child: the stack in this process, the import driven over HTTP ---------------------------------------

_invoking = threading.local()
_cpu_seconds: Counter[str] = Counter()
_invocations: Counter[str] = Counter()
# Which function's invocation made each call (by the Call's id; the calls are kept until counted).
_made_by: dict[int, str | None] = {}


def _attribute_calls() -> None:
    """Each invocation runs in its poller's or the gateway's thread: note whose it is and its CPU time."""
    from crm_local.runtime import LocalFunctions  # noqa: PLC0415 - the stack only in the child

    invoke = LocalFunctions.invoke

    def attributed(self: Any, function_id: str, event: Any) -> Any:
        _invoking.function, started = function_id, time.thread_time()
        try:
            return invoke(self, function_id, event)
        finally:
            _cpu_seconds[function_id] += time.thread_time() - started
            _invocations[function_id] += 1
            _invoking.function = None

    LocalFunctions.invoke = attributed  # type: ignore[method-assign]


def _tag_call(context: dict[str, Any], **_: Any) -> None:
    call = context.get("bench_call")
    if call is not None:
        _made_by[id(call)] = getattr(_invoking, "function", None)


def _child(out: Path, rows: int) -> None:
    from botocore.handlers import BUILTIN_HANDLERS  # noqa: PLC0415 - registered after bench.aws_calls' own
    from crm_local.stack import LocalStack, StackSettings  # noqa: PLC0415 - the stack only in the child

    BUILTIN_HANDLERS.append(("before-call", _tag_call))
    _attribute_calls()
    stack = LocalStack(StackSettings.from_environ())
    stack.start()
    try:
        steps, error = _drive(rows), None
    except Exception as exc:  # noqa: BLE001 - the figures say what stopped the import instead of the bench
        steps, error = [], f"{type(exc).__name__}: {exc}"
    finally:
        stack.stop()
    out.write_text(json.dumps({"rows": rows, "steps": [dataclasses.asdict(s) for s in steps], "error": error}),
                   encoding="utf-8")


def _drive(rows: int) -> list[StepFigures]:
    from crm_local.importer import Importer, local_api  # noqa: PLC0415 - the stack only in the child

    importer = Importer(local_api("sales", None), out=io.StringIO(), err=io.StringIO())
    with tempfile.TemporaryDirectory(prefix="crm-bench-import-file-") as directory:
        path = Path(directory) / "contacts.csv"
        path.write_bytes(contacts_csv(rows))
        read, job = _timed("read", rows, lambda: importer.start(path, "contacts", None))
        checked, _ = _timed("check", rows, lambda: importer.step(job["id"], "check", {"mode": "create_or_update"}))
        ran, _ = _timed("run", rows, lambda: importer.step(job["id"], "run", {}))
    exported, _ = _timed("export", rows, lambda: _export(importer.api), EXPORT_FUNCTION)
    return [read, checked, ran, exported]


def _export(api: Any) -> dict[str, Any]:
    """An export of every contact as CSV, from its request until the API says it is done."""
    export = api.call("POST", "/v1/exports", {"list": "/v1/contacts", "format": "csv"})
    while export["status"] not in ("done", "failed"):
        time.sleep(POLL_SECONDS)
        export = api.call("GET", f"/v1/exports/{export['id']}")
    if export["status"] != "done":
        raise RuntimeError(f"the export failed: {export.get('problem')}")
    return export


def _timed(step: str, rows: int, work: Callable[[], Any], function: str = IMPORT_FUNCTION) -> tuple[StepFigures, Any]:
    """The step as a client sees it (from its request until the API reports it done, polled every 0.5 s)."""
    _cpu_seconds.clear()
    _invocations.clear()
    with aws_calls.observing() as calls, recording_item_writes() as recorded:
        started = time.monotonic()
        done = work()
        seconds = time.monotonic() - started
    writes = {id(call): items for call, items in recorded}
    own = [call for call in calls if _made_by.get(id(call)) == function]
    _made_by.clear()
    return step_figures(step, rows, seconds, own, writes, _cpu_seconds[function], _invocations[function],
                        function), done


def step_figures(step: str, rows: int, seconds: float, calls: list[aws_calls.Call], writes: dict[int, Any],
                 cpu_seconds: float, invocations: int, function: str = IMPORT_FUNCTION) -> StepFigures:
    by_name = aws_calls.counts(calls)
    dynamodb = [call for call in calls if call.service == "dynamodb"]
    write_units = sum(write_units_of(call, writes.get(id(call))) for call in dynamodb)
    read_units = sum(_read_units(call) for call in dynamodb)
    return StepFigures(
        step=step, rows=rows, seconds=round(seconds, 2), rows_per_second=round(rows / seconds, 1),
        invocations=invocations,
        requests_per_row={name: round(n / rows, 4) for name, n in sorted(by_name.items())},
        dynamodb_requests_per_row=round(len(dynamodb) / rows, 3), write_units_per_row=round(write_units / rows, 3),
        read_units_per_row=round(read_units / rows, 3), cpu_ms_per_row=round(cpu_seconds * 1000 / rows, 3),
        usd_per_million_rows=costs_per_million_rows(calls, rows, write_units, read_units, cpu_seconds, invocations,
                                                    function))


def costs_per_million_rows(calls: list[aws_calls.Call], rows: int, write_units: float, read_units: float,
                           cpu_seconds: float, invocations: int,
                           function_id: str = IMPORT_FUNCTION) -> dict[str, float]:
    from bench.harness import function_config, functions  # noqa: PLC0415 - template.yaml read once it is asked

    function = next(spec for spec in functions() if spec.logical_id == function_id)
    memory_mb = function.memory_mb
    architecture = function_config(function, "Architectures", ["x86_64"])[0]
    waited_ms = sum(LATENCY_MS.get(call.name, DEFAULT_LATENCY_MS) for call in calls)
    billed_ms = math.ceil(cpu_seconds * 1000 * FULL_VCPU_MB / memory_mb + waited_ms)
    s3 = [call for call in calls if call.service == "s3"]
    s3_put = sum(call.operation in S3_PUT_OPERATIONS for call in s3)
    sqs = sum(call.service == "sqs" and call.operation in SQS_SENDS for call in calls) + 2 * invocations
    scale = MILLION / rows
    return {
        "lambda": round(scale * (billed_ms / 1000 * memory_mb / 1024 * LAMBDA_GB_SECOND[architecture]
                                 + invocations * LAMBDA_PER_REQUEST), 2),
        "dynamodb": round(scale * (write_units * DYNAMODB_PER_WRU + read_units * DYNAMODB_PER_RRU), 2),
        "s3": round(scale * (s3_put * S3_PUT_CLASS + (len(s3) - s3_put) * S3_GET_CLASS), 2),
        "sqs": round(scale * sqs * SQS_PER_REQUEST, 2),
    }


def print_imports(run: ImportRun) -> None:
    print(f"\nImports on the local stack: {run.rows:,} contacts (CRM_BENCH_IMPORT_ROWS), the ImportFunction's "
          "own requests; then an export of them all (the ExportFunction's)")
    if run.error:
        print(f"  did not finish: {run.error}")
    for s in run.steps:
        usd = ", ".join(f"{name} {value:.2f}" for name, value in s.usd_per_million_rows.items())
        print(f"  {s.step:<6} {s.rows_per_second:>8,.1f} rows/s ({s.seconds:.1f} s, {s.invocations} invocations)  "
              f"DynamoDB {s.dynamodb_requests_per_row:.2f} req/row, {s.write_units_per_row:.2f} WRU/row, "
              f"{s.read_units_per_row:.2f} RRU/row; CPU {s.cpu_ms_per_row:.2f} ms/row; "
              f"${s.total_usd_per_million_rows:.2f} per million rows deployed ({usd})")
    for assumption in ASSUMPTIONS:
        print(f"  - {assumption}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=IMPORT_ROWS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.rows)
    else:
        print_imports(measure_imports(args.rows))


if __name__ == "__main__":
    main()
