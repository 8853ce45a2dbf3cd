"""(i) Saved reports: how long a report takes to run over 100,000 contacts, and what of that is the CRM's own work.

A report of contacts by lifecycle stage and month of creation in Asia/Tehran (count, average and highest score)
runs as an admin exactly as POST /v1/reports/{id}/run and the report mailer run it (api.reporting.run_as): page
after page of GET /v1/contacts served in process by the API's own route, summed up as the pages come.

- In moto, end to end, over MOTO_CONTACTS contacts written straight into its table as the API stores them (in
  bulk: no API, no transactions). moto answers each Query by going through the whole index, so its time grows
  with the square of the contacts (100,000 would take it hours): it says more about moto than about the CRM.
- The CRM's own, over CONTACTS contacts: the same run with every AWS call answered from memory at the HTTP
  layer (crm's bench.aws_calls, as the CPU section does), the pages built as DynamoDB would answer them (newest
  first, 100 a page, each with its LastEvaluatedKey), after the shapes moto's run recorded. Routing,
  validation, botocore's and PynamoDB's parsing, the view of each contact, JSON both ways, grouping: what the API
  or the mailer function itself spends. Checked against moto's own answer at the small size.
- In AWS, estimated: the CRM's own time at each function's share of a vCPU (its memory over 1,769 MB, as the
  cost section counts it: the API function's for a run answered at once, the mailer's for a scheduled one) plus
  one DynamoDB Query per page at QUERY_MS, one after another; and what a run costs at list prices (the Queries'
  read units from the items' sizes, the mailer's GB-seconds).

Each timing is the median of RUNS runs. `python -m bench.reports` runs this section alone (`--contacts N` or
CRM_BENCH_REPORT_CONTACTS, 100,000 by default; `--moto-contacts N` or CRM_BENCH_REPORT_MOTO_CONTACTS, 2,000;
`--results FILE` adds its figures to the bench's results file)."""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# `python -m bench.reports` from the repository's root; the hooks go in before any code under test runs.
from bench import aws_calls
from bench.cost import DYNAMODB_PER_RRU, FULL_VCPU_MB, LAMBDA_GB_SECOND, item_size
from bench.harness import apply_environment, embedded_aws, function_config, handler_function, quiet

CONTACTS = int(os.environ.get("CRM_BENCH_REPORT_CONTACTS") or 100_000)
MOTO_CONTACTS = int(os.environ.get("CRM_BENCH_REPORT_MOTO_CONTACTS") or 2_000)
PAGE = 100
RUNS = 3
SEED = 20261204
# One DynamoDB Query returning a page of 100 contacts (about 1 KB each): a few milliseconds more than a small
# read's 5 ms (bench.cost), for the 100 KB it carries.
QUERY_MS = 15.0
STAGES = ("subscriber", "lead", "lead", "lead", "mql", "sql", "opportunity", "customer", "customer", "other")
OWNERS = tuple(f"rep-{n}" for n in range(10))
SOURCES = ("web_form", "email", "import", "referral", "payment:stripe")
# What POST /v1/reports/{id}/run may read for (template.yaml's CRM_REPORT_RUN_SECONDS).
RUN_SECONDS = 8.0


def contact_item(number: int, rng: random.Random, start: datetime) -> dict[str, Any]:
    contact_id = uuid.UUID(int=rng.getrandbits(128)).hex
    created = (start + timedelta(seconds=rng.randrange(365 * 86400))).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    email = f"person{number}@example.com"
    item = {
        "PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}, "contact_id": {"S": contact_id},
        "email": {"S": email}, "emails": {"SS": [email]}, "email_key": {"S": email},
        "first_name": {"S": rng.choice(("Sara", "Ali", "Nur", "Ελένη", "Иван", "Maryam"))},
        "last_name": {"S": f"Person {number}"}, "owner": {"S": rng.choice(OWNERS)},
        "lifecycle_stage": {"S": rng.choice(STAGES)}, "lead_status": {"S": "new"}, "source": {"S": rng.choice(SOURCES)},
        "custom_fields": {"M": {}}, "created_at": {"S": created}, "updated_at": {"S": created}, "version": {"N": "1"},
        "GSI1PK": {"S": "CONTACTS"}, "GSI1SK": {"S": f"{created}#{contact_id}"},
    }
    if rng.random() < 0.8:
        score = rng.randrange(101)
        item |= {"score": {"N": str(score)}, "grade": {"S": "A1"}, "score_key": {"S": f"{score:03d}#{contact_id}"},
                 "GSI2PK": {"S": "CONTACTS"}}
    return item


def median_seconds(run: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def contact_items(count: int) -> list[dict[str, Any]]:
    rng, start = random.Random(SEED), datetime(2025, 12, 1, tzinfo=UTC)  # noqa: S311 - sample data, not secrets
    return [contact_item(number, rng, start) for number in range(count)]


def write_contacts(items: list[dict[str, Any]]) -> float:
    """Contacts put straight into moto's table; the seconds it took."""
    from crm.platform.config import get_settings  # noqa: PLC0415 - imported once the environment is set
    from moto.core import DEFAULT_ACCOUNT_ID  # noqa: PLC0415 - imported once the environment is set
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 - imported once the environment is set

    settings = get_settings()
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.region]
    began = time.perf_counter()
    for item in items:
        backend.put_item(settings.table_name, item)
    return time.perf_counter() - began


def answered_pages(recorded: list[aws_calls.Call], items: list[dict[str, Any]]) -> list[aws_calls.Call]:
    """The calls of a run over `items`: the recorded run's first (the custom field definitions' Query), then
    the list's pages as DynamoDB answers them, with the recorded page's headers (its checksum made anew)."""
    definitions, first_page = recorded[0], recorded[1]
    if [call.name for call in recorded[:2]] != ["dynamodb:Query"] * 2 or "IndexName" in definitions.params \
            or first_page.params.get("IndexName") != "GSI1":
        raise AssertionError(f"a run's calls changed: {[(c.name, c.params.get('IndexName')) for c in recorded]}")
    newest_first = sorted(items, key=lambda item: item["GSI1SK"]["S"], reverse=True)
    calls = [definitions]
    for start in range(0, len(newest_first), PAGE):
        page = newest_first[start:start + PAGE]
        body: dict[str, Any] = {"Count": len(page), "Items": page, "ScannedCount": len(page)}
        if start + PAGE < len(newest_first):
            body["LastEvaluatedKey"] = {key: page[-1][key] for key in ("PK", "SK", "GSI1PK", "GSI1SK")}
        raw = json.dumps(body).encode()
        headers = {name: value for name, value in first_page.headers.items()
                   if name.lower() not in ("content-length", "x-amz-crc32")}
        headers |= {"Content-Length": str(len(raw)), "x-amz-crc32": str(zlib.crc32(raw))}
        calls.append(aws_calls.Call("dynamodb", "Query", {}, 200, headers, raw))
    return calls


def bench(count: int = CONTACTS, moto_count: int = MOTO_CONTACTS, runs: int = RUNS) -> dict[str, Any]:
    from crm_local import moto_speedups  # noqa: PLC0415 - the tests' and the local stack's moto fixes

    moto_speedups.install()
    with quiet():
        from api.reporting import run_as  # noqa: PLC0415 - imported once the environment is set
        from crm.platform.access import Caller  # noqa: PLC0415 - imported once the environment is set
        from crm.reports.rules import Definition, GroupBy, Measure  # noqa: PLC0415 - imported once the env is set

        definition = Definition("contacts", "", (GroupBy("lifecycle_stage"), GroupBy("created_at", "month")),
                                (Measure("count"), Measure("avg", "score"), Measure("max", "score")), "Asia/Tehran")
        admin = Caller("bench-admin", frozenset({"admin"}))

        def run() -> Any:
            return run_as(admin, definition, None)

        small = contact_items(moto_count)
        with embedded_aws():
            written = write_contacts(small)
            with aws_calls.observing() as recorded:
                first = run()
            in_moto, in_moto_table = median_seconds(run, runs - 1) if runs > 1 else (0.0, first)

        # Answered from memory once moto is gone, so that no request can reach it.
        def answered(calls: list[aws_calls.Call]) -> Callable[[], Any]:
            def replayed() -> Any:
                with aws_calls.replaying(calls):
                    return run()
            return replayed

        small_own, small_table = median_seconds(answered(answered_pages(recorded, small)), runs)
        if small_table.as_dict() != in_moto_table.as_dict():
            raise AssertionError("the pages answered from memory made another table than moto's")
        large = answered_pages(recorded, contact_items(count))
        own, table = median_seconds(answered(large), runs)
    if table.records != count:
        raise AssertionError(f"the report summed {table.records} contacts of {count}")
    pages = len(large) - 1
    api_share, mailer_share = (int(function_config(handler_function(handler), "MemorySize", 128)) / FULL_VCPU_MB
                               for handler in ("api.handler.handler", "api.report_mailer.handler"))
    per_row = {name: (own / share + pages * QUERY_MS / 1000) / count
               for name, share in (("api", api_share), ("mailer", mailer_share))}
    mailer_seconds = per_row["mailer"] * count
    read_units = sum(0.5 * math.ceil(sum(item_size(item) for item in json.loads(call.body)["Items"]) / 4096)
                     for call in large[1:])
    mailer_mb = mailer_share * FULL_VCPU_MB
    cost = read_units * DYNAMODB_PER_RRU + mailer_seconds * mailer_mb / 1024 * LAMBDA_GB_SECOND["arm64"]
    return {
        "contacts": count, "groups": len(table.rows), "pages": pages, "query_ms": QUERY_MS,
        "own_seconds": round(own, 2), "own_rows_per_second": round(count / own),
        "api_rows_within_run_seconds": int(RUN_SECONDS / per_row["api"]),
        "api_memory_mb": round(api_share * FULL_VCPU_MB), "mailer_memory_mb": round(mailer_mb),
        "mailer_seconds_estimated": round(mailer_seconds, 1), "mailer_rows_per_second_estimated":
            round(count / mailer_seconds), "read_units": read_units, "run_cost_usd": round(cost, 5),
        "moto_contacts": moto_count, "moto_write_seconds": round(written, 2), "moto_seconds": round(in_moto, 2),
        "moto_rows_per_second": round(moto_count / in_moto) if in_moto else None,
        "moto_own_seconds": round(small_own, 3),
    }


def report(figures: dict[str, Any]) -> str:
    f = figures
    return "\n".join((
        "\nSaved reports: a run over contacts by stage and month in Tehran (count, avg and max score), as an admin",
        f"  {f['contacts']:,} contacts, {f['pages']:,} pages of {PAGE}, {f['groups']} groups; medians of {RUNS} runs",
        f"  the CRM's own time on this machine (pages answered from memory): {f['own_seconds']:.2f} s, "
        f"{f['own_rows_per_second']:,} rows/s",
        f"  in AWS, estimated (+ {f['query_ms']:g} ms a Query): the mailer ({f['mailer_memory_mb']} MB) "
        f"{f['mailer_seconds_estimated']:.1f} s, {f['mailer_rows_per_second_estimated']:,} rows/s; "
        f"${f['run_cost_usd']:.4f} a run ({f['read_units']:,.0f} RRU and the mailer's GB-seconds)",
        f"  a run answered at once (the API's {f['api_memory_mb']} MB, {RUN_SECONDS:g} s) reads about "
        f"{f['api_rows_within_run_seconds']:,} contacts; beyond, schedule it",
        f"  in moto, end to end, {f['moto_contacts']:,} contacts: {f['moto_seconds']:.2f} s "
        f"({f['moto_rows_per_second'] or 0:,} rows/s; moto's Query reads its whole index), the CRM's own "
        f"{f['moto_own_seconds']:.2f} s of it",
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=CONTACTS, help=f"contacts to write (default {CONTACTS:,})")
    parser.add_argument("--moto-contacts", type=int, default=MOTO_CONTACTS,
                        help=f"contacts for the run in moto (default {MOTO_CONTACTS:,})")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per timing, median taken (default {RUNS})")
    parser.add_argument("--results", type=Path, help="a results file (make bench's) to add the figures to")
    args = parser.parse_args()
    apply_environment()
    figures = bench(args.contacts, args.moto_contacts, args.runs)
    print(report(figures))
    if args.results:
        found = json.loads(args.results.read_text(encoding="utf-8")) if args.results.exists() else {}
        args.results.write_text(json.dumps(found | {"reports": figures}, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
        print(f"  added to {args.results}")


if __name__ == "__main__":
    main()
