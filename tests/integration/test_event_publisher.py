"""Outbox items reach the bus: a rule on the CRM bus delivers them to a queue."""

from __future__ import annotations

import json

import boto3

from tests.conftest import sample_event


def test_stream_records_become_bus_events(aws):
    # Given a catch-all rule on the CRM bus that delivers to a queue
    settings = aws["settings"]
    sqs, events = boto3.client("sqs"), boto3.client("events")
    queue_url = sqs.create_queue(QueueName="catch-all")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=settings.event_bus_name, EventPattern=json.dumps({"source": ["crm"]}))
    events.put_targets(Rule="all", EventBusName=settings.event_bus_name, Targets=[{"Id": "q", "Arn": queue_arn}])
    # When the publisher gets the sample stream batch
    from event_publisher.handler import handler

    result = handler(sample_event("event_publisher_stream.json"), None)
    # Then nothing failed and both events are on the bus with their outbox ids
    assert result == {"batchItemFailures": []}
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    delivered = sorted((json.loads(m["Body"])["detail-type"], json.loads(m["Body"])["detail"]["event_id"])
                       for m in messages)
    assert delivered == [("Contact Created", "e1"), ("Form Submitted", "e2")]
