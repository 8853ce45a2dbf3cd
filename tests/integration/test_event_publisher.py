"""Outbox items reach the bus: a rule on the CRM bus delivers them to a queue."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.conftest import sample_event


def catch_all_queue(bus_name: str) -> tuple[Any, str]:
    """A rule on the bus that delivers every CRM event to a new queue; the SQS client and the queue's URL."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    queue_url = sqs.create_queue(QueueName="catch-all")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=bus_name, EventPattern=json.dumps({"source": ["crm"]}))
    events.put_targets(Rule="all", EventBusName=bus_name, Targets=[{"Id": "q", "Arn": queue_arn}])
    return sqs, queue_url


def test_stream_records_become_bus_events(aws):
    # Given a catch-all rule on the CRM bus that delivers to a queue
    settings = aws["settings"]
    sqs, queue_url = catch_all_queue(settings.event_bus_name)
    # When the publisher gets the sample stream batch
    from event_publisher.handler import handler

    result = handler(sample_event("event_publisher_stream.json"), None)
    # Then nothing failed and both events are on the bus with their outbox ids
    assert result == {"batchItemFailures": []}
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    delivered = sorted((json.loads(m["Body"])["detail-type"], json.loads(m["Body"])["detail"]["event_id"])
                       for m in messages)
    assert delivered == [("Contact Created", "e1"), ("Form Submitted", "e2")]


def test_a_new_leads_outbox_item_reaches_the_bus_as_its_two_events_each_once(aws):
    from tests.conftest import table_items

    # Given a catch-all rule on the CRM bus, and a new lead whose submission wrote one outbox item
    settings = aws["settings"]
    sqs, queue_url = catch_all_queue(settings.event_bus_name)
    from event_publisher.handler import handler
    from lead_capture.handler import handler as capture

    contact_id = json.loads(capture(sample_event("lead_capture_submit_json.json"), None)["body"])["contact_id"]
    [item] = [i for i in table_items(aws["dynamodb"], settings.table_name) if i["PK"]["S"].startswith("OUTBOX#")]
    # When the table stream brings it to the publisher
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": item, "SequenceNumber": "1"}}
    result = handler({"Records": [record]}, None)
    # Then nothing failed, and both events are on the bus once each, about the new contact
    assert result == {"batchItemFailures": []}
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    delivered = [json.loads(m["Body"]) for m in messages]
    assert sorted(d["detail-type"] for d in delivered) == ["Contact Created", "Form Submitted"]
    assert {d["detail"]["contact_id"] for d in delivered} == {contact_id}
    assert len({d["detail"]["event_id"] for d in delivered}) == 2
