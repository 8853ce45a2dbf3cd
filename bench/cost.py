"""(d) Cost per million operations at AWS list prices (us-east-1), from the requests each operation made
(with the items each write carried, sized by DynamoDB's rules) and its measured warm CPU time."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.aws_calls import Call
from bench.cpu import CpuTime
from bench.harness import function_config, template
from bench.requests_count import ItemWrite, Operation

MILLION = 1_000_000
# us-east-1 list prices, USD.
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
LAMBDA_PER_REQUEST = 0.20 / MILLION
DYNAMODB_PER_WRU = 0.625 / MILLION
DYNAMODB_PER_RRU = 0.125 / MILLION
HTTP_API_PER_REQUEST = 1.00 / MILLION
EVENTBRIDGE_PER_EVENT = 1.00 / MILLION
# Lambda gives a function one full vCPU at 1,769 MB and proportionally less below it.
FULL_VCPU_MB = 1769
# Round trips inside the region, which Lambda bills as duration while the handler waits.
LATENCY_MS = {"dynamodb:TransactWriteItems": 10.0, "eventbridge:PutEvents": 15.0, "s3:PutObject": 20.0}
DEFAULT_LATENCY_MS = 5.0

ASSUMPTIONS = (
    "us-east-1 list prices: Lambda $0.0000133334/GB-s (arm64) or $0.0000166667 (x86_64) and $0.20/M "
    "requests; DynamoDB on-demand $0.625/M WRU, $0.125/M RRU; HTTP API $1.00/M; EventBridge $1.00/M events.",
    "Warm invocations only; cold starts, free tiers, storage, logs, X-Ray and data transfer are left out.",
    f"Lambda duration = CPU measured here x {FULL_VCPU_MB}/memory MB (the function's share of a vCPU; "
    "this machine's core taken as fast as Graviton's) + an assumed round trip per AWS request: "
    + ", ".join(f"{name} {ms:g} ms" for name, ms in LATENCY_MS.items())
    + f", any other {DEFAULT_LATENCY_MS:g} ms; rounded up to the whole millisecond.",
    "DynamoDB: item sizes by DynamoDB's sizing rules, from the item before and after each write (read from "
    "moto's memory, not counted as requests); a Put or Update costs 1 WRU per KB of the larger of the two, a "
    "Delete or a transaction's ConditionCheck per KB of the item; in a transaction each costs twice that.",
    "DynamoDB indexes: per global secondary index of template.yaml, from the item before and after: an item "
    "that enters the index is 1 index write, one that leaves it 1, one whose index keys change 2 (the old entry "
    "deleted, the new put), one that stays with the same keys but changed projected attributes 1 (with ALL "
    "projection, any change); each 1 WRU per KB of its entry (the projected attributes; an ALL-projection "
    "entry is the item), never doubled by a transaction (indexes are updated once the transaction has committed).",
    "DynamoDB cancelled transaction (or refused conditional write): its items are charged as if it completed "
    "(an upper bound), with no index write (nothing changed).",
    "DynamoDB reads: 0.5 RRU per 4 KB, or 1 RRU when strongly consistent; a Query on the total it read, a "
    "GetItem or each item of a BatchGetItem on its own; 2 RRU per 4 KB per item of a TransactGetItems.",
    "The table stream and Lambda's polling of it are free; each PutEvents entry (under 64 KB) is one event; "
    "a rule's delivery of it to a Lambda function is free (the scored events were paid for when published).",
    "A composite is the sum of its operations that ran: a captured and scored lead is the submission through "
    "the HTTP API and the scoring function's invocations for its Contact Created and Form Submitted that the "
    "scoring rule delivers. The submission scores a new lead and marks both events scored_at_capture; the "
    "rule's pattern in template.yaml skips them, so they cost the lead no invocation and no read (shown as not "
    "delivered). A lead whose scoring model could not be read at capture is stored unscored, and its two "
    "events are delivered and score it; that path is not measured here. Publishing the two events "
    "(EventBridge $2.00/M leads, plus the publisher's invocation, shared by up to 100 stream records) is "
    "priced apart, as publish new lead's outbox.",
)


@dataclass(frozen=True)
class Cost:
    operation: str
    lambda_usd: float
    dynamodb_usd: float
    http_api_usd: float
    eventbridge_usd: float
    billed_ms: int
    write_units: float
    read_units: float

    @property
    def total_usd(self) -> float:
        return self.lambda_usd + self.dynamodb_usd + self.http_api_usd + self.eventbridge_usd


# A whole flow, priced as the sum of the operations it is made of that ran.
COMPOSITES = {
    # A lead from a web form: the submission through the HTTP API, then the scoring function invoked by the
    # bus for each of its two events its rule delivers (none when the submission scored the lead);
    # publishing them is "publish new lead's outbox".
    "captured and scored lead": ("new submission", "score new lead's Contact Created",
                                 "score new lead's Form Submitted"),
}


@dataclass(frozen=True)
class Composite:
    name: str
    # The parts summed, and the parts that cost nothing because their bus rule did not deliver them.
    parts: tuple[str, ...]
    total_usd: float
    write_units: float
    read_units: float
    not_delivered: tuple[str, ...] = ()


def composite_costs(costs: list[Cost], operations: Sequence[Operation] = ()) -> list[Composite]:
    """Each composite summed from its parts that ran; a part that is a bus event its rule did not deliver
    (one of `operations` with delivered False) costs nothing and is listed apart. A composite with a part
    neither priced nor left undelivered (one that failed) is left out."""
    by_name = {cost.operation: cost for cost in costs}
    undelivered = {operation.name for operation in operations if not operation.delivered}
    found = []
    for name, parts in COMPOSITES.items():
        used = tuple(part for part in parts if part not in undelivered)
        if all(part in by_name for part in used):
            chosen = [by_name[part] for part in used]
            found.append(Composite(name, used, sum(c.total_usd for c in chosen), sum(c.write_units for c in chosen),
                                   sum(c.read_units for c in chosen),
                                   tuple(part for part in parts if part in undelivered)))
    return found


def cost_per_million(operation: Operation, cpu: CpuTime) -> Cost:
    function = operation.function.function
    memory_mb = function.memory_mb
    architecture = function_config(function, "Architectures", ["x86_64"])[0]
    wait_ms = sum(LATENCY_MS.get(call.name, DEFAULT_LATENCY_MS) for call in operation.calls)
    billed_ms = math.ceil(cpu.median_us / 1000 * FULL_VCPU_MB / memory_mb + wait_ms)
    gb_seconds = billed_ms / 1000 * memory_mb / 1024
    write_units = sum(write_units_of(call, operation.writes_of(call)) for call in operation.calls)
    read_units = sum(_read_units(call) for call in operation.calls)
    events = sum(len(call.params.get("Entries", [])) for call in operation.calls
                 if call.name == "eventbridge:PutEvents")
    return Cost(
        operation=operation.name,
        lambda_usd=MILLION * (LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_GB_SECOND[architecture]),
        dynamodb_usd=MILLION * (write_units * DYNAMODB_PER_WRU + read_units * DYNAMODB_PER_RRU),
        http_api_usd=MILLION * HTTP_API_PER_REQUEST if operation.via_http_api else 0.0,
        eventbridge_usd=MILLION * events * EVENTBRIDGE_PER_EVENT,
        billed_ms=billed_ms,
        write_units=write_units,
        read_units=read_units,
    )


@dataclass(frozen=True)
class Index:
    name: str
    keys: frozenset[str]
    projection: str
    non_key_attributes: frozenset[str]


def indexes() -> list[Index]:
    """The table's global secondary indexes, as template.yaml declares them."""
    found = []
    for index in template().table.properties.get("GlobalSecondaryIndexes") or []:
        projection = index.get("Projection") or {}
        found.append(Index(index["IndexName"], frozenset(key["AttributeName"] for key in index["KeySchema"]),
                           projection.get("ProjectionType", "ALL"), frozenset(projection.get("NonKeyAttributes", ()))))
    return found


def _table_keys() -> frozenset[str]:
    return frozenset(key["AttributeName"] for key in template().table.properties["KeySchema"])


def write_units_of(call: Call, writes: list[ItemWrite] | None) -> float:
    """The WRU a DynamoDB write call consumed: its items (doubled in a transaction) and index entries."""
    if call.service != "dynamodb" or call.operation not in ("PutItem", "UpdateItem", "DeleteItem",
                                                            "TransactWriteItems", "BatchWriteItem"):
        return 0.0
    transactional = call.operation == "TransactWriteItems"
    committed = call.status < 300
    return sum(item_write_units(write, transactional, committed)
               for write in (writes if writes is not None else _sent_only(call)))


def _sent_only(call: Call) -> list[ItemWrite]:
    """Without images (a call not recorded against moto): what the request itself says, every item taken
    as new, an Update, Delete or ConditionCheck as 1 KB."""
    params = call.params
    if call.operation == "TransactWriteItems":
        actions = [next(iter(entry.items())) for entry in params.get("TransactItems", [])]
    elif call.operation == "BatchWriteItem":
        actions = [("Put", r["PutRequest"]) if "PutRequest" in r else ("Delete", r["DeleteRequest"])
                   for requests in params.get("RequestItems", {}).values() for r in requests]
    else:
        actions = [(call.operation.removesuffix("Item"), params)]
    return [ItemWrite(action, request.get("Item") if action == "Put" else None, None,
                      request.get("Item") if action == "Put" else None) for action, request in actions]


def item_write_units(write: ItemWrite, transactional: bool, committed: bool = True) -> float:
    """One item's write: its table units (per KB of the larger of before and after, or of what a Put sent
    when the transaction was cancelled; doubled in a transaction) and, when the write took effect, its
    index writes."""
    sizes = [item_size(i) for i in (write.before, write.after if committed else write.sent) if i is not None]
    if write.action in ("Delete", "ConditionCheck"):
        sizes = [item_size(write.before)] if write.before is not None else []
    units = _kilobytes(max(sizes, default=0)) * (2 if transactional else 1)
    if committed and write.action != "ConditionCheck":
        units += sum(index_write_units(index, write.before, write.after) for index in indexes())
    return units


def index_write_units(index: Index, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> int:
    """What one write cost in one index: its entry put, deleted, moved (both) or rewritten, per KB."""
    old, new = _index_entry(index, before), _index_entry(index, after)
    if old is None and new is None:
        return 0
    if old is None or new is None:
        return _kilobytes(item_size(old if new is None else new))
    if any(old[key] != new[key] for key in index.keys):
        return _kilobytes(item_size(old)) + _kilobytes(item_size(new))
    return _kilobytes(item_size(new)) if old != new else 0


def _index_entry(index: Index, item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The item's entry in the index (its projected attributes), or None when it is not in the index."""
    if item is None or not index.keys <= item.keys():
        return None
    if index.projection == "ALL":
        return dict(item)
    kept = index.keys | _table_keys() | (index.non_key_attributes if index.projection == "INCLUDE" else frozenset())
    return {name: value for name, value in item.items() if name in kept}


def _kilobytes(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def _read_units(call: Call) -> float:
    if call.service != "dynamodb" or call.status >= 300:
        return 0.0
    if call.operation == "BatchGetItem":
        # Each item on its own, as a GetItem (a key not found costs the minimum).
        return sum(_per_item_reads(call.response.get("Responses", {}).get(table) or [],
                                   len(request.get("Keys", [])), 1.0 if request.get("ConsistentRead") else 0.5)
                   for table, request in call.params.get("RequestItems", {}).items())
    if call.operation == "TransactGetItems":
        items = [r["Item"] for r in call.response.get("Responses", []) if "Item" in r]
        return _per_item_reads(items, len(call.params.get("TransactItems", [])), 2.0)
    if call.operation not in ("GetItem", "Query"):
        return 0.0
    items = call.response.get("Items") or ([call.response["Item"]] if "Item" in call.response else [])
    per_4kb = 1.0 if call.params.get("ConsistentRead") else 0.5
    # A Query is charged on the total size it read; each GetItem on its own item. Never less than 4 KB.
    return per_4kb * max(1, math.ceil(sum(item_size(item) for item in items) / 4096))


def _per_item_reads(found: list[Any], asked: int, per_4kb: float) -> float:
    return per_4kb * (sum(max(1, math.ceil(item_size(item) / 4096)) for item in found) + max(0, asked - len(found)))


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes DynamoDB counts for an item: each attribute's name plus its value."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(member.encode()) for member in data)
    if kind == "NS":
        return sum(_number_size(member) for member in data)
    if kind == "BS":
        return sum(len(base64.b64decode(member)) for member in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(member) for member in data)
    return 3 + sum(1 + len(name.encode()) + _value_size(member) for name, member in data.items())


def _number_size(number: str) -> int:
    """About one byte per two significant digits, plus one."""
    digits = number.lstrip("-").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1
