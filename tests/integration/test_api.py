"""The clients' API over moto: read a contact, page through contacts, roles."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import sample_event


def api(event: dict[str, Any]) -> dict[str, Any]:
    from api.handler import handler

    return handler(event, None)


def as_role(event: dict[str, Any], groups: str) -> dict[str, Any]:
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups
    return event


def create_contacts(n: int) -> list[str]:
    from lead_capture.handler import handler

    ids = []
    for i in range(n):
        event = sample_event("lead_capture_submit_json.json", body=json.dumps({"email": f"c{i}@example.com"}))
        event["requestContext"]["http"]["sourceIp"] = f"192.0.2.{i}"
        ids.append(json.loads(handler(event, None)["body"])["contact_id"])
    return ids


def list_page(limit: str, cursor: str | None = None, groups: str = "[sales]") -> dict[str, Any]:
    query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    return api(as_role(sample_event("api_list_contacts.json", queryStringParameters=query), groups))


def test_a_contact_is_read_by_id(aws):
    [contact_id] = create_contacts(1)
    event = sample_event("api_get_contact.json", pathParameters={"id": contact_id},
                         rawPath=f"/v1/contacts/{contact_id}")
    event["requestContext"]["http"]["path"] = f"/v1/contacts/{contact_id}"
    response = api(event)
    assert response["statusCode"] == 200
    contact = json.loads(response["body"])
    assert (contact["id"], contact["email"], contact["lifecycle_stage"]) == (contact_id, "c0@example.com", "lead")


def test_an_unknown_contact_is_404(aws):
    event = sample_event("api_get_contact.json")
    event["requestContext"]["http"]["path"] = "/v1/contacts/CONTACT_ID"
    response = api(event)
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"


def test_pages_cover_every_contact_once_newest_first(aws):
    created = create_contacts(5)
    seen, cursor = [], None
    for _ in range(5):
        page = json.loads(list_page("2", cursor)["body"])
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))


# "²" is a digit to str.isdigit but not to int(): found by the deep schemathesis run as a 503.
@pytest.mark.parametrize(("limit", "cursor"), [("0", None), ("201", None), ("abc", None), ("2", "forged.cursor"),
                                               ("²", None), ("١٢", None)])
def test_bad_paging_parameters_are_400(aws, limit, cursor):
    response = list_page(limit, cursor)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] in ("invalid_limit", "invalid_cursor")


def test_a_cursor_with_an_edited_key_is_refused(aws):
    create_contacts(3)
    cursor = json.loads(list_page("1")["body"])["next_cursor"]
    payload, signature = cursor.split(".")
    import base64

    key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    key["GSI1SK"]["S"] = "9999"
    forged = base64.urlsafe_b64encode(json.dumps(key).encode()).rstrip(b"=").decode() + "." + signature
    assert list_page("1", forged)["statusCode"] == 400


@pytest.mark.parametrize(("groups", "status"), [
    ("[admin]", 200), ("[sales]", 200), ("[marketing]", 200), ("[support]", 200), ("[]", 403), ("[guest]", 403),
])
def test_every_role_reading_contacts(aws, groups, status):
    assert list_page("10", groups=groups)["statusCode"] == status


def test_support_sees_customers_only(aws):
    [lead_id] = create_contacts(1)
    assert json.loads(list_page("10", groups="[support]")["body"])["items"] == []
    event = as_role(sample_event("api_get_contact.json", pathParameters={"id": lead_id}), "[support]")
    event["requestContext"]["http"]["path"] = f"/v1/contacts/{lead_id}"
    assert api(event)["statusCode"] == 404


def test_health_answers_without_a_token(aws):
    response = api(sample_event("api_health.json"))
    assert (response["statusCode"], json.loads(response["body"])) == (200, {"status": "ok"})
