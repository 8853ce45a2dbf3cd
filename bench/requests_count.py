"""(b) AWS requests per operation: each operation invoked once in a warm container against moto, with
every call counted (and its response recorded, which the CPU bench replays)."""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from typing import Any

from crm_local.template import FunctionSpec

from bench.aws_calls import Call, counts, observing
from bench.harness import (
    Invocable,
    contact_event,
    embedded_aws,
    quiet,
    route_function,
    sample_event,
    stream_function,
    submission_event,
)

SUBMIT_ROUTE = "POST /forms/{form_id}/submissions"
LIST_ROUTE = "GET /v1/contacts"
PHONE = "+1 415 555 0100"
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass
class Operation:
    name: str
    event: dict[str, Any]
    function: Invocable | None = None
    response: Any = None
    calls: list[Call] = field(default_factory=list)
    error: str | None = None

    @property
    def status(self) -> str:
        """The HTTP status, or for a stream batch how many records it reported as failed."""
        if self.error:
            return "error"
        if "statusCode" in self.response:
            return str(self.response["statusCode"])
        return f"{len(self.response.get('batchItemFailures', []))} failed"

    @property
    def via_http_api(self) -> bool:
        return "routeKey" in self.event

    def requests(self) -> dict[str, int]:
        return dict(counts(self.calls))

    def targets(self) -> list[tuple[str, bool]]:
        """(target, met) for the request targets that apply to this operation."""
        found = [("no Scan", all(call.operation != "Scan" for call in self.calls))]
        writes = sum(call.service == "dynamodb" and call.operation in DYNAMODB_WRITES for call in self.calls)
        if self.name == "new submission":
            found.append(("1 DynamoDB write, no other call", writes == 1 and len(self.calls) == 1))
        elif self.name == "repeat submission":
            found.append(("<= 2 requests", len(self.calls) <= 2))
        return found


def measure_requests() -> list[Operation]:
    """Runs the operations in order (later ones read what earlier ones wrote) and counts their calls."""
    operations: list[Operation] = []
    with embedded_aws(), quiet():
        lead_capture = _warm(route_function(SUBMIT_ROUTE), submission_event("warm.up@example.com", "+1 415 555 0199"))
        new = _measure(operations, "new submission", lead_capture, submission_event("ali@example.com", PHONE))
        _measure(operations, "repeat submission", lead_capture, submission_event("Ali@Example.COM", PHONE))
        api = _warm(route_function(LIST_ROUTE), sample_event("api_list_contacts.json"))
        _measure(operations, "list contacts", api, sample_event("api_list_contacts.json"))
        _measure(operations, "get contact", api, contact_event(_created_contact_id(new)))
        publisher = _warm(stream_function(), sample_event("event_publisher_stream.json"))
        _measure(operations, "publish outbox batch", publisher, sample_event("event_publisher_stream.json"))
    return operations


def _warm(function: FunctionSpec, event: dict[str, Any]) -> Invocable | Exception:
    """The function imported and invoked once, as a warm container is; or why it could not be."""
    try:
        invocable = Invocable.load(function)
        invocable(event)
    except Exception as exc:  # noqa: BLE001 - one broken function is reported, the rest still measured
        return exc
    return invocable


def _measure(operations: list[Operation], name: str, function: Invocable | Exception,
             event: dict[str, Any]) -> Operation:
    operation = Operation(name, event)
    operations.append(operation)
    if isinstance(function, Exception):
        operation.error = f"not invocable: {function!r}"
        return operation
    operation.function = function
    with observing() as calls:
        try:
            operation.response = function(event)
        except Exception:  # noqa: BLE001 - a handler that raises is a finding, not the end of the bench
            operation.error = traceback.format_exc(limit=-3)
    operation.calls = calls
    return operation


def _created_contact_id(new: Operation) -> str:
    if new.error or new.response.get("statusCode") != 201:
        return "no-contact-was-created"
    return json.loads(new.response["body"])["contact_id"]
