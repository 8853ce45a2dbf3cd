"""(h) Live dashboards in process (moto, the table built from template.yaml): what keeping the counters costs
per stream record, and what reading a widget costs whatever the data's size.

A year of a small business's records is written through the clients' API and the Stripe webhook, in
process, with the CRM's clock (crm.platform.clock) set to when each write happened: contacts (some qualified
or made customers later), deals moved through their stages and won or lost, calls, meetings and tasks done,
and payments. The table stream then reaches DashboardCountersFunction through the local stack's poller,
filtered and batched as template.yaml wires it (its reads of the stream answered from moto's memory, see
StreamReads). Every AWS request the handler makes is counted, with the
items each write changed (read from moto, sized by the cost section's rules), and its CPU time is measured
by replaying each batch against the responses moto gave it (as the CPU section does). Each widget is read
through the API's route over the last year by month, at two sizes: after the first contacts' year, then
after the rest's.

`python -m bench.dashboards` runs this section alone (`--contacts N`, or CRM_BENCH_DASHBOARD_CONTACTS;
`--results FILE` adds its figures to the bench's results file)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# `python -m bench.dashboards` from the repository's root; the hooks go in before any code under test runs.
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
    item_size,
    write_units_of,
)
from bench.harness import (
    API_ROUTE,
    Invocable,
    api_event,
    apply_environment,
    embedded_aws,
    function_config,
    functions,
    quiet,
    route_function,
    stripe_webhook_event,
    template,
)
from bench.requests_count import recording_item_writes

CONTACTS = int(os.environ.get("CRM_BENCH_DASHBOARD_CONTACTS") or 300)
SMALL = 50
SEED = 15
DAYS = 365
WIDGET_CALLS = 5
# Replays of each counters batch for its CPU time (the median is taken).
REPLAYS = 3
COUNTERS_FUNCTION = "DashboardCountersFunction"
STRIPE_ROUTE = "POST /webhooks/stripe"
OWNERS = ("sales-1", "sales-2", "sales-3")
SOURCES = ("web_form", "referral", "event", "partner")
WIDGETS = ("funnel", "leads", "scores", "pipeline", "deals", "activity", "revenue")
ASSUMPTIONS = (
    "Counter upkeep per stream record the DashboardCountersFunction receives (records its filter in "
    "template.yaml drops cost nothing): DynamoDB WRU and RRU priced as in the cost section; Lambda at its "
    "MemorySize and architecture in template.yaml, each batch billed for its CPU here (replayed against moto's "
    f"answers) x {FULL_VCPU_MB}/memory MB plus the cost section's round trip per request, rounded up, and $0.20/M "
    "invocations at the batches delivered here (at one record per invocation, a quiet table's case, add $0.20 "
    "per million records).",
    "Widgets: each called over the last 365 days by month (the route's default period) through the API's route "
    "in process, by an admin; requests and read units as counted here; ms is the call's wall time in process, "
    "moto's answer included (moto's Query slows as its table grows, DynamoDB's does not), CPU ms the API "
    "function's own for the same call replayed against moto's answer; medians of the calls made.",
)


@dataclasses.dataclass(frozen=True)
class KindFigures:
    kind: str
    events: int
    requests_per_event: float
    write_units_per_event: float
    read_units_per_event: float


@dataclasses.dataclass(frozen=True)
class CounterFigures:
    events: int
    batches: int
    written: int
    requests: dict[str, int]
    requests_per_event: float
    write_units_per_event: float
    read_units_per_event: float
    cpu_us_per_event: float
    billed_ms_per_event: float
    usd_per_million_events: dict[str, float]
    by_kind: list[KindFigures]

    @property
    def total_usd_per_million_events(self) -> float:
        return round(sum(self.usd_per_million_events.values()), 2)


@dataclasses.dataclass(frozen=True)
class WidgetFigures:
    widget: str
    contacts: int
    records: int
    calls: int
    requests: dict[str, int]
    read_units: float
    # What the call read: counter items, and their size by DynamoDB's rules.
    items_read: int
    bytes_read: int
    # The call's wall time in process, moto's answer included; and the API function's own CPU for it, with
    # AWS answered from the recorded response (as the CPU section measures), both medians of `calls`.
    median_ms: float
    own_cpu_ms: float | None = None


@dataclasses.dataclass(frozen=True)
class DashboardRun:
    contacts: int
    sizes: list[int]
    seconds: float
    writes: dict[str, int]
    counters: CounterFigures | None
    widgets: list[WidgetFigures]
    error: str | None = None


# --- the CRM's clock, set to when each write happened ---------------------------------------------------------


class _Clock(datetime):
    """crm.platform.clock's `datetime`: now is the bench's `at` while one is set."""

    at: datetime | None = None

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return datetime.now(tz) if cls.at is None else cls.at.astimezone(tz)


@contextlib.contextmanager
def clock_at() -> Iterator[type[_Clock]]:
    from crm.platform import clock  # noqa: PLC0415 - code under test, imported once the environment is set

    real = clock.datetime
    clock.datetime = _Clock  # type: ignore[misc]
    try:
        yield _Clock
    finally:
        clock.datetime = real  # type: ignore[misc]
        _Clock.at = None


# --- a year of records -------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Record:
    """What later writes of one contact's story need from earlier ones."""

    n: int
    contact: dict[str, Any] = dataclasses.field(default_factory=dict)
    deal: dict[str, Any] = dataclasses.field(default_factory=dict)
    task: dict[str, Any] = dataclasses.field(default_factory=dict)


Step = tuple[datetime, int, Callable[[], None]]


class Writer:
    """The clients' API and the Stripe webhook, invoked in process as API Gateway invokes them."""

    def __init__(self) -> None:
        self.api = Invocable.load(route_function(API_ROUTE))
        self.webhook = Invocable.load(route_function(STRIPE_ROUTE))
        self.writes: Counter[str] = Counter()

    def call(self, method: str, path: str, body: Any = None, version: int | None = None,
             query: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.api(api_event(method, path, query, body, version, role="admin"))
        answer = json.loads(response.get("body") or "{}")
        if response["statusCode"] >= 400:
            raise RuntimeError(f"{method} {path} answered {response['statusCode']}: {answer}")
        return answer

    def write(self, what: str, method: str, path: str, body: Any, version: int | None = None) -> dict[str, Any]:
        self.writes[what] += 1
        return self.call(method, path, body, version)

    def pay(self, record: _Record) -> None:
        self.writes["payment"] += 1
        event_id = f"bench-dashboards-{record.n}"
        response = self.webhook(stripe_webhook_event(f"evt_{event_id}", f"pi_{event_id}", record.contact["email"]))
        if response["statusCode"] >= 400:
            raise RuntimeError(f"the Stripe webhook answered {response['statusCode']}: {response.get('body')}")


def story(writer: Writer, record: _Record, born: datetime, rng: random.Random, now: datetime) -> list[Step]:
    """One contact's writes over time: created; qualified (2 in 5), a customer (1 in 5); a call for everyone,
    a meeting for half, a task done for a quarter; a deal for 1 in 4, moved through its stages, won or lost;
    a payment for 1 in 10. Each write when it happens (never after now), in order."""
    n, steps = record.n, []

    def at(days: float, work: Callable[[], None]) -> None:
        steps.append((min(born + timedelta(days=days), now), len(steps), work))

    def create() -> None:
        record.contact = writer.write("contact", "POST", "/v1/contacts", {
            "first_name": f"Person {n}", "email": f"person-{n}@dashboards-bench.example",
            "owner": OWNERS[n % len(OWNERS)], "source": SOURCES[rng.randrange(len(SOURCES))]})

    def stage(value: str) -> Callable[[], None]:
        def move() -> None:
            record.contact = writer.write("contact change", "PATCH", f"/v1/contacts/{record.contact['id']}",
                                          {"lifecycle_stage": value}, record.contact["version"])
        return move

    def activity(kind: str) -> Callable[[], None]:
        def log() -> None:
            made = writer.write("activity", "POST", "/v1/activities", {
                "type": kind, "subject": f"{kind} with person {n}", "contact_id": record.contact["id"],
                "owner": OWNERS[n % len(OWNERS)],
                **({} if kind == "task" else {"due_at": _iso(min(born + timedelta(days=2), now))})})
            if kind == "task":
                record.task = made
        return log

    def task_done() -> None:
        writer.write("activity change", "PATCH", f"/v1/activities/{record.task['id']}", {"done": True},
                     record.task["version"])

    def open_deal() -> None:
        record.deal = writer.write("deal", "POST", "/v1/deals", {
            "name": f"Deal {n}", "amount_minor": rng.randrange(10_000, 500_000), "currency": ("EUR", "USD")[n % 2],
            "owner": OWNERS[n % len(OWNERS)], "contact_id": record.contact["id"],
            "expected_close_date": (min(born + timedelta(days=40), now)).date().isoformat()})

    def deal_to(value: str) -> Callable[[], None]:
        def move() -> None:
            body = {"stage": value, **({"close_reason": "price"} if value == "lost" else {})}
            record.deal = writer.write("deal change", "PATCH", f"/v1/deals/{record.deal['id']}", body,
                                       record.deal["version"])
        return move

    at(0, create)
    at(1, activity("call"))
    if n % 2 == 0:
        at(3, activity("meeting"))
    if n % 4 == 1:
        at(2, activity("task"))
        at(6, task_done)
    if n % 5 in (1, 2):
        at(5, stage("mql"))
    if n % 5 == 1:
        at(20, stage("customer"))
    if n % 4 == 0:
        at(1, open_deal)
        for days, value in ((4, "qualified"), (9, "proposal"), (16, "negotiation")):
            at(days + rng.random(), deal_to(value))
        at(30, deal_to("won" if rng.random() < 0.6 else "lost"))
    if n % 10 == 3:
        at(21, lambda: writer.pay(record))
    return steps


def write_year(writer: Writer, first: int, count: int, now: datetime) -> None:
    """`count` contacts' stories, their births spread over the year before now, every write in time order."""
    rng = random.Random(SEED + first)  # noqa: S311 - representative data, not secrets
    steps: list[Step] = []
    for i in range(count):
        born = now - timedelta(days=DAYS * (1 - (i + rng.random()) / count))
        steps += story(writer, _Record(first + i), born, rng, now)
    with clock_at() as clock:
        for when, _, work in sorted(steps, key=lambda step: (step[0], step[1])):
            clock.at = when
            work()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- counter upkeep: the stream to the counters function, every request counted ----------------------------


@dataclasses.dataclass
class _Batch:
    event: dict[str, Any]
    calls: list[aws_calls.Call]
    writes: dict[int, Any]
    response: Any


class StreamReads:
    """The three reads the local stack's stream poller makes of dynamodbstreams, answered from moto's memory
    (the shard's records, as moto's GetRecords would return them) instead of through its response serializer,
    which took a quarter of this section's time on the images of every write, counters included. The
    parameters keep boto3's names."""

    def __init__(self, table_name: str, region: str) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID  # noqa: PLC0415 - moto only while the bench measures
        from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 - moto only while the bench measures

        self._shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name).stream_shard

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": self._shard.id}]}}

    def get_shard_iterator(self, ShardIteratorType: str, SequenceNumber: str | None = None,
                           **_: Any) -> dict[str, Any]:
        after = ShardIteratorType == "AFTER_SEQUENCE_NUMBER"
        start = int(SequenceNumber) + 1 if after and SequenceNumber else self._shard.starting_sequence_number
        return {"ShardIterator": str(start)}

    def get_records(self, ShardIterator: str, Limit: int = 1000) -> dict[str, Any]:
        # The poller copies each record (crm_local.dispatch._json_ready) before it hands it on.
        return {"Records": self._shard.get(int(ShardIterator), Limit)}


class Counters:
    """The table stream delivered to the counters function by the local stack's poller, as Lambda would
    (template.yaml's filter and batch size), each invocation's requests and written items recorded."""

    def __init__(self, table_name: str, region: str) -> None:
        import boto3  # noqa: PLC0415 - moto's clients, once the environment is set
        from crm_local.dispatch import StreamPoller  # noqa: PLC0415 - the local stack's poller, as the tests use it

        from tests.support.streams import stream_source  # noqa: PLC0415 - template.yaml's stream source

        spec = next(function for function in functions() if function.logical_id == COUNTERS_FUNCTION)
        self.function = Invocable.load(spec)
        self.batches: list[_Batch] = []
        source = dataclasses.replace(stream_source(COUNTERS_FUNCTION), table_name=table_name,
                                     maximum_retry_attempts=0, on_failure_queue=None)
        reads = StreamReads(table_name, region)
        self._poller = StreamPoller(source, self._invoke,
                                    lambda service: reads if service == "dynamodbstreams" else boto3.client(service),
                                    template().get_att(COUNTERS_FUNCTION, "Arn"))

    def _invoke(self, _function_id: str, event: dict[str, Any]) -> Any:
        with aws_calls.observing() as calls, recording_item_writes() as recorded:
            response = self.function(event)
        if response.get("batchItemFailures"):
            raise RuntimeError(f"the counters function failed records: {response['batchItemFailures']}")
        self.batches.append(_Batch(event, calls, {id(call): items for call, items in recorded}, response))
        return response

    def catch_up(self) -> None:
        while self._poller.poll():
            pass


def _kind(record: dict[str, Any]) -> str:
    return record["dynamodb"]["Keys"]["PK"]["S"].partition("#")[0].lower()


def _per_record(batch: _Batch) -> list[tuple[str, list[aws_calls.Call]]]:
    """Each record's calls, in the batch's order: a record's upkeep starts with the GetItem of what it last
    counted (DASHSRC#<its keys>), then at most its transaction; a record the dashboards ignore makes none."""
    calls, position, found = batch.calls, 0, []
    for record in batch.event["Records"]:
        start = position
        if position < len(calls) and calls[position].name == "dynamodb:GetItem" \
                and calls[position].params["Key"]["PK"]["S"] == _source_key(record):
            position += 1
            while position < len(calls) and calls[position].name != "dynamodb:GetItem":
                position += 1
        found.append((_kind(record), calls[start:position]))
    if position != len(calls):
        raise RuntimeError(f"{len(calls) - position} requests of a batch were not attributed to its records")
    return found


def _source_key(record: dict[str, Any]) -> str:
    keys = record["dynamodb"]["Keys"]
    return f"DASHSRC#{keys['PK']['S']}|{keys['SK']['S']}"


def _units(calls: list[aws_calls.Call], writes: dict[int, Any]) -> tuple[float, float]:
    dynamodb = [call for call in calls if call.service == "dynamodb"]
    return (sum(write_units_of(call, writes.get(id(call))) for call in dynamodb),
            sum(_read_units(call) for call in dynamodb))


def replayed_cpu_seconds(function: Invocable, batch: _Batch, rounds: int = REPLAYS) -> float:
    """The handler's own CPU for one batch (the median of `rounds`), AWS answered from the batch's recording."""
    samples = []
    for _ in range(rounds):
        with aws_calls.replaying(batch.calls):
            started = time.process_time()
            response = function(batch.event)
            samples.append(time.process_time() - started)
        if response != batch.response:
            raise RuntimeError(f"the replayed batch answered {response}, not {batch.response}")
    return statistics.median(samples)


def counter_figures(counters: Counters) -> CounterFigures:
    batches = counters.batches
    events = sum(len(batch.event["Records"]) for batch in batches)
    calls = [call for batch in batches for call in batch.calls]
    write_units = read_units = 0.0
    kinds: dict[str, list[float]] = {}
    for batch in batches:
        for kind, made in _per_record(batch):
            wru, rru = _units(made, batch.writes)
            write_units, read_units = write_units + wru, read_units + rru
            tally = kinds.setdefault(kind, [0, 0, 0.0, 0.0])
            tally[0], tally[1], tally[2], tally[3] = tally[0] + 1, tally[1] + len(made), tally[2] + wru, tally[3] + rru
    spec = counters.function.function
    memory_mb, architecture = spec.memory_mb, function_config(spec, "Architectures", ["x86_64"])[0]
    cpu_seconds, billed_ms = 0.0, 0
    for batch in batches:
        cpu = replayed_cpu_seconds(counters.function, batch)
        waited_ms = sum(LATENCY_MS.get(call.name, DEFAULT_LATENCY_MS) for call in batch.calls)
        cpu_seconds += cpu
        billed_ms += math.ceil(cpu * 1000 * FULL_VCPU_MB / memory_mb + waited_ms)
    scale = MILLION / events
    usd = {
        "lambda": round(scale * (billed_ms / 1000 * memory_mb / 1024 * LAMBDA_GB_SECOND[architecture]
                                 + len(batches) * LAMBDA_PER_REQUEST), 2),
        "dynamodb": round(scale * (write_units * DYNAMODB_PER_WRU + read_units * DYNAMODB_PER_RRU), 2),
    }
    return CounterFigures(
        events=events, batches=len(batches),
        written=sum(call.name == "dynamodb:TransactWriteItems" for call in calls),
        requests=dict(sorted(aws_calls.counts(calls).items())),
        requests_per_event=round(len(calls) / events, 3), write_units_per_event=round(write_units / events, 2),
        read_units_per_event=round(read_units / events, 2), cpu_us_per_event=round(cpu_seconds * 1e6 / events),
        billed_ms_per_event=round(billed_ms / events, 2), usd_per_million_events=usd,
        by_kind=[KindFigures(kind, int(n), round(made / n, 3), round(wru / n, 2), round(rru / n, 2))
                 for kind, (n, made, wru, rru) in sorted(kinds.items())])


# --- widgets: one call each, counted and timed -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _WidgetCall:
    event: dict[str, Any]
    calls: list[aws_calls.Call]
    response: dict[str, Any]


def widget_figures(writer: Writer, contacts: int, records: int, today: str, first_day: str,
                   calls: int = WIDGET_CALLS) -> list[tuple[WidgetFigures, _WidgetCall]]:
    """Each widget called `calls` times, its requests counted and its time taken; with one call's recording."""
    found = []
    for widget in WIDGETS:
        event = api_event("GET", f"/v1/dashboards/{widget}", {"from": first_day, "to": today}, role="admin")
        made, seconds = [], []
        for _ in range(calls):
            with aws_calls.observing() as observed:
                started = time.perf_counter()
                response = writer.api(event)
                seconds.append(time.perf_counter() - started)
            if response["statusCode"] != 200:
                raise RuntimeError(f"the {widget} widget answered {response['statusCode']}: {response.get('body')}")
            made.append(observed)
        counted = [dict(aws_calls.counts(observed)) for observed in made]
        if any(c != counted[0] for c in counted):
            raise RuntimeError(f"the {widget} widget made different requests from call to call: {counted}")
        items = _items_read(made[-1])
        found.append((WidgetFigures(widget, contacts, records, calls, dict(sorted(counted[0].items())),
                                    max(_units(observed, {})[1] for observed in made), len(items),
                                    sum(item_size(item) for item in items),
                                    round(statistics.median(seconds) * 1000, 1)),
                      _WidgetCall(event, made[-1], response)))
    return found


def _items_read(calls: list[aws_calls.Call]) -> list[dict[str, Any]]:
    return [item for call in calls for item in call.response.get("Items") or (
        [call.response["Item"]] if "Item" in call.response else [])]


def replayed_widget(api: Invocable, figures: WidgetFigures, call: _WidgetCall) -> WidgetFigures:
    """The figures with the API function's own CPU per call: the call replayed against its recording."""
    samples = []
    for _ in range(figures.calls):
        with aws_calls.replaying(call.calls):
            started = time.process_time()
            response = api(call.event)
            samples.append(time.process_time() - started)
        if response["body"] != call.response["body"]:
            raise RuntimeError(f"the replayed {figures.widget} widget answered otherwise: {response}")
    return dataclasses.replace(figures, own_cpu_ms=round(statistics.median(samples) * 1000, 2))


# --- the run ---------------------------------------------------------------------------------------------------


def measure_dashboards(contacts: int = CONTACTS) -> DashboardRun:
    """In moto: the first contacts' year written, counted and its widgets read; then the rest's, the same.
    Once moto is gone, the counters function's batches and one call of each widget are replayed for CPU."""
    from crm.platform.config import get_settings  # noqa: PLC0415 - imported once the environment is set
    from crm.scoring import changes as score_changes  # noqa: PLC0415 - imported once the environment is set
    from crm_local import moto_speedups  # noqa: PLC0415 - the tests' and the local stack's moto fixes

    from bench.requests_count import MODEL_CACHE_SECONDS  # noqa: PLC0415 - as the requests section keeps it

    started = time.monotonic()
    sizes = sorted({min(SMALL, contacts), contacts})
    moto_speedups.install()
    score_changes.MODEL_CACHE_SECONDS = MODEL_CACHE_SECONDS
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    today, first_day = now.date().isoformat(), (now.date() - timedelta(days=DAYS - 1)).isoformat()
    writer: Writer | None = None
    widgets: list[WidgetFigures] = []
    written = 0
    try:
        with embedded_aws(), quiet():
            writer = Writer()
            settings = get_settings()
            counters = Counters(settings.table_name, settings.region)
            recorded = []
            for size in sizes:
                write_year(writer, written, size - written, now)
                written = size
                counters.catch_up()
                records = sum(len(batch.event["Records"]) for batch in counters.batches)
                recorded += widget_figures(writer, size, records, today, first_day)
            widgets = [figures for figures, _ in recorded]
        # Replayed once moto is gone, so that no request can reach it.
        with quiet():
            widgets = [replayed_widget(writer.api, figures, call) for figures, call in recorded]
            figures = counter_figures(counters)
    except Exception as exc:  # noqa: BLE001 - the section says what stopped it instead of stopping the bench
        return DashboardRun(contacts, sizes, round(time.monotonic() - started, 1),
                            dict(writer.writes) if writer else {}, None, widgets, f"{type(exc).__name__}: {exc}")
    return DashboardRun(contacts, sizes, round(time.monotonic() - started, 1), dict(writer.writes), figures, widgets)


def print_dashboards(run: DashboardRun) -> None:
    writes = ", ".join(f"{n} {what}" for what, n in run.writes.items())
    print(f"\nLive dashboards in process (moto): {run.contacts:,} contacts' year (CRM_BENCH_DASHBOARD_CONTACTS) "
          f"written through the API and the Stripe webhook ({writes}), in {run.seconds:.0f} s")
    if run.error:
        print(f"  did not finish: {run.error}")
    c = run.counters
    if c is not None:
        usd = ", ".join(f"{name} {value:.2f}" for name, value in c.usd_per_million_events.items())
        print(f"  Counter upkeep: {c.events:,} stream records in {c.batches} invocations, {c.written:,} "
              f"transactions ({', '.join(f'{name} {n:,}' for name, n in c.requests.items())})")
        _table(("records", "events", "requests/event", "WRU/event", "RRU/event"),
               [(k.kind, k.events, f"{k.requests_per_event:.2f}", f"{k.write_units_per_event:.2f}",
                 f"{k.read_units_per_event:.2f}") for k in c.by_kind]
               + [("all", c.events, f"{c.requests_per_event:.2f}", f"{c.write_units_per_event:.2f}",
                   f"{c.read_units_per_event:.2f}")])
        print(f"  CPU {c.cpu_us_per_event:,.0f} us/event, billed {c.billed_ms_per_event:.1f} ms/event; "
              f"${c.total_usd_per_million_events:.2f} per million events deployed ({usd})")
    if run.widgets:
        sizes = sorted({w.contacts for w in run.widgets})
        by = {(w.widget, w.contacts): w for w in run.widgets}
        records = ", ".join(f"{size} contacts ({by[(WIDGETS[0], size)].records:,} stream records)" for size in sizes)
        print(f"  Widgets over the last {DAYS} days by month, {run.widgets[0].calls} calls each, after {records}; "
              "ms in process (moto answering), CPU ms the API function's own (replayed):")
        at = " / ".join(str(size) for size in sizes)
        rows = []
        for widget in WIDGETS:
            found = [by[(widget, size)] for size in sizes if (widget, size) in by]
            requests = {", ".join(f"{name} {n}" for name, n in w.requests.items()) for w in found}
            rows.append((widget, " / ".join(sorted(requests)), " / ".join(f"{w.read_units:g}" for w in found),
                         " / ".join(f"{w.items_read} ({w.bytes_read / 1024:.1f})" for w in found),
                         " / ".join(f"{w.median_ms:.1f}" for w in found),
                         " / ".join("-" if w.own_cpu_ms is None else f"{w.own_cpu_ms:.2f}" for w in found)))
        _table(("widget", "requests per call", f"RRU @ {at}", f"items (KB) read @ {at}", f"ms @ {at}",
                f"CPU ms @ {at}"), rows)
    for assumption in ASSUMPTIONS:
        print(f"  - {assumption}")


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    cells = [tuple(str(cell) for cell in row) for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("    " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def as_results(run: DashboardRun) -> dict[str, Any]:
    counters = run.counters
    return dataclasses.asdict(run) | {
        "counters": None if counters is None else dataclasses.asdict(counters) | {
            "total_usd_per_million_events": counters.total_usd_per_million_events},
        "assumptions": ASSUMPTIONS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=CONTACTS)
    parser.add_argument("--results", type=Path, help="a results file (make bench's) to add the figures to")
    args = parser.parse_args()
    apply_environment()
    run = measure_dashboards(args.contacts)
    print_dashboards(run)
    if args.results:
        found = json.loads(args.results.read_text(encoding="utf-8")) if args.results.exists() else {}
        args.results.write_text(json.dumps(found | {"dashboards": as_results(run)}, indent=2, ensure_ascii=False)
                                + "\n", encoding="utf-8")
        print(f"  added to {args.results}")


if __name__ == "__main__":
    main()
