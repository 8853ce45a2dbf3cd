"""Lead scoring on the local stack: a form post becomes a scored contact, a model change re-scores."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

JSON = {"Accept": "application/json", "Content-Type": "application/json"}
DEADLINE_SECONDS = 15
T = TypeVar("T")


def unique_email(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@acme.example"


def submit(stack: RunningStack, fields: dict[str, str]) -> str:
    response = requests.post(f"{stack.http_url}/forms/contact-us/submissions", data=json.dumps(fields),
                             headers=JSON, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["contact_id"]


def poll(read: Callable[[], T], done: Callable[[T], bool], seconds: float = DEADLINE_SECONDS) -> T:
    """Reads until `done` holds or the deadline passes; returns the last reading either way."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.25)
        value = read()
    return value


def read_contact(stack: RunningStack, contact_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = requests.get(f"{stack.http_url}/v1/contacts/{contact_id}", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def rules_of(contact: dict[str, Any]) -> set[str]:
    return {entry["rule"] for entry in contact["score_breakdown"]}


def scored(stack: RunningStack, contact_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """The contact once both its creation and its form submission have been scored."""
    return poll(lambda: read_contact(stack, contact_id, headers),
                lambda c: c["score"] is not None and "form-submissions" in rules_of(c))


def read_model(stack: RunningStack, headers: dict[str, str]) -> dict[str, Any]:
    response = requests.get(f"{stack.http_url}/v1/scoring-model", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def put_model(stack: RunningStack, model: dict[str, Any], version: int, headers: dict[str, str]) -> requests.Response:
    return requests.put(f"{stack.http_url}/v1/scoring-model", data=json.dumps(model),
                        headers={**JSON, **headers, "If-Match": str(version)}, timeout=10)


def with_web_form_points(model: dict[str, Any], points: int) -> dict[str, Any]:
    return model | {"fit_rules": [rule | {"points": points} if rule["id"] == "source-web-form" else rule
                                  for rule in model["fit_rules"]]}


def wait_for_rescore(stack: RunningStack, headers: dict[str, str]) -> dict[str, Any]:
    return poll(lambda: read_model(stack, headers),
                lambda view: (view["rescore"] or {}).get("status") == "done")


def test_a_form_post_becomes_a_scored_contact_readable_through_the_api(stack: RunningStack) -> None:
    # Given a visitor who fills in the demo form with nothing but their address
    contact_id = submit(stack, {"email": unique_email("scored"), "first_name": "Σοφία"})

    # When a sales user reads the contact a few seconds later
    contact = scored(stack, contact_id, stack.auth("sales"))

    # Then it carries the score of a web-form lead with one submission, explained rule by rule
    assert contact["score"] == 13, contact  # 3 for the web form source + 10 for one form submission
    assert contact["grade"] == "D2"  # fit 3 is under C (10); engagement 10 makes 2
    assert rules_of(contact) == {"source-web-form", "form-submissions"}
    points = {entry["rule"]: entry["points"] for entry in contact["score_breakdown"]}
    assert points["source-web-form"] == 3
    assert 9 < points["form-submissions"] <= 10  # 10, a hair less if a UTC midnight falls in between


def test_contacts_list_highest_score_first(stack: RunningStack) -> None:
    # Given two new leads, one of whom also gave a company (+5)
    sales = stack.auth("sales")
    plain = submit(stack, {"email": unique_email("plain")})
    with_company = submit(stack, {"email": unique_email("with.company"), "company": "Acme"})
    assert scored(stack, plain, sales)["score"] == 13
    assert scored(stack, with_company, sales)["score"] == 18

    # When a sales user lists contacts by score, highest first, and lowest first
    def listed(sort: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"sort": sort, "limit": "100"} | ({"cursor": cursor} if cursor else {})
            response = requests.get(f"{stack.http_url}/v1/contacts", params=params, headers=sales, timeout=10)
            assert response.status_code == 200, response.text
            items += response.json()["items"]
            cursor = response.json()["next_cursor"]
            if not cursor:
                return items

    descending, ascending = listed("-score"), listed("score")

    # Then the one with the company comes first, and every page is in score order
    mine = [c["id"] for c in descending if c["id"] in (plain, with_company)]
    assert mine == [with_company, plain]
    scores = [c["score"] for c in descending if c["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    assert [c["id"] for c in ascending if c["id"] in (plain, with_company)] == [plain, with_company]


def test_a_model_change_rescores_existing_contacts(stack: RunningStack) -> None:
    # Given two scored contacts and the model marketing sees
    sales, marketing, support = stack.auth("sales"), stack.auth("marketing"), stack.auth("support")
    ids = [submit(stack, {"email": unique_email("rescored")}),
           submit(stack, {"email": unique_email("rescored.company"), "company": "Acme"})]
    before = {contact_id: scored(stack, contact_id, sales)["score"] for contact_id in ids}
    assert sorted(before.values()) == [13, 18]
    current = read_model(stack, marketing)
    original = current["model"]
    assert next(r for r in original["fit_rules"] if r["id"] == "source-web-form")["points"] == 3

    # When sales tries to change it, support tries to read it, and marketing makes a web-form lead
    # worth 20 points instead of 3
    changed_model = with_web_form_points(original, 20)
    by_sales = put_model(stack, changed_model, current["version"], sales)
    by_support = requests.get(f"{stack.http_url}/v1/scoring-model", headers=support, timeout=10)
    saved = put_model(stack, changed_model, current["version"], marketing)
    try:
        # Then only marketing's change is taken, and the re-score starts in the background
        assert by_sales.status_code == 403, by_sales.text
        assert by_support.status_code == 403, by_support.text
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == current["version"] + 1
        assert saved.json()["rescore"]["status"] == "running"

        # And it finishes within seconds, with every earlier contact 17 points up
        progress = wait_for_rescore(stack, marketing)
        assert progress["rescore"]["status"] == "done", progress["rescore"]
        assert progress["version"] == current["version"] + 1
        after = {contact_id: read_contact(stack, contact_id, sales) for contact_id in ids}
        assert {i: c["score"] for i, c in after.items()} == {i: s + 17 for i, s in before.items()}
        for contact in after.values():
            web_form = next(e for e in contact["score_breakdown"] if e["rule"] == "source-web-form")
            assert web_form["points"] == 20
    finally:
        # Leave the shared stack with the model it started with
        if saved.status_code == 200:
            restored = put_model(stack, original, saved.json()["version"], marketing)
            assert restored.status_code == 200, restored.text
            assert wait_for_rescore(stack, marketing)["rescore"]["status"] == "done"
