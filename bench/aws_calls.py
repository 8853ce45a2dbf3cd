"""Every AWS call the code under test makes, seen through botocore's event hooks: counted and recorded
while it runs against moto, or answered from such a recording so that no AWS at all is involved.

The hooks go into `botocore.handlers.BUILTIN_HANDLERS`, the list botocore registers on every Session it
creates; a client copies its session's handlers when it is made. PynamoDB opens a fresh botocore
session per connection (the models' and `transaction_connection()`), boto3 one per boto3 Session
(`crm.aws.client`), so this one list reaches every client the code creates, wherever it keeps it,
without patching any of them. A client made before this module is imported would be missed, so the
bench imports it before any code under test runs (moto hooks in the same way). The hooks do nothing
outside `observing()` and `replaying()`.
"""

from __future__ import annotations

import io
import json
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from botocore.response import StreamingBody

_CALL_KEY = "bench_call"


@dataclass
class Call:
    service: str
    operation: str
    # The API parameters, for the JSON protocols (DynamoDB, EventBridge); empty for the others.
    params: dict[str, Any]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


def counts(calls: Sequence[Call]) -> Counter[str]:
    return Counter(call.name for call in calls)


class ReplayMismatch(AssertionError):
    """The code made other calls than the recording it was replayed against."""


@dataclass
class _Replay:
    pending: deque[Call]
    unexpected: list[str] = field(default_factory=list)


_observers: list[list[Call]] = []
_replays: list[_Replay] = []


@contextmanager
def observing() -> Iterator[list[Call]]:
    """The calls made inside the block, in order, each with the response it got."""
    calls: list[Call] = []
    _observers.append(calls)
    try:
        yield calls
    finally:
        _observers.remove(calls)


@contextmanager
def replaying(calls: Sequence[Call]) -> Iterator[None]:
    """Answers each call with the next recorded response, at the HTTP layer (the request is built,
    signed and the response parsed as usual). A call the recording does not expect gets an error
    response, never the network; ReplayMismatch is raised after the block if anything differed."""
    replay = _Replay(deque(calls))
    _replays.append(replay)
    try:
        yield
    finally:
        _replays.remove(replay)
    if replay.unexpected or replay.pending:
        raise ReplayMismatch(f"unexpected calls {replay.unexpected}, "
                             f"recorded calls not made {[call.name for call in replay.pending]}")


def _before_call(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if not _observers:
        return
    body = params.get("body") or b""
    is_json = "json" in str(params.get("headers", {}).get("Content-Type", ""))
    call = Call(model.service_model.service_id.hyphenize(), model.name, json.loads(body) if is_json and body else {})
    context[_CALL_KEY] = call
    for calls in _observers:
        calls.append(call)


def _after_call(http_response: AWSResponse, parsed: dict[str, Any], model: Any, context: dict[str, Any],
                **_: Any) -> None:
    call = context.get(_CALL_KEY)
    if call is not None:
        call.status, call.headers = http_response.status_code, dict(http_response.headers)
        call.body, call.response = http_response.content, parsed
        # Recording read the stream a streaming body (S3 GetObject's) would have read: the caller gets a
        # fresh one over the recorded bytes.
        payload = model.output_shape.serialization.get("payload") if model.has_streaming_output else None
        if payload in parsed:
            parsed[payload] = StreamingBody(io.BytesIO(call.body), len(call.body))


def _before_send(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
    if not _replays:
        return None
    replay = _replays[-1]
    _, service, operation = event_name.split(".")
    expected = replay.pending.popleft() if replay.pending else None
    if expected is None or (expected.service, expected.operation) != (service, operation):
        replay.unexpected.append(f"{service}:{operation}")
        error = {"__type": "BenchReplayMismatch", "message": "this call was not recorded"}
        return _response(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(error).encode())
    return _response(request.url, expected.status, expected.headers, expected.body)


class _RawBody(io.BytesIO):
    """What botocore reads a response body from (urllib3's `stream`)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _response(url: str, status: int, headers: dict[str, str], body: bytes) -> AWSResponse:
    return AWSResponse(url, status, headers, _RawBody(body))


BUILTIN_HANDLERS.extend([("before-call", _before_call), ("after-call", _after_call), ("before-send", _before_send)])
