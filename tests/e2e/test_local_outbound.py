"""Outbound email on the started local stack (decision 0052): a newsletter sent from the API reaches
`crm local outbox` with RFC 8058's one-click unsubscribe headers pointing at the local gateway; POSTing that URL,
as a mail client does, unsubscribes the newsletter only, and the next newsletter to the contact is refused."""

from __future__ import annotations

import json
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
    result = subprocess.run([sys.executable, "-m", "crm_local.cli", "local", "outbox", "--json"],
                            env=stack.environment, capture_output=True, text=True, timeout=30, check=True)
    return list(json.loads(result.stdout))


def test_a_newsletter_carries_one_click_unsubscribe_that_works_locally(stack: RunningStack) -> None:
    admin, marketing = stack.auth("admin"), stack.auth("marketing")
    tag = uuid.uuid4().hex[:6]
    # Given a newsletter template and a contact subscribed to newsletters and offers
    template = requests.post(f"{stack.http_url}/v1/email-templates", headers=marketing, timeout=10, json={
        "name": f"News {tag}", "topic": "newsletter", "variants": {
            "en": {"subject": f"News {tag} for {{{{ contact.first_name }}}}",
                   "text": "Hello {{ contact.first_name }}"}}})
    assert template.status_code == 201, template.text
    contact = requests.post(f"{stack.http_url}/v1/contacts", headers=admin, timeout=10, json={
        "first_name": "Leila", "email": f"leila.{tag}@example.com"}).json()
    consent = requests.put(f"{stack.http_url}/v1/contacts/{contact['id']}/consent", headers=admin, timeout=10,
                           json={"topics": {"newsletter": "subscribed", "offers": "subscribed"}})
    assert consent.status_code == 200, consent.text
    # When it is sent from the API
    send = {"contact_id": contact["id"], "template_id": template.json()["id"]}
    sent = requests.post(f"{stack.http_url}/v1/emails", headers=admin, json=send, timeout=10)
    assert sent.status_code == 201, sent.text
    # Then the outbox has it with the List-Unsubscribe headers, leading to this gateway
    deadline = time.monotonic() + 15
    mails: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not mails:
        mails = [m for m in outbox(stack) if m["subject"] == f"News {tag} for Leila"]
        time.sleep(0.3)
    [mail] = mails
    headers = {k.lower(): v for k, v in mail["headers"].items()}
    assert headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    url = headers["list-unsubscribe"].strip("<>")
    assert url.startswith(f"{stack.http_url}/unsubscribe/") and url in mail["body"]
    # And a GET (a link scanner) only shows the button
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and 'method="post"' in page.text
    # When the mail client POSTs the one-click URL
    clicked = requests.post(url, data="List-Unsubscribe=One-Click", timeout=10,
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert clicked.status_code == 200, clicked.text
    # Then the newsletter is unsubscribed and offers are not
    profile = requests.get(f"{stack.http_url}/v1/contacts/{contact['id']}", headers=admin, timeout=10).json()
    assert {t: c["status"] for t, c in profile["consent"].items()} == {"newsletter": "unsubscribed",
                                                                        "offers": "subscribed"}
    # And a second newsletter is refused, and nothing more reaches the outbox
    again = requests.post(f"{stack.http_url}/v1/emails", headers={**admin, "Idempotency-Key": tag}, json=send,
                          timeout=10)
    assert again.status_code == 409 and again.json()["error"]["fields"]["template_id"] == "unsubscribed"
    time.sleep(1)
    assert len([m for m in outbox(stack) if m["subject"] == f"News {tag} for Leila"]) == 1
