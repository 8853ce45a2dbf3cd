"""Mail a workflow sends a contact (crm.outbound.compose): the template in the contact's language, once per
key, only with consent to its topic and never to a suppressed address, on the contact's timeline."""

from __future__ import annotations

import email
import email.policy
import json
import uuid
from typing import Any

import boto3
import pytest

from tests.support.api_client import ApiClient

sales = ApiClient("sales", user="rep-1")


@pytest.fixture
def outbound(aws: dict[str, Any]) -> dict[str, Any]:
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    return aws


def sent() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [email.message_from_string(m.raw_data, policy=email.policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages]


def a_template(topic: str = "newsletter", **variants: dict[str, str]) -> str:
    from crm.outbound.spec import EmailTemplateItem

    template_id = uuid.uuid4().hex
    variants = variants or {"en": {"subject": "Hello {{ contact.first_name }}", "text": "Dear {{ contact.first_name }},"
                                   " news.", "html": "<p>Dear {{ contact.first_name }}</p>"}}
    EmailTemplateItem(*EmailTemplateItem.key(template_id), template_id=template_id, name="News", topic=topic,
                      default_language="en", variants_json=json.dumps(variants), created_at="2026-12-04T00:00:00Z",
                      updated_at="2026-12-04T00:00:00Z", updated_by="admin", version=1,
                      GSI1PK=EmailTemplateItem.list_key(), GSI1SK=f"2026-12-04T00:00:00Z#{template_id}").save()
    return template_id


def a_contact(consent: dict[str, str] | None = None, language: str | None = None, **fields: Any) -> str:
    from crm.contacts.spec import ContactItem

    body = {"first_name": "Reza", "email": f"reza.{uuid.uuid4().hex[:8]}@example.com", **fields}
    contact_id = str(sales.post("/v1/contacts", body).body["id"])
    if language:
        ContactItem(*ContactItem.key(contact_id)).update([ContactItem.custom_fields.set({"language": language})])
    if consent:
        ContactItem(*ContactItem.key(contact_id)).update([ContactItem.consent.set(
            {topic: {"status": status, "at": "2026-12-01T00:00:00Z", "source": "test"}
             for topic, status in consent.items()})])
    return contact_id


def test_a_subscribed_contact_gets_the_template_once_per_key_with_one_click_unsubscribe(outbound: Any) -> None:
    from crm.outbound.compose import send_to_contact

    # Given a contact subscribed to the newsletter and a newsletter template
    contact_id, template_id = a_contact({"newsletter": "subscribed"}), a_template()
    # When a workflow step sends it, and the step is retried
    first = send_to_contact(contact_id, template_id, send_key="wf-1:step-2:" + contact_id)
    again = send_to_contact(contact_id, template_id, send_key="wf-1:step-2:" + contact_id)
    # Then one email went, with RFC 8058 headers and a visible link, and it is on the timeline
    assert first.status == "sent" and first.message_id
    assert again.status == "skipped" and again.reason == "sent_before"
    [message] = sent()
    assert message["Subject"] == "Hello Reza"
    assert message["List-Unsubscribe"].startswith("<https://crm.example.com/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert url in message.get_body(("plain",)).get_content()
    timeline = sales.get(f"/v1/contacts/{contact_id}/timeline").body["items"]
    [entry] = [e for e in timeline if e["type"] == "email_sent"]
    assert entry["data"]["topic"] == "newsletter" and entry["data"]["direction"] == "outbound"


@pytest.mark.parametrize(("consent", "reason"), [(None, "no_consent"), ({"newsletter": "unsubscribed"}, "unsubscribed"),
                                                 ({"offers": "subscribed"}, "no_consent")])
def test_marketing_mail_needs_consent_to_its_own_topic(outbound: Any, consent: Any, reason: str) -> None:
    from crm.outbound.compose import preview, send_to_contact

    contact_id, template_id = a_contact(consent), a_template("newsletter")
    assert preview(contact_id, template_id)["skip_reason"] == reason
    assert send_to_contact(contact_id, template_id, send_key=uuid.uuid4().hex).reason == reason
    assert sent() == []


def test_transactional_mail_needs_no_consent_and_carries_no_unsubscribe(outbound: Any) -> None:
    from crm.outbound.compose import send_to_contact

    contact_id, template_id = a_contact(), a_template("transactional")
    assert send_to_contact(contact_id, template_id, send_key=uuid.uuid4().hex).status == "sent"
    [message] = sent()
    assert message["List-Unsubscribe"] is None


def test_the_contacts_language_picks_the_variant(outbound: Any) -> None:
    from crm.outbound.compose import preview

    template_id = a_template("transactional", en={"subject": "Hi", "text": "Hello"},
                             fa={"subject": "سلام {{ contact.first_name }}", "text": "درود"},
                             ru={"subject": "Привет", "text": "Здравствуйте"})
    persian = a_contact(first_name="رضا", language="fa-IR")
    assert preview(persian, template_id)["subject"] == "سلام رضا"
    assert preview(a_contact(), template_id)["subject"] == "Hi"


def test_a_suppressed_address_is_skipped(outbound: Any) -> None:
    from crm.outbound.compose import send_to_contact
    from crm.outbound.spec import SuppressionItem

    contact_id, template_id = a_contact(), a_template("transactional")
    address = sales.get(f"/v1/contacts/{contact_id}").body["email"]
    SuppressionItem(*SuppressionItem.key(address.casefold()), address=address, reason="bounce", at="2026-12-04").save()
    assert send_to_contact(contact_id, template_id, send_key=uuid.uuid4().hex).reason == "suppressed"
    assert sent() == []


def test_a_missing_contact_or_template_is_skipped_not_raised(outbound: Any) -> None:
    from crm.outbound.compose import preview, send_to_contact

    assert send_to_contact("nobody", a_template(), send_key="k").reason == "no_contact"
    assert send_to_contact(a_contact(), "nothing", send_key="k").reason == "no_template"
    assert preview(a_contact(), "nothing")["would_send"] is False
