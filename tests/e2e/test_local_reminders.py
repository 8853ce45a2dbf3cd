"""A reminder fires on the started local stack: EventBridge Scheduler's one-time schedule, kept from the table
stream and fired by the local dispatcher on time. Moved before it fires, only the new time tells the assignee,
once, in the app and in the outbox."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e


def outbox(stack: RunningStack) -> list[dict[str, Any]]:
    """What a developer runs: `crm local outbox --json`."""
    import json

    result = subprocess.run([sys.executable, "-m", "crm_local.cli", "local", "outbox", "--json"],
                            env=stack.environment, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


def in_seconds(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_moved_reminder_fires_only_at_its_new_time_and_once(stack: RunningStack) -> None:
    sales = stack.auth("sales")
    subject = f"Call back {uuid.uuid4().hex[:6]}"
    contact = requests.post(f"{stack.http_url}/v1/contacts", headers=sales, timeout=10,
                            json={"first_name": "Maryam", "email": f"m.{uuid.uuid4().hex[:8]}@example.com"}).json()
    # Given a call whose reminder is a few seconds ahead
    created = requests.post(f"{stack.http_url}/v1/activities", headers=sales, timeout=10, json={
        "type": "call", "subject": subject, "contact_id": contact["id"], "due_at": in_seconds(3600),
        "remind_at": in_seconds(6)})
    assert created.status_code == 201, created.text
    call = created.json()
    # When it is moved later before it fires
    moved_to = in_seconds(12)
    moved = requests.patch(f"{stack.http_url}/v1/activities/{call['id']}", json={"remind_at": moved_to},
                           headers={**sales, "If-Match": str(call["version"])}, timeout=10)
    assert moved.status_code == 200, moved.text
    # Then nothing is told at the first time
    time.sleep(8)
    assert [m for m in outbox(stack) if subject in (m["subject"] or "")] == []
    # And at the new time the seller who logged it is told, once, in the outbox and in the app
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not [m for m in outbox(stack) if subject in (m["subject"] or "")]:
        time.sleep(0.5)
    time.sleep(2)
    mails = [m for m in outbox(stack) if subject in (m["subject"] or "")]
    assert [(m["subject"], m["destinations"]) for m in mails] == [(f"Reminder: {subject}", ["sales@demo.crm.local"])]
    notes = requests.get(f"{stack.http_url}/v1/notifications", headers=sales, timeout=10).json()["items"]
    assert [n["title"] for n in notes if subject in n["title"]] == [f"Reminder: {subject}"]
    # And its one-time schedule is gone, as Scheduler deletes one after it ran
    scheduler = stack_client(stack, "scheduler")
    names = [s["Name"] for page in scheduler.get_paginator("list_schedules").paginate() for s in page["Schedules"]]
    assert f"reminder-{call['id']}" not in names


def stack_client(stack: RunningStack, service: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=stack.aws_endpoint, region_name=stack.state["region"],
                        aws_access_key_id="local", aws_secret_access_key="local")
