"""Deterministic AWS faults for tests, injected through botocore's event hooks.

A `FaultPlan` names what fails: "the 2nd and 5th TransactWriteItems throttle", "every PutEvents entry
fails with probability 0.3". The injector answers matching calls itself in `before-call`, before they
reach moto, so a fault is what the product sees once botocore has given up retrying. Faults fire only
inside `armed()` (the functions' own calls), never in the harness that plays AWS around them.

Registered like moto's own stubber: in botocore's built-in handlers, so every client created after this
module is imported carries the hook; `FaultInjector.__enter__` drops the product's cached clients.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.handlers import BUILTIN_HANDLERS

THROTTLE = "throttle"
SERVER_ERROR = "server_error"
READ_TIMEOUT = "read_timeout"
CONNECT_TIMEOUT = "connect_timeout"
# PutEvents only: some entries come back with an ErrorCode and are not put on the bus.
PARTIAL_FAILURE = "partial_failure"
KINDS = (THROTTLE, SERVER_ERROR, READ_TIMEOUT, CONNECT_TIMEOUT, PARTIAL_FAILURE)

# (error code, HTTP status) as each service answers when it throttles or fails.
_THROTTLE_CODES = {"dynamodb": ("ProvisionedThroughputExceededException", 400), "s3": ("SlowDown", 503)}
_SERVER_ERROR_CODES = {"dynamodb": ("InternalServerError", 500), "s3": ("InternalError", 500)}


@dataclass(frozen=True)
class Rule:
    """Fail calls to `operation` ("dynamodb.TransactWriteItems"): the `calls`-th ones (1-based, counted
    per operation while armed), or each with `probability`. For PARTIAL_FAILURE both are per entry of
    every PutEvents (`calls` then names entry positions, 1-based)."""

    operation: str
    kind: str
    calls: frozenset[int] = frozenset()
    probability: float = 0.0
    # Only inside this function (a template logical id given to `armed`); None: in any.
    function: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.kind == PARTIAL_FAILURE and self.operation != "events.PutEvents":
            raise ValueError("partial failures are PutEvents' own")


@dataclass(frozen=True)
class Injected:
    operation: str
    call: int
    kind: str


@dataclass
class FaultPlan:
    rules: list[Rule]
    seed: int = 0


@dataclass
class FaultInjector:
    plan: FaultPlan
    injected: list[Injected] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.plan.seed)
        self._lock = threading.Lock()
        self._armed = threading.local()

    def __enter__(self) -> FaultInjector:
        global _active
        _active = self
        _forget_product_clients()
        return self

    def __exit__(self, *exc: object) -> None:
        global _active
        _active = None

    @contextmanager
    def armed(self, function: str | None = None) -> Iterator[None]:
        self._armed.on, self._armed.function = True, function
        try:
            yield
        finally:
            self._armed.on, self._armed.function = False, None

    def arm(self, invoke: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
        """The local stack's `invoke(function_id, event)` with faults armed while a function runs: what a
        function does, not what the harness playing AWS around it does."""
        def armed_invoke(function_id: str, event: Any) -> Any:
            with self.armed(function_id):
                return invoke(function_id, event)
        return armed_invoke

    def count(self, kind: str | None = None, operation: str | None = None) -> int:
        return sum(1 for i in self.injected
                   if (kind is None or i.kind == kind) and (operation is None or i.operation == operation))

    def before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        request_dict = params  # botocore passes the serialized request as `params` here
        if not getattr(self._armed, "on", False):
            return None
        service = model.service_model.service_name
        operation = f"{service}.{model.name}"
        function = self._armed.function
        with self._lock:
            self.calls[operation] += 1
            call = self.calls[operation]
            rule = next((r for r in self.plan.rules if r.operation == operation
                         and r.function in (None, function) and self._fires(r, call)), None)
            if rule is None:
                return None
            self.injected.append(Injected(operation, call, rule.kind))
            if rule.kind == PARTIAL_FAILURE:
                return self._drop_entries(rule, request_dict, context)
        url = request_dict.get("url", "https://aws.invalid")
        if rule.kind == READ_TIMEOUT:
            raise ReadTimeoutError(endpoint_url=url)
        if rule.kind == CONNECT_TIMEOUT:
            raise ConnectTimeoutError(endpoint_url=url)
        codes = _THROTTLE_CODES if rule.kind == THROTTLE else _SERVER_ERROR_CODES
        default = ("ThrottlingException", 400) if rule.kind == THROTTLE else ("ServiceUnavailable", 503)
        code, status = codes.get(service, default)
        return (AWSResponse(url, status, {}, None),
                {"Error": {"Code": code, "Message": f"injected {rule.kind}"},
                 "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0}})

    def _fires(self, rule: Rule, call: int) -> bool:
        if rule.kind == PARTIAL_FAILURE:
            return True  # decided per entry
        return call in rule.calls or (rule.probability > 0 and self._random.random() < rule.probability)

    def _drop_entries(self, rule: Rule, request_dict: dict[str, Any], context: dict[str, Any]) -> Any:
        """Sends on only the entries that succeed; `after_call` answers for the dropped ones."""
        body = json.loads(request_dict["body"])
        total = len(body["Entries"])
        failed = [index for index in range(total)
                  if index + 1 in rule.calls or self._random.random() < rule.probability]
        if not failed:
            self.injected.pop()
            return None
        context["crm_failed_entries"] = (failed, total)
        if len(failed) == total:  # PutEvents refuses an empty request: answer it here
            return (AWSResponse(request_dict.get("url", ""), 200, {}, None),
                    {"FailedEntryCount": 0, "Entries": [], "ResponseMetadata": {"HTTPStatusCode": 200}})
        body["Entries"] = [e for index, e in enumerate(body["Entries"]) if index not in failed]
        request_dict["body"] = json.dumps(body).encode()
        return None

    def after_call(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        failed_entries = context.pop("crm_failed_entries", None)
        if failed_entries is None:
            return
        failed, total = failed_entries
        sent = iter(parsed.get("Entries", []))
        parsed["Entries"] = [
            {"ErrorCode": "ThrottlingException", "ErrorMessage": "injected partial failure"}
            if index in failed else next(sent) for index in range(total)]
        parsed["FailedEntryCount"] = parsed.get("FailedEntryCount", 0) + len(failed)


_active: FaultInjector | None = None


def _before_call(**kwargs: Any) -> Any:
    return _active.before_call(**kwargs) if _active is not None else None


def _after_call(**kwargs: Any) -> None:
    if _active is not None and kwargs["model"].name == "PutEvents":
        _active.after_call(**kwargs)


def _forget_product_clients() -> None:
    """The product keeps clients for the container's life; new ones carry the hook."""
    from crm.platform import aws
    from crm.platform.config import get_settings
    from crm.records.table import bind_table

    aws.client.cache_clear()
    bind_table(get_settings())


BUILTIN_HANDLERS.extend([("before-call", _before_call), ("after-call", _after_call)])
