"""What the per-operation sections (k reminders, l assignment, m outbound email) share: an operation run RUNS
times with its AWS requests counted and its CPU time's median taken, the prices they add to bench.cost's, and
printing and saving their figures."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import aws_calls
from bench.harness import apply_environment, embedded_aws, quiet

RUNS = 25
SCHEDULE_GROUP = "crm-bench-automation"
MAIL_DOMAIN = "crm.example.com"
MILLION = 1_000_000
# us-east-1 list prices: Scheduler per invocation (its API calls are free), SES per email sent.
SCHEDULER_PER_INVOCATION = 1.00 / MILLION
SES_PER_EMAIL = 0.10 / 1_000


@dataclass(frozen=True)
class Measured:
    requests: Counter[str]
    # Items written inside TransactWriteItems (each costs twice a plain write).
    transacted: int
    cpu_seconds: float


@contextmanager
def automation_aws(function: str, variables: dict[str, str] | None = None) -> Iterator[None]:
    """moto in this process, fixed as the tests' and the local stack's is, for a function Scheduler wakes: the
    automation settings (its schedule group, `function`'s ARN and the role Scheduler invokes it with, and
    `variables`), the group made and the mail domain verified in SES."""
    from crm_local import moto_speedups  # noqa: PLC0415 - the tests' and the local stack's moto fixes

    moto_speedups.install()
    apply_environment()
    name = function.upper()
    os.environ.update({
        "CRM_AUTOMATION_SCHEDULE_GROUP": SCHEDULE_GROUP,
        f"CRM_{name}_FUNCTION": f"arn:aws:lambda:us-east-1:123456789012:function:crm-{function}",
        f"CRM_{name}_SCHEDULER_ROLE": f"arn:aws:iam::123456789012:role/crm-{function}-scheduler", **(variables or {})})
    from crm.platform.config import get_settings  # noqa: PLC0415 - once the environment is set

    get_settings.cache_clear()
    with quiet(), embedded_aws():
        import boto3  # noqa: PLC0415 - inside moto

        boto3.client("scheduler", region_name="us-east-1").create_schedule_group(Name=SCHEDULE_GROUP)
        boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain=MAIL_DOMAIN)
        yield


def measured(run: Callable[[int], Any], runs: int = RUNS) -> Measured:
    """Runs `run(0..runs-1)`: the last run's requests (every run makes the same), the median CPU time."""
    cpu: list[float] = []
    last: list[aws_calls.Call] = []
    for number in range(runs):
        with aws_calls.observing() as calls:
            started = time.process_time()
            run(number)
            cpu.append(time.process_time() - started)
        last = calls
    calls = last
    transacted = sum(len(c.params.get("TransactItems") or ()) for c in calls if c.name == "dynamodb:TransactWriteItems")
    return Measured(aws_calls.counts(calls), transacted, statistics.median(cpu))


def figures_of(measured_: Measured, usd_per_million: float) -> dict[str, Any]:
    return {"requests": dict(measured_.requests), "cpu_ms": round(measured_.cpu_seconds * 1000, 2),
            "usd_per_million": round(usd_per_million, 2)}


def print_operations(title: str, rows: Sequence[tuple[str, str]], figures: dict[str, Any], width: int = 40) -> None:
    """One line per operation: its requests by kind, its CPU time and its cost."""
    print(f"\n{title}, per operation (moto in process; cost at us-east-1 list prices)")
    for name, what in rows:
        row = figures[name]
        listed = ", ".join(f"{call} {n}" for call, n in sorted(row["requests"].items()))
        print(f"  {what:<{width}} {sum(row['requests'].values()):>2} requests ({listed}); CPU {row['cpu_ms']} ms; "
              f"${row['usd_per_million']}/M")


def section_main(description: str, key: str, measure: Callable[[], dict[str, Any]],
                 show: Callable[[dict[str, Any]], None]) -> None:
    """`python -m bench.<section>`: measures, prints, and with --results adds its figures under `key`."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, help="a results file (make bench's) to add the figures to")
    args = parser.parse_args()
    figures = measure()
    show(figures)
    if args.results:
        found = json.loads(args.results.read_text(encoding="utf-8")) if args.results.exists() else {}
        args.results.write_text(json.dumps(found | {key: figures}, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
        print(f"  added to {args.results}")
