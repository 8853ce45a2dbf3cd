"""Saved views: a person keeps named lists with their filters and sort; an admin shares one with the team. Each
person sees their own and the team's, never another's, and a view runs as whoever opens it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api_client import ApiClient

seller = ApiClient(role="sales", user="seller-1")
other_seller = ApiClient(role="sales", user="seller-2")
admin = ApiClient(role="admin", user="admin-1")
support = ApiClient(role="support", user="support-1")


@pytest.fixture
def views(aws: Any) -> Any:
    return aws


def names(client: ApiClient, **query: str) -> list[str]:
    response = client.get("/v1/saved-views", **query)
    assert response.status == 200
    return [v["name"] for v in response.body["items"]]


def test_a_person_keeps_views_of_their_own_that_nobody_else_sees(views: Any) -> None:
    # Given a seller who saves the hot leads list
    hot_leads = "/v1/contacts?lifecycle_stage=lead&sort=-score"
    saved = seller.post("/v1/saved-views", {"name": "Hot leads", "list": hot_leads})
    assert saved.status == 201 and saved.headers["location"] == f"/v1/saved-views/{saved.body['id']}"
    assert saved.body == {"id": saved.body["id"], "name": "Hot leads", "shared": False, "owner": "seller-1",
                          "list": "/v1/contacts?lifecycle_stage=lead&sort=-score",
                          "created_at": saved.body["created_at"]}
    # Then the seller finds it among the contacts views, and another seller does not
    assert names(seller) == ["Hot leads"] and names(seller, resource="contacts") == ["Hot leads"]
    assert names(seller, resource="deals") == []
    assert names(other_seller) == []
    # And nobody else deletes it: it is not there for them
    assert other_seller.delete(f"/v1/saved-views/{saved.body['id']}").status == 404
    assert seller.delete(f"/v1/saved-views/{saved.body['id']}").status == 204
    assert names(seller) == []


def test_an_admin_shares_a_view_with_the_team_and_only_an_admin_may(views: Any) -> None:
    shared = admin.post("/v1/saved-views", {"name": "Customers", "list": "/v1/contacts?lifecycle_stage=customer",
                                            "shared": True})
    assert shared.status == 201 and shared.body["shared"] is True
    seller.post("/v1/saved-views", {"name": "mine", "list": "/v1/contacts"})
    # Then everyone lists it beside their own
    assert names(seller) == ["Customers", "mine"] and names(support) == ["Customers"]
    # And a seller may neither share a view nor delete the team's
    refused = seller.post("/v1/saved-views", {"name": "x", "list": "/v1/contacts", "shared": True})
    assert refused.status == 403 and refused.body["error"]["code"] == "forbidden"
    assert seller.delete(f"/v1/saved-views/{shared.body['id']}").status == 403
    assert names(support) == ["Customers"]
    assert admin.delete(f"/v1/saved-views/{shared.body['id']}").status == 204


@pytest.mark.parametrize("body", [
    {"name": "x", "list": "https://evil.example.com/v1/contacts"},
    {"name": "x", "list": "/v1/../admin"},
    {"name": "x", "list": "/v1/contacts?cursor=abc"},
    {"name": "x", "list": "contacts"},
    {"name": "", "list": "/v1/contacts"},
    {"name": "x" * 101, "list": "/v1/contacts"},
    {"name": "x", "list": "/v1/contacts", "owner": "seller-2"},
    {"name": "x", "list": "/v1/contacts", "shared": "yes"},
    {"list": "/v1/contacts"},
    [],
])
def test_a_hostile_view_is_a_4xx_json_error_and_saves_nothing(views: Any, body: Any) -> None:
    response = seller.post("/v1/saved-views", body)
    assert 400 <= response.status < 500 and response.body["error"]["message"]
    assert names(seller) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=120), path=st.text(max_size=200))
def test_whatever_a_stranger_sends_is_saved_as_checked_or_refused_with_a_4xx(views: Any, name: str, path: str) -> None:
    response = seller.post("/v1/saved-views", {"name": name, "list": path})
    assert response.status in (201, 400, 409, 422), response.body
    if response.status == 201:
        assert response.body["list"].startswith("/v1/")
        assert seller.delete(f"/v1/saved-views/{response.body['id']}").status == 204
