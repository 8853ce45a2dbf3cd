"""Web forms through the clients' API: marketing and admins write them, sales reads them, lead capture
takes submissions on what they saved, and a bad form changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import sample_event, table_items
from tests.support.api_client import ApiClient

admin, marketing, sales = ApiClient("admin"), ApiClient("marketing"), ApiClient("sales")
SIGNUP = {"name": "Newsletter", "fields": [
    {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "email"},
    {"name": "name", "label": "Name", "maps_to": "first_name"}],
    "allowed_origins": ["http://localhost:3000"], "default_phone_region": "IR"}


def submit(form_id: str, fields: dict) -> dict:
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", body=json.dumps(fields),
                         pathParameters={"form_id": form_id}, rawPath=f"/forms/{form_id}/submissions")
    event["requestContext"]["http"]["path"] = f"/forms/{form_id}/submissions"
    return handler(event, None)


def test_a_form_saved_through_the_api_takes_submissions(aws):
    # Given marketing saves a form
    saved = marketing.call("PUT", "/v1/forms/newsletter", SIGNUP)
    assert saved.status == 201 and saved.body["version"] == 1
    # When a visitor submits it / Then lead capture knows it
    response = submit("newsletter", {"email": "reza@example.com", "name": "Reza"})
    assert response["statusCode"] == 201, response["body"]
    # And sales reads it in the list, but may not change it
    assert "newsletter" in [f["id"] for f in sales.get("/v1/forms").body["items"]]
    assert sales.call("PUT", "/v1/forms/newsletter", SIGNUP).status == 403


def test_replacing_a_form_needs_its_version(aws):
    marketing.call("PUT", "/v1/forms/newsletter", SIGNUP)
    changed = {**SIGNUP, "name": "Weekly letter"}
    # A second create without If-Match does not overwrite
    assert marketing.call("PUT", "/v1/forms/newsletter", changed).status == 409
    stale = marketing.call("PUT", "/v1/forms/newsletter", changed, headers={"if-match": '"7"'})
    assert (stale.status, stale.body["error"]["code"]) == (412, "version_mismatch")
    replaced = marketing.call("PUT", "/v1/forms/newsletter", changed, headers={"if-match": '"1"'})
    assert (replaced.status, replaced.body["config"]["name"], replaced.body["version"]) == (200, "Weekly letter", 2)
    log = admin.get("/v1/audit", entity="form:newsletter").body["items"]
    assert [entry["action"] for entry in log] == ["update", "create"]
    assert marketing.delete("/v1/forms/newsletter", version=2).status == 204
    assert sales.get("/v1/forms/newsletter").status == 404


@pytest.mark.parametrize("form", [
    {"name": "x", "fields": []},
    {"name": "x", "fields": [{"name": "message", "label": "Message"}]},
    {**SIGNUP, "allowed_origins": ["not a url"]},
    {**SIGNUP, "max_body_bytes": "lots"},
    {**SIGNUP, "spam": {"rate_limit_per_minute": "fast"}},
    {**SIGNUP, "spam": {"unknown": 1}},
    {**SIGNUP, "fields": ["email"]},
])
def test_a_form_that_cannot_work_is_422_and_saves_nothing(aws, form):
    before = table_items(aws["dynamodb"], aws["settings"].table_name)
    response = admin.call("PUT", "/v1/forms/broken", form)
    assert (response.status, response.body["error"]["code"]) == (422, "invalid_form"), response.body
    assert table_items(aws["dynamodb"], aws["settings"].table_name) == before
