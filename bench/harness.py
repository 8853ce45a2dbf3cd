"""What the parts of the bench share: the functions of template.yaml, the environment they read, an
in-process AWS built from the template, the sample events of events/ (and bus events), and a way to
invoke a handler."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from crm.records.outbox import EVENT_SOURCE
from crm_local.patterns import matches as pattern_matches
from crm_local.template import FunctionSpec, RuleSource, StreamSource, Template, create_table_kwargs

from tests.support.signing import authorizenet_header, stripe_header

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
# Every client call reaches the API function through this one route of template.yaml.
API_ROUTE = "ANY /v1/{proxy+}"

# The cursor key comes from the environment, not Secrets Manager: in AWS it is fetched once per five
# minutes per container, which rounds to no request per operation. The form configuration is cached
# for the whole run, as a warm container holds it for its cache time (60 s by default). The webhook
# signing secrets come from the environment for the same reason (cached five minutes in AWS), and the
# bench signs its webhooks with them.
STRIPE_WEBHOOK_SECRET = "whsec_bench"
AUTHORIZENET_SIGNATURE_KEY = "BENCHSIGNATUREKEY"
_BENCH_OVERRIDES = {
    "CRM_CURSOR_SECRET_ARN": "",
    "CRM_CURSOR_SECRET": "bench-cursor-secret",
    "CRM_STRIPE_WEBHOOK_SECRET_ARN": "",
    "CRM_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
    "CRM_AUTHORIZENET_SIGNATURE_KEY_ARN": "",
    "CRM_AUTHORIZENET_SIGNATURE_KEY": AUTHORIZENET_SIGNATURE_KEY,
    "CRM_AWS_ENDPOINT_URL": "",
    "CRM_FORM_CACHE_SECONDS": "3600",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    # No instance metadata look-up, ever: these machines have no network to spare for it.
    "AWS_EC2_METADATA_DISABLED": "true",
}


@cache
def template() -> Template:
    loaded = Template.load(ROOT / "template.yaml")
    # The JWT authorizer names the Cognito pool and client, which have ids only once created; the
    # bench never checks a token (API Gateway has, before a handler runs), so stand-in ids do.
    for resource in (*loaded.user_pools(), *loaded.user_pool_clients()):
        loaded.bind(resource.logical_id, ref=f"bench-{resource.logical_id}")
    return loaded


def functions() -> list[FunctionSpec]:
    return template().functions()


def function_environment(function: FunctionSpec) -> dict[str, str]:
    """What the function reads in AWS (template names resolved to local ones), with the bench's overrides."""
    region = template().region
    return {**function.environment, **_BENCH_OVERRIDES, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def apply_environment() -> None:
    """Every function's environment in this process, before any handler reads its settings."""
    for function in functions():
        os.environ.update(function_environment(function))
    os.environ.pop("AWS_PROFILE", None)


def function_config(function: FunctionSpec, name: str, default: Any) -> Any:
    """A property of the function as SAM deploys it: its own, else the template's Globals."""
    document = template().document
    own = document["Resources"][function.logical_id].get("Properties") or {}
    return own.get(name, ((document.get("Globals") or {}).get("Function") or {}).get(name, default))


def _single_function(matches: Callable[[FunctionSpec], bool], description: str) -> FunctionSpec:
    found = [f for f in functions() if matches(f)]
    if len(found) != 1:
        raise LookupError(f"template.yaml has no single function {description}")
    return found[0]


def route_function(route_key: str) -> FunctionSpec:
    return _single_function(lambda f: any(route.route_key == route_key for route in f.routes), f"for {route_key!r}")


def handler_function(handler: str) -> FunctionSpec:
    """The function whose handler this is (for a source the template's routes and rules do not name)."""
    return _single_function(lambda f: f.handler == handler, f"with handler {handler!r}")


def stream_function(record: Mapping[str, Any], handler: str) -> FunctionSpec:
    """The function with this handler, if the table stream sends it this record by its FilterCriteria
    (several functions read the stream: the publisher, the search indexer, the dashboards' counters)."""
    def matches(function: FunctionSpec) -> bool:
        return function.handler == handler and any(
            isinstance(source, StreamSource) and any(pattern_matches(p, record) for p in source.filter_patterns)
            for source in function.sources)

    return _single_function(matches, f"{handler} on the table stream for {record['dynamodb']['Keys']}")


def stream_record(event_name: str, item: Mapping[str, Any], sequence_number: str) -> dict[str, Any]:
    """A table stream record of this item (NEW_IMAGE), as Lambda delivers it."""
    return {"eventID": uuid.uuid4().hex, "eventName": event_name, "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": {"PK": item["PK"], "SK": item["SK"]}, "NewImage": dict(item),
                         "SequenceNumber": sequence_number, "StreamViewType": "NEW_IMAGE"}}


def rule_function(detail_type: str, handler: str | None = None) -> FunctionSpec:
    """The function a bus rule sends the CRM's events of this type to; `handler` names which one when several
    functions take the type (lead scoring, assignment and workflows all take Contact Created)."""
    def matches(function: FunctionSpec) -> bool:
        return (handler is None or function.handler == handler) and any(
            isinstance(source, RuleSource) and EVENT_SOURCE in source.pattern.get("source", ())
            and detail_type in source.pattern.get("detail-type", ()) for source in function.sources)

    return _single_function(matches, f"on a bus rule for {detail_type!r}")


@contextlib.contextmanager
def embedded_aws() -> Iterator[None]:
    """moto in this process with the template's table, buckets and bus, and the demo form seeded."""
    import boto3  # noqa: PLC0415 - imported once the bench has set the environment
    from crm.forms.config import demo_form, save_form  # noqa: PLC0415 - imported once the bench has set the environment
    from crm.platform.config import get_settings  # noqa: PLC0415 - imported once the bench has set the environment
    from crm.records.table import bind_table  # noqa: PLC0415 - imported once the bench has set the environment
    from moto import mock_aws  # noqa: PLC0415 - imported once the bench has set the environment

    with mock_aws():
        settings = get_settings()
        region = {"region_name": settings.region}
        boto3.client("dynamodb", **region).create_table(**create_table_kwargs(settings.table_name))
        for bucket in template().buckets():
            boto3.client("s3", **region).create_bucket(Bucket=bucket.name)
        for bus in template().event_buses():
            boto3.client("events", **region).create_event_bus(Name=bus.name)
        bind_table(settings)
        save_form(demo_form(allowed_origins=(sample_event("lead_capture_submit_json.json")["headers"]["origin"],)))
        yield


def sample_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def submission_event(email: str, phone: str) -> dict[str, Any]:
    """The sample JSON form post, from a person with this email and phone, rendered ten seconds ago."""
    event = sample_event("lead_capture_submit_json.json")
    event["body"] = json.dumps({"email": email, "first_name": "Ali", "phone": phone,
                                "_ts": int(time.time() * 1000) - 10_000})
    return event


def api_event(method: str, path: str, query: dict[str, str] | None = None, body: Any = None,
              if_match: int | None = None, role: str = "sales") -> dict[str, Any]:
    """A call to the clients' API as API Gateway delivers it through the `ANY /v1/{proxy+}` route, by a
    caller in this Cognito group (the sample event's claims, with the group replaced)."""
    event = sample_event("api_list_contacts.json")
    event["routeKey"] = event["requestContext"]["routeKey"] = API_ROUTE
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["pathParameters"] = {"proxy": path.removeprefix("/v1/")}
    event["rawQueryString"] = urlencode(query or {})
    event["queryStringParameters"] = query
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    claims["cognito:groups"], claims["sub"] = f"[{role}]", f"bench-{role}"
    if body is not None:
        event["headers"]["content-type"] = "application/json"
        event["body"] = json.dumps(body)
    if if_match is not None:
        event["headers"]["if-match"] = f'"{if_match}"'
    return event


def stripe_webhook_event(event_id: str, payment_id: str, payer_email: str) -> dict[str, Any]:
    """The sample Stripe payment_intent.succeeded, as this event about this payer's payment, signed now
    with the official library (Stripe accepts a signature for five minutes)."""
    event = sample_event("payment_webhook_stripe.json")
    body = json.loads(event["body"])
    body["id"] = event_id
    body["data"]["object"] |= {"id": payment_id, "receipt_email": payer_email}
    event["body"] = json.dumps(body)
    event["headers"]["stripe-signature"] = stripe_header(event["body"], STRIPE_WEBHOOK_SECRET)
    return event


def authorizenet_webhook_event() -> dict[str, Any]:
    """The sample Authorize.Net capture notification (no payer email), signed."""
    event = sample_event("payment_webhook_authorizenet.json")
    event["headers"]["x-anet-signature"] = authorizenet_header(event["body"].encode(), AUTHORIZENET_SIGNATURE_KEY)
    return event


def bus_event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """A CRM event as EventBridge delivers it to a rule's target. The publisher sets no time, so the bus
    stamps it when published: now. Its resources are left out; no consumer reads them."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": EVENT_SOURCE,
            "account": template().account_id, "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": template().region, "resources": [], "detail": detail}


@dataclass(frozen=True)
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


@dataclass(frozen=True)
class Invocable:
    function: FunctionSpec
    handler: Callable[[dict[str, Any], Any], Any]
    context: LambdaContext

    @classmethod
    def load(cls, function: FunctionSpec) -> Invocable:
        module, name = function.handler.rsplit(".", 1)
        arn = template().get_att(function.logical_id, "Arn")
        return cls(function, getattr(import_module(module), name),
                   LambdaContext(function.name, function.memory_mb, arn))

    def __call__(self, event: Mapping[str, Any]) -> Any:
        return self.handler(event, self.context)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Handlers print their metrics and logs to stdout as Lambda wants; here they would bury the table.
    They still write (to /dev/null), so the cost of writing is measured. The sink stays open: a logger
    made inside the block (Powertools' keeps the stdout it was made with) writes to it for the whole run."""
    with contextlib.redirect_stdout(_null_sink()):
        yield


@cache
def _null_sink() -> io.TextIOWrapper:
    return open(os.devnull, "w", encoding="utf-8")
