"""(d) Cost per million operations at AWS list prices (us-east-1), from the requests each operation made
(with the items each write carried, sized by DynamoDB's rules) and its measured warm CPU time."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.aws_calls import Call
from bench.cpu import CpuTime
from bench.harness import function_config, template
from bench.requests_count import Operation

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
    "DynamoDB: item sizes by DynamoDB's sizing rules; a transaction costs 2 WRU per item per KB (Put items "
    "sized, Update and ConditionCheck items taken as 1 KB), a plain write 1 WRU per KB; a Put carrying every "
    "key of a global secondary index adds 1 WRU per KB for the index (an Update's index write is not "
    "counted); a cancelled transaction is charged as if it completed (an upper bound); a read costs 0.5 RRU "
    "per 4 KB, or 1 RRU when strongly consistent.",
    "The table stream and Lambda's polling of it are free; each PutEvents entry (under 64 KB) is one event; "
    "a rule's delivery of it to a Lambda function is free (the scored events were paid for when published).",
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


def cost_per_million(operation: Operation, cpu: CpuTime) -> Cost:
    function = operation.function.function
    memory_mb = function.memory_mb
    architecture = function_config(function, "Architectures", ["x86_64"])[0]
    wait_ms = sum(LATENCY_MS.get(call.name, DEFAULT_LATENCY_MS) for call in operation.calls)
    billed_ms = math.ceil(cpu.median_us / 1000 * FULL_VCPU_MB / memory_mb + wait_ms)
    gb_seconds = billed_ms / 1000 * memory_mb / 1024
    write_units = sum(_write_units(call) for call in operation.calls)
    read_units = sum(_read_units(call) for call in operation.calls)
    events = sum(len(call.params.get("Entries", [])) for call in operation.calls if call.name == "eventbridge:PutEvents")
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


def _index_keys() -> list[set[str]]:
    indexes = template().table.properties.get("GlobalSecondaryIndexes") or []
    return [{key["AttributeName"] for key in index["KeySchema"]} for index in indexes]


def _write_units(call: Call) -> float:
    if call.service != "dynamodb":
        return 0.0
    if call.operation == "TransactWriteItems":
        return sum(_item_write_units(action, transactional=True) for action in call.params.get("TransactItems", []))
    if call.operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return _item_write_units({call.operation.removesuffix("Item"): call.params}, transactional=False)
    return 0.0


def _item_write_units(action: Mapping[str, Any], transactional: bool) -> float:
    (kind, request), = action.items()
    kilobytes = math.ceil(item_size(request["Item"]) / 1024) if kind == "Put" else 1
    units = kilobytes * (2 if transactional else 1)
    if kind == "Put" and any(keys <= request["Item"].keys() for keys in _index_keys()):
        units += kilobytes
    return units


def _read_units(call: Call) -> float:
    if call.name not in ("dynamodb:GetItem", "dynamodb:Query") or call.status >= 300:
        return 0.0
    items = call.response.get("Items") or ([call.response["Item"]] if "Item" in call.response else [])
    per_4kb = 1.0 if call.params.get("ConsistentRead") else 0.5
    # A Query is charged on the total size it read; each GetItem on its own item. Never less than 4 KB.
    return per_4kb * max(1, math.ceil(sum(item_size(item) for item in items) / 4096))


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
