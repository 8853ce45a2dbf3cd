"""Spam review: marketing lists what a form judged spam, with why, and releases a real person into one contact,
once, audited; what cannot make a contact, or is not there, is refused and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import sample_event
from tests.support.api_client import ApiClient

admin, marketing, sales, support = ApiClient("admin"), ApiClient("marketing"), ApiClient("sales"), ApiClient("support")


def submit(fields: dict[str, Any]) -> dict[str, Any]:
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", body=json.dumps(fields, ensure_ascii=False))
    return handler(event, None)


def kept(status: str | None = None) -> list[dict[str, Any]]:
    page = marketing.get("/v1/forms/contact-us/spam", **({"status": status} if status else {}))
    assert page.status == 200, page.body
    return page.body["items"]


def test_a_person_the_honeypot_caught_is_listed_with_why_and_released_into_one_contact(aws):
    # Given a real person whose browser filled the honeypot field (an autofill), judged spam
    response = submit({"email": "Sara.Ahmadi@Example.com", "first_name": "سارا", "phone": "+98 912 000 1111",
                       "website": "https://sara.example"})
    assert response["statusCode"] == 202
    # When marketing reviews the form's spam
    waiting, = kept("spam")
    # Then it shows why, and what was sent
    assert waiting["reasons"] == ["honeypot_filled"] and waiting["fields"]["first_name"] == "سارا"
    # When marketing releases it
    released = marketing.call("POST", f"/v1/forms/contact-us/spam/{waiting['id']}/release")
    # Then it is one contact, made as the form would have made it, and the submission says so
    assert released.status == 200, released.body
    assert released.body["status"] == "released" and released.body["contact_created"] is True
    contact = sales.get(f"/v1/contacts/{released.body['contact_id']}").body
    assert (contact["email"], contact["phone"], contact["first_name"]) == ("Sara.Ahmadi@example.com",
                                                                           "+989120001111", "سارا")
    timeline = sales.get(f"/v1/contacts/{contact['id']}/timeline").body["items"]
    assert waiting["received_at"] in [entry["at"] for entry in timeline]
    assert kept("spam") == [] and [s["released_by"] for s in kept("released")] == ["user-1"]
    # And the release is in the audit log, by whom
    log = admin.get("/v1/audit", entity=f"form_submission:{waiting['id']}").body["items"]
    assert [(entry["action"], entry["actor"]) for entry in log] == [("release", "user-1")]


def test_a_second_release_is_refused_and_makes_no_second_contact(aws):
    submit({"email": "twice@example.com", "website": "x"})
    waiting, = kept("spam")
    first = marketing.call("POST", f"/v1/forms/contact-us/spam/{waiting['id']}/release")
    again = admin.call("POST", f"/v1/forms/contact-us/spam/{waiting['id']}/release")
    assert (again.status, again.body["error"]["code"]) == (409, "already_released")
    assert [c["id"] for c in sales.get("/v1/contacts").body["items"]] == [first.body["contact_id"]]


def test_a_release_of_an_existing_person_fills_their_record_and_creates_no_duplicate(aws):
    # Given a contact who came in by the form earlier, and their second post judged spam
    submit({"email": "known@example.com"})
    submit({"email": "KNOWN@example.com", "last_name": "Karimi", "website": "x"})
    waiting, = kept("spam")
    released = marketing.call("POST", f"/v1/forms/contact-us/spam/{waiting['id']}/release").body
    # Then it is the same person, with the gap filled
    assert released["contact_created"] is False
    contacts = sales.get("/v1/contacts").body["items"]
    assert len(contacts) == 1 and contacts[0]["last_name"] == "Karimi"


def test_spam_that_cannot_make_a_contact_is_refused_and_stays_for_review(aws):
    submit({"email": "not an address", "website": "http://cheap.example"})
    waiting, = kept("spam")
    refused = marketing.call("POST", f"/v1/forms/contact-us/spam/{waiting['id']}/release")
    assert refused.status == 422 and "email" in refused.body["error"]["fields"]
    assert [s["id"] for s in kept("spam")] == [waiting["id"]]
    assert sales.get("/v1/contacts").body["items"] == []


def test_who_may_review_and_release(aws):
    submit({"email": "bot@example.com", "website": "x"})
    waiting, = kept("spam")
    # Sales reads forms, so it reads their spam; it may not release; support may do neither
    assert sales.get("/v1/forms/contact-us/spam").status == 200
    assert sales.call("POST", f"/v1/forms/contact-us/spam/{waiting['id']}/release").status == 403
    assert support.get("/v1/forms/contact-us/spam").status == 403
    assert [s["status"] for s in kept()] == ["spam"]


@pytest.mark.parametrize("path", ["/v1/forms/no-such-form/spam/abc/release",
                                  "/v1/forms/contact-us/spam/not-base64!!/release",
                                  "/v1/forms/contact-us/spam/MjAyNi0xMi0wNFQwMDowMDowMFojbm9uZQ/release"])
def test_an_unknown_submission_is_404(aws, path):
    answer = marketing.call("POST", path)
    assert answer.status == 404 and answer.body["error"]["code"] == "not_found"
    assert marketing.get("/v1/forms/no-such-form/spam").status == 404


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=80))
def test_any_submission_id_a_stranger_types_is_a_clean_4xx(aws, typed):
    from urllib.parse import quote

    answer = marketing.call("POST", f"/v1/forms/contact-us/spam/{quote(typed, safe='')}/release")
    assert 400 <= answer.status < 500 and "error" in answer.body
