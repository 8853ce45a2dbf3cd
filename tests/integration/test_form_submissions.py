"""A form's accepted submissions: listed newest first under the form, each with the contact it made or added to and
what was sent; a merge keeps them listed under the person they now belong to, an erase takes them away."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import sample_event
from tests.support.api_client import ApiClient

admin, marketing, sales, support = ApiClient("admin"), ApiClient("marketing"), ApiClient("sales"), ApiClient("support")


def submit(fields: dict[str, Any]) -> dict[str, Any]:
    from lead_capture.handler import handler

    response = handler(sample_event("lead_capture_submit_json.json", body=json.dumps(fields, ensure_ascii=False)),
                       None)
    assert response["statusCode"] in (200, 201, 202), response["body"]
    return response


def listed(client: ApiClient = marketing, **query: str) -> list[dict[str, Any]]:
    page = client.get("/v1/forms/contact-us/submissions", **query)
    assert page.status == 200, page.body
    return list(page.body["items"])


def test_each_accepted_submission_is_listed_newest_first_with_its_contact_and_what_was_sent(aws):
    # Given two visitors, one of whom sends the form again
    submit({"email": "maryam@example.ir", "first_name": "مریم", "phone": "+98 912 555 0101"})
    submit({"email": "nikos@example.gr", "first_name": "Νίκος"})
    submit({"email": "Maryam@Example.ir", "first_name": "مریم", "company": "Kavir"})
    # When marketing lists the form's submissions
    items = listed()
    # Then the three are there, newest first, the repeat added to the first visitor's record
    assert [(s["fields"]["first_name"], s["outcome"]) for s in items] == [
        ("مریم", "updated"), ("Νίκος", "created"), ("مریم", "created")]
    assert items[0]["contact_id"] == items[2]["contact_id"] != items[1]["contact_id"]
    assert items[0]["fields"]["company"] == "Kavir" and items[0]["form_id"] == "contact-us"
    assert {"raw_body", "content_type"}.isdisjoint(items[0])
    # And sales reads them too, a page at a time
    first = sales.get("/v1/forms/contact-us/submissions", limit="2").body
    rest = sales.get("/v1/forms/contact-us/submissions", limit="2", cursor=first["next_cursor"]).body
    assert [s["id"] for s in first["items"] + rest["items"]] == [s["id"] for s in items]


def test_a_merge_keeps_the_submissions_listed_under_the_winner_and_an_erase_takes_them_away(aws):
    submit({"email": "ali@example.ir", "first_name": "Ali"})
    submit({"email": "ali.r@work.example", "first_name": "Ali R."})
    loser, winner = (s["contact_id"] for s in listed())
    # When the two are merged
    assert sales.post(f"/v1/contacts/{winner}/merge", {"loser_id": loser}).status == 200
    # Then both submissions are still listed, both the winner's
    assert [s["contact_id"] for s in listed()] == [winner, winner]
    # When the person is erased
    assert admin.post(f"/v1/contacts/{winner}/erase", None).status == 200
    # Then nothing they sent is listed any more
    assert listed() == []


def test_a_released_spam_submission_is_listed_as_accepted(aws):
    submit({"email": "sara@example.com", "first_name": "Sara", "website": "https://sara.example"})
    assert listed() == []
    [waiting] = marketing.get("/v1/forms/contact-us/spam").body["items"]
    assert marketing.call("POST", f"/v1/forms/contact-us/spam/{waiting['id']}/release").status == 200
    assert [(s["fields"]["first_name"], s["outcome"]) for s in listed()] == [("Sara", "created")]


@pytest.mark.parametrize(("path", "query", "status"), [
    ("/v1/forms/no-such-form/submissions", {}, 404),
    ("/v1/forms/contact-us/submissions", {"limit": "0"}, 400),
    ("/v1/forms/contact-us/submissions", {"limit": "x"}, 400),
    ("/v1/forms/contact-us/submissions", {"cursor": "forged"}, 400),
])
def test_a_hostile_listing_is_a_4xx_json_error(aws, path, query, status):
    response = marketing.get(path, **query)
    assert response.status == status and response.body["error"]["message"]
    assert support.get("/v1/forms/contact-us/submissions").status == 403


def test_submissions_kept_before_the_forms_list_existed_are_listed_once_by_a_reindex(aws):
    from crm.forms.reindex import reindex_submissions
    from crm.records.history import HistoryItem

    # Given submissions kept as the stack kept them before a form's list existed
    submit({"email": "old.one@example.com", "first_name": "Old"})
    submit({"email": "old.one@example.com", "first_name": "Old", "company": "Again"})
    for entry in HistoryItem.by_form.query(HistoryItem.form_list_key("contact-us")):
        entry.update([HistoryItem.GSI1PK.remove(), HistoryItem.GSI1SK.remove()])
    assert listed() == []
    # When the reindex runs, twice
    assert reindex_submissions() == (2, 2) and reindex_submissions() == (0, 0)
    # Then both are listed, newest first
    assert [s["outcome"] for s in listed()] == ["updated", "created"]
