"""Lead capture end to end inside moto: one person is one contact, nothing accepted is lost."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LOCAL_ORIGIN, sample_event, table_items
from tests.support.fuzz import assert_accepted_or_refused_cleanly


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from lead_capture.handler import handler

    return handler(event, None)


def submit_json(fields: dict[str, Any], ip: str = "203.0.113.7", **headers: str) -> dict[str, Any]:
    event = sample_event("lead_capture_submit_json.json", body=json.dumps(fields, ensure_ascii=False))
    event["headers"].update(headers)
    event["requestContext"]["http"]["sourceIp"] = ip
    return invoke(event)


def body(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])


def items_by_prefix(aws: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [i for i in table_items(aws["dynamodb"], aws["settings"].table_name) if i["PK"]["S"].startswith(prefix)]


def announced(aws: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(detail type, detail) of every event in the outbox, as the publisher reads its items."""
    from crm.records.outbox import OutboxItem, events_of

    return [(e.detail_type, e.detail) for item in items_by_prefix(aws, "OUTBOX#")
            for e in events_of(OutboxItem.from_raw_data(item))]


def submission_entries(aws: dict[str, Any], contact_id: str = "") -> list[dict[str, Any]]:
    """Accepted submissions: the timeline entries that carry one (of this contact, or of any)."""
    return [i for i in items_by_prefix(aws, f"CONTACT#{contact_id}")
            if i["SK"]["S"].startswith("HISTORY#") and "submission_id" in i.get("data", {}).get("M", {})]


def contact(aws: dict[str, Any], contact_id: str) -> dict[str, Any]:
    key = {"PK": {"S": f"CONTACT#{contact_id}"}, "SK": {"S": "PROFILE"}}
    return aws["dynamodb"].get_item(TableName=aws["settings"].table_name, Key=key)["Item"]


def test_a_new_lead_becomes_one_contact_with_its_submission_history_and_events(aws):
    # Given the sample JSON submission (Persian name, spaced mixed-case email, Iranian phone)
    # When it is posted
    response = invoke(sample_event("lead_capture_submit_json.json"))
    # Then a contact is created, normalized, with a lead stage and first/last touch
    assert response["statusCode"] == 201
    result = body(response)
    assert result["created"] is True
    saved = contact(aws, result["contact_id"])
    assert saved["email"]["S"] == "Ali.Rezaei@example.com"
    assert saved["phone"]["S"] == "+989123456789"
    assert saved["lifecycle_stage"]["S"] == "lead" and saved["lead_status"]["S"] == "new"
    assert saved["search_name"]["S"] == "علی رضایی"
    assert saved["first_touch"]["M"]["utm_source"]["S"] == "google"
    assert saved["first_touch"]["M"]["ip"]["S"] == "203.0.113.7"
    # And the submission was kept with it, as the contact's timeline entry: the raw body as received and
    # every value sent
    [entry] = [i for i in items_by_prefix(aws, f"CONTACT#{result['contact_id']}")
               if i["SK"]["S"].startswith("HISTORY#")]
    assert entry["entry_type"]["S"] == "contact_created"
    assert entry["data"]["M"]["submitted"]["M"]["message"]["S"].startswith("سلام")
    assert entry["data"]["M"]["raw_body"]["S"] == sample_event("lead_capture_submit_json.json")["body"]
    assert entry["data"]["M"]["content_type"]["S"] == "application/json"
    assert [i for i in items_by_prefix(aws, "FORM#") if i["SK"]["S"].startswith("SUBMISSION#")] == []
    # And both events went in the same transaction, in one outbox item, each with its own id
    [outbox_item] = items_by_prefix(aws, "OUTBOX#")
    events = announced(aws)
    assert [t for t, _ in events] == ["Contact Created", "Form Submitted"]
    assert all(d["contact_id"] == result["contact_id"] for _, d in events)
    assert len({d["event_id"] for _, d in events}) == 2 and int(outbox_item["expires_at"]["N"]) > time.time()
    # And the lead was scored by that transaction, so both events say so (the scoring rule skips them)
    assert "score" in saved and all(d["scored_at_capture"] is True for _, d in events)
    # And CORS allows the configured origin
    assert response["headers"]["access-control-allow-origin"] == LOCAL_ORIGIN


def test_a_repeat_with_another_case_matches_fills_gaps_and_never_overwrites(aws):
    first = body(submit_json({"email": "ivan@example.ru", "first_name": "Иван"}))
    # When the same person comes back with a different case, a new last name and a different first name
    again = submit_json({"email": "  IVAN@Example.RU ", "first_name": "Ваня", "last_name": "Петров",
                         "utm_source": "newsletter"})
    # Then it is the same contact, the empty field is filled, the filled one kept
    assert again["statusCode"] == 200
    assert body(again) == {"contact_id": first["contact_id"], "created": False}
    saved = contact(aws, first["contact_id"])
    assert saved["first_name"]["S"] == "Иван"
    assert saved["last_name"]["S"] == "Петров"
    assert saved["last_touch"]["M"]["utm_source"]["S"] == "newsletter"
    assert "utm_source" not in saved["first_touch"]["M"]
    assert saved["version"]["N"] == "2"
    # And the repeat, with the value that was not applied, is in the contact's history
    history = [i for i in items_by_prefix(aws, f"CONTACT#{first['contact_id']}") if i["SK"]["S"].startswith("HISTORY#")]
    assert [h["entry_type"]["S"] for h in history] == ["contact_created", "form_resubmitted"]
    assert history[1]["data"]["M"]["submitted"]["M"]["first_name"]["S"] == "Ваня"
    assert json.loads(history[1]["data"]["M"]["raw_body"]["S"])["last_name"] == "Петров"
    # And its two events were announced together, unmarked: scoring has the repeat's engagement to score
    assert [t for t, _ in announced(aws)].count("Contact Updated") == 1
    assert [sorted(d) for t, d in announced(aws) if t == "Contact Updated"] == [["contact_id", "event_id"]]
    assert {d["created_contact"]: d.get("scored_at_capture") for t, d in announced(aws)
            if t == "Form Submitted"} == {True: True, False: None}
    assert len(items_by_prefix(aws, "OUTBOX#")) == 2 and len(announced(aws)) == 4
    assert len(items_by_prefix(aws, "UNIQUE#EMAIL#")) == 1


def test_a_known_phone_in_another_format_matches_the_same_contact(aws):
    first = body(submit_json({"email": "ru@example.ru", "phone": "+7 912 345-67-89"}))
    event = sample_event("lead_capture_submit_urlencoded.json")  # "8 (912) 345-67-89", another email
    from crm.forms.config import FormConfig, load_form, save_form
    from lead_capture.handler import forget_cached_forms

    save_form(FormConfig.from_dict({**load_form("contact-us").to_dict(), "default_phone_region": "RU"}))
    forget_cached_forms()
    response = invoke(event)
    # Then the browser post is redirected and lands on the contact that owns the phone
    assert response["statusCode"] == 303
    assert response["headers"]["location"] == "https://www.example.com/thanks"
    saved = contact(aws, first["contact_id"])
    assert {v for v in saved["emails"]["SS"]} == {"ru@example.ru", "ivan.petrov@example.ru"}
    assert len([i for i in items_by_prefix(aws, "CONTACT#") if i["SK"]["S"] == "PROFILE"]) == 1


def test_an_email_owned_by_one_contact_and_a_phone_by_another_stay_with_their_owners(aws):
    by_email = body(submit_json({"email": "one@example.com"}))["contact_id"]
    by_phone = body(submit_json({"email": "two@example.com", "phone": "+1 415 555 0100"}))["contact_id"]
    response = submit_json({"email": "ONE@example.com", "phone": "(415) 555-0100"})
    assert body(response)["contact_id"] == by_email
    assert "phones" not in contact(aws, by_email)
    assert contact(aws, by_phone)["phones"]["SS"] == ["+14155550100"]


def test_spam_is_kept_for_review_and_creates_no_contact(aws):
    response = submit_json({"email": "bot@example.com", "website": "http://cheap.example"})
    assert response["statusCode"] == 202
    submissions = [i for i in items_by_prefix(aws, "FORM#contact-us") if "status" in i]
    assert [(s["status"]["S"], s["spam_reasons"]["L"][0]["S"]) for s in submissions] == [("spam", "honeypot_filled")]
    assert json.loads(submissions[0]["raw_body"]["S"])["website"] == "http://cheap.example"
    assert items_by_prefix(aws, "CONTACT#") == [] and items_by_prefix(aws, "OUTBOX#") == []


def test_too_fast_a_submission_is_spam(aws):
    response = submit_json({"email": "fast@example.com", "_ts": str(int(time.time() * 1000))})
    assert response["statusCode"] == 202
    assert items_by_prefix(aws, "CONTACT#") == []


def test_one_address_is_rate_limited_and_the_refusal_changes_nothing(aws, monkeypatch):
    # Given a clock that stays inside one rate window, and the demo form's 20 per minute
    monkeypatch.setattr("crm.forms.store.epoch_seconds", lambda: 1_795_521_600)
    limit = 20
    statuses = [submit_json({"email": f"p{i}@example.com"}, ip="198.51.100.9")["statusCode"] for i in range(limit)]
    assert statuses == [201] * limit
    before = len(table_items(aws["dynamodb"], aws["settings"].table_name))
    refused = submit_json({"email": "one-more@example.com"}, ip="198.51.100.9")
    assert refused["statusCode"] == 429 and refused["headers"]["retry-after"] == "60"
    assert body(refused)["error"]["code"] == "rate_limited"
    assert len(table_items(aws["dynamodb"], aws["settings"].table_name)) == before
    # And another address is not affected
    assert submit_json({"email": "someone@example.com"}, ip="198.51.100.10")["statusCode"] == 201


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 10


def file_submission() -> dict[str, Any]:
    """The demo form given a file field, and a multipart post of a PDF to it."""
    from crm.forms.config import FormConfig, load_form, save_form
    from lead_capture.handler import forget_cached_forms

    config = load_form("contact-us").to_dict()
    config["fields"].append({"name": "brief", "label": "Brief", "type": "file"})
    save_form(FormConfig.from_dict(config))
    forget_cached_forms()
    raw = (b"--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nfiles@example.com\r\n"
           b"--b\r\nContent-Disposition: form-data; name=\"brief\"; filename=\"brief.pdf\"\r\n"
           b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--b--\r\n")
    event = sample_event("lead_capture_submit_multipart.json", body=base64.b64encode(raw).decode())
    event["headers"]["content-type"] = "multipart/form-data; boundary=b"
    return event


def test_multipart_files_go_to_the_attachments_bucket_content_addressed(aws):
    event = file_submission()
    pdf = PDF
    first = invoke(event)
    second = invoke(event)
    assert (first["statusCode"], second["statusCode"]) == (201, 200)
    keys = [o["Key"] for o in aws["s3"].list_objects_v2(Bucket=aws["settings"].attachments_bucket)["Contents"]]
    assert len(keys) == 1
    stored = aws["s3"].get_object(Bucket=aws["settings"].attachments_bucket, Key=keys[0])["Body"].read()
    assert stored == pdf
    # And each submission's timeline entry names the stored file; multipart keeps no raw body, only its parts
    entries = submission_entries(aws, body(first)["contact_id"])
    assert len(entries) == 2 and all("raw_body" not in e["data"]["M"] for e in entries)
    files = [e["data"]["M"]["files"]["L"][0]["M"] for e in entries]
    assert {(f["filename"]["S"], f["key"]["S"]) for f in files} == {("brief.pdf", keys[0])}


def test_the_multipart_sample_creates_a_greek_contact(aws):
    response = invoke(sample_event("lead_capture_submit_multipart.json"))
    assert response["statusCode"] == 201
    assert contact(aws, body(response)["contact_id"])["first_name"]["S"] == "Ελένη"


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"pathParameters": {"form_id": "no-such-form"}}, 404, "form_not_found"),
    ({"pathParameters": {"form_id": "../../etc"}}, 404, "form_not_found"),
    ({"headers": {"content-type": "text/xml"}}, 415, "unsupported_media_type"),
    ({"body": "x" * 70_000}, 413, "body_too_large"),
    ({"headers": {"content-type": "application/json", "origin": "https://evil.example"}}, 403, "origin_not_allowed"),
    ({"body": '{"email": "not-an-email"}'}, 422, "invalid_fields"),
    ({"body": '{"first_name": "Ali"}'}, 422, "invalid_fields"),
    ({"body": "[]"}, 400, "invalid_json"),
    ({"routeKey": "DELETE /forms/{form_id}/submissions"}, 404, "not_found"),
])
def test_bad_requests_get_a_clear_4xx_and_change_nothing(aws, change, status, code):
    before = table_items(aws["dynamodb"], aws["settings"].table_name)
    response = invoke(sample_event("lead_capture_submit_json.json", **change))
    assert response["statusCode"] == status
    assert body(response)["error"]["code"] == code
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before


def test_preflight_answers_only_configured_origins(aws):
    allowed = invoke(sample_event("lead_capture_preflight.json"))
    assert allowed["statusCode"] == 204
    assert allowed["headers"]["access-control-allow-origin"] == LOCAL_ORIGIN
    event = sample_event("lead_capture_preflight.json")
    event["headers"]["origin"] = "https://evil.example"
    assert invoke(event)["statusCode"] == 403


def test_the_embed_script_is_served_as_javascript(aws):
    response = invoke(sample_event("lead_capture_embed.json"))
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"].startswith("application/javascript")
    assert '"form_id": "contact-us"' in response["body"]


def test_concurrent_submissions_with_one_email_make_one_contact(serialized_aws):
    aws = serialized_aws
    # Given 50 submissions of one person, racing, in different cases and spacing
    variants = ["race@example.com", " RACE@example.com", "Race@Example.com ", "race@EXAMPLE.COM"]
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(50)

    def post(i: int) -> None:
        barrier.wait()
        results.append(submit_json({"email": variants[i % 4], "first_name": f"R{i}"}, ip=f"192.0.2.{i}"))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one contact exists, every submission got its id, and each was recorded
    assert sorted(r["statusCode"] for r in results) == [200] * 49 + [201]
    assert len({body(r)["contact_id"] for r in results}) == 1
    assert len([i for i in items_by_prefix(aws, "CONTACT#") if i["SK"]["S"] == "PROFILE"]) == 1
    assert len(submission_entries(aws)) == 50


# Strangers' forms: the demo form's own fields (sometimes valid), honeypot and timing fields, and anything else.
form_values = st.one_of(st.text(max_size=300), st.integers(), st.floats(allow_nan=False), st.none(),
                        st.booleans(), st.lists(st.text(max_size=5), max_size=3))
form_fields = st.one_of(st.emails(), st.sampled_from(["+7 (912) 345-67-89", "۰۹۱۲۳۴۵۶۷۸۹", "8 800 555 35 35"]),
                        form_values)
any_fields = st.dictionaries(
    st.sampled_from(["email", "phone", "first_name", "last_name", "company", "message", "website", "_ts",
                     "utm_source", "_page", "x"]) | st.text(max_size=20), form_fields, max_size=12)
# Half the forms carry a well-formed email, so the accepting path (the transaction) is fuzzed as much as refusals.
form_bodies = st.builds(lambda fields, email: {**fields, **email}, any_fields,
                        st.fixed_dictionaries({}, optional={"email": st.emails()}))
uploads = st.lists(st.tuples(st.sampled_from(["brief", "email", "file"]) | st.text(max_size=10),
                             st.text(max_size=20), st.binary(max_size=300)), max_size=2)


def as_pairs(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """What a browser form sends: text only, a list as a repeated field."""
    return [(name, str(item)) for name, value in fields.items()
            for item in (value if isinstance(value, list) else [value])]


def json_submission(fields: dict[str, Any]) -> tuple[str, bytes]:
    return "application/json", json.dumps(fields, ensure_ascii=False).encode()


def urlencoded_submission(fields: dict[str, Any]) -> tuple[str, bytes]:
    from urllib.parse import urlencode

    return "application/x-www-form-urlencoded", urlencode(as_pairs(fields)).encode()


def multipart_submission(fields: dict[str, Any], files: list[tuple[str, str, bytes]]) -> tuple[str, bytes]:
    """Names and filenames go in unescaped, as a careless client would send them."""
    boundary = "crm-fuzz-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in as_pairs(fields)]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
              for name, filename, data in files]
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def post_form(content_type: str, raw: bytes) -> dict[str, Any]:
    event = sample_event("lead_capture_submit_json.json", body=base64.b64encode(raw).decode(), isBase64Encoded=True)
    event["headers"]["content-type"] = content_type
    event["requestContext"]["http"]["sourceIp"] = "192.0.2.200"
    return invoke(event)


@pytest.mark.fuzz(entry_point="POST /forms/{form_id}/submissions")
@pytest.mark.parametrize("submissions", [
    pytest.param(form_bodies.map(json_submission), id="json"),
    pytest.param(form_bodies.map(urlencoded_submission), id="urlencoded"),
    pytest.param(st.builds(multipart_submission, form_bodies, uploads), id="multipart"),
])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_form_a_stranger_sends_is_accepted_or_refused_cleanly(fuzz_table, submissions, data):
    # Given any form, in each content type a browser or a script sends
    content_type, raw = data.draw(submissions)
    with fuzz_table.example() as table:
        # When it is posted / Then 2xx or 303, or a JSON 4xx that wrote nothing; never a 5xx
        assert_accepted_or_refused_cleanly(post_form(content_type, raw), table)


@pytest.mark.fuzz(entry_point="POST /forms/{form_id}/submissions")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=st.binary(max_size=2000), content_type=st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/json", "image/png"]))
def test_any_bytes_in_any_content_type_are_accepted_or_refused_cleanly(fuzz_table, raw, content_type):
    # Given any bytes under any content type / When posted / Then never a 5xx, and a refusal writes nothing
    with fuzz_table.example() as table:
        assert_accepted_or_refused_cleanly(post_form(content_type, raw), table)
