"""RFM segments: recency, frequency and monetary value of each paying contact, computed with SQL over the
analytical store's payment events, scored 1-5 by quintile among the payers, named by segment, and written
back to each contact (`rfm_segment`, `rfm`) as an audited, versioned update that marketing filters and
exports by (GET /v1/contacts?rfm_segment=Champions). Run daily by AnalyticsJobsFunction's schedule and on
demand by `crm rfm`. Decision 0047.

- A payment is a `Payment Succeeded` event, a refund a `Payment Refunded` one; each counts once by its
  event id (delivery is at least once). Frequency is the number of payments; monetary the payments less the
  refunds, in the contact's main currency (the one most of their payments are in); recency the time since
  their last payment.
- A merged-away contact's payments are the winner's (`Contacts Merged`, followed through chains); an erased
  or deleted contact is left out.
- A score is the quintile of the contact's mid-rank among the payers (ties share their middle rank):
  1 + floor(5 * (below + tied / 2) / payers), at most 5; higher is better (more recent, more often, more
  money). Money is ranked among the payers of the same currency.
- The segment is the first rule that holds, in `SEGMENT_RULES`' order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm.analytics.engines import Engine
from crm.contacts.spec import CONTACT, RFM_SEGMENTS, ContactItem
from crm.platform.errors import HttpError
from crm.records.writes import Change, update_viewed

# Who the audit log says wrote the segment.
ACTOR = "rfm-analysis"
# One row per payer and currency; a store with more payers than this needs the job split first.
MAX_PAYERS = 2_000_000

# Each payment and refund once, by its event id; then per contact and currency. Valid in Athena and DuckDB.
PAYMENTS_SQL = """
WITH money AS (
    SELECT detail.event_id AS event_id, max(detail_type) AS kind, max(detail.contact_id) AS contact_id,
           max(detail.currency) AS currency, max(detail.amount_minor) AS amount_minor, max(time) AS paid_at
    FROM events
    WHERE detail_type IN ('Payment Succeeded', 'Payment Refunded') AND detail.contact_id IS NOT NULL
    GROUP BY detail.event_id
)
SELECT contact_id, coalesce(currency, '') AS currency,
       sum(CASE WHEN kind = 'Payment Succeeded' THEN 1 ELSE 0 END) AS payments,
       sum(CASE WHEN kind = 'Payment Succeeded' THEN coalesce(amount_minor, 0) ELSE 0 END) AS paid_minor,
       sum(CASE WHEN kind = 'Payment Refunded' THEN coalesce(amount_minor, 0) ELSE 0 END) AS refunded_minor,
       max(CASE WHEN kind = 'Payment Succeeded' THEN paid_at END) AS last_paid_at
FROM money
GROUP BY 1, 2
"""
MERGES_SQL = """
SELECT DISTINCT detail.loser_id AS loser_id, detail.winner_id AS winner_id
FROM events
WHERE detail_type = 'Contacts Merged' AND detail.loser_id IS NOT NULL AND detail.winner_id IS NOT NULL
"""


@dataclass
class Payer:
    contact_id: str
    payments: int
    last_paid_at: datetime
    currency: str
    net_minor: int


@dataclass(frozen=True)
class Scored:
    payer: Payer
    r: int
    f: int
    m: int
    segment: str

    def attributes(self) -> dict[str, Any]:
        """What the contact stores: its segment, and what the segment came from."""
        return {"rfm_segment": self.segment, "rfm": {
            "r": self.r, "f": self.f, "m": self.m, "payments": self.payer.payments,
            "net_minor": self.payer.net_minor, "currency": self.payer.currency or None,
            "last_paid_at": self.payer.last_paid_at.strftime("%Y-%m-%dT%H:%M:%SZ")}}


# (segment, rule over the scores and the number of payments), first match wins; every payer matches one.
SEGMENT_RULES: tuple[tuple[str, Callable[[int, int, int, int], bool]], ...] = (
    ("Champions", lambda r, f, m, n: r >= 4 and f >= 4 and m >= 4),
    ("Loyal", lambda r, f, m, n: r >= 3 and f >= 3 and n > 1),
    ("New customers", lambda r, f, m, n: r >= 4 and n == 1),
    ("Potential loyalists", lambda r, f, m, n: r >= 3),
    ("Can't lose them", lambda r, f, m, n: f >= 4 and m >= 4),
    ("At risk", lambda r, f, m, n: f >= 3 and n > 1),
    ("Hibernating", lambda r, f, m, n: r == 2),
    ("Lost", lambda r, f, m, n: True),
)
assert tuple(name for name, _ in SEGMENT_RULES) == RFM_SEGMENTS  # noqa: S101 - the spec's options are these


def segment(r: int, f: int, m: int, payments: int) -> str:
    return next(name for name, rule in SEGMENT_RULES if rule(r, f, m, payments))


def quintiles(values: dict[str, float]) -> dict[str, int]:
    """Each key's score 1-5: the quintile of its mid-rank among all (ties share it), higher values higher."""
    ordered = sorted(set(values.values()))
    counts: dict[float, int] = defaultdict(int)
    for value in values.values():
        counts[value] += 1
    total, below, at_value = len(values), 0, {}
    for value in ordered:
        at_value[value] = min(5, 1 + math.floor(5 * (below + counts[value] / 2) / total))
        below += counts[value]
    return {key: at_value[value] for key, value in values.items()}


def payers(payment_rows: Iterable[Sequence[Any]], merge_rows: Iterable[Sequence[Any]]) -> list[Payer]:
    """Each paying contact (merged-away ones as their winner) with its payments, last payment and net amount
    in its main currency, from the rows of PAYMENTS_SQL and MERGES_SQL."""
    winners = {str(loser): str(winner) for loser, winner in merge_rows}
    # per contact: currency -> [payments, net]; and the last payment in any currency
    money: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    last: dict[str, datetime] = {}
    for contact_id, currency, payments, paid, refunded, last_paid_at in payment_rows:
        owner = _followed(str(contact_id), winners)
        totals = money[owner][str(currency or "")]
        totals[0] += int(payments or 0)
        totals[1] += int(paid or 0) - int(refunded or 0)
        if last_paid_at is not None:
            at = moment(last_paid_at)
            last[owner] = max(last.get(owner, at), at)
    found = []
    for contact_id, currencies in money.items():
        count = sum(payments for payments, _ in currencies.values())
        if count == 0 or contact_id not in last:
            continue
        main = max(currencies, key=lambda c: (currencies[c][0], currencies[c][1], c))
        found.append(Payer(contact_id, count, last[contact_id], main, currencies[main][1]))
    return sorted(found, key=lambda payer: payer.contact_id)


def scored(found: list[Payer]) -> list[Scored]:
    recency = quintiles({p.contact_id: p.last_paid_at.timestamp() for p in found})
    frequency = quintiles({p.contact_id: p.payments for p in found})
    monetary: dict[str, int] = {}
    for currency in {p.currency for p in found}:
        monetary |= quintiles({p.contact_id: p.net_minor for p in found if p.currency == currency})
    return [Scored(p, recency[p.contact_id], frequency[p.contact_id], monetary[p.contact_id],
                   segment(recency[p.contact_id], frequency[p.contact_id], monetary[p.contact_id], p.payments))
            for p in found]


def moment(value: Any) -> datetime:
    """A time as an engine answers it (DuckDB's ISO text, Athena's `2026-12-04 10:00:00.000`), in UTC."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# Running it.

@dataclass
class RfmRun:
    payers: int = 0
    changed: int = 0
    unchanged: int = 0
    # contacts that are no longer there (deleted, erased, merged away) or changed under the job twice
    skipped: int = 0
    segments: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"payers": self.payers, "changed": self.changed, "unchanged": self.unchanged,
                "skipped": self.skipped, "segments": self.segments}


def analyse(engine: Engine, time_limit: float) -> list[Scored]:
    """The payers of the store, scored and segmented."""
    payment_rows = _rows(engine, PAYMENTS_SQL, time_limit)
    merge_rows = _rows(engine, MERGES_SQL, time_limit)
    return scored(payers(payment_rows, merge_rows))


def run_rfm(engine: Engine, time_limit: float) -> RfmRun:
    """Analyses the store and writes each payer's segment back to the contact where it changed."""
    results = analyse(engine, time_limit)
    run = RfmRun(payers=len(results))
    for result in results:
        run.segments[result.segment] = run.segments.get(result.segment, 0) + 1
    by_id = {result.payer.contact_id: result for result in results}
    items = {item.contact_id: item for item in ContactItem.batch_get([ContactItem.key(i) for i in sorted(by_id)])}
    for contact_id, result in sorted(by_id.items()):
        outcome = write_segment(items.get(contact_id), result)
        setattr(run, outcome, getattr(run, outcome) + 1)
    return run


def write_segment(item: ContactItem | None, result: Scored, attempts: int = 2) -> str:
    """`changed`, `unchanged` or `skipped`: one versioned, audited update of the contact's segment."""
    for _ in range(attempts):
        if item is None or item.merged_into or item.erased_at:
            return "skipped"
        attributes = result.attributes()
        shown = CONTACT.view(item)
        if shown["rfm_segment"] == attributes["rfm_segment"] and shown["rfm"] == attributes["rfm"]:
            return "unchanged"
        change = Change("contact", item.contact_id, "update", ACTOR)
        update_viewed(change, item, int(item.version), attributes, CONTACT.view)
        try:
            change.commit()
        except HttpError as conflict:
            if conflict.status != 412:
                raise
            # Someone wrote the contact meanwhile: read it again and try once more.
            from crm.records.table import get_item  # noqa: PLC0415 - only on a conflict

            item = get_item(ContactItem, ContactItem.key(result.payer.contact_id), consistent=True)
            continue
        return "changed"
    return "skipped"


def _followed(contact_id: str, winners: dict[str, str]) -> str:
    """Where a merged-away contact went, through any chain of merges (a cycle stops where it closes)."""
    seen = set()
    while contact_id in winners and contact_id not in seen:
        seen.add(contact_id)
        contact_id = winners[contact_id]
    return contact_id


def _rows(engine: Engine, sql: str, time_limit: float) -> list[list[Any]]:
    result = engine.run(sql.strip(), max_rows=MAX_PAYERS, time_limit=time_limit)
    if result.truncated:
        raise RuntimeError(f"more than {MAX_PAYERS} rows: the RFM analysis cannot hold them in one run")
    return result.rows
