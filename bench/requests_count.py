"""(b) AWS requests per operation: each operation invoked once in a warm container against moto, with
every call counted (and its response recorded, which the CPU bench replays), and the items each DynamoDB
write acted on read from moto before and after it (for the cost model). The clients' API is called
through its one template route (`ANY /v1/{proxy+}`): contacts and companies read, listed, created,
changed and deleted, and the audit log listed. Bus events are the ones the submissions put in the
outbox, read by the publisher's code and delivered as EventBridge would, by the scoring rule's pattern in
template.yaml: the new lead's two events (marked scored at capture, so the rule does not deliver them:
recorded as not delivered, with no invocation and no request), then the repeat's Form Submitted (an
engagement the score does not hold yet) twice. Payment webhooks come
signed as each provider signs them, from a payer the submission made a contact, a new payer and no payer."""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS
from crm_local.patterns import matches
from crm_local.template import FunctionSpec, RuleSource

from bench.aws_calls import Call, counts, observing
from bench.harness import (
    API_ROUTE,
    Invocable,
    api_event,
    authorizenet_webhook_event,
    bus_event,
    embedded_aws,
    handler_function,
    quiet,
    route_function,
    rule_function,
    sample_event,
    stream_function,
    stream_record,
    stripe_webhook_event,
    submission_event,
)
from bench.inbound_mail import PDF, stored_message_event

SUBMIT_ROUTE = "POST /forms/{form_id}/submissions"
# The function whose bus rules score a lead (assignment and workflows take its events too).
SCORING_HANDLER = "lead_scoring.handler.handler"
NEW_LEAD_CREATED = "score new lead's Contact Created"
NEW_LEAD_SUBMITTED = "score new lead's Form Submitted"
STRIPE_ROUTE = "POST /webhooks/stripe"
EMAIL = "ali@example.com"
EMAIL_HANDLER = "email_ingest.handler.handler"
PHONE = "+1 415 555 0100"
PHONE_2 = "+30 21 0123 4567"
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems"})
# Scoring, lead capture (for new leads) and email containers refetch the scoring model and the mailboxes
# once a minute (crm.score_changes, email_ingest.handler); that rounds to no request per event, and a
# refetch in the middle of the CPU bench would not match the recording. So the warm containers here keep
# them for the whole run, as the form configuration is kept (bench/harness.py).
MODEL_CACHE_SECONDS = 3600


def _writes(calls: list[Call]) -> int:
    return sum(call.service == "dynamodb" and call.operation in DYNAMODB_WRITES for call in calls)


def _reads(calls: list[Call]) -> int:
    return sum(call.service == "dynamodb" and call.operation in DYNAMODB_READS for call in calls)


def _one_write_at_most_one_read(calls: list[Call]) -> bool:
    """A webhook's floor: its one transaction, after at most one read to map the payer, and no other call."""
    return _writes(calls) == 1 and _reads(calls) <= 1 and len(calls) == _writes(calls) + _reads(calls)


def _read_and_write(calls: list[Call]) -> bool:
    return counts(calls) == {"dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 1}


def _one_read_one_write(calls: list[Call]) -> bool:
    return _reads(calls) == 1 and _writes(calls) == 1 and len(calls) == 2


def _one_read(calls: list[Call]) -> bool:
    return counts(calls) == {"dynamodb:GetItem": 1}


def _cancelled_write(calls: list[Call]) -> bool:
    return [call.status >= 400 for call in calls if call.name == "dynamodb:TransactWriteItems"] == [True]


Target = tuple[str, Callable[[list[Call]], bool]]
READ_AND_WRITE: Target = ("GetItem 1 + TransactWriteItems 1", _read_and_write)
WEBHOOK: Target = ("1 DynamoDB write, at most 1 read", _one_write_at_most_one_read)
# The API: a read or a list is one DynamoDB request, a create one transaction, a change a read and a transaction.
ONE_READ: Target = ("GetItem 1", lambda calls: counts(calls) == {"dynamodb:GetItem": 1})
ONE_QUERY: Target = ("Query 1", lambda calls: counts(calls) == {"dynamodb:Query": 1})
ONE_WRITE: Target = ("TransactWriteItems 1", lambda calls: counts(calls) == {"dynamodb:TransactWriteItems": 1})
# A bus event the rule's pattern does not match: no invocation, so no request.
NOT_DELIVERED: Target = ("no request (the rule does not deliver it)", lambda calls: not calls)
# Request targets by operation, beyond the "no Scan" that all share: (target, whether the calls meet it).
TARGETS: dict[str, tuple[Target, ...]] = {
    "new submission": (("1 DynamoDB write, no other call", lambda calls: _writes(calls) == 1 and len(calls) == 1),),
    "repeat submission": (("<= 2 requests", lambda calls: len(calls) <= 2),),
    # The new lead's own events are marked scored at capture, and the scoring rule does not deliver them.
    NEW_LEAD_CREATED: (NOT_DELIVERED,),
    NEW_LEAD_SUBMITTED: (NOT_DELIVERED,),
    "score new engagement event": (("1 read + 1 write", _one_read_one_write),),
    "score re-delivered event": (("1 read, no write", _one_read),),
    "webhook from a contact": (WEBHOOK, READ_AND_WRITE),
    "webhook from a new payer": (WEBHOOK, READ_AND_WRITE),
    "webhook re-delivered": (WEBHOOK, ("write cancelled", _cancelled_write)),
    "webhook without email": (WEBHOOK, ("no read", lambda calls: _reads(calls) == 0)),
    "email re-delivered": (("write cancelled", _cancelled_write),),
    **{name: (ONE_READ,) for name in ("get contact", "get company", "get scoring model")},
    **{name: (ONE_QUERY,) for name in ("list contacts", "list contacts by score", "list companies", "list audit log")},
    **{name: (ONE_WRITE,) for name in ("create contact", "create company")},
    **{name: (READ_AND_WRITE,) for name in ("update contact", "update company", "delete contact", "delete company")},
    "index new contact": (READ_AND_WRITE,),
    "index re-delivered contact": (("1 read, no write", lambda calls: counts(calls) == {"dynamodb:GetItem": 1}),),
    "search contacts": (("1 Query", lambda calls: counts(calls) == {"dynamodb:Query": 1}),),
}


@dataclass(frozen=True)
class ItemWrite:
    """One item a DynamoDB write request acted on: the action (Put, Update, Delete, ConditionCheck), the
    item a Put sent, and the item as the table held it just before and just after the request (None where
    there was none). Read from moto's memory, outside botocore, so these reads are neither counted nor
    recorded; the cost model sizes writes and finds the index entries they changed from them."""

    action: str
    sent: dict[str, Any] | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Operation:
    name: str
    event: dict[str, Any]
    function: Invocable | None = None
    response: Any = None
    calls: list[Call] = field(default_factory=list)
    error: str | None = None
    # The items each DynamoDB write call acted on, by the call's position in `calls`.
    item_writes: dict[int, list[ItemWrite]] = field(default_factory=dict)
    # False for a bus event its function's rule does not deliver (its pattern does not match): not invoked,
    # no request, nothing to time or price.
    delivered: bool = True

    def writes_of(self, call: Call) -> list[ItemWrite] | None:
        """The items this call (one of `calls`) acted on, as recorded; None when it was not recorded."""
        for position, made in enumerate(self.calls):
            if made is call:
                return self.item_writes.get(position)
        return None

    @property
    def status(self) -> str:
        if not self.delivered:
            return "not delivered"
        return "error" if self.error else outcome(self.response)

    @property
    def via_http_api(self) -> bool:
        return "routeKey" in self.event

    def requests(self) -> dict[str, int]:
        return dict(counts(self.calls))

    def targets(self) -> list[tuple[str, bool]]:
        """(target, met) for the request targets that apply to this operation."""
        found = [("no Scan", all(call.operation != "Scan" for call in self.calls))]
        found.extend((target, met(self.calls)) for target, met in TARGETS.get(self.name, ()))
        return found


def outcome(response: dict[str, Any]) -> str:
    """The HTTP status (with the status the body reports, as webhooks' do); for a stream batch, how many
    records it reported as failed; else what it returned."""
    if "statusCode" in response:
        reported = _json_object(response.get("body")).get("status")
        return f"{response['statusCode']} {reported}" if isinstance(reported, str) else str(response["statusCode"])
    if "batchItemFailures" in response:
        return f"{len(response['batchItemFailures'])} failed"
    return str(response.get("status", response))


def _json_object(body: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def measure_requests() -> list[Operation]:
    """Runs the operations in order (later ones read what earlier ones wrote) and counts their calls."""
    operations: list[Operation] = []
    with embedded_aws(), quiet():
        from crm.scoring import changes as score_changes  # noqa: PLC0415 - code under test, imported once the environment is set

        score_changes.MODEL_CACHE_SECONDS = MODEL_CACHE_SECONDS
        lead_capture = _warm(route_function(SUBMIT_ROUTE), submission_event("warm.up@example.com", "+1 415 555 0199"))
        new = _measure(operations, "new submission", lead_capture, submission_event(EMAIL, PHONE))
        scorer = _measure_new_lead_scored(operations, new)
        repeat = _measure(operations, "repeat submission", lead_capture, submission_event("Ali@Example.COM", PHONE))
        _measure_engagement_scored(operations, scorer, repeat)
        contact_id = _created_id(new, "contact_id")
        api = _measure_api(operations, contact_id)
        outbox_batch = sample_event("event_publisher_stream.json")
        publisher = _warm(stream_function(outbox_batch["Records"][0], "event_publisher.handler.handler"), outbox_batch)
        _measure(operations, "publish outbox batch", publisher, outbox_batch)
        _measure(operations, "publish new lead's outbox", publisher, {"Records": _outbox_records(new)})
        _measure_search(operations, api, contact_id)
        _measure_webhooks(operations)
        _measure_email(operations)
    return operations


def _measure_api(operations: list[Operation], contact_id: str) -> Invocable | Exception:
    """The clients' API in one warm container: the new submission's contact read and listed, then a
    contact and a company each created, read, listed, changed (If-Match) and deleted, and the audit log
    those writes filled, read by an admin."""
    api = _warm(route_function(API_ROUTE), sample_event("api_list_contacts.json"))
    _measure(operations, "list contacts", api, sample_event("api_list_contacts.json"))
    _measure(operations, "list contacts by score", api, api_event("GET", "/v1/contacts",
                                                                  {"limit": "2", "sort": "-score"}))
    _measure(operations, "get contact", api, api_event("GET", f"/v1/contacts/{contact_id}"))
    _measure(operations, "get scoring model", api, api_event("GET", "/v1/scoring-model"))
    for kind, collection, fields in (
            ("contact", "contacts", {"first_name": "Maria", "email": "maria@example.gr", "phone": PHONE_2}),
            ("company", "companies", {"name": "Acme", "domain": "acme.example", "industry": "Retail"})):
        created = _measure(operations, f"create {kind}", api, api_event("POST", f"/v1/{collection}", body=fields))
        path = f"/v1/{collection}/{_created_id(created)}"
        if kind == "company":
            _measure(operations, "get company", api, api_event("GET", path))
            _measure(operations, "list companies", api, api_event("GET", "/v1/companies"))
        _measure(operations, f"update {kind}", api, api_event("PATCH", path, body={"owner": "sales-2"}, if_match=1))
        _measure(operations, f"delete {kind}", api, api_event("DELETE", path, if_match=2))
    _measure(operations, "list audit log", api, api_event("GET", "/v1/audit", role="admin"))
    return api


def _measure_email(operations: list[Operation]) -> None:
    """Mail to sales from the new submission's contact, as SES stores it and the queue delivers the bucket's
    notification: without attachment, with a PDF, and that one delivered again (another copy, another key)."""
    import boto3  # noqa: PLC0415 - the test helpers' messages, stored in moto's inbound bucket
    from email_ingest import handler as email_handler  # noqa: PLC0415 - imported once the environment is set

    from tests.support.mail import SALES, message, with_attachment  # noqa: PLC0415 - imported once the environment is set

    email_handler.MAILBOX_CACHE_SECONDS = MODEL_CACHE_SECONDS
    s3, bucket = boto3.client("s3"), os.environ["CRM_INBOUND_BUCKET"]
    sender = f"Ali <{EMAIL}>"
    function = _warm(handler_function(EMAIL_HANDLER),
                     stored_message_event(s3, bucket, "inbound/warm-up", message(sender="Warm <warm.up@example.com>",
                                                                                 to=SALES)))
    _measure(operations, "email from a contact", function,
             stored_message_event(s3, bucket, "inbound/plain", message(sender=sender, to=SALES)))
    with_pdf = with_attachment(message(sender=sender, to=SALES, subject="Invoice", body="Invoice attached."), PDF)
    _measure(operations, "email with an attachment", function,
             stored_message_event(s3, bucket, "inbound/attachment", with_pdf))
    _measure(operations, "email re-delivered", function,
             stored_message_event(s3, bucket, "inbound/attachment-again", with_pdf))


def _measure_search(operations: list[Operation], api: Invocable | Exception, contact_id: str) -> None:
    """The new submission's contact as the table stream brings it to the search indexer, that record
    delivered again, and a search that finds it."""
    import boto3  # noqa: PLC0415 - the contact's item as moto holds it, read outside the counted calls
    from crm.contacts.spec import ContactItem  # noqa: PLC0415 - code under test, imported once the environment is set
    from crm.platform.config import get_settings  # noqa: PLC0415 - code under test, imported once the environment is set

    pk, sk = ContactItem.key(contact_id)
    key = {"PK": {"S": pk}, "SK": {"S": sk}}
    item = boto3.client("dynamodb").get_item(TableName=get_settings().table_name, Key=key).get("Item") or key
    record = stream_record("INSERT", item, "100")
    indexer = _warm(stream_function(record, "search_indexer.handler.handler"), {"Records": []})
    _measure(operations, "index new contact", indexer, {"Records": [record]})
    _measure(operations, "index re-delivered contact", indexer, {"Records": [record]})
    _measure(operations, "search contacts", api, api_event("GET", "/v1/search", {"q": EMAIL.split("@")[0]}))


def _measure_webhooks(operations: list[Operation]) -> None:
    """A Stripe payment by the new submission's contact (its email in other case), then by a payer the CRM
    does not know, that one delivered again, and an Authorize.Net capture, which names no payer. One
    function takes every provider's route (template.yaml), so one warm container serves them all."""
    webhook = _warm(route_function(STRIPE_ROUTE), stripe_webhook_event("evt_warm_up", "pi_warm_up",
                                                                       "warm.up@example.com"))
    _measure(operations, "webhook from a contact", webhook,
             stripe_webhook_event("evt_bench_contact", "pi_bench_contact", EMAIL.title()))
    new_payer = stripe_webhook_event("evt_bench_new_payer", "pi_bench_new_payer", "maria@example.gr")
    _measure(operations, "webhook from a new payer", webhook, new_payer)
    _measure(operations, "webhook re-delivered", webhook, new_payer)
    _measure(operations, "webhook without email", webhook, authorizenet_webhook_event())


def _measure_new_lead_scored(operations: list[Operation], new: Operation) -> Invocable | Exception:
    """The scoring function warmed (its model cached) by an event about a contact that does not exist, then
    the new submission's two events, Contact Created and Form Submitted, as its bus rule delivers them: the
    submission scored the new lead and marked them so, and the rule's pattern skips them, so each is recorded
    as not delivered (a lead the capture left unscored would have them delivered and scored). Together with
    the submission they are a captured and scored lead."""
    events = _outbox_events(new)
    created, submitted = events.get("Contact Created"), events.get("Form Submitted")
    scorer: Invocable | Exception = LookupError("the new submission put no Contact Created and Form Submitted "
                                                "events in the outbox")
    if created and submitted:
        from crm.scoring.changes import current_model  # noqa: PLC0415 - code under test, imported once the environment is set
        from lead_scoring.handler import CONTACT_EVENTS  # noqa: PLC0415 - code under test, imported once the environment is set

        scorer = _warm(rule_function("Form Submitted", SCORING_HANDLER), bus_event(CONTACT_EVENTS[-1], {
            "contact_id": "bench-nobody", "event_id": "bench-warm-up"}))
        current_model()  # a warm container holds the model (an event about nobody never loads it)
    _deliver(operations, NEW_LEAD_CREATED, scorer, created or {})
    _deliver(operations, NEW_LEAD_SUBMITTED, scorer, submitted or {})
    return scorer


def _measure_engagement_scored(operations: list[Operation], scorer: Invocable | Exception,
                               repeat: Operation) -> None:
    """The repeat submission's Form Submitted: an engagement the contact's score does not hold yet, then
    the same event again, as the bus may deliver it."""
    submitted = _outbox_events(repeat).get("Form Submitted") or {}
    _deliver(operations, "score new engagement event", scorer, submitted)
    _deliver(operations, "score re-delivered event", scorer, submitted)


def rule_delivers(function: FunctionSpec, event: Mapping[str, Any]) -> bool:
    """Whether one of the function's bus rules in template.yaml matches the event (its pattern, with the
    local dispatcher's matching, which moto's agrees with), so EventBridge would invoke the function."""
    return any(isinstance(source, RuleSource) and matches(source.pattern, event) for source in function.sources)


def _deliver(operations: list[Operation], name: str, function: Invocable | Exception,
             event: dict[str, Any]) -> Operation:
    """A bus event measured as the rule for its type (the scoring function's) delivers it: invoked when the
    rule's pattern matches it, else recorded as not delivered (no invocation, no request, no cost)."""
    if event and not rule_delivers(rule_function(event["detail-type"], SCORING_HANDLER), event):
        operation = Operation(name, event, delivered=False)
        operations.append(operation)
        return operation
    return _measure(operations, name, function, event)


def _outbox_records(operation: Operation) -> list[dict[str, Any]]:
    """The outbox items the operation's writes put, as the table stream brings them to the publisher."""
    items = [action["Put"]["Item"] for call in operation.calls if call.name == "dynamodb:TransactWriteItems"
             and call.status < 300 for action in call.params.get("TransactItems", [])
             if "Put" in action and action["Put"]["Item"]["PK"]["S"].startswith("OUTBOX#")]
    return [stream_record("INSERT", item, str(200 + n)) for n, item in enumerate(items)]


def _outbox_events(operation: Operation) -> dict[str, dict[str, Any]]:
    """The events the operation's writes put in the outbox, by detail type, as the bus delivers them (read
    from the items by the publisher's own code)."""
    from event_publisher.handler import outbox_events  # noqa: PLC0415 - code under test, imported once the environment is set

    return {event.detail_type: bus_event(event.detail_type, json.loads(event.detail))
            for event in outbox_events({"Records": _outbox_records(operation)})}


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
    with observing() as calls, recording_item_writes() as writes:
        try:
            operation.response = function(event)
        except Exception:  # noqa: BLE001 - a handler that raises is a finding, not the end of the bench
            operation.error = traceback.format_exc(limit=-3)
    operation.calls = calls
    operation.item_writes = {position: items for position, call in enumerate(calls)
                             for made, items in writes if made is call}
    return operation


def _created_id(created: Operation, key: str = "id") -> str:
    """The id the create answered with (201), for the operations on the record that follow."""
    if created.error or created.response.get("statusCode") != 201:
        return "nothing-was-created"
    return json.loads(created.response["body"])[key]


# Item images: botocore hooks (after bench.aws_calls' own, so its Call is in the request context by then)
# read the items a DynamoDB write acts on from moto's memory before and after the request.
_CALL_CONTEXT_KEY = "bench_call"  # where bench.aws_calls keeps the Call of the request in flight
_TARGETS_CONTEXT_KEY = "bench_item_targets"
_recordings: list[list[tuple[Call, list[ItemWrite]]]] = []


@contextmanager
def recording_item_writes() -> Iterator[list[tuple[Call, list[ItemWrite]]]]:
    """The items each DynamoDB write inside the block acted on, with the Call it was made by."""
    recorded: list[tuple[Call, list[ItemWrite]]] = []
    _recordings.append(recorded)
    try:
        yield recorded
    finally:
        _recordings.remove(recorded)


def _write_targets(operation: str, body: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    """(action, table, key or whole item, the item a Put sent) for each item the request writes or checks."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        action = operation.removesuffix("Item")
        item = body.get("Item") if action == "Put" else None
        yield action, body["TableName"], item or body["Key"], item
    elif operation == "TransactWriteItems":
        for entry in body.get("TransactItems", []):
            (action, request), = entry.items()
            item = request.get("Item") if action == "Put" else None
            yield action, request["TableName"], item or request["Key"], item
    elif operation == "BatchWriteItem":
        for table, requests in body.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    yield "Put", table, request["PutRequest"]["Item"], request["PutRequest"]["Item"]
                else:
                    yield "Delete", table, request["DeleteRequest"]["Key"], None


def _stored_item(region: str, table_name: str, key_or_item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The item as moto holds it now, in DynamoDB's JSON; None when there is none."""
    from moto.core import DEFAULT_ACCOUNT_ID  # noqa: PLC0415 - moto only while the bench measures
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 - moto only while the bench measures
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415 - moto only while the bench measures

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
    range_key = DynamoType(key_or_item[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(DynamoType(key_or_item[table.hash_key_attr]), range_key)
    return json.loads(json.dumps(item.to_json()["Attributes"])) if item is not None else None


def _before_write(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if not _recordings or model.service_model.service_name != "dynamodb" or model.name not in DYNAMODB_WRITES:
        return
    body = json.loads(params.get("body") or b"{}")
    region = context["client_region"]
    context[_TARGETS_CONTEXT_KEY] = [(action, table, key, sent, _stored_item(region, table, key))
                                     for action, table, key, sent in _write_targets(model.name, body)]


def _after_write(context: dict[str, Any], **_: Any) -> None:
    targets, call = context.pop(_TARGETS_CONTEXT_KEY, None), context.get(_CALL_CONTEXT_KEY)
    if targets is None or call is None:
        return
    region = context["client_region"]
    writes = [ItemWrite(action, sent, before, _stored_item(region, table, key))
              for action, table, key, sent, before in targets]
    for recorded in _recordings:
        recorded.append((call, writes))


BUILTIN_HANDLERS.extend([("before-call", _before_write), ("after-call", _after_write)])
