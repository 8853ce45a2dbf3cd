"""Outbound email through the API (decision 0052): templates, staff sending and replying, consent per topic,
the public one-click unsubscribe, and SES's bounces and complaints suppressing an address."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import uuid
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import sample_event
from tests.support.api_client import ApiClient

admin, marketing = ApiClient("admin", user="admin-1"), ApiClient("marketing", user="mk-1")
sales, support = ApiClient("sales", user="rep-1"), ApiClient("support", user="desk-1")
NEWS = {"name": "Monthly news", "topic": "newsletter", "default_language": "en", "variants": {
    "en": {"subject": "News for {{ contact.first_name|default('you') }}", "text": "Hello {{ contact.first_name }}.",
           "html": "<p>Hello {{ contact.first_name }}</p>"},
    "fa": {"subject": "خبرنامه برای {{ contact.first_name }}", "text": "سلام {{ contact.first_name }}"},
    "ar": {"subject": "النشرة لـ {{ contact.first_name }}", "text": "مرحبا {{ contact.first_name }}"},
    "ru": {"subject": "Новости для {{ contact.first_name }}", "text": "Привет, {{ contact.first_name }}"}}}


@pytest.fixture
def outbound(aws: dict[str, Any]) -> dict[str, Any]:
    boto3.client("ses").verify_domain_identity(Domain="crm.example.com")
    return aws


def sent() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [email.message_from_string(m.raw_data, policy=email.policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages]


def new_contact(**fields: Any) -> dict[str, Any]:
    body = {"first_name": "Sara", "email": f"sara.{uuid.uuid4().hex[:8]}@example.com", **fields}
    return dict(admin.post("/v1/contacts", body).body)


def public(method: str, token: str, body: str = "") -> dict[str, Any]:
    from mail_events.unsubscribe import handler

    return handler({"version": "2.0", "routeKey": f"{method} /unsubscribe/{{token}}",
                    "rawPath": f"/unsubscribe/{token}", "pathParameters": {"token": token}, "body": body,
                    "isBase64Encoded": False,
                    "headers": {"content-type": "application/x-www-form-urlencoded"},
                    "requestContext": {"http": {"method": method, "path": f"/unsubscribe/{token}"}}}, None)


def subscribe(contact_id: str, **topics: str) -> Any:
    return admin.call("PUT", f"/v1/contacts/{contact_id}/consent", {"topics": topics, "source": "signed form"})


# Templates

def test_marketing_saves_a_template_everyone_reads_it_and_support_cannot_write_it(outbound: Any) -> None:
    created = marketing.post("/v1/email-templates", NEWS)
    assert created.status == 201 and created.headers["etag"] == '"1"'
    template_id = created.body["id"]
    shown = support.get(f"/v1/email-templates/{template_id}").body
    assert shown["variants"]["fa"]["text"] == "سلام {{ contact.first_name }}"
    assert template_id in [t["id"] for t in sales.get("/v1/email-templates").body["items"]]
    assert support.post("/v1/email-templates", NEWS).status == 403
    changed = marketing.call("PUT", f"/v1/email-templates/{template_id}", {**NEWS, "name": "News"},
                             headers={"if-match": '"1"'})
    assert changed.status == 200 and changed.body["version"] == 2
    assert marketing.call("PUT", f"/v1/email-templates/{template_id}", NEWS, headers={"if-match": '"1"'}).status == 412
    assert marketing.delete(f"/v1/email-templates/{template_id}", version=2).status == 204
    assert sales.get(f"/v1/email-templates/{template_id}").status == 404


@pytest.mark.parametrize(("source", "field"), [
    ("{% if contact.first_name %}unclosed", "variants.fa.text"),
    ("{% for x in contact %}{{ x }}{% endfor %}", "variants.fa.text"),
    ("{{ contact.__class__.__mro__ }}", "variants.fa.text"),
    ("{{ 'a' * 1000000000 }}", "variants.fa.text"),
    ("{{ contact.first_name.upper() }}", "variants.fa.text"),
    ("{% include 'x' %}", "variants.fa.text"),
])
def test_a_variant_outside_the_sandbox_is_refused_naming_it(outbound: Any, source: str, field: str) -> None:
    body = {**NEWS, "variants": {**NEWS["variants"], "fa": {"subject": "s", "text": source}}}
    refused = marketing.post("/v1/email-templates", body)
    assert refused.status == 422 and field in refused.body["error"]["fields"]


@pytest.mark.parametrize("body", [
    {**NEWS, "topic": "News Letter"}, {**NEWS, "default_language": "de"}, {**NEWS, "variants": {}},
    {**NEWS, "variants": {"en": {"subject": "s"}}}, {**NEWS, "extra": 1}, {"name": "x"},
    {**NEWS, "variants": {"en": {"subject": "s" * 2000, "text": "t"}}},
])
def test_malformed_templates_are_refused_with_4xx(outbound: Any, body: dict[str, Any]) -> None:
    assert marketing.post("/v1/email-templates", body).status == 422


def test_a_preview_renders_the_contacts_language_and_says_why_it_would_be_skipped(outbound: Any) -> None:
    from crm.contacts.spec import ContactItem

    template_id = marketing.post("/v1/email-templates", NEWS).body["id"]
    contact = new_contact(first_name="Мария")
    ContactItem(*ContactItem.key(contact["id"])).update([ContactItem.custom_fields.set({"language": "ru"})])
    shown = marketing.post(f"/v1/email-templates/{template_id}/preview", {"contact_id": contact["id"]})
    assert shown.status == 200
    assert shown.body["subject"] == "Новости для Мария" and shown.body["skip_reason"] == "no_consent"
    assert "/unsubscribe/" in shown.body["text"]
    assert marketing.post(f"/v1/email-templates/{template_id}/preview", {"contact_id": "nobody"}).status == 422
    assert sent() == []


# Consent

def test_unsubscribing_one_topic_leaves_the_others(outbound: Any) -> None:
    contact = new_contact()
    assert subscribe(contact["id"], newsletter="subscribed", offers="subscribed").status == 200
    after = subscribe(contact["id"], offers="unsubscribed").body["consent"]
    assert after["newsletter"]["status"] == "subscribed" and after["offers"]["status"] == "unsubscribed"
    assert admin.get(f"/v1/contacts/{contact['id']}").body["consent"]["offers"]["source"] == "signed form"
    timeline = admin.get(f"/v1/contacts/{contact['id']}/timeline").body["items"]
    assert [e["type"] for e in timeline].count("consent_changed") == 2


@pytest.mark.parametrize("body", [{"topics": {}}, {"topics": {"Bad Topic": "subscribed"}},
                                  {"topics": {"news": "maybe"}}, {"topics": {"transactional": "unsubscribed"}},
                                  {"topics": {"news": "subscribed"}, "other": 1}, [1, 2]])
def test_malformed_consent_is_refused(outbound: Any, body: Any) -> None:
    contact = new_contact()
    assert admin.call("PUT", f"/v1/contacts/{contact['id']}/consent", body).status in (400, 422)


def test_consent_of_a_contact_that_is_not_there_is_404_and_support_may_not_write_it(outbound: Any) -> None:
    assert admin.call("PUT", "/v1/contacts/nobody/consent", {"topics": {"news": "subscribed"}}).status == 404
    contact = new_contact()
    body = {"topics": {"news": "subscribed"}}
    assert support.call("PUT", f"/v1/contacts/{contact['id']}/consent", body).status == 403


# One-click unsubscribe

def test_one_click_unsubscribes_the_token_topic_only_and_a_get_changes_nothing(outbound: Any) -> None:
    from crm.outbound.compose import send_to_contact

    template_id = marketing.post("/v1/email-templates", NEWS).body["id"]
    contact = new_contact()
    subscribe(contact["id"], newsletter="subscribed", offers="subscribed")
    assert send_to_contact(contact["id"], template_id, send_key="first").status == "sent"
    [message] = sent()
    token = message["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    # A link scanner's GET shows the page and unsubscribes nobody
    page = public("GET", token)
    assert page["statusCode"] == 200 and 'method="post"' in page["body"] and "newsletter" in page["body"]
    assert admin.get(f"/v1/contacts/{contact['id']}").body["consent"]["newsletter"]["status"] == "subscribed"
    # The mail client's RFC 8058 POST unsubscribes the newsletter, and offers stay
    assert public("POST", token, "List-Unsubscribe=One-Click")["statusCode"] == 200
    consent = admin.get(f"/v1/contacts/{contact['id']}").body["consent"]
    assert consent["newsletter"]["status"] == "unsubscribed" and consent["newsletter"]["source"] == "one_click"
    assert consent["offers"]["status"] == "subscribed"
    # A second marketing send of that topic is skipped; posting again is harmless
    assert send_to_contact(contact["id"], template_id, send_key="second").reason == "unsubscribed"
    assert public("POST", token)["statusCode"] == 200
    assert len(sent()) == 1


def test_the_unsubscribe_emits_contact_unsubscribed_for_workflows(outbound: Any) -> None:
    from crm.outbound.compose import unsubscribe_url

    from tests.conftest import table_items

    contact = new_contact()
    subscribe(contact["id"], newsletter="subscribed")
    public("POST", unsubscribe_url(contact["id"], "newsletter").rsplit("/", 1)[1])
    events = [json.loads(i["detail"]["S"]) for i in table_items(outbound["dynamodb"], outbound["settings"].table_name)
              if i.get("detail_type", {}).get("S") == "Contact Unsubscribed"]
    assert {"contact_id": contact["id"], "topic": "newsletter", "source": "one_click"} in [
        {k: e.get(k) for k in ("contact_id", "topic", "source")} for e in events]


@pytest.mark.parametrize("token", ["", "x", "a.b", "a.b.c", "%00", "😀.😀", "A" * 600,
                                   "Y29udGFjdApuZXdz.AAAAAAAAAAAAAAAAAAAAAA"])
def test_a_bad_token_is_404_and_changes_nothing(outbound: Any, token: str) -> None:
    assert public("GET", token)["statusCode"] == 404
    assert public("POST", token)["statusCode"] == 404


def test_a_token_for_another_topic_cannot_be_forged_from_a_genuine_one(outbound: Any) -> None:
    from crm.outbound.compose import unsubscribe_url

    token = unsubscribe_url("c-1", "newsletter").rsplit("/", 1)[1]
    forged = base64.urlsafe_b64encode(b"c-1\noffers").rstrip(b"=").decode() + "." + token.split(".")[1]
    assert public("POST", forged)["statusCode"] == 404


def test_other_methods_are_405(outbound: Any) -> None:
    assert public("DELETE", "x")["statusCode"] == 405


# Staff sending and replying

def inbound_email(contact_id: str, address: str, case_id: str | None = None) -> str:
    """An email the CRM received from the contact, stored as ingestion stores one."""
    from crm.mail.ingest import email_id_for
    from crm.mail.spec import EmailItem

    message_id = f"{uuid.uuid4().hex}@mail.example.com"
    email_id = email_id_for(message_id, b"")
    EmailItem(*EmailItem.key(email_id), email_id=email_id, status="received", message_id=message_id,
              thread_id=email_id, references=["root@mail.example.com"], subject="Question about pricing",
              from_address=address, to=["sales@crm.example.com"], received_at="2026-12-04T09:00:00Z",
              contact_ids=[contact_id], case_id=case_id, size=100, raw_bucket="b", raw_key="k",
              GSI1PK=EmailItem.thread_key(email_id), GSI1SK=f"2026-12-04T09:00:00Z#{email_id}").save()
    return email_id


def test_a_reply_is_threaded_with_the_email_it_answers_and_on_the_timeline(outbound: Any) -> None:
    contact = new_contact(lifecycle_stage="customer")
    received = inbound_email(contact["id"], contact["email"])
    reply = support.call("POST", "/v1/emails", {"reply_to_email_id": received, "text": "Here are our prices."},
                         headers={"idempotency-key": "reply-1"})
    assert reply.status == 201 and reply.body["status"] == "sent"
    [message] = sent()
    original = admin.get(f"/v1/emails/{received}").body
    assert message["In-Reply-To"] == f"<{original['message_id']}>"
    assert message["References"].split() == ["<root@mail.example.com>", f"<{original['message_id']}>"]
    assert message["Subject"] == "Re: Question about pricing" and message["To"] == contact["email"]
    assert message["From"].endswith("@crm.example.com>") or message["From"].endswith("@crm.example.com")
    assert message["Auto-Submitted"] is None
    thread = admin.get(f"/v1/emails/{received}").body["thread"]
    assert {e["id"] for e in thread} == {received, reply.body["email_id"]}
    timeline = admin.get(f"/v1/contacts/{contact['id']}/timeline").body["items"]
    assert "email_sent" in [e["type"] for e in timeline]
    # Support sees a customer's mail only: a lead's email is not there to reply to
    lead = new_contact()
    hidden = inbound_email(lead["id"], lead["email"])
    assert support.post("/v1/emails", {"reply_to_email_id": hidden, "text": "x"}).status == 422


def test_a_reply_from_a_case_joins_the_case_so_support_sees_it_there(outbound: Any) -> None:
    from crm.mail.spec import CaseItem

    # Given a lead's email to the support desk, which opened a case
    lead = new_contact()
    received = inbound_email(lead["id"], lead["email"], case_id="case-7")
    thread_id = admin.get(f"/v1/emails/{received}").body["thread_id"]
    CaseItem(*CaseItem.key("case-7"), case_id="case-7", status="open", thread_id=thread_id, mailbox="support",
             contact_id=lead["id"], created_at="2026-12-04T09:00:00Z", updated_at="2026-12-04T09:00:00Z").save()
    # When support answers it
    reply = support.post("/v1/emails", {"reply_to_email_id": received, "text": "We are on it."})
    assert reply.status == 201 and reply.body["status"] == "sent"
    # Then support sees the answer in the case beside the lead's email, though the lead is no customer
    case = support.get("/v1/cases/case-7").body
    assert {e["id"] for e in case["emails"]} == {received, reply.body["email_id"]}


def test_a_retried_request_sends_once(outbound: Any) -> None:
    contact = new_contact()
    body = {"contact_id": contact["id"], "subject": "Your quote", "text": "Attached."}
    first = admin.call("POST", "/v1/emails", body, headers={"idempotency-key": "quote-7"})
    again = admin.call("POST", "/v1/emails", body, headers={"idempotency-key": "quote-7"})
    without_key = [admin.post("/v1/emails", body) for _ in range(2)]
    assert first.status == 201 and again.status == 200 and again.body["reason"] == "sent_before"
    assert [r.status for r in without_key] == [201, 200]
    assert len(sent()) == 2


def test_attachments_inline_and_held_are_sent_and_kept(outbound: Any) -> None:
    contact = new_contact()
    pdf = b"%PDF-1.4 quote"
    first = admin.post("/v1/emails", {"contact_id": contact["id"], "subject": "Quote", "text": "See the file.",
                                      "attachments": [{"filename": "quote.pdf", "content_type": "application/pdf",
                                                       "content_base64": base64.b64encode(pdf).decode()}]})
    assert first.status == 201
    stored = admin.get(f"/v1/emails/{first.body['email_id']}").body["attachments"]
    [held] = stored
    again = admin.post("/v1/emails", {"contact_id": contact["id"], "subject": "Quote again", "text": "Same file.",
                                      "attachments": [{"attachment_id": held["attachment_id"]}]})
    assert again.status == 201
    for message in sent():
        [part] = list(message.iter_attachments())
        assert part.get_filename() == "quote.pdf" and part.get_content() == pdf


@pytest.mark.parametrize("body", [
    {}, {"to": "not-an-address", "subject": "s", "text": "t"}, {"contact_id": "nobody", "subject": "s", "text": "t"},
    {"to": "a@example.com", "text": "no subject"}, {"to": "a@example.com", "subject": "s"},
    {"to": "a@example.com", "subject": "s", "text": "t", "reply_to_email_id": "nothing"},
    {"to": "a@example.com", "subject": "s", "text": "t", "template_id": "nothing"},
    {"to": "a@example.com", "subject": "s", "text": "t", "attachments": [{"filename": "a"}]},
    {"to": "a@example.com", "subject": "s", "text": "t", "attachments": [{"attachment_id": "nothing"}]},
    {"to": "a@example.com", "subject": "s", "text": "t",
     "attachments": [{"filename": "a", "content_type": "text/plain", "content_base64": "!!!"}]},
    {"to": "a@example.com", "subject": "s", "text": "t", "unknown": True},
    {"to": "a@example.com", "subject": "s\r\nBcc: victim@example.com", "text": "t"},
])
def test_hostile_sends_are_refused_or_harmless(outbound: Any, body: dict[str, Any]) -> None:
    response = admin.post("/v1/emails", body)
    if response.status == 201:
        # A header broken across lines is folded into the subject, never a header of its own.
        [message] = sent()
        assert message["Bcc"] is None and message["To"] == "a@example.com"
        return
    assert 400 <= response.status < 500
    assert sent() == []


def test_too_large_inline_files_are_refused(outbound: Any) -> None:
    big = base64.b64encode(b"x" * (4 * 1024 * 1024 + 1)).decode()
    response = admin.post("/v1/emails", {"to": "a@example.com", "subject": "s", "text": "t", "attachments": [
        {"filename": "big.bin", "content_type": "application/octet-stream", "content_base64": big}]})
    assert response.status == 413 and sent() == []


def test_sales_and_marketing_may_not_send(outbound: Any) -> None:
    for client in (sales, marketing):
        assert client.post("/v1/emails", {"to": "a@example.com", "subject": "s", "text": "t"}).status == 403


def test_a_marketing_template_needs_consent_even_from_staff(outbound: Any) -> None:
    template_id = marketing.post("/v1/email-templates", NEWS).body["id"]
    contact = new_contact()
    refused = admin.post("/v1/emails", {"contact_id": contact["id"], "template_id": template_id})
    assert refused.status == 409 and refused.body["error"]["fields"]["template_id"] == "no_consent"
    subscribe(contact["id"], newsletter="subscribed")
    assert admin.post("/v1/emails", {"contact_id": contact["id"], "template_id": template_id}).status == 201
    [message] = sent()
    assert message["Subject"] == "News for Sara" and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


# Bounces and complaints

def test_a_hard_bounce_suppresses_the_address_once_and_shows_on_the_timeline(outbound: Any) -> None:
    from crm.outbound.compose import send_to_contact
    from mail_events.handler import handler

    contact = new_contact(email="gone@example.com")
    template_id = marketing.post("/v1/email-templates", {**NEWS, "topic": "transactional"}).body["id"]
    assert handler(sample_event("mail_events_bounce.json"), None) == {"suppressed": 1}
    assert handler(sample_event("mail_events_bounce.json"), None) == {"suppressed": 0}
    timeline = admin.get(f"/v1/contacts/{contact['id']}/timeline").body["items"]
    assert [e["type"] for e in timeline].count("email_suppressed") == 1
    assert send_to_contact(contact["id"], template_id, send_key="after-bounce").reason == "suppressed"
    refused = admin.post("/v1/emails", {"to": "GONE@example.com", "subject": "s", "text": "t"})
    assert refused.status == 409 and sent() == []


def test_a_soft_bounce_suppresses_nothing(outbound: Any) -> None:
    from mail_events.handler import handler

    event = sample_event("mail_events_bounce.json")
    event["detail"]["bounce"]["bounceType"] = "Transient"
    assert handler(event, None) == {"suppressed": 0}


def test_a_complaint_suppresses_and_unsubscribes_every_marketing_topic(outbound: Any) -> None:
    from mail_events.handler import handler

    contact = new_contact(email="annoyed@example.com")
    subscribe(contact["id"], newsletter="subscribed", offers="subscribed")
    assert handler(sample_event("mail_events_complaint.json"), None) == {"suppressed": 1}
    consent = admin.get(f"/v1/contacts/{contact['id']}").body["consent"]
    assert {t: c["status"] for t, c in consent.items()} == {"newsletter": "unsubscribed", "offers": "unsubscribed"}


@pytest.mark.parametrize("detail", [{}, {"eventType": "Delivery"}, {"eventType": "Bounce"},
                                    {"eventType": "Bounce", "bounce": {
                                        "bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "x"}, 7]}},
                                    {"eventType": "Complaint", "complaint": {"complainedRecipients": None}}])
def test_odd_ses_events_change_nothing_and_do_not_raise(outbound: Any, detail: dict[str, Any]) -> None:
    from mail_events.handler import handler

    assert handler({"detail": detail}, None) == {"suppressed": 0}


def test_erasing_a_person_removes_the_mail_the_crm_sent_them(outbound: Any, mail: Any) -> None:
    # Given a contact the CRM wrote to, with a file
    contact = new_contact()
    sent_email = admin.post("/v1/emails", {"contact_id": contact["id"], "subject": "Quote", "text": "Here.",
                                           "attachments": [{"filename": "q.txt", "content_type": "text/plain",
                                                            "content_base64": base64.b64encode(b"q").decode()}]})
    assert sent_email.status == 201
    # When the person is erased
    assert admin.post(f"/v1/contacts/{contact['id']}/erase", {}).status == 200
    # Then the sent email is gone with them
    assert admin.get(f"/v1/emails/{sent_email.body['email_id']}").status == 404


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "HEAD", ""]), token=st.text(max_size=300),
       body=st.text(max_size=200))
def test_strangers_at_the_public_unsubscribe_get_a_4xx_never_an_error(outbound: Any, method: str,
                                                                      token: str, body: str) -> None:
    response = public(method, token, body)
    assert response["statusCode"] in (404, 405)
    assert response["headers"]["cache-control"] == "no-store"
