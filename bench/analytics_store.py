"""(g) The analytical store: Parquet bytes per million events, and what a million events cost to store.

Representative bus events (the product's event types in a small business's mix, with the details its code
publishes, ids as it makes them, over 30 days) go through the local Firehose's own converter and writer
(`crm_local.firehose`: the events table's columns only, Snappy pages, as Firehose's ParquetSerDe in
template.yaml) in files of the size Firehose would write at a given monthly volume: it writes a file per
buffer interval (900 s in template.yaml) unless 128 MB of input arrive first, so a store of V events a month
gets files of about V / 2,880 events. Each file carries a footer with the schema, so small files cost more
per event: the table shows bytes per event and per million at several volumes, then the cost per million
events at list prices. No AWS is called; nothing is timed.

`python -m bench.analytics_store` runs this section alone (`--events N`, 20,000 by default)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from crm_local.firehose import DeliveryStream, LocalFirehose

EVENTS = 20_000
SEED = 20261204
DAYS = 30
# Firehose writes one file per buffer interval (900 s: 96 a day, 2,880 in 30 days) unless its 128 MB fill first.
FILES_PER_MONTH = DAYS * 24 * 3600 // 900
BUFFER_BYTES = 128 * 1024 * 1024
# Monthly volumes a CRM's bus may carry, small business to large.
MONTHLY_VOLUMES = (100_000, 1_000_000, 10_000_000)

MILLION = 1_000_000
GB = 1024 ** 3
# us-east-1 list prices, USD.
FIREHOSE_INGEST_PER_GB = 0.029  # Direct PUT, first 500 TB a month, each record rounded up to 5 KB
FIREHOSE_RECORD_INCREMENT = 5 * 1024
FIREHOSE_CONVERSION_PER_GB = 0.018  # record format conversion, per GB converted (billed like ingestion)
S3_STANDARD_PER_GB_MONTH = 0.023
S3_PUT_PER_1000 = 0.005
ATHENA_PER_TB = 5.00
ATHENA_MINIMUM_BYTES = 10 * 1024 ** 2

# (detail type, share of the bus) for a small business: contacts kept up to date, activities, leads from
# forms and email, deals moving, payments.
MIX = (
    ("Contact Updated", 24), ("Activity Logged", 14), ("Contact Created", 12), ("Form Submitted", 11),
    ("Email Received", 11), ("Deal Stage Changed", 9), ("Payment Succeeded", 5), ("Activity Created", 3),
    ("Contact Qualified", 3), ("Deal Won", 2), ("Deal Lost", 1), ("Contacts Merged", 1),
    ("Rescore Batch Requested", 1), ("Contact Erased", 1),
)
STAGES = ("new", "demo", "proposal", "negotiation", "won", "lost")
SOURCES = ("web_form", "email", "payment:stripe", "payment:paypal", "import", "referral")
CURRENCIES = ("EUR", "USD", "IRR", "MYR", "RUB")
FIELDS = ("phone", "job_title", "owner", "lifecycle_stage", "lead_status", "company", "custom_fields")

ASSUMPTIONS = (
    f"us-east-1 list prices: Firehose Direct PUT ingestion ${FIREHOSE_INGEST_PER_GB}/GB with every record rounded "
    f"up to 5 KB; record format conversion ${FIREHOSE_CONVERSION_PER_GB}/GB, taken on the same rounded volume (an "
    f"upper bound); S3 Standard ${S3_STANDARD_PER_GB_MONTH}/GB-month and ${S3_PUT_PER_1000} per 1,000 PUTs; Athena "
    f"${ATHENA_PER_TB:.2f}/TB scanned, at least 10 MB a query.",
    "EventBridge's delivery of a rule's match to Firehose is free; the event was paid for when published "
    "($1.00/M, in the cost section). Firehose's CloudWatch logging of errors and data transfer are left out.",
    "A file per 900 s buffer (template.yaml) unless 128 MB of JSON arrive first; the files' bytes are the local "
    "Firehose's (pyarrow, Snappy, dictionaries, INT96 time), which Firehose's Hive writer will not match byte "
    "for byte.",
)


@dataclass(frozen=True)
class Volume:
    monthly_events: int
    events_per_file: int
    files: int
    parquet_bytes: int
    events: int

    @property
    def bytes_per_event(self) -> float:
        return self.parquet_bytes / self.events

    @property
    def megabytes_per_million(self) -> float:
        return self.bytes_per_event * MILLION / 1024 ** 2


@dataclass(frozen=True)
class StoreRun:
    events: int
    json_bytes_per_event: float
    volumes: tuple[Volume, ...]
    by_type: dict[str, int]


def _ids(rng: random.Random, count: int) -> list[str]:
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def representative_events(count: int = EVENTS, monthly: int = 1_000_000, seed: int = SEED) -> list[bytes]:
    """`count` bus events as EventBridge hands them to Firehose (JSON), in time order, at `monthly` events a
    month (so a file of a buffer interval's events spans about 900 s, as it would)."""
    rng = random.Random(seed)  # noqa: S311 - representative test data, not secrets
    contacts, deals = _ids(rng, max(1, count // 6)), _ids(rng, max(1, count // 20))
    forms = ["contact-us", "demo", "newsletter"]
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    seconds = sorted(rng.uniform(0, count * DAYS * 86400 / monthly) for _ in range(count))
    types = rng.choices([t for t, _ in MIX], weights=[w for _, w in MIX], k=count)
    events = []
    for detail_type, offset in zip(types, seconds, strict=True):
        detail = {**_detail(rng, detail_type, contacts, deals, forms), "event_id": f"{rng.getrandbits(128):032x}"}
        time = (start + dt.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {"version": "0", "id": _uuid(rng), "detail-type": detail_type, "source": "crm",
                 "account": "123456789012", "time": time, "region": "us-east-1",
                 "resources": [f"crm:event/{detail['event_id']}"], "detail": detail}
        events.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())
    return events


def _uuid(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _detail(rng: random.Random, detail_type: str, contacts: list[str], deals: list[str],
            forms: list[str]) -> dict[str, Any]:
    """The detail the product's code publishes for each type (crm.contacts.edits, crm.forms.store, ...)."""
    contact, deal = rng.choice(contacts), rng.choice(deals)
    amount = rng.choice((990, 4900, 12900, 250000, 1_500_000))
    details: dict[str, dict[str, Any]] = {
        "Contact Created": {"contact_id": contact, "source": rng.choice(SOURCES)},
        "Contact Updated": {"contact_id": contact, "fields": rng.sample(FIELDS, rng.randint(1, 3))},
        "Form Submitted": {"form_id": rng.choice(forms), "submission_id": f"{rng.getrandbits(128):032x}",
                           "contact_id": contact, "created_contact": rng.random() < 0.6,
                           "utm_source": rng.choice((None, "google", "newsletter", "instagram")),
                           "utm_campaign": rng.choice((None, "spring-sale", "webinar-12"))},
        "Email Received": {"contact_id": contact, "email_id": f"{rng.getrandbits(128):032x}",
                           "thread_id": f"{rng.getrandbits(128):032x}"},
        "Activity Logged": {"activity_id": f"{rng.getrandbits(128):032x}",
                            "activity_type": rng.choice(("call", "meeting", "task", "note", "email")),
                            "contact_id": contact, "company_id": None, "deal_id": rng.choice((None, deal))},
        "Activity Created": {"activity_id": f"{rng.getrandbits(128):032x}", "activity_type": "task",
                             "contact_id": None, "company_id": None, "deal_id": None},
        "Deal Stage Changed": {"deal_id": deal, "contact_id": contact, "pipeline_id": "default",
                               "from": rng.choice(STAGES[:4]), "to": rng.choice(STAGES[1:])},
        "Deal Won": {"deal_id": deal, "contact_id": contact, "amount_minor": amount,
                     "currency": rng.choice(CURRENCIES), "close_reason": "Signed the yearly plan"},
        "Deal Lost": {"deal_id": deal, "contact_id": contact, "amount_minor": amount,
                      "currency": rng.choice(CURRENCIES), "close_reason": "Went with a competitor"},
        "Payment Succeeded": {"payment_key": f"stripe:pi_{rng.getrandbits(64):016x}", "contact_id": contact,
                              "provider": rng.choice(("stripe", "paypal", "authorizenet")), "amount_minor": amount,
                              "currency": rng.choice(CURRENCIES),
                              "provider_event_id": f"evt_{rng.getrandbits(64):016x}"},
        "Contact Qualified": {"contact_id": contact, "score": rng.randint(60, 100)},
        "Contacts Merged": {"winner_id": contact, "loser_id": rng.choice(contacts), "by": "staff-sub-0001"},
        "Contact Erased": {"contact_id": contact, "by": "staff-sub-0001"},
        "Rescore Batch Requested": {"job_id": f"{rng.getrandbits(64):016x}", "cursor": None},
    }
    return details[detail_type]


class _Bytes:
    """An S3 stand-in that keeps the size of what the local Firehose puts."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        if not Key.startswith("events/"):
            raise AssertionError(f"a representative event failed conversion: {Body[:300]!r}")
        self.sizes.append(len(Body))


def _chunks(items: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def write_in_files(events: list[bytes], events_per_file: int) -> tuple[int, int]:
    """The events through the local Firehose, flushed every `events_per_file`; (files, Parquet bytes)."""
    stream = DeliveryStream("EventArchiveStream", "bench", "analytics", "events/dt=!{timestamp:yyyy-MM-dd}/",
                            "errors/!{firehose:error-output-type}/", ".parquet", 900, 128)
    s3 = _Bytes()
    firehose = LocalFirehose(stream, s3)
    for chunk in _chunks(events, events_per_file):
        for data in chunk:
            firehose.put(data)
        firehose.flush()
    return len(s3.sizes), sum(s3.sizes)


def measure_store(count: int = EVENTS) -> StoreRun:
    events = representative_events(count)
    json_bytes = sum(len(e) for e in events)
    by_file = min(count, BUFFER_BYTES * count // json_bytes)
    volumes = []
    # Last, the run's events in one file: what a store of that many events per buffer interval gets.
    for monthly in (*MONTHLY_VOLUMES, by_file * FILES_PER_MONTH):
        per_file = max(1, min(by_file, round(monthly / FILES_PER_MONTH)))
        files, size = write_in_files(representative_events(count, monthly), per_file)
        volumes.append(Volume(monthly, per_file, files, size, count))
    types: dict[str, int] = {}
    for data in events:
        kind = json.loads(data)["detail-type"]
        types[kind] = types.get(kind, 0) + 1
    return StoreRun(count, json_bytes / count, tuple(volumes), types)


def firehose_usd_per_million(json_bytes_per_event: float) -> tuple[float, float]:
    """(ingestion, format conversion) per million events: each record billed in 5 KB increments."""
    billed = math.ceil(json_bytes_per_event / FIREHOSE_RECORD_INCREMENT) * FIREHOSE_RECORD_INCREMENT * MILLION / GB
    return billed * FIREHOSE_INGEST_PER_GB, billed * FIREHOSE_CONVERSION_PER_GB


def print_store(run: StoreRun) -> None:
    ingest, convert = firehose_usd_per_million(run.json_bytes_per_event)
    print(f"\nAnalytical store: {run.events:,} representative bus events ({len(run.by_type)} types; JSON "
          f"{run.json_bytes_per_event:,.0f} bytes/event as EventBridge hands them to Firehose) written as Parquet by "
          "the local Firehose, in files of the size Firehose writes at each monthly volume")
    print(f"  {'events/month':>13} {'events/file':>11} {'files':>6} {'bytes/event':>11} {'MB/million':>10} "
          f"{'S3 $/million/month':>18} {'PUTs $/million':>14}")
    for v in run.volumes:
        storage = v.megabytes_per_million / 1024 * S3_STANDARD_PER_GB_MONTH
        puts = MILLION / v.events_per_file * S3_PUT_PER_1000 / 1000
        print(f"  {v.monthly_events:>13,} {v.events_per_file:>11,} {v.files:>6,} {v.bytes_per_event:>11.1f} "
              f"{v.megabytes_per_million:>10.1f} {storage:>18.4f} {puts:>14.4f}")
    print(f"  Firehose per million events: ingestion ${ingest:.3f} + format conversion ${convert:.3f} = "
          f"${ingest + convert:.3f} (each ~{run.json_bytes_per_event:,.0f}-byte record billed as 5 KB; "
          f"on the actual bytes it would be ${(ingest + convert) * run.json_bytes_per_event / 5120:.4f})")
    mid = run.volumes[1]
    scan = max(mid.megabytes_per_million * 1024 ** 2, ATHENA_MINIMUM_BYTES)
    print(f"  Athena: a query reading every column of a million events (at {mid.monthly_events:,}/month) scans "
          f"{mid.megabytes_per_million:.1f} MB, billed as {scan / 1024 ** 2:.0f} MB: "
          f"${scan / 1024 ** 4 * ATHENA_PER_TB:.5f}")
    for assumption in ASSUMPTIONS:
        print(f"  - {assumption}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=EVENTS)
    args = parser.parse_args()
    print_store(measure_store(args.events))


if __name__ == "__main__":
    main()
