"""The dashboards' counters against a recomputation from scratch: random histories of contacts, deals,
activities, payments, refunds and emails (creates, stage moves, scoring, qualifying, merges, erases,
deletes) reach the counters as stream records delivered in any order and any number of times; every
widget then shows what a plain count of the records as they finally are says, in any time zone."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from boto3.dynamodb.types import TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api_client import ApiClient

admin = ApiClient("admin")
BASE = datetime(2026, 3, 19, 18, 0, tzinfo=UTC)
ZONES = ("UTC", "Asia/Tehran", "Asia/Kathmandu", "Europe/Moscow", "America/St_Johns")
STAGES = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "other")
OWNERS = ("rep-1", "rep-2", None)
_serializer = TypeSerializer()


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


# One step of a record's life: which field changes to what (None removes the record).
contact_steps = st.lists(st.one_of(
    st.tuples(st.just("lifecycle_stage"), st.sampled_from(STAGES)),
    st.tuples(st.just("owner"), st.sampled_from(OWNERS)),
    st.tuples(st.just("score"), st.integers(-5, 130)),
    st.tuples(st.just("qualified_at"), st.one_of(st.none(), st.integers(0, 4000))),
    st.tuples(st.just("merged_into"), st.just("winner")),
    st.tuples(st.just("erased_at"), st.just(at(1))),
    st.tuples(st.just("remove"), st.none())), max_size=5)
deal_steps = st.lists(st.one_of(
    st.tuples(st.just("stage"), st.sampled_from(("new", "qualified", "proposal", "won", "lost"))),
    st.tuples(st.just("owner"), st.sampled_from(OWNERS)),
    st.tuples(st.just("amount_minor"), st.integers(0, 10**7)),
    st.tuples(st.just("remove"), st.none())), max_size=5)
activity_steps = st.lists(st.one_of(
    st.tuples(st.just("done"), st.booleans()),
    st.tuples(st.just("owner"), st.sampled_from(OWNERS))), max_size=3)

history = st.fixed_dictionaries({
    "contacts": st.lists(st.tuples(st.integers(0, 4000), st.sampled_from(STAGES), st.sampled_from(OWNERS),
                                   st.sampled_from(("web", "import", None)), st.sampled_from(("google", None)),
                                   contact_steps), max_size=6),
    "deals": st.lists(st.tuples(st.integers(0, 4000), st.sampled_from(("default", "renewals")),
                                st.sampled_from(("USD", "IRR")), st.integers(0, 100), deal_steps), max_size=5),
    "activities": st.lists(st.tuples(st.integers(0, 4000), st.sampled_from(("call", "meeting", "task", "note")),
                                     st.sampled_from(OWNERS), activity_steps), max_size=5),
    "payments": st.lists(st.tuples(st.integers(0, 4000), st.booleans(), st.sampled_from(("USD", "EUR")),
                                   st.integers(1, 10**6), st.lists(st.integers(1, 1000), max_size=2)), max_size=4),
    "emails": st.lists(st.tuples(st.integers(0, 4000), st.sampled_from(OWNERS)), max_size=3),
})


class Record:
    """One record's images in the order they were written; `None` is its removal."""

    def __init__(self, pk: str, sk: str, first: dict[str, Any]) -> None:
        self.pk, self.sk, self.images = pk, sk, [dict(first)]

    def step(self, clock: int, **changes: Any) -> None:
        image = {**self.images[-1]}
        for name, value in changes.items():
            if value is None:
                image.pop(name, None)
            else:
                image[name] = value
        if "version" in image and "score" not in changes:
            image |= {"version": image["version"] + 1, "updated_at": at(clock)}
        self.images.append(image)

    def remove(self) -> None:
        self.images.append(None)

    @property
    def final(self) -> dict[str, Any] | None:
        return self.images[-1]

    def stream_records(self) -> list[dict[str, Any]]:
        keys = {"PK": {"S": self.pk}, "SK": {"S": self.sk}}
        return [{"eventName": "REMOVE", "dynamodb": {"Keys": keys}} if image is None else
                {"eventName": "MODIFY" if n else "INSERT",
                 "dynamodb": {"Keys": keys, "NewImage": {k: _serializer.serialize(v) for k, v in
                                                         {**image, "PK": self.pk, "SK": self.sk}.items()}}}
                for n, image in enumerate(self.images)]


def contacts(spec: list[Any]) -> list[Record]:
    made = []
    for n, (created, stage, owner, source, utm, steps) in enumerate(spec):
        first = {"contact_id": f"c{n}", "created_at": at(created), "updated_at": at(created), "version": 1,
                 "lifecycle_stage": stage, "owner": owner, "source": source,
                 "first_touch": {"utm_source": utm, "utm_campaign": "spring"} if utm else None}
        record = Record(f"CONTACT#c{n}", "PROFILE", {k: v for k, v in first.items() if v is not None})
        for clock, (name, value) in enumerate(steps, start=created + 1):
            if record.final is None:
                break
            if name == "remove":
                record.remove()
            elif name == "score":
                record.step(clock, score=value, score_rev=record.final.get("score_rev", 0) + 1)
            elif name == "qualified_at":
                record.step(clock, qualified=value is not None, qualified_at=None if value is None else at(value))
            else:
                record.step(clock, **{name: value})
        made.append(record)
    return made


def deals(spec: list[Any]) -> list[Record]:
    made = []
    for n, (created, pipeline, currency, probability, steps) in enumerate(spec):
        record = Record(f"DEAL#d{n}", "PROFILE", {
            "deal_id": f"d{n}", "created_at": at(created), "updated_at": at(created), "version": 1,
            "pipeline_id": pipeline, "stage": "new", "currency": currency, "probability": probability,
            "amount_minor": 1000, "owner": "rep-1", "expected_close_date": at(created + 40000)[:10],
            "stage_entered_at": at(created)})
        for clock, (name, value) in enumerate(steps, start=created + 60):
            image = record.final
            if image is None:
                break
            if name == "remove":
                record.remove()
            elif name == "stage":
                spent = (datetime.fromisoformat(at(clock)) - datetime.fromisoformat(image["stage_entered_at"]))
                left = image["stage"]
                seconds, exits = dict(image.get("stage_seconds", {})), dict(image.get("stage_exits", {}))
                seconds[left], exits[left] = seconds.get(left, 0) + int(spent.total_seconds()), exits.get(left, 0) + 1
                status = value if value in ("won", "lost") else "open"
                record.step(clock, stage=value, status=status, stage_entered_at=at(clock), stage_seconds=seconds,
                            stage_exits=exits, closed_at=at(clock) if status != "open" else None)
            else:
                record.step(clock, **{name: value})
        made.append(record)
    return made


def activities(spec: list[Any]) -> list[Record]:
    made = []
    for n, (created, kind, owner, steps) in enumerate(spec):
        record = Record(f"ACTIVITY#a{n}", "PROFILE", {k: v for k, v in {
            "activity_id": f"a{n}", "created_at": at(created), "updated_at": at(created), "version": 1,
            "activity_type": kind, "owner": owner, "done": False, "due_at": at(created + 30)}.items() if v is not None})
        for clock, (name, value) in enumerate(steps, start=created + 1):
            if name == "done":
                record.step(clock, done=value, done_at=at(clock) if value else None)
            else:
                record.step(clock, owner=value)
        made.append(record)
    return made


def money(payments: list[Any], emails: list[Any]) -> list[Record]:
    made = []
    for n, (when, fails_first, currency, amount, refunds) in enumerate(payments):
        record = Record(f"PAYMENT#p{n}", "PAYMENT", {"payment_key": f"p{n}", "currency": currency,
                                                     "amount_minor": amount, "failed_at": at(when)} if fails_first
                        else {"payment_key": f"p{n}", "currency": currency, "amount_minor": amount})
        record.images.append({**record.final, "succeeded_at": at(when + 5)})
        made.append(record)
        made += [Record(f"PAYMENT#p{n}", f"REFUND#r{m}", {"amount_minor": refund, "currency": currency,
                                                          "refunded_at": at(when + 100 + m)})
                 for m, refund in enumerate(refunds)]
    made += [Record(f"EMAIL#e{n}", "EMAIL", {"received_at": at(when), "routed_to": {"owner": owner} if owner else {}})
             for n, (when, owner) in enumerate(emails)]
    return made


def wipe(aws: dict[str, Any]) -> None:
    table, dynamodb = aws["settings"].table_name, aws["dynamodb"]
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="PK, SK"):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=table, Key=item)


def day_in(zone: str, moment: str | None) -> str | None:
    if not moment:
        return None
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(zone)).date().isoformat()


def live(records: list[Record], prefix: str) -> list[dict[str, Any]]:
    return [r.final for r in records if r.final is not None and r.pk.startswith(prefix)]


def expected(records: list[Record], zone: str, owner: str | None) -> dict[str, Any]:
    """The widgets recomputed from the records as they finally are, per local day."""
    people = [c for c in live(records, "CONTACT#") if not c.get("merged_into") and not c.get("erased_at")
              and (owner is None or c.get("owner") == owner)]
    stages: dict[str, Counter[str]] = defaultdict(Counter)
    mqls: Counter[str] = Counter()
    sources: dict[str, Counter[tuple[str, str, bool]]] = defaultdict(Counter)
    for c in people:
        day = day_in(zone, c["created_at"])
        stages[day][c["lifecycle_stage"]] += 1
        touch = c.get("first_touch") or {}
        sources[day][(touch.get("utm_source") or c.get("source") or "-", touch.get("utm_campaign") or "-",
                      c["lifecycle_stage"] == "customer")] += 1
        if c.get("qualified"):
            mqls[day_in(zone, c["qualified_at"])] += 1
    bands = Counter("-" if c.get("score") is None else str(min(max(c["score"] // 10 * 10, 0), 100)) for c in people)
    closed: dict[str, Counter[str]] = defaultdict(Counter)
    open_deals: Counter[str] = Counter()
    for d in live(records, "DEAL#"):
        if d["pipeline_id"] != "default" or (owner is not None and d.get("owner") != owner):
            continue
        if d.get("status", "open") == "open":
            open_deals[d["stage"]] += 1
        else:
            closed[day_in(zone, d["closed_at"])][d["status"]] += 1
    reps: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for a in live(records, "ACTIVITY#"):
        when = (a.get("done_at") if a.get("done") else None) if a["activity_type"] == "task" else a["due_at"]
        if a["activity_type"] != "note" and when:
            reps[day_in(zone, when)][(a.get("owner") or "-", a["activity_type"])] += 1
    for e in live(records, "EMAIL#"):
        reps[day_in(zone, e["received_at"])][(e["routed_to"].get("owner") or "-", "email")] += 1
    if owner is not None:
        reps = {day: Counter({k: n for k, n in row.items() if k[0] == owner}) for day, row in reps.items()}
    revenue: dict[str, Counter[str]] = defaultdict(Counter)
    for p in live(records, "PAYMENT#"):
        if "succeeded_at" in p:
            revenue[day_in(zone, p["succeeded_at"])][p["currency"]] += p["amount_minor"]
        elif "refunded_at" in p:
            revenue[day_in(zone, p["refunded_at"])][p["currency"]] -= p["amount_minor"]
    return {"stages": stages, "mqls": mqls, "sources": sources, "bands": bands, "open": open_deals,
            "closed": closed, "reps": reps, "revenue": revenue}


def shown(zone: str, owner: str | None) -> dict[str, Any]:
    """The widgets as the API shows them, per local day, in the same shape."""
    def get(name: str) -> dict[str, Any]:
        query = {"from": "2026-03-18", "to": "2026-03-23", "grain": "day", "tz": zone}
        response = admin.get(f"/v1/dashboards/{name}", **query, **({"owner": owner} if owner else {}))
        assert response.status == 200, response.body
        return response.body

    def days(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {p["period"]: p for p in body["periods"]}

    funnel, leads, activity = days(get("funnel")), days(get("leads")), days(get("activity"))
    won, revenue = days(get("deals")), days(get("revenue"))
    return {
        "stages": {d: Counter(p["stages"]) for d, p in funnel.items() if p["stages"]},
        "mqls": Counter({d: p["new_mqls"] for d, p in funnel.items() if p["new_mqls"]}),
        "sources": {d: Counter({(r["source"], r["campaign"], won_): n for r in p["sources"]
                                for won_, n in ((True, r["customers"]), (False, r["leads"] - r["customers"])) if n})
                    for d, p in leads.items() if p["sources"]},
        "bands": Counter({b["band"]: b["contacts"] for b in get("scores")["score_bands"]}),
        "open": Counter({s["stage"]: s["open_deals"] for s in get("pipeline")["stages"] if s["open_deals"]}),
        "closed": {d: Counter({k: p[k] for k in ("won", "lost") if p[k]}) for d, p in won.items()
                   if p["won"] or p["lost"]},
        "reps": {d: Counter({(r["owner"], k): r[k] for r in p["reps"] for k in ("call", "meeting", "task", "email")
                             if r[k]}) for d, p in activity.items() if p["reps"]},
        "revenue": {d: Counter({c["currency"]: c["net_minor"] for c in p["currencies"]}) for d, p in revenue.items()
                    if p["currencies"]},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=history, seed=st.integers(0, 2**32), repeats=st.integers(0, 40), batch=st.integers(1, 12),
       zone=st.sampled_from(ZONES), owner=st.sampled_from(OWNERS))
def test_counters_equal_a_recomputation_whatever_the_order_and_repeats_of_delivery(aws, spec, seed, repeats, batch,
                                                                                    zone, owner):
    from dashboard_counters.handler import handler

    wipe(aws)
    # Given random histories of every kind of counted record
    records = (contacts(spec["contacts"]) + deals(spec["deals"]) + activities(spec["activities"])
               + money(spec["payments"], spec["emails"]))
    # When their stream records arrive shuffled, some of them again, in batches of any size
    shuffle = random.Random(seed)
    deliveries = [r for record in records for r in record.stream_records()]
    deliveries += [shuffle.choice(deliveries) for _ in range(repeats if deliveries else 0)]
    shuffle.shuffle(deliveries)
    for start in range(0, len(deliveries), batch):
        assert handler({"Records": deliveries[start:start + batch]}, None) == {"batchItemFailures": []}
    # Then every widget shows what counting the final records from scratch shows
    want, got = expected(records, zone, owner), shown(zone, owner)
    for name in want:
        assert {k: v for k, v in dict(got[name]).items() if v} == {k: v for k, v in dict(want[name]).items() if v}, name
