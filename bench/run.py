"""`make bench`: prints the four measurements of DESIGN.md ("Measuring performance") with PASS/MISS per
target, and writes them to bench/results.json. It never fails on a missed target; timings are ratios or
medians from one run, since these machines are shared and noisy."""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

# `make bench` runs this file as a script; the bench package lives beside it in the repository.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import aws_calls  # noqa: F401 - hooks botocore before any code under test makes a client
from bench.coldstart import BASELINE, ColdStart, measure_cold_starts
from bench.cost import ASSUMPTIONS, Cost, composite_costs, cost_per_million
from bench.cpu import CpuTime, measure_cpu
from bench.harness import apply_environment, functions
from bench.imports import ASSUMPTIONS as IMPORT_ASSUMPTIONS
from bench.imports import ImportRun, measure_imports, print_imports
from bench.inbound_mail import PASSES, REPEATS, ParseRate, measure_parsing
from bench.local_stack import LocalStackRun, measure_local_stack
from bench.requests_count import Operation, measure_requests

RESULTS = Path(__file__).resolve().parent / "results.json"
COLD_START_TARGET = {"ApiFunction": 1.6, "LeadCaptureFunction": 1.35, "EmailIngestFunction": 1.4,
                     "PaymentWebhookFunction": 1.4, "EventPublisherFunction": 1.4, "LeadScoringFunction": 1.4,
                     "SearchIndexerFunction": 1.4, "DashboardCountersFunction": 1.4}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9, help="fresh-interpreter imports per module (>= 7)")
    parser.add_argument("--invocations", type=int, default=300, help="timed warm invocations per operation")
    parser.add_argument("--no-stack", action="store_true", help="skip the local stack and import sections")
    args = parser.parse_args()
    started = time.monotonic()
    apply_environment()

    baseline_ms, cold_starts = measure_cold_starts(functions(), args.rounds)
    operations = measure_requests()
    cpu = measure_cpu(operations, args.invocations)
    by_name = {op.name: op for op in operations}
    costs = [cost_per_million(by_name[c.operation], c) for c in cpu]
    parsing, parsing_by_kind = measure_parsing()
    local_stack = None if args.no_stack else measure_local_stack()
    imports: ImportRun | None = None if args.no_stack else measure_imports()

    print_cold_starts(baseline_ms, cold_starts, args.rounds)
    print_requests(operations)
    print_cpu(cpu)
    print_costs(costs, operations)
    print_parsing(parsing, parsing_by_kind)
    if local_stack is not None:
        print_local_stack(local_stack)
    if imports is not None:
        print_imports(imports)
    elapsed = time.monotonic() - started
    print(f"\n{len(operations)} operations, {len(cold_starts)} functions, {elapsed:.0f} s; results in {RESULTS}")
    RESULTS.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.machine()},
        "cold_start": {"baseline": BASELINE, "baseline_median_ms": baseline_ms, "rounds": args.rounds,
                       "functions": [dataclasses.asdict(c) | {"target": _cold_start_target(c)} for c in cold_starts]},
        "requests": [{"operation": op.name, "status": op.status, "error": op.error, "requests": op.requests(),
                      "targets": [{"target": t, "met": met} for t, met in op.targets()]} for op in operations],
        "cpu": [dataclasses.asdict(c) for c in cpu],
        "cost_per_million_usd": [dataclasses.asdict(c) | {"total_usd": c.total_usd} for c in costs],
        "composite_cost_per_million_usd": [dataclasses.asdict(c) for c in composite_costs(costs, operations)],
        "assumptions": ASSUMPTIONS,
        "email_parsing": {"passes": PASSES, "repeats": REPEATS,
                          "rates": [dataclasses.asdict(r) for r in (parsing, *parsing_by_kind)]},
        "local_stack": None if local_stack is None else dataclasses.asdict(local_stack) | {
            "figures": [dataclasses.asdict(f) | {"met": f.met} for f in local_stack.figures]},
        "imports": None if imports is None else dataclasses.asdict(imports) | {
            "steps": [dataclasses.asdict(s) | {"total_usd_per_million_rows": s.total_usd_per_million_rows}
                      for s in imports.steps], "assumptions": IMPORT_ASSUMPTIONS},
        "seconds": elapsed,
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def _cold_start_target(cold_start: ColdStart) -> str:
    limit = COLD_START_TARGET.get(cold_start.function)
    if limit is None:
        return ""
    met = cold_start.ratio is not None and cold_start.ratio <= limit
    return f"<= {limit} {_verdict(met)}"


def _table(title: str, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    cells = [tuple(str(cell) for cell in row) for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for row in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def print_cold_starts(baseline_ms: float, cold_starts: list[ColdStart], rounds: int) -> None:
    rows = []
    for c in cold_starts:
        if c.error:
            rows.append((c.function, c.module, "-", "-", "", f"import failed: {c.error}"))
            continue
        heaviest = ", ".join(f"{name} {ms:.0f}" for name, ms in c.heaviest)
        rows.append((c.function, c.module, f"{c.median_ms:.0f}", f"{c.ratio:.2f}", _cold_start_target(c), heaviest))
    _table(f"Cold start: handler module imported in a fresh interpreter (median of {rounds}, interleaved); "
           f"import {BASELINE} = {baseline_ms:.0f} ms",
           ("function", "module", "ms", "ratio", "target", "heaviest packages beyond the baseline (ms)"), rows)


def print_requests(operations: list[Operation]) -> None:
    rows = []
    for op in operations:
        by_operation = ", ".join(f"{name} {n}" for name, n in sorted(op.requests().items())) or "none"
        targets = "; ".join(f"{t} {_verdict(met)}" for t, met in op.targets())
        rows.append((op.name, op.status, len(op.calls), by_operation, targets))
    _table("AWS requests per operation (warm container, moto in process, counted by botocore hooks)",
           ("operation", "status", "requests", "by operation", "targets"), rows)
    for op in operations:
        if op.error:
            print(f"  {op.name}: {op.error.strip().splitlines()[-1]}")


def print_cpu(cpu: list[CpuTime]) -> None:
    _table("Warm handler CPU per invocation (time.process_time; AWS answered from the recorded responses)",
           ("operation", "invocations", "median us", "p90 us"),
           [(c.operation, c.invocations, f"{c.median_us:.0f}", f"{c.p90_us:.0f}") for c in cpu])


def print_costs(costs: list[Cost], operations: list[Operation]) -> None:
    _table("Cost per million operations, USD (us-east-1 list prices)",
           ("operation", "billed ms", "WRU", "RRU", "Lambda", "DynamoDB", "HTTP API", "EventBridge", "total"),
           [(c.operation, c.billed_ms, f"{c.write_units:g}", f"{c.read_units:g}", f"{c.lambda_usd:.2f}",
             f"{c.dynamodb_usd:.2f}", f"{c.http_api_usd:.2f}", f"{c.eventbridge_usd:.2f}", f"{c.total_usd:.2f}")
            for c in costs])
    for composite in composite_costs(costs, operations):
        skipped = f" ({', '.join(composite.not_delivered)}: not delivered)" if composite.not_delivered else ""
        print(f"  {composite.name} = {' + '.join(composite.parts)}{skipped}: {composite.write_units:g} WRU, "
              f"{composite.read_units:g} RRU, ${composite.total_usd:.2f} per million")
    print("Assumptions:")
    for assumption in ASSUMPTIONS:
        print(f"  - {assumption}")


def print_parsing(whole: ParseRate, by_kind: list[ParseRate]) -> None:
    _table(f"Email parsing: email_ingest.parse.parse_email, CPU time (median of {PASSES} passes of "
           f"{REPEATS} x each message)", ("corpus", "messages", "KB", "median us/msg", "messages/s", "MB/s",
                                          "parsed as"),
           [(r.kind, r.messages, f"{r.kilobytes:.1f}", f"{r.median_us:.0f}", f"{r.messages_per_s:.0f}",
             f"{r.mb_per_s:.2f}", r.found) for r in (whole, *by_kind)])


def print_local_stack(run: LocalStackRun) -> None:
    if run.error:
        print(f"\nLocal stack: `crm local run` did not start: {run.error}")
        return
    _table(f"Local stack: `crm local run` on free ports, over HTTP (up in {run.startup_seconds:.0f} s, "
           f"stopped: {run.stopped})", ("figure", "measured", "target", "", "detail"),
           [(f.name, f.shown, f.target, _verdict(f.met), f.detail) for f in run.figures])
    for problem in run.problems[:10]:
        print(f"  stored other than once: {problem}")
    if len(run.problems) > 10:
        print(f"  ... and {len(run.problems) - 10} more")


if __name__ == "__main__":
    main()
