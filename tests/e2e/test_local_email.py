"""Email on the local stack, over SMTP like any mail client: a contact's mail with an attachment shows
on its timeline and the attachment downloads intact; a reply threads; automated mail gets no auto-reply."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import uuid
from email.message import EmailMessage
from typing import Any

import pytest
import requests
from crm.mail.ingest import email_id_for

from tests.e2e.conftest import RunningStack
from tests.e2e.test_local_scoring import poll, submit, unique_email
from tests.support.mail import message, reply_to, with_attachment

pytestmark = pytest.mark.e2e


def support_address(stack: RunningStack) -> str:
    return f"support@{stack.state['smtp']['recipients'][0]}"


def send(stack: RunningStack, mail: EmailMessage) -> str:
    """Sends over SMTP; returns the id the CRM gives the email (from its Message-ID)."""
    with smtplib.SMTP(stack.state["smtp"]["host"], stack.state["smtp"]["port"], timeout=10) as smtp:
        smtp.send_message(mail)
    return email_id_for(mail["Message-ID"].strip("<>"), b"")


def get(stack: RunningStack, path: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(f"{stack.http_url}{path}", headers=headers, timeout=10)


def stored_email(stack: RunningStack, email_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = poll(lambda: get(stack, f"/v1/emails/{email_id}", headers), lambda r: r.status_code == 200)
    assert response.status_code == 200, response.text
    return response.json()


def outbox(stack: RunningStack) -> list[dict[str, Any]]:
    """What a developer runs: `crm local outbox --json`."""
    result = subprocess.run([sys.executable, "-m", "crm_local.cli", "local", "outbox", "--json"],
                            env=stack.environment, capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


def test_a_contacts_email_with_an_attachment_reaches_its_timeline_and_downloads_intact(stack: RunningStack):
    headers = stack.auth("sales")
    # Given a contact who filled in the form
    address = unique_email("maryam")
    contact_id = submit(stack, {"email": address, "first_name": "مریم"})
    # When they email support with an attachment, over SMTP
    document = b"%PDF-1.4\n" + os.urandom(30_000)
    first = with_attachment(message(sender=f"Maryam <{address}>", to=support_address(stack),
                                    subject="قرارداد", body="سلام، قرارداد را پیوست کردم."), document, "قرارداد.pdf")
    email_id = send(stack, first)
    # Then it shows on the contact's timeline
    timeline = poll(lambda: get(stack, f"/v1/contacts/{contact_id}/timeline", headers).json(),
                    lambda page: any(e["type"] == "email_received" for e in page["items"]))
    [entry] = [e for e in timeline["items"] if e["type"] == "email_received"]
    assert entry["data"]["email_id"] == email_id and entry["summary"] == "قرارداد"
    # And its attachment downloads byte-identical through the short-lived link
    email = stored_email(stack, email_id, headers)
    [attachment] = email["attachments"]
    link = get(stack, f"/v1/attachments/{attachment['attachment_id']}", headers)
    assert link.status_code == 200, link.text
    download = requests.get(link.json()["url"], timeout=10)
    assert download.status_code == 200 and download.content == document
    assert download.headers["content-disposition"].startswith("attachment;")

    # When they reply on the thread
    reply_id = send(stack, reply_to(first, sender=f"Maryam <{address}>", to=support_address(stack)))
    # Then the reply is on the same thread and the same support case
    reply = stored_email(stack, reply_id, headers)
    assert reply["thread_id"] == email["thread_id"]
    assert reply["case_id"] == email["case_id"] is not None
    # And support answered the first message once, automatically, marked as such
    answers = [m for m in outbox(stack) if address in (m["destinations"] or [])]
    assert len(answers) == 1
    assert answers[0]["headers"]["Auto-Submitted"] == "auto-replied"
    assert answers[0]["headers"]["In-Reply-To"] == first["Message-ID"]


def test_an_auto_submitted_message_gets_no_auto_reply(stack: RunningStack):
    headers = stack.auth("support")
    address = f"robot.{uuid.uuid4().hex[:8]}@monitoring.example"
    # When a monitoring system writes to support
    email_id = send(stack, message(sender=address, to=support_address(stack), subject="Disk almost full",
                                   Auto_Submitted="auto-generated"))
    # Then the email is stored (and a case opened for it) but nobody answers a robot
    stored = stored_email(stack, email_id, headers)
    assert stored["status"] == "received"
    assert [m for m in outbox(stack) if address in (m["destinations"] or [])] == []
