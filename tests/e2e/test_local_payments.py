"""A payment provider calls the running stack over HTTP; staff read the payment through the API."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from tests.e2e.conftest import RunningStack
from tests.support.signing import stripe_header

pytestmark = pytest.mark.e2e


def post_stripe(stack: RunningStack, body: str, secret: str) -> requests.Response:
    return requests.post(f"{stack.http_url}/webhooks/stripe", data=body.encode(), timeout=10,
                         headers={"content-type": "application/json", "stripe-signature": stripe_header(body, secret)})


def test_a_signed_stripe_payment_makes_a_customer_and_is_readable_by_sales(stack: RunningStack) -> None:
    # Given the development signing secret `make run` printed, and a payment from a new payer
    secret = stack.state["development_secrets"]["CRM_STRIPE_WEBHOOK_SECRET"]
    event_id = f"evt_e2e_{time.time_ns()}"
    body = json.dumps({"id": event_id, "type": "payment_intent.succeeded", "created": int(time.time()),
                       "data": {"object": {"id": f"pi_{event_id}", "amount_received": 12900, "currency": "myr",
                                           "receipt_email": f"{event_id}@example.com.my"}}})
    # When Stripe delivers it twice
    first, again = post_stripe(stack, body, secret), post_stripe(stack, body, secret)
    # Then the first is processed, the second acknowledged as a duplicate
    assert (first.status_code, first.json()["status"]) == (200, "processed")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    contact_id, payment_key = first.json()["contact_id"], first.json()["payment_key"]
    # And sales sees the customer and one payment; marketing may not
    sales = stack.auth("sales")
    contact = requests.get(f"{stack.http_url}/v1/contacts/{contact_id}", headers=sales, timeout=10).json()
    assert contact["lifecycle_stage"] == "customer"
    payments = requests.get(f"{stack.http_url}/v1/payments", params={"contact_id": contact_id}, headers=sales,
                            timeout=10).json()["items"]
    assert [(p["id"], p["amount_minor"], p["currency"], p["status"]) for p in payments] == [
        (payment_key, 12900, "MYR", "succeeded")]
    forbidden = requests.get(f"{stack.http_url}/v1/payments/{payment_key}", headers=stack.auth("marketing"),
                             timeout=10)
    assert forbidden.status_code == 403


def test_a_forged_delivery_is_refused_with_a_code(stack: RunningStack) -> None:
    body = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}})
    response = post_stripe(stack, body, "whsec_not_ours")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "signature_mismatch"


def revenue_today(stack: RunningStack, zone: str) -> int:
    today = requests.get(f"{stack.http_url}/v1/dashboards/revenue", params={"grain": "year", "tz": zone},
                         headers=stack.auth("sales"), timeout=10)
    assert today.status_code == 200, today.text
    return sum(c["paid_minor"] for c in today.json()["total"]["currencies"] if c["currency"] == "MYR")


def test_a_payment_reaches_the_revenue_dashboard_over_the_stream(stack: RunningStack) -> None:
    # Given the revenue widget in Kuala Lumpur's time zone, and a new payment of MYR 129.00
    secret = stack.state["development_secrets"]["CRM_STRIPE_WEBHOOK_SECRET"]
    before = revenue_today(stack, "Asia/Kuala_Lumpur")
    event_id = f"evt_e2e_dash_{time.time_ns()}"
    body = json.dumps({"id": event_id, "type": "payment_intent.succeeded", "created": int(time.time()),
                       "data": {"object": {"id": f"pi_{event_id}", "amount_received": 12900, "currency": "myr",
                                           "receipt_email": f"{event_id}@example.com.my"}}})
    assert post_stripe(stack, body, secret).status_code == 200
    # When the stack's stream poller brings it to the counters
    deadline = time.monotonic() + 30
    while revenue_today(stack, "Asia/Kuala_Lumpur") == before and time.monotonic() < deadline:
        time.sleep(0.2)
    # Then the widget shows it, once
    assert revenue_today(stack, "Asia/Kuala_Lumpur") - before == 12900


def test_a_recount_of_the_running_stack_counts_nothing_twice(stack: RunningStack) -> None:
    # Given the running stack, whose counters the stream keeps
    before = revenue_today(stack, "UTC")
    # When `crm dashboards recount` reads the whole table and applies every counted record again
    done = subprocess.run([sys.executable, "-m", "crm_local.cli", "dashboards", "recount"], env=stack.environment,
                          capture_output=True, text=True, timeout=120, check=False)
    # Then it says what it read, and the revenue it shows is unchanged
    assert done.returncode == 0, done.stderr
    assert "records read" in done.stdout
    assert revenue_today(stack, "UTC") == before
