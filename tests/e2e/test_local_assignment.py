"""A new lead reaches its rep on the started local stack: the API's Contact Created crosses the outbox, the bus
and the dispatcher to AssignmentFunction, which gives it an owner by the admin's rule, says why on its timeline,
and mails the rep (crm local outbox)."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.conftest import RunningStack
from tests.e2e.test_local_reminders import outbox

pytestmark = pytest.mark.e2e


def test_a_new_lead_is_assigned_by_the_rule_and_the_rep_is_mailed(stack: RunningStack) -> None:
    admin, marketing, sales = stack.auth("admin"), stack.auth("marketing"), stack.auth("sales")
    tag = f"partner-{uuid.uuid4().hex[:6]}"
    rep = requests.get(f"{stack.http_url}/v1/users/me", headers=sales, timeout=10).json()["id"]
    # Given a rule for one partner's leads, giving them to the sales rep (at most 5 a day)
    rule = requests.post(f"{stack.http_url}/v1/assignment-rules", headers=admin, timeout=10, json={
        "name": "Partner leads", "strategy": "round_robin", "conditions": {"sources": [tag]},
        "members": [{"user_id": rep, "daily_cap": 5}]})
    assert rule.status_code == 201, rule.text
    try:
        # When marketing adds a lead from that partner, without an owner
        lead = requests.post(f"{stack.http_url}/v1/contacts", headers=marketing, timeout=10, json={
            "first_name": "Nikos", "email": f"n.{uuid.uuid4().hex[:8]}@example.gr", "source": tag}).json()
        # Then it gets the rep as its owner, its timeline says why, and the rep is mailed once
        deadline, owner = time.monotonic() + 30, None
        while time.monotonic() < deadline and owner is None:
            read = requests.get(f"{stack.http_url}/v1/contacts/{lead['id']}", headers=admin, timeout=10)
            owner = read.json()["owner"]
            time.sleep(0.5)
        assert owner == rep
        entries = requests.get(f"{stack.http_url}/v1/contacts/{lead['id']}/timeline", headers=admin,
                               timeout=10).json()["items"]
        assert [e["summary"] for e in entries if e["type"] == "assigned"] == [
            f"Assigned to {rep} by rule Partner leads: round robin, 1 of 5 today"]
        deadline, mails = time.monotonic() + 15, []
        while time.monotonic() < deadline and not mails:
            mails = [m for m in outbox(stack) if lead["id"] in (m["body"] or "")]
            time.sleep(0.5)
        assert [m["subject"] for m in mails] == ["A new lead is yours"]
    finally:
        current = requests.get(f"{stack.http_url}/v1/assignment-rules/{rule.json()['id']}", headers=admin,
                               timeout=10).json()
        requests.delete(f"{stack.http_url}/v1/assignment-rules/{current['id']}", timeout=10,
                        headers={**admin, "If-Match": str(current["version"])})
