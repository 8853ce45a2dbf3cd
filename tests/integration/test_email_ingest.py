"""Email ingestion inside moto: raw MIME in the inbound bucket becomes timeline entries, threads, cases,
attachments and auto-replies; nothing received is lost."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_ENV, sample_event, table_items
from tests.support.mail import DOMAIN, SALES, SUPPORT, dsn, message, mutated, reply_to, with_attachment

INBOUND_BUCKET = TEST_ENV["CRM_INBOUND_BUCKET"]
assert TEST_ENV["CRM_MAIL_DOMAIN"] == DOMAIN


def receive(raw: bytes | EmailMessage, key: str | None = None) -> dict[str, Any]:
    """What SES and the bucket notification do: store the raw message, then invoke the function."""
    import boto3
    from email_ingest.handler import handler

    key = key or f"inbound/{uuid.uuid4().hex}"
    data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
    boto3.client("s3").put_object(Bucket=INBOUND_BUCKET, Key=key, Body=data)
    return handler(notification(key), None)


def notification(*keys: str) -> dict[str, Any]:
    event = sample_event("email_ingest_s3_notification.json")
    template = event["Records"][0]
    records = []
    for index, key in enumerate(keys):
        body = json.loads(template["body"])
        body["Records"][0]["s3"]["bucket"]["name"] = INBOUND_BUCKET
        body["Records"][0]["s3"]["object"]["key"] = key
        records.append({**template, "messageId": f"m{index}", "body": json.dumps(body)})
    return {"Records": records}


def items(aws: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [i for i in table_items(aws["dynamodb"], aws["settings"].table_name) if i["PK"]["S"].startswith(prefix)]


def emails(aws: dict[str, Any]) -> list[dict[str, Any]]:
    return items(aws, "EMAIL#")


def outbox(aws: dict[str, Any], detail_type: str) -> list[dict[str, Any]]:
    return [json.loads(i["detail"]["S"]) for i in items(aws, "OUTBOX#") if i["detail_type"]["S"] == detail_type]


def timeline(aws: dict[str, Any], contact_id: str) -> list[dict[str, Any]]:
    return [i for i in items(aws, f"CONTACT#{contact_id}") if i["SK"]["S"].startswith("HISTORY#")]


def known_contact(email: str) -> str:
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", body=json.dumps({"email": email, "first_name": "Ali"}))
    event["requestContext"]["http"]["sourceIp"] = f"198.51.100.{uuid.uuid4().int % 250}"
    return json.loads(handler(event, None)["body"])["contact_id"]


def contact(aws: dict[str, Any], contact_id: str) -> dict[str, Any]:
    key = {"PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}}
    return aws["dynamodb"].get_item(TableName=aws["settings"].table_name, Key=key)["Item"]


def sent_mail() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [message_from_bytes(m.raw_data.encode(), policy=policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages]


def test_mail_from_a_known_contact_lands_on_its_timeline_with_its_attachment_and_an_event(mail):
    # Given a contact who filled in a form
    contact_id = known_contact("ali@example.ir")
    pdf = b"%PDF-1.4 " + os.urandom(2048)
    # When they email sales with an attachment
    result = receive(with_attachment(message(to=SALES, subject="سفارش جدید", body="سلام، فاکتور پیوست است."), pdf))
    # Then the batch succeeded and the email is stored once, linked to them
    assert result == {"batchItemFailures": []}
    [email] = emails(mail)
    assert email["contact_ids"]["L"] == [{"S": contact_id}]
    assert email["subject"]["S"] == "سفارش جدید"
    # And it is on their timeline
    [entry] = [e for e in timeline(mail, contact_id) if e["entry_type"]["S"] == "email_received"]
    assert entry["data"]["M"]["email_id"]["S"] == email["email_id"]["S"]
    assert entry["data"]["M"]["preview"]["S"] == "سلام، فاکتور پیوست است."
    # And the attachment is stored content-addressed, byte-identical
    sha = hashlib.sha256(pdf).hexdigest()
    assert email["attachments"]["L"][0]["M"]["attachment_id"]["S"] == sha
    stored = mail["s3"].get_object(Bucket=mail["settings"].attachments_bucket, Key=f"email/{sha}")["Body"].read()
    assert stored == pdf
    # And lead scoring hears of it with ids only
    [event] = outbox(mail, "Email Received")
    assert event["contact_id"] == contact_id and event["event_id"] and event["email_id"] == email["email_id"]["S"]
    # And the keyword rule routed it to billing; sales@ is no case desk
    assert email["routed_to"]["M"]["queue"]["S"] == "billing"
    assert "case_id" not in email


def test_the_same_message_id_twice_is_stored_once(mail):
    contact_id = known_contact("ali@example.ir")
    original = message(to=SALES)
    receive(original)
    # When SES delivers the same message again (another copy, another key)
    result = receive(original)
    # Then nothing fails and nothing is doubled
    assert result == {"batchItemFailures": []}
    assert len(emails(mail)) == 1
    assert len([e for e in timeline(mail, contact_id) if e["entry_type"]["S"] == "email_received"]) == 1
    assert len(outbox(mail, "Email Received")) == 1


def test_an_unknown_sender_becomes_a_lead_with_source_email(mail):
    receive(message(sender="Ελένη Παπαδοπούλου <eleni@example.gr>", to=SALES))
    [email] = emails(mail)
    [contact_id] = [c["S"] for c in email["contact_ids"]["L"]]
    saved = contact(mail, contact_id)
    assert saved["email"]["S"] == "eleni@example.gr"
    assert (saved["lifecycle_stage"]["S"], saved["source"]["S"]) == ("lead", "email")
    assert saved["first_name"]["S"] == "Ελένη"
    assert [e["contact_id"] for e in outbox(mail, "Contact Created")] == [contact_id]
    assert items(mail, "UNIQUE#EMAIL#eleni@example.gr")[0]["contact_id"]["S"] == contact_id


def test_mail_to_support_opens_a_case_and_a_reply_attaches_to_it_on_the_same_thread(mail):
    first = message(subject="Login broken")
    receive(first)
    # When the customer replies on the thread
    receive(reply_to(first))
    # Then both emails share a thread and a case, which counts both
    by_subject = {e["subject"]["S"]: e for e in emails(mail)}
    opened, reply = by_subject["Login broken"], by_subject["Re: Login broken"]
    assert reply["thread_id"]["S"] == opened["thread_id"]["S"] == opened["email_id"]["S"]
    assert reply["case_id"]["S"] == opened["case_id"]["S"]
    [case] = items(mail, "CASE#")
    assert (case["status"]["S"], case["email_count"]["N"], case["queue"]["S"]) == ("open", "2", "support")


def test_support_answers_automatically_once_a_day_with_rfc_3834_headers(mail):
    first = message(subject="Help")
    receive(first)
    receive(message(subject="Help again"))
    # Then one auto-reply went out, threaded and marked as automatic
    [reply] = sent_mail()
    assert reply["To"] == "ali@example.ir" and reply["From"] == SUPPORT
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in reply["References"]
    assert reply["Subject"] == "Re: Help"
    assert len(items(mail, "AUTOREPLY#")) == 1


@pytest.mark.parametrize("header, hostile", [
    # A decoded subject that is itself encoded-word syntax, broken
    (b"Subject: Question about my order", b"Subject: =?utf-8?b?0J/RgNC40LL\x00tdGC?="),
    # A message id that decodes to a line break
    (b"Message-ID: <", b"Message-ID: =?utf-8?q?<1@exa=0Ample.ir>?=\nX-Old-Id: <"),
], ids=["broken-encoded-subject", "message-id-with-a-line-break"])
def test_what_the_email_package_cannot_write_back_still_gets_its_auto_reply(mail, header, hostile):
    # Given a message with a header an auto-reply would echo but the email package cannot serialize again
    raw = message().as_bytes().replace(header, hostile)
    # When it arrives / Then it is stored and answered under a plain subject, without failing the batch
    assert receive(raw) == {"batchItemFailures": []}
    [reply] = sent_mail()
    assert reply["Subject"] == "Re: your message" and reply["Auto-Submitted"] == "auto-replied"


@pytest.mark.parametrize("sender, headers", [
    ("Ali <ali@example.ir>", {"Auto_Submitted": "auto-generated"}),
    ("Ali <ali@example.ir>", {"Precedence": "bulk"}),
    ("Ali <ali@example.ir>", {"Precedence": "list"}),
    ("Ali <ali@example.ir>", {"List_Id": "<news.example.ir>"}),
    ("No Reply <no-reply@example.ir>", {}),
    ("MAILER-DAEMON@example.ir", {}),
    (f"Staff <sara@{DOMAIN}>", {}),
])
def test_no_auto_reply_to_automated_mail_lists_no_reply_senders_or_ourselves(mail, sender, headers):
    receive(message(sender=sender, **headers))
    [email] = emails(mail)
    assert email["status"]["S"] == "received"
    assert sent_mail() == []


def test_a_bounce_marks_the_contact_bouncing_and_creates_no_contact(mail):
    contact_id = known_contact("gone@example.ru")
    receive(dsn("gone@example.ru"))
    assert contact(mail, contact_id)["email_status"]["S"] == "bouncing"
    [email] = emails(mail)
    assert email["status"]["S"] == "bounce"
    assert [c["S"] for c in email["contact_ids"]["L"]] == [contact_id]
    assert len(items(mail, "CONTACT#")) == len(timeline(mail, contact_id)) + 1  # only that contact
    assert [e["contact_id"] for e in outbox(mail, "Contact Updated")] == [contact_id]
    assert outbox(mail, "Email Received") == [] and sent_mail() == []


@pytest.mark.parametrize("header", ["X-SES-Spam-Verdict", "X-SES-Virus-Verdict"])
def test_spam_and_viruses_are_quarantined_not_linked(mail, header):
    known_contact("ali@example.ir")
    receive(with_attachment(message(**{header.replace("-", "_"): "FAIL"}), b"MZ\x90\x00evil"))
    [email] = emails(mail)
    assert email["status"]["S"] == "quarantined"
    assert "contact_ids" not in email and "attachments" not in email
    assert outbox(mail, "Email Received") == [] and items(mail, "CASE#") == [] and sent_mail() == []


def test_a_verdict_header_forged_below_the_receivers_own_is_ignored(mail):
    forged = message(X_SES_Spam_Verdict="PASS")
    raw = b"X-SES-Spam-Verdict: FAIL\r\n" + forged.as_bytes()
    receive(raw)
    assert emails(mail)[0]["status"]["S"] == "quarantined"


def test_garbage_is_kept_and_flagged_never_dropped(mail):
    key = "inbound/garbage"
    result = receive(b"\x00\xff\xfe not a message at all \r\n\r\n\x80\x81", key=key)
    assert result == {"batchItemFailures": []}
    [email] = emails(mail)
    assert email["raw_key"]["S"] == key
    assert "malformed" in [f["S"] for f in email["flags"]["L"]]
    assert "not a message at all" in email["text_body"]["S"]


def test_a_message_over_40_mb_is_kept_raw_and_flagged(mail, monkeypatch):
    import crm.mail.ingest
    import email_ingest.handler

    monkeypatch.setattr(email_ingest.handler, "MAX_MESSAGE_BYTES", 100)
    monkeypatch.setattr(crm.mail.ingest, "MAX_MESSAGE_BYTES", 100)
    receive(message(body="x" * 500))
    [email] = emails(mail)
    assert (email["status"]["S"], [f["S"] for f in email["flags"]["L"]]) == ("unparseable", ["too_large"])
    assert int(email["size"]["N"]) > 500


def test_the_same_file_in_two_emails_is_stored_once(mail):
    data = os.urandom(4096)
    receive(with_attachment(message(to=SALES), data, filename="a.bin"))
    receive(with_attachment(message(to=SALES), data, filename="b.bin"))
    sha = hashlib.sha256(data).hexdigest()
    versions = mail["s3"].list_object_versions(Bucket=mail["settings"].attachments_bucket, Prefix=f"email/{sha}")
    assert len(versions.get("Versions", [])) == 1
    assert len(items(mail, "ATTACHMENT#")) == 1


def test_a_missing_raw_object_fails_only_its_own_record(mail):
    import boto3
    from email_ingest.handler import handler

    boto3.client("s3").put_object(Bucket=INBOUND_BUCKET, Key="inbound/ok", Body=message(to=SALES).as_bytes())
    result = handler(notification("inbound/ok", "inbound/missing"), None)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert len(emails(mail)) == 1


def api(name: str, resource_id: str, groups: str = "[sales]", body: str | None = None,
        **query: str) -> tuple[int, dict[str, Any]]:
    from api.handler import handler

    event = sample_event(name, **({"body": body} if body is not None else {}))
    path = event["rawPath"].replace(event["pathParameters"]["id"], resource_id)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"id": resource_id}
    event["queryStringParameters"] = query or None
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups
    response = handler(event, None)
    return response["statusCode"], json.loads(response["body"])


def test_the_api_shows_the_timeline_the_email_and_a_download_link(mail):
    import requests

    contact_id = known_contact("ali@example.ir")
    pdf = b"%PDF-1.7 " + os.urandom(1024)
    receive(with_attachment(message(to=SALES, subject="Υπόθεση"), pdf, filename="προσφορά.pdf"))
    # When sales reads the contact's timeline
    status, page = api("api_contact_timeline.json", contact_id)
    assert status == 200
    assert [e["type"] for e in page["items"]] == ["email_received", "contact_created"]
    email_id = page["items"][0]["data"]["email_id"]
    # And opens the email
    status, email = api("api_get_email.json", email_id)
    assert status == 200 and email["subject"] == "Υπόθεση" and email["contact_ids"] == [contact_id]
    assert [t["id"] for t in email["thread"]] == [email_id]
    [attachment] = email["attachments"]
    assert attachment["filename"] == "προσφορά.pdf"
    # And asks for the attachment
    status, link = api("api_get_attachment.json", attachment["attachment_id"])
    assert status == 200 and link["expires_in"] <= 300
    # Then the short-lived link downloads the same bytes, as an attachment
    download = requests.get(link["url"], timeout=10)
    assert download.content == pdf
    assert download.headers["content-disposition"].startswith("attachment;")


def test_roles_decide_who_reads_mail(mail):
    contact_id = known_contact("ali@example.ir")
    receive(with_attachment(message(to=SALES), b"data"))
    [email] = emails(mail)
    email_id = email["email_id"]["S"]
    attachment_id = email["attachments"]["L"][0]["M"]["attachment_id"]["S"]
    # Marketing reads contacts but no mail: the timeline leaves the email out, the email is forbidden
    status, page = api("api_contact_timeline.json", contact_id, groups="[marketing]")
    assert status == 200 and [e["type"] for e in page["items"]] == ["contact_created"]
    assert api("api_get_email.json", email_id, groups="[marketing]")[0] == 403
    assert api("api_get_attachment.json", attachment_id, groups="[marketing]")[0] == 403
    # Admin reads all mail; support only a customer's or a case's (test_mail_visibility), not this lead's
    assert api("api_get_email.json", email_id, groups="[admin]")[0] == 200
    assert api("api_get_attachment.json", attachment_id, groups="[admin]")[0] == 200
    assert api("api_get_email.json", email_id, groups="[support]")[0] == 404
    assert api("api_get_attachment.json", attachment_id, groups="[support]")[0] == 404
    # Unknown ids are 404
    assert api("api_get_email.json", "nope")[0] == 404
    assert api("api_contact_timeline.json", "nope")[0] == 404


def test_the_case_lists_its_emails(mail):
    first = message(subject="Broken")
    receive(first)
    receive(reply_to(first))
    [case] = items(mail, "CASE#")
    status, body = api("api_get_case.json", case["case_id"]["S"], groups="[support]")
    assert status == 200 and body["status"] == "open" and body["email_count"] == 2
    assert sorted(e["subject"] for e in body["emails"]) == ["Broken", "Re: Broken"]
    assert api("api_get_case.json", case["case_id"]["S"], groups="[marketing]")[0] == 403


def test_the_timeline_pages_with_a_cursor_bound_to_the_contact(mail):
    contact_id = known_contact("ali@example.ir")
    for n in range(3):
        receive(message(to=SALES, subject=f"n{n}"))
    status, first = api("api_contact_timeline.json", contact_id, limit="2")
    assert status == 200 and len(first["items"]) == 2 and first["next_cursor"]
    status, second = api("api_contact_timeline.json", contact_id, limit="2", cursor=first["next_cursor"])
    assert status == 200
    seen = [e["summary"] for e in first["items"] + second["items"]]
    assert sorted(seen) == ["Created from a web form submission", "n0", "n1", "n2"]
    other = known_contact("someone@example.ir")
    assert api("api_contact_timeline.json", other, cursor=first["next_cursor"])[0] == 400


@pytest.mark.fuzz(entry_point="SES inbound mail (S3 notification)")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(mutated(), st.binary(max_size=1500)))
def test_every_mutated_message_is_stored_whole_and_never_fails_the_batch(mail, fuzz_table, data):
    from crm.mail.ingest import email_id_for
    from crm.mail.parse import parse_email
    from crm.mail.spec import AttachmentItem

    with fuzz_table.example() as table:
        # When any bytes at all arrive as a message
        result = receive(data)
        # Then the batch does not fail (the handler reports any exception as a failed item) ...
        assert result == {"batchItemFailures": []}
        # ... and the email is stored whole: its item, and every attachment it lists, item and file
        written = table.after()
        email_id = email_id_for(parse_email(data).message_id, data)
        assert (f"EMAIL#{email_id}", "EMAIL") in written
        attachments = written[(f"EMAIL#{email_id}", "EMAIL")].get("attachments", {}).get("L", [])
        event("stored with attachments" if attachments else "stored without attachments")
        for attachment in attachments:
            attachment_id = attachment["M"]["attachment_id"]["S"]
            assert AttachmentItem.key(attachment_id) in written
            stored = mail["s3"].head_object(Bucket=mail["settings"].attachments_bucket,
                                            Key=AttachmentItem.object_key(attachment_id))
            assert stored["ContentLength"] == int(attachment["M"]["size"]["N"])


def test_support_sets_a_case_pending_and_the_customers_reply_opens_it_again(mail):
    first = message(subject="Refund")
    receive(first)
    [case] = items(mail, "CASE#")
    case_id = case["case_id"]["S"]
    # When support answers and waits for the customer
    status, body = api("api_update_case.json", case_id, groups="[support]")
    assert (status, body["status"]) == (200, "pending")
    assert [e["status"] for e in outbox(mail, "Case Updated")] == ["pending"]
    # And the change is audited with who made it, field by field
    [audit] = items(mail, f"AUDIT#case#{case_id}")
    assert audit["changes"]["M"]["status"]["M"] == {"before": {"S": "open"}, "after": {"S": "pending"}}
    # And the customer replies on the thread
    receive(reply_to(first))
    # Then the case is open again
    assert api("api_get_case.json", case_id, groups="[support]")[1]["status"] == "open"


def test_the_inbox_lists_each_status_most_recently_active_first_and_follows_every_change(mail):
    from tests.support.api_client import ApiClient

    support = ApiClient(role="support")
    # Given two cases opened by mail, the refund's after the login's
    login, refund = message(subject="Login", sender="Sara <sara@example.ir>"), message(subject="Refund")
    receive(login)
    receive(refund)
    inbox = support.get("/v1/cases")
    assert inbox.status == 200 and inbox.body["next_cursor"] is None
    assert [c["subject"] for c in inbox.body["items"]] == ["Refund", "Login"]
    assert set(inbox.body["items"][0]) >= {"id", "status", "contact_id", "mailbox", "email_count", "updated_at"}
    refund_id = inbox.body["items"][0]["id"]
    # When support answers the refund and waits for the customer
    assert support.patch(f"/v1/cases/{refund_id}", {"status": "pending"}).status == 200
    # Then it leaves the open tab for the pending one
    assert [c["subject"] for c in support.get("/v1/cases").body["items"]] == ["Login"]
    assert [c["id"] for c in support.get("/v1/cases", status="pending").body["items"]] == [refund_id]
    # When the customer replies on its thread
    receive(reply_to(refund))
    # Then it is open again, at the top, with both emails
    opened = support.get("/v1/cases").body["items"]
    assert [(c["subject"], c["email_count"]) for c in opened] == [("Refund", 2), ("Login", 1)]
    assert support.get("/v1/cases", status="pending").body["items"] == []
    # And a page of one carries a cursor to the next, bound to its tab
    first = support.get("/v1/cases", limit="1").body
    assert [c["subject"] for c in first["items"]] == ["Refund"] and first["next_cursor"]
    assert [c["subject"] for c in support.get("/v1/cases", limit="1", cursor=first["next_cursor"]).body["items"]] == [
        "Login"]
    assert support.get("/v1/cases", status="closed", cursor=first["next_cursor"]).status == 400


def test_cases_from_before_the_inbox_are_put_into_it_once_by_a_reindex(mail):
    from crm.mail.reindex import reindex_cases
    from crm.mail.spec import CaseItem

    from tests.support.api_client import ApiClient

    # Given two cases stored as the stack stored them before the inbox existed, one of them closed
    receive(message(subject="Old one"))
    receive(message(subject="Old two", sender="Sara <sara@example.ir>"))
    cases = sorted(CaseItem.scan(CaseItem.PK.startswith("CASE#")), key=lambda c: c.subject)
    for case in cases:
        case.update([CaseItem.GSI3PK.remove(), CaseItem.order_key.remove()])
    cases[1].update([CaseItem.status.set("closed")])
    support = ApiClient(role="support")
    assert support.get("/v1/cases").body["items"] == []
    # When the reindex runs, twice
    assert reindex_cases() == (2, 2) and reindex_cases() == (0, 0)
    # Then each case is in its status's tab
    assert [c["subject"] for c in support.get("/v1/cases").body["items"]] == ["Old one"]
    assert [c["subject"] for c in support.get("/v1/cases", status="closed").body["items"]] == ["Old two"]


@pytest.mark.parametrize("query", [{"status": "solved"}, {"status": ""}, {"limit": "0"}, {"limit": "abc"},
                                   {"cursor": "not-a-cursor"}, {"status": "open\x00"}])
def test_a_hostile_inbox_query_is_a_4xx_json_error(mail, query):
    from tests.support.api_client import ApiClient

    receive(message())
    response = ApiClient(role="support").get("/v1/cases", **query)
    assert 400 <= response.status < 500 and response.body["error"]["code"]
    assert ApiClient(role="marketing").get("/v1/cases").status == 403


def test_only_admin_and_support_change_cases_and_only_to_known_statuses(mail):
    receive(message())
    [case] = items(mail, "CASE#")
    case_id = case["case_id"]["S"]
    assert api("api_update_case.json", case_id, groups="[sales]")[0] == 403
    assert api("api_update_case.json", case_id, groups="[marketing]")[0] == 403
    status, body = api("api_update_case.json", case_id, groups="[admin]", body=json.dumps({"status": "solved"}))
    assert (status, body["error"]["code"], list(body["error"]["fields"])) == (422, "invalid_fields", ["status"])
    assert api("api_update_case.json", "no-such-case", groups="[admin]")[0] == 404
    assert outbox(mail, "Case Updated") == []


def test_a_message_with_thousands_of_parts_is_stored_with_the_first_hundred_and_flagged(mail):
    many = message(to=SALES)
    for n in range(150):
        many.add_attachment(f"part {n}".encode(), maintype="application", subtype="octet-stream",
                            filename=f"p{n}.bin")
    assert receive(many) == {"batchItemFailures": []}
    [email] = emails(mail)
    assert len(email["attachments"]["L"]) == 100
    assert "attachments_truncated" in [f["S"] for f in email["flags"]["L"]]


def put_mailboxes(definitions: Any, groups: str = "[admin]", version: str | None = None) -> dict[str, Any]:
    from api.handler import handler

    event = sample_event("api_list_contacts.json", routeKey="PUT /v1/mailboxes", rawPath="/v1/mailboxes",
                         queryStringParameters=None, body=json.dumps(definitions),
                         headers={"content-type": "application/json", **({"if-match": version} if version else {})})
    event["requestContext"]["http"].update(method="PUT", path="/v1/mailboxes")
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups
    response = handler(event, None)
    return {"status": response["statusCode"], "body": json.loads(response["body"])}


def test_mailboxes_saved_through_the_api_route_the_next_message(mail):
    # Given an admin who adds a partners@ mailbox that routes "contract" mail to an owner
    from email_ingest.handler import forget_mail_settings

    definitions = {f"partners@{DOMAIN}": {"queue": "partners", "contact_source": "partner_email",
                                          "rules": [{"keywords": ["Contract", "قرارداد"], "owner": "lawyer@acme"}]}}
    saved = put_mailboxes(definitions, version="0")
    assert (saved["status"], saved["body"]["version"]) == (200, 1)
    [audit] = items(mail, "AUDIT#mailboxes#inbound")
    assert audit["action"]["S"] == "create" and "mailboxes" in audit["changes"]["M"]
    forget_mail_settings()  # what a minute does in a real container
    # When an outside sender writes to it about a contract, in Persian
    receive(message("new.partner@example.ir", f"partners@{DOMAIN}", "قرارداد همکاری", "سلام"))
    # Then the mail is routed to the owner and the new contact carries the mailbox's source
    [email] = emails(mail)
    assert email["routed_to"]["M"]["owner"]["S"] == "lawyer@acme"
    [new_contact] = [i for i in items(mail, "CONTACT#") if i["SK"]["S"] == "PROFILE"]
    assert new_contact["source"]["S"] == "partner_email"


@pytest.mark.parametrize(("definitions", "groups", "version", "status"), [
    ({"not-an-address": {}}, "[admin]", None, 422),
    ({f"x@{DOMAIN}": {"rules": [{"keywords": ["a"]}]}}, "[admin]", None, 422),  # a rule routes nowhere
    ([], "[admin]", None, 422),
    ({f"x@{DOMAIN}": {}}, "[support]", None, 403),
    ({f"x@{DOMAIN}": {}}, "[admin]", "7", 412),
])
def test_bad_mailbox_definitions_are_refused_and_change_nothing(mail, definitions, groups, version, status):
    assert put_mailboxes(definitions, groups, version)["status"] == status
    assert items(mail, "MAILBOXES") == []
