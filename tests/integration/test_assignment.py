"""Assignment rules: a new lead reaches the right person by ordered rules, atomically (no rep above their
cap however many leads race), with its reason on the timeline and the assignee told; an SLA missed is
escalated once; the admin's routes refuse what they cannot store."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from tests.conftest import TEST_ENV, table_items
from tests.support.api_client import ApiClient

GROUP = TEST_ENV["CRM_AUTOMATION_SCHEDULE_GROUP"]
admin, sales = ApiClient("admin", user="boss"), ApiClient("sales", user="rep-a")
REPS = ("rep-a", "rep-b", "rep-c")


def profile(user_id: str, **fields: Any) -> None:
    from crm.team.spec import MemberItem

    MemberItem(*MemberItem.key(user_id), user_id=user_id, email=f"{user_id}@crm.example.com", name=user_id.upper(),
               created_at="2026-12-01T00:00:00Z", updated_at="2026-12-01T00:00:00Z", version=1, **fields).save()


@pytest.fixture
def team(aws: dict[str, Any]) -> dict[str, Any]:
    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    for rep in REPS:
        profile(rep, manager="boss")
    profile("boss")
    return aws


def new_rule(**fields: Any) -> dict[str, Any]:
    body = {"name": "Web leads", "strategy": "round_robin",
            "members": [{"user_id": rep} for rep in REPS], **fields}
    created = admin.post("/v1/assignment-rules", body)
    assert created.status == 201, created.body
    return created.body


def new_lead(**fields: Any) -> str:
    created = admin.post("/v1/contacts", {"first_name": "Lead", "email": f"l.{uuid.uuid4().hex[:10]}@example.com",
                                          **fields})
    assert created.status == 201, created.body
    return str(created.body["id"])


def timeline(contact_id: str) -> list[dict[str, Any]]:
    return list(admin.get(f"/v1/contacts/{contact_id}/timeline").body["items"])


def owner_of(contact_id: str) -> str | None:
    return admin.get(f"/v1/contacts/{contact_id}").body["owner"]


def test_round_robin_gives_each_rep_a_lead_in_turn_and_says_why_on_the_timeline(team):
    from crm.assignment.store import assign_contact

    # Given a round-robin rule over three reps
    new_rule()
    # When four leads arrive
    leads = [new_lead() for _ in range(4)]
    owners = [assign_contact(lead) for lead in leads]
    # Then they go to each rep in turn, then round again
    assert owners == ["rep-a", "rep-b", "rep-c", "rep-a"]
    assert [owner_of(lead) for lead in leads] == owners
    entry = next(e for e in timeline(leads[3]) if e["type"] == "assigned")
    assert entry["summary"] == "Assigned to REP-A by rule Web leads: round robin, 2 today"
