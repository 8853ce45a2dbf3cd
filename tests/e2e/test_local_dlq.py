"""`crm dlq list` and `crm dlq replay` as a developer runs them against `crm local run`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import boto3
import pytest

from tests.e2e.conftest import RunningStack
from tests.support.mail import message

pytestmark = pytest.mark.e2e


def crm(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crm_local.cli", "dlq", *args], env=stack.environment,
                          capture_output=True, text=True, timeout=60, check=True)


def aws(stack: RunningStack, service: str):
    return boto3.client(service, endpoint_url=stack.aws_endpoint, region_name=stack.state["region"],
                        aws_access_key_id="local", aws_secret_access_key="local")


def stored_emails(stack: RunningStack) -> int:
    pages = aws(stack, "dynamodb").get_paginator("scan").paginate(TableName=stack.state["table_name"])
    return sum(1 for page in pages for i in page["Items"]
               if i["PK"]["S"].startswith("EMAIL#") and i["SK"]["S"] == "EMAIL")


def test_a_dead_lettered_mail_is_listed_and_replayed_once(stack: RunningStack) -> None:
    from crm_local.template import Template

    template = Template.load()
    bucket, dlq = template.physical_name("InboundMailBucket"), template.physical_name("InboundMailDLQ")
    # Given a mail the stack stored, and its notification in the mail DLQ as if its reads had failed
    key = f"inbound/{uuid.uuid4().hex}"
    before = stored_emails(stack)
    aws(stack, "s3").put_object(Bucket=bucket, Key=key, Body=message(subject="dead letter").as_bytes())
    deadline = time.monotonic() + 20
    while stored_emails(stack) == before and time.monotonic() < deadline:
        time.sleep(0.3)
    assert stored_emails(stack) == before + 1
    sqs = aws(stack, "sqs")
    notification = json.dumps({"Records": [{"eventName": "ObjectCreated:Put",
                                            "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]})
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=dlq)["QueueUrl"], MessageBody=notification)
    # When the developer lists the DLQs
    listed = crm(stack, "list").stdout
    # Then every DLQ is there, the mail one with that mail
    assert f"{dlq}: 1 message" in listed and f"s3://{bucket}/{key}" in listed
    assert f"{template.physical_name('LeadScoringDLQ')}: " in listed
    assert f"{template.physical_name('EventPublisherDLQ')}: " in listed
    # When they replay it
    assert crm(stack, "replay", "--queue", dlq).stdout.strip() == "replayed 1"
    # Then it has left the DLQ, and the mail (already stored) is stored once
    assert f"{dlq}: 0 messages" in crm(stack, "list").stdout
    time.sleep(2)
    assert stored_emails(stack) == before + 1
