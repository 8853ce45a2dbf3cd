"""(e) The local stack as a developer meets it: `crm local run` started on free ports with its own state
directory, driven over real HTTP (form posts, token reads, Stripe deliveries signed by the official
library), then stopped with SIGTERM. Every figure comes from this one run; a slow or refusing stack
yields figures that miss, never an exception, and each phase stops at its time budget with what it has.

`python -m bench.local_stack` runs this section alone."""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import stripe
from botocore.exceptions import BotoCoreError, ClientError

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 20
REQUEST_TIMEOUT_SECONDS = 5
# A burst's 300 requests queue for one function container each, as a lone Lambda container would; its
# clients wait as long as a payment provider waits for a webhook's answer.
BURST_TIMEOUT_SECONDS = 30
# A sequential phase stops at its budget, so a stack answering in seconds still finishes the bench.
PHASE_BUDGET_SECONDS = 10
WARM_UP_POSTS = 5
FORM_POSTS = 100
CONTACT_READS = 100
SCORED_LEADS = 20
SCORE_TIMEOUT_SECONDS = 5
# Twenty leads at the target of a second each.
SCORE_BUDGET_SECONDS = 20
SCORE_POLL_SECONDS = 0.05
CLIENTS = 100
# Clients in the upper half deliver these few Stripe event ids between them, as a provider retrying.
DUPLICATED_EVENTS = 5
# Each of these addresses is posted by CLIENTS // SHARED_EMAILS clients at once.
SHARED_EMAILS = 10
IDLE_SECONDS = 30
# The burst leaves background work (events published, leads scored, contacts indexed) that drains first;
# how long it took is reported beside the idle figure.
SETTLE_LIMIT_SECONDS = 120
SETTLED_CPU_SHARE = 0.05
FORM_PATH = "/forms/contact-us/submissions"
STRIPE_PATH = "/webhooks/stripe"
JSON_HEADERS = {"content-type": "application/json"}


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its target, which is always an upper limit."""

    name: str
    # None: not measured, or too many requests failed for the percentile to be a time.
    value: float | None
    limit: float
    unit: str
    detail: str

    @property
    def met(self) -> bool:
        return self.value is not None and self.value <= self.limit

    @property
    def shown(self) -> str:
        if self.value is None:
            return "-"
        return f"{self.value:.{2 if self.unit in ('s', '%') else 0}f} {self.unit}".rstrip()

    @property
    def target(self) -> str:
        return f"<= {self.limit:g} {self.unit}".rstrip()


@dataclass(frozen=True)
class LocalStackRun:
    startup_seconds: float | None
    figures: list[Figure]
    # What the burst's verification found stored other than once.
    problems: list[str]
    stopped: str
    error: str | None = None


@dataclass(frozen=True)
class Reply:
    # None: no HTTP answer (refused, reset, timed out); `error` says which.
    status: int | None
    body: bytes
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


class Client:
    """One HTTP connection per request, as curl or a visitor's browser opens it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._visitors = itertools.count()

    def visitor(self) -> str:
        """A loopback address no request used before: the form allows 20 posts a minute per address."""
        return source_address(next(self._visitors))

    def send(self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None,
             source: str | None = None, timeout: float = REQUEST_TIMEOUT_SECONDS) -> Reply:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout,
                                                source_address=(source, 0) if source else None)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Reply(response.status, response.read(), time.perf_counter() - started)
        except TimeoutError:
            return Reply(None, b"", time.perf_counter() - started, "timeout")
        except (OSError, http.client.HTTPException) as error:
            return Reply(None, b"", time.perf_counter() - started, type(error).__name__)
        finally:
            connection.close()

    def post_form(self, email: str, source: str) -> Reply:
        return self.send("POST", FORM_PATH, form_body(email), JSON_HEADERS, source)


@dataclass(frozen=True)
class RunningStack:
    process: subprocess.Popen[bytes]
    client: Client
    state: dict[str, Any]
    environment: dict[str, str]


class StackDidNotStart(Exception):
    pass


@dataclass(frozen=True)
class Delivery:
    """One request of the burst: a form post (key: the email) or a Stripe delivery (key: the event id)."""

    kind: str
    key: str
    email: str
    body: bytes


@dataclass
class BurstTally:
    no_answer: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    posts_sent: Counter[str] = field(default_factory=Counter)
    posts_accepted: Counter[str] = field(default_factory=Counter)
    # Emails some accepted request named: each must be exactly one contact.
    emails: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    # Per event id, the deliveries answered as the first one (any status but "duplicate").
    first_answers: Counter[str] = field(default_factory=Counter)


def percentile(samples: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile (a failed request is infinite, so it can only push the figure up)."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def source_address(index: int) -> str:
    """The index-th address of 127.1.1.1 onwards: Linux routes all of 127.0.0.0/8 to the loopback."""
    return f"127.{index // 254 ** 2 % 254 + 1}.{index // 254 % 254 + 1}.{index % 254 + 1}"


def cpu_seconds(stat: str, ticks_per_second: int) -> float:
    """User plus system CPU time from a /proc/<pid>/stat line."""
    # The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def form_body(email: str) -> bytes:
    return json.dumps({"email": email, "first_name": "Bench", "message": "From make bench"}).encode()


def stripe_body(event_id: str, email: str) -> bytes:
    return json.dumps({"id": event_id, "type": "payment_intent.succeeded", "created": int(time.time()),
                       "data": {"object": {"id": f"pi_{event_id}", "amount_received": 4900, "currency": "eur",
                                           "receipt_email": email}}}).encode()


def burst_plan(clients: int) -> list[list[Delivery]]:
    """Three requests per client. The lower half's Stripe payer is the email the upper half's client
    posts at the same moment; the upper half delivers DUPLICATED_EVENTS event ids many times over;
    every client then posts one of SHARED_EMAILS addresses, which several clients post at once."""
    half = clients // 2
    duplicated = [(f"evt_bench_dup_{k}", f"payer-{k}@bench.example") for k in range(DUPLICATED_EVENTS)]
    duplicated_bodies = {event_id: stripe_body(event_id, email) for event_id, email in duplicated}
    plan = []
    for i in range(clients):
        own = f"burst-{i}@bench.example"
        shared = f"shared-{i % SHARED_EMAILS}@bench.example"
        if i < half:
            payer = f"burst-{i + half}@bench.example"
            requests = [Delivery("stripe", f"evt_bench_{i}", payer, stripe_body(f"evt_bench_{i}", payer)),
                        Delivery("form", own, own, form_body(own))]
        else:
            event_id, payer = duplicated[i % DUPLICATED_EVENTS]
            requests = [Delivery("form", own, own, form_body(own)),
                        Delivery("stripe", event_id, payer, duplicated_bodies[event_id])]
        plan.append([*requests, Delivery("form", shared, shared, form_body(shared))])
    return plan


def tally(outcomes: Iterable[tuple[Delivery, Reply]]) -> BurstTally:
    counted = BurstTally()
    for delivery, reply in outcomes:
        if reply.status is None:
            counted.no_answer[reply.error or "no answer"] += 1
        else:
            counted.statuses[reply.status] += 1
        if delivery.kind == "form":
            counted.posts_sent[delivery.key] += 1
        if not reply.ok:
            continue
        counted.emails.add(delivery.email)
        if delivery.kind == "form":
            counted.posts_accepted[delivery.key] += 1
        else:
            counted.events.add(delivery.key)
            if reply.json().get("status") != "duplicate":
                counted.first_answers[delivery.key] += 1
    return counted


def storage_problems(items: Iterable[Mapping[str, Any]], counted: BurstTally) -> list[str]:
    """What the table holds other than once, for the inputs the stack accepted (from a Scan of it)."""
    contacts: Counter[str] = Counter()
    webhooks: Counter[str] = Counter()
    payments: Counter[str] = Counter()
    submissions: Counter[str] = Counter()
    for item in items:
        pk, sk = str(item.get("PK", "")), str(item.get("SK", ""))
        if pk.startswith("CONTACT#") and sk == "PROFILE" and not ({"merged_into", "erased_at"} & item.keys()):
            contacts[str(item.get("email_key"))] += 1
        elif pk.startswith("WEBHOOK#stripe#") and sk == "EVENT":
            webhooks[pk.removeprefix("WEBHOOK#stripe#")] += 1
        elif pk.startswith("CONTACT#") and item.get("entry_type") == "payment_succeeded":
            payments[str((item.get("data") or {}).get("provider_event_id"))] += 1
        elif pk.startswith("CONTACT#") and sk.startswith("HISTORY#") and "submission_id" in (item.get("data") or {}):
            # An accepted submission is kept as its contact's timeline entry, every value sent included.
            submissions[str(item["data"].get("submitted", {}).get("email"))] += 1
    problems = [f"{email}: {contacts[email]} contacts" for email in sorted(counted.emails) if contacts[email] != 1]
    for event_id in sorted(counted.events):
        if webhooks[event_id] != 1 or payments[event_id] != 1:
            problems.append(f"{event_id}: {webhooks[event_id]} event records, {payments[event_id]} payments")
        if counted.first_answers[event_id] > 1:
            problems.append(f"{event_id}: {counted.first_answers[event_id]} deliveries answered as the first")
    for email, accepted in sorted(counted.posts_accepted.items()):
        # A post that timed out may have been stored as well; none may be stored twice.
        if not accepted <= submissions[email] <= counted.posts_sent[email]:
            problems.append(f"{email}: {submissions[email]} submissions stored for {accepted} accepted "
                            f"of {counted.posts_sent[email]} posted")
    return problems


def latency_figures(name: str, samples: Sequence[float], limits: Mapping[int, float], unit: str, what: str,
                    failed_as: str = "failed") -> list[Figure]:
    """Percentile figures of request times (seconds; a failure is infinite) in the unit of the limits."""
    scale = 1000 if unit == "ms" else 1
    failed = sum(1 for s in samples if math.isinf(s))
    figures = []
    for percent, limit in limits.items():
        value = percentile(samples, percent)
        shown = value * scale if value is not None and math.isfinite(value) else None
        figures.append(Figure(f"{name} p{percent}", shown, limit, unit, f"{len(samples)} {what}, {failed} {failed_as}"))
    return figures


def measure_local_stack() -> LocalStackRun:
    with tempfile.TemporaryDirectory(prefix="crm-bench-stack-") as directory:
        started = time.monotonic()
        try:
            stack = start_stack(Path(directory))
        except StackDidNotStart as error:
            return LocalStackRun(None, [], [], "not started", str(error))
        startup = time.monotonic() - started
        try:
            figures, problems = _measure(stack)
        finally:
            stopped = stop_stack(stack)
        return LocalStackRun(startup, figures, problems, stopped)


def _measure(stack: RunningStack) -> tuple[list[Figure], list[str]]:
    client = stack.client
    warm_ups = [client.post_form(f"warm-{i}@bench.example", client.visitor()) for i in range(WARM_UP_POSTS)]
    contact_id = next((r.json().get("contact_id") for r in warm_ups if r.ok), None)
    posts = _timed(FORM_POSTS, lambda i: client.post_form(f"post-{i}@bench.example", client.visitor()))
    figures = latency_figures("form post", posts, {50: 40, 95: 120}, "ms", "posts")
    token = developer_token(stack)
    if contact_id and token:
        auth = {"authorization": f"Bearer {token}"}
        reads = _timed(CONTACT_READS, lambda _: client.send("GET", f"/v1/contacts/{contact_id}", headers=auth))
        figures += latency_figures("GET /v1/contacts/{id}", reads, {50: 25}, "ms", "reads")
        scores = _score_latencies(client, auth)
        figures += latency_figures("form post until its score reads", scores, {50: 1}, "s", "leads",
                                   f"not scored within {SCORE_TIMEOUT_SECONDS} s")
    else:
        missing = "no warm-up post was accepted" if not contact_id else "no token"
        figures += [Figure("GET /v1/contacts/{id} p50", None, 25, "ms", missing),
                    Figure("form post until its score reads p50", None, 1, "s", missing)]
    burst_figures, problems = _burst(stack)
    return figures + burst_figures + [_idle_cpu(stack.process.pid)], problems


def _timed(count: int, request: Callable[[int], Reply]) -> list[float]:
    """Seconds per request (infinite when not answered 2xx), until `count` or the phase budget."""
    deadline = time.monotonic() + PHASE_BUDGET_SECONDS
    samples = []
    for i in range(count):
        if time.monotonic() > deadline:
            break
        reply = request(i)
        samples.append(reply.seconds if reply.ok else math.inf)
    return samples


def _score_latencies(client: Client, auth: Mapping[str, str]) -> list[float]:
    """Seconds from a lead's form post until its contact reads with a score (infinite past the timeout)."""
    deadline = time.monotonic() + SCORE_BUDGET_SECONDS
    samples = []
    for i in range(SCORED_LEADS):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        posted = client.post_form(f"score-{i}@bench.example", client.visitor())
        contact_id = posted.json().get("contact_id") if posted.ok else None
        samples.append(math.inf)
        while contact_id and time.perf_counter() - started < SCORE_TIMEOUT_SECONDS:
            if client.send("GET", f"/v1/contacts/{contact_id}", headers=auth).json().get("score") is not None:
                samples[-1] = time.perf_counter() - started
                break
            time.sleep(SCORE_POLL_SECONDS)
    return samples


def _burst(stack: RunningStack) -> tuple[list[Figure], list[str]]:
    client = stack.client
    secret = stack.state["development_secrets"]["CRM_STRIPE_WEBHOOK_SECRET"].split(",")[0].strip()
    plan = burst_plan(CLIENTS)
    # All clients connect at the same moment; a client that never gets there sends anyway.
    barrier = threading.Barrier(len(plan))

    def run_client(requests: list[Delivery]) -> list[tuple[Delivery, Reply]]:
        source = client.visitor()
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        outcomes = []
        for delivery in requests:
            headers = dict(JSON_HEADERS)
            if delivery.kind == "stripe":
                headers["stripe-signature"] = stripe.WebhookSignature.generate_signature_header(
                    delivery.body.decode(), secret)
            outcomes.append((delivery, client.send("POST", FORM_PATH if delivery.kind == "form" else STRIPE_PATH,
                                                   delivery.body, headers, source, BURST_TIMEOUT_SECONDS)))
        return outcomes

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(plan)) as pool:
        outcomes = [outcome for result in pool.map(run_client, plan) for outcome in result]
    seconds = time.monotonic() - started
    counted = tally(outcomes)
    server_errors = sum(n for status, n in counted.statuses.items() if status >= 500)
    others = ", ".join(f"{status} x{n}" for status, n in sorted(counted.statuses.items()))
    no_answer = ", ".join(f"{error} x{n}" for error, n in sorted(counted.no_answer.items())) or "none"
    senders = (CLIENTS - CLIENTS // 2) // DUPLICATED_EVENTS
    try:
        problems = storage_problems(_scan(stack), counted)
        stored = Figure("burst: accepted inputs not stored once", len(problems), 0, "",
                        f"{len(counted.emails)} emails, {len(counted.events)} Stripe event ids checked "
                        f"({DUPLICATED_EVENTS} ids each sent by {senders} clients at once)")
    except (BotoCoreError, ClientError) as error:
        problems = []
        stored = Figure("burst: accepted inputs not stored once", None, 0, "", f"the table could not be read: {error}")
    return [
        Figure("burst: requests without an answer", sum(counted.no_answer.values()), 0, "",
               f"{len(outcomes)} requests from {len(plan)} clients in {seconds:.1f} s; {no_answer}"),
        Figure("burst: 5xx answers", server_errors, 0, "", f"statuses: {others or 'none'}"),
        stored,
    ], problems


def _scan(stack: RunningStack) -> list[dict[str, Any]]:
    """Every item of the table: the bench's own verification may Scan, once, after the burst."""
    dynamodb = boto3.resource("dynamodb", endpoint_url=stack.state["aws_endpoint"], region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
    table = dynamodb.Table(stack.state["table_name"])
    page = table.scan()
    items = page["Items"]
    while "LastEvaluatedKey" in page:
        page = table.scan(ExclusiveStartKey=page["LastEvaluatedKey"])
        items += page["Items"]
    return items


def _idle_cpu(pid: int) -> Figure:
    """CPU share of one core over IDLE_SECONDS, once a second of the stack's CPU is under SETTLED_CPU_SHARE."""
    ticks = os.sysconf("SC_CLK_TCK")
    stat = Path(f"/proc/{pid}/stat")
    try:
        started = time.monotonic()
        last, last_at = cpu_seconds(stat.read_text(), ticks), time.monotonic()
        settled = False
        while not settled and time.monotonic() - started < SETTLE_LIMIT_SECONDS:
            time.sleep(1)
            now, now_at = cpu_seconds(stat.read_text(), ticks), time.monotonic()
            settled = (now - last) / (now_at - last_at) <= SETTLED_CPU_SHARE
            last, last_at = now, now_at
        waited = time.monotonic() - started
        time.sleep(IDLE_SECONDS)
        share = (cpu_seconds(stat.read_text(), ticks) - last) / (time.monotonic() - last_at)
    except OSError as error:
        return Figure("idle stack CPU", None, 2, "%", f"/proc unreadable: {error}")
    settling = f"settled after {waited:.0f} s" if settled else f"still busy after {waited:.0f} s"
    return Figure("idle stack CPU", share * 100, 2, "%", f"over {IDLE_SECONDS} s; activity {settling}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _environment(state_dir: Path) -> dict[str, str]:
    # The bench's own fake AWS settings (bench.harness.apply_environment) must not reach the stack.
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("CRM_", "AWS_", "POWERTOOLS_"))}
    environment.update({
        "CRM_HTTP_PORT": str(_free_port()),
        "CRM_AWS_PORT": str(_free_port()),
        "CRM_SMTP_PORT": str(_free_port()),
        "CRM_LOCAL_STATE_DIR": str(state_dir),
        "PYTHONUNBUFFERED": "1",
    })
    return environment


def start_stack(state_dir: Path) -> RunningStack:
    environment = _environment(state_dir)
    log = state_dir / "stack.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "crm_local.cli", "local", "run"], env=environment,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    client = Client(int(environment["CRM_HTTP_PORT"]))
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackDidNotStart(f"`crm local run` exited with {process.returncode}: {_tail(log)}")
        if client.send("GET", "/health").status == 200:
            state = json.loads((state_dir / "state.json").read_text(encoding="utf-8"))
            return RunningStack(process, client, state, environment)
        time.sleep(0.3)
    process.kill()
    process.wait()
    raise StackDidNotStart(f"/health did not answer 200 within {STARTUP_TIMEOUT_SECONDS} s: {_tail(log)}")


def developer_token(stack: RunningStack) -> str | None:
    """What a developer runs: `crm local token --role sales`."""
    try:
        result = subprocess.run([sys.executable, "-m", "crm_local.cli", "local", "token", "--role", "sales"],
                                env=stack.environment, capture_output=True, text=True, timeout=60, check=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip()


def stop_stack(stack: RunningStack) -> str:
    stack.process.send_signal(signal.SIGTERM)
    try:
        return f"exit {stack.process.wait(timeout=STOP_TIMEOUT_SECONDS)} on SIGTERM"
    except subprocess.TimeoutExpired:
        stack.process.kill()
        stack.process.wait()
        return f"killed, still running {STOP_TIMEOUT_SECONDS} s after SIGTERM"


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-2000:]


if __name__ == "__main__":
    from bench.run import print_local_stack

    print_local_stack(measure_local_stack())
