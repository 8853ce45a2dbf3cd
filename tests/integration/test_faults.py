"""AWS faults at every call site of the entry points: what each function does when AWS throttles, fails,
times out or half-accepts a PutEvents, after botocore has given up retrying (tests/support/faults.py)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.conftest import sample_event, table_items
from tests.integration.test_email_ingest import INBOUND_BUCKET, notification
from tests.integration.test_lead_capture import file_submission
from tests.support.faults import (
    CONNECT_TIMEOUT,
    PARTIAL_FAILURE,
    READ_TIMEOUT,
    SERVER_ERROR,
    THROTTLE,
    FaultInjector,
    FaultPlan,
    Rule,
)
from tests.support.mail import message
from tests.support.signing import stripe_header

FAULTS = (THROTTLE, SERVER_ERROR, READ_TIMEOUT, CONNECT_TIMEOUT)
# The DynamoDB calls of a new lead and a webhook: the read (form, payer's email) and the one transaction.
SYNC_CALL_SITES = ("dynamodb.GetItem", "dynamodb.TransactWriteItems")


def fail_first(operation: str, kind: str) -> FaultInjector:
    return FaultInjector(FaultPlan([Rule(operation, kind, calls=frozenset({1}))]))


def snapshot(aws: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(table_items(aws["dynamodb"], aws["settings"].table_name), key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def bucket_keys(bucket: str) -> list[str]:
    return [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def post_form() -> dict[str, Any]:
    from lead_capture.handler import forget_cached_forms, handler

    forget_cached_forms()  # so the form is read, and that read can fail
    return handler(sample_event("lead_capture_submit_json.json"), None)


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("operation", SYNC_CALL_SITES)
def test_a_form_post_during_a_fault_gets_503_with_retry_after_and_writes_nothing(aws, operation, kind):
    # Given the demo form and a table as it is
    before = snapshot(aws)
    # When the form is posted while one of its AWS calls fails
    with fail_first(operation, kind) as faults, faults.armed():
        response = post_form()
    # Then the sender is told to retry later, and nothing was written
    assert faults.count() == 1
    assert response["statusCode"] == 503
    assert int(response["headers"]["retry-after"]) > 0
    assert json.loads(response["body"])["error"]["code"] == "temporarily_unavailable"
    assert snapshot(aws) == before
    # And the sender's retry is accepted
    assert post_form()["statusCode"] == 201


@pytest.mark.parametrize("kind", FAULTS)
def test_a_file_that_cannot_be_stored_fails_the_whole_submission(aws, kind):
    # Given a multipart submission with a file
    from lead_capture.handler import handler

    event = file_submission()
    before = snapshot(aws)
    # When S3 refuses the file
    with fail_first("s3.PutObject", kind) as faults, faults.armed():
        response = handler(event, None)
    # Then 503, and no contact or submission refers to a file that is not there
    assert faults.count() == 1
    assert response["statusCode"] == 503 and "retry-after" in response["headers"]
    assert snapshot(aws) == before
    assert bucket_keys(aws["settings"].attachments_bucket) == []


def deliver_stripe(event_id: str) -> dict[str, Any]:
    from payment_webhook.handler import handler

    raw = json.dumps({"id": event_id, "object": "event", "type": "payment_intent.succeeded", "created": 1_795_521_600,
                      "data": {"object": {"id": f"pi_{event_id}", "object": "payment_intent", "amount_received": 4900,
                                          "currency": "eur", "receipt_email": "buyer@example.com", "metadata": {}}}})
    event = sample_event("payment_webhook_stripe.json", body=raw)
    from crm.platform.config import get_settings

    event["headers"]["stripe-signature"] = stripe_header(raw, get_settings().stripe_webhook_secret)
    return handler(event, None)


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("operation", SYNC_CALL_SITES)
def test_a_webhook_during_a_fault_gets_503_and_its_redelivery_is_processed_once(aws, operation, kind):
    # Given a table as it is
    before = snapshot(aws)
    # When a signed Stripe event arrives while one of its AWS calls fails
    with fail_first(operation, kind) as faults, faults.armed():
        response = deliver_stripe("evt_fault")
    # Then the provider is told to deliver again, and nothing was recorded (not even the event id)
    assert faults.count() == 1
    assert response["statusCode"] == 503 and int(response["headers"]["retry-after"]) > 0
    assert snapshot(aws) == before
    # And the redelivery is processed, not taken for a duplicate
    assert json.loads(deliver_stripe("evt_fault")["body"])["status"] == "processed"


@pytest.fixture
def bus_queue(aws: dict[str, Any]) -> str:
    """A queue that receives everything on the CRM bus."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    queue_url = sqs.create_queue(QueueName="catch-all")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = aws["settings"].event_bus_name
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["crm"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return queue_url


def on_the_bus(queue_url: str) -> list[str]:
    sqs = boto3.client("sqs")
    ids: list[str] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        ids += [json.loads(m["Body"])["detail"]["event_id"] for m in messages]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    return sorted(ids)


def publish_sample_batch() -> dict[str, Any]:
    from event_publisher.handler import handler

    return handler(sample_event("event_publisher_stream.json"), None)


def test_a_partial_put_events_failure_resends_only_the_failed_entry(bus_queue):
    # Given PutEvents fails the second entry of each request
    plan = FaultPlan([Rule("events.PutEvents", PARTIAL_FAILURE, calls=frozenset({2}))])
    # When the publisher sends the sample batch of two outbox events
    with FaultInjector(plan) as faults, faults.armed():
        result = publish_sample_batch()
    # Then the failed entry alone was sent again, and each event is on the bus exactly once
    assert faults.calls["events.PutEvents"] == 2
    assert faults.count(PARTIAL_FAILURE) == 1
    assert result == {"batchItemFailures": []}
    assert on_the_bus(bus_queue) == ["e1", "e2"]


def test_entries_that_keep_failing_are_reported_for_the_stream_to_retry(bus_queue):
    # Given PutEvents fails the second entry of every request
    plan = FaultPlan([Rule("events.PutEvents", PARTIAL_FAILURE, calls=frozenset({1}))])
    # When the publisher sends the batch
    with FaultInjector(plan) as faults, faults.armed():
        result = publish_sample_batch()
    # Then the first event (the failing one) is reported by its sequence number, the other is on the bus
    assert result == {"batchItemFailures": [{"itemIdentifier": "100000000000000000001"}]}
    assert on_the_bus(bus_queue) == ["e2"]


@pytest.mark.parametrize("kind", FAULTS)
def test_a_failed_put_events_call_fails_the_batch_so_the_stream_retries_it(bus_queue, kind):
    # When PutEvents itself fails
    with fail_first("events.PutEvents", kind) as faults, faults.armed(), pytest.raises(Exception):  # noqa: B017 - each fault kind raises a different botocore error
        publish_sample_batch()
    # Then nothing is on the bus, and the raised error makes Lambda retry the whole batch
    assert faults.count() == 1
    assert on_the_bus(bus_queue) == []


@pytest.fixture
def mail(aws: dict[str, Any]) -> dict[str, Any]:
    from email_ingest.handler import forget_mail_settings

    boto3.client("s3").create_bucket(Bucket=INBOUND_BUCKET)
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    forget_mail_settings()
    return aws


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("operation", ("s3.GetObject", "dynamodb.BatchGetItem", "dynamodb.TransactWriteItems"))
def test_mail_that_meets_a_fault_is_reported_alone_and_stored_on_retry(mail, operation, kind):
    # Given two stored messages announced in one SQS batch
    from email_ingest.handler import handler

    s3 = boto3.client("s3")
    for key in ("inbound/a", "inbound/b"):
        s3.put_object(Bucket=INBOUND_BUCKET, Key=key, Body=message(subject=key).as_bytes())
    batch = notification("inbound/a", "inbound/b")
    # When the first AWS call of that kind fails
    with fail_first(operation, kind) as faults, faults.armed():
        result = handler(batch, None)
    # Then only the message it belonged to is reported, for SQS to deliver again
    assert faults.count() == 1
    assert result["batchItemFailures"] == [{"itemIdentifier": "m0"}]
    # And delivered again, it is stored once, next to the other
    handler({"Records": batch["Records"][:1]}, None)
    assert stored_subjects(mail) == ["inbound/a", "inbound/b"]


def stored_subjects(aws: dict[str, Any]) -> list[str]:
    return sorted(i["subject"]["S"] for i in table_items(aws["dynamodb"], aws["settings"].table_name)
                  if i["PK"]["S"].startswith("EMAIL#") and i["SK"]["S"] == "EMAIL")


@pytest.mark.parametrize("kind", FAULTS)
def test_an_auto_reply_ses_refuses_does_not_fail_mail_that_was_kept(mail, kind):
    # Given a message to support, which answers automatically
    from email_ingest.handler import handler

    boto3.client("s3").put_object(Bucket=INBOUND_BUCKET, Key="inbound/a", Body=message(subject="hi").as_bytes())
    # When SES fails to send the auto-reply
    with fail_first("ses.SendRawEmail", kind) as faults, faults.armed():
        result = handler(notification("inbound/a"), None)
    # Then the message is done (a redelivery would find it stored and send nothing), and it is stored
    assert faults.count() == 1
    assert result["batchItemFailures"] == []
    assert stored_subjects(mail) == ["hi"]


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("operation", ("dynamodb.GetItem", "dynamodb.UpdateItem"))
def test_scoring_raises_on_a_fault_so_the_invocation_is_retried_then_dead_lettered(aws, operation, kind):
    # Given a new contact (scored when captured) and an engagement its score does not hold yet; its score
    # change crosses no threshold, so scoring reads the contact and updates it alone
    from lead_scoring.handler import handler

    contact_id = json.loads(post_form()["body"])["contact_id"]
    event = {"version": "0", "id": "x", "source": "crm", "detail-type": "Email Received",
             "time": "2026-11-24T12:00:00Z", "detail": {"contact_id": contact_id, "event_id": "ev-1"}}
    # When scoring meets a fault
    with fail_first(operation, kind) as faults, faults.armed(), pytest.raises(Exception):  # noqa: B017 - each fault kind raises a different botocore error
        handler(event, None)
    assert faults.count() == 1
    # Then nothing was scored, and the retry scores the contact
    profile = {"PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}}
    table = aws["settings"].table_name
    assert "ev-1" not in aws["dynamodb"].get_item(TableName=table, Key=profile)["Item"]["engagement"]["M"]
    handler(event, None)
    assert "ev-1" in aws["dynamodb"].get_item(TableName=table, Key=profile)["Item"]["engagement"]["M"]


API_CALLS = {"read": ("GET", "/v1/contacts/{id}", None, "dynamodb.GetItem"),
             "list": ("GET", "/v1/contacts", None, "dynamodb.Query"),
             "update": ("PATCH", "/v1/contacts/{id}", {"job_title": "CTO"}, "dynamodb.TransactWriteItems")}


@pytest.mark.parametrize(("kind", "status", "code"), [(THROTTLE, 429, "throttled"),
                                                      (SERVER_ERROR, 503, "temporarily_unavailable"),
                                                      (READ_TIMEOUT, 503, "temporarily_unavailable")])
@pytest.mark.parametrize("call", list(API_CALLS))
def test_an_api_call_during_a_fault_is_told_when_to_retry_and_writes_nothing(aws, call, kind, status, code):
    from tests.support.api_client import ApiClient

    # Given a contact, and a client who reads, lists or edits it
    sales = ApiClient("sales")
    contact_id = sales.post("/v1/contacts", {"first_name": "Ali", "email": "ali@example.ir"}).body["id"]
    method, path, body, operation = API_CALLS[call]
    before = snapshot(aws)
    # When the table throttles, fails or times out on that request's call
    with fail_first(operation, kind) as faults, faults.armed():
        response = sales.call(method, path.format(id=contact_id), body)
    # Then a throttle is a 429 and a fault a 503, each with Retry-After in the one error shape; nothing changed
    assert faults.count() == 1
    assert (response.status, response.body["error"]["code"]) == (status, code)
    assert int(response.headers["retry-after"]) > 0
    assert snapshot(aws) == before
    # And the retry goes through
    assert sales.call(method, path.format(id=contact_id), body).status == 200
