"""The clients' API on the local stack over real HTTP with the demo users' real tokens: a company and a
contact through their life (create, read, change with If-Match, a stale If-Match refused, delete), who
may do what, and the API's description open to anyone."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

TIMEOUT = 10


def test_a_company_and_its_contact_through_their_life(stack: RunningStack) -> None:
    # Given a sales user and a domain nobody has used
    sales = stack.auth("sales")
    api = f"{stack.http_url}/v1"
    domain = f"acme-{uuid.uuid4().hex[:8]}.example"

    # When they create a company and a contact working there
    company = requests.post(f"{api}/companies", json={"name": "Acme", "domain": f"https://www.{domain}/about"},
                            headers=sales, timeout=TIMEOUT)
    assert company.status_code == 201, company.text
    company_id = company.json()["id"]
    contact = requests.post(f"{api}/contacts", json={"first_name": "Ana", "email": f"ana@{domain}",
                                                     "company_id": company_id}, headers=sales, timeout=TIMEOUT)
    assert contact.status_code == 201, contact.text
    contact_url = f"{stack.http_url}{contact.headers['location']}"

    # Then both read back as written, the company's domain reduced to the domain
    assert company.json()["domain"] == domain
    read = requests.get(contact_url, headers=sales, timeout=TIMEOUT)
    assert (read.status_code, read.json()["company_id"], read.json()["version"]) == (200, company_id, 1)

    # When they change the contact naming the version they read, then again with that old version
    changed = requests.patch(contact_url, json={"job_title": "CTO"}, headers={**sales, "If-Match": '"1"'},
                             timeout=TIMEOUT)
    stale = requests.patch(contact_url, json={"job_title": "CEO"}, headers={**sales, "If-Match": '"1"'},
                           timeout=TIMEOUT)

    # Then the first is saved as version 2 and the second is refused, the record unchanged
    assert (changed.status_code, changed.json()["job_title"], changed.json()["version"]) == (200, "CTO", 2)
    assert (stale.status_code, stale.json()["error"]["code"]) == (412, "version_mismatch")
    assert requests.get(contact_url, headers=sales, timeout=TIMEOUT).json()["job_title"] == "CTO"

    # When they delete the contact at its version, and then the company
    deleted = requests.delete(contact_url, headers={**sales, "If-Match": '"2"'}, timeout=TIMEOUT)
    company_deleted = requests.delete(f"{api}/companies/{company_id}", headers=sales, timeout=TIMEOUT)

    # Then both are gone
    assert (deleted.status_code, company_deleted.status_code) == (204, 204)
    assert requests.get(contact_url, headers=sales, timeout=TIMEOUT).status_code == 404
    assert requests.get(f"{api}/companies/{company_id}", headers=sales, timeout=TIMEOUT).status_code == 404


def test_no_token_is_401_and_a_role_without_the_right_is_403(stack: RunningStack) -> None:
    # Given a contact body, no token, and the support user (who reads contacts but may not write them)
    url = f"{stack.http_url}/v1/contacts"

    # When each posts it, support also with a body no route would accept
    anonymous = requests.post(url, json={"first_name": "Ana"}, timeout=TIMEOUT)
    support = requests.post(url, json={"first_name": "Ana"}, headers=stack.auth("support"), timeout=TIMEOUT)
    support_junk = requests.post(url, json={"nonsense": [1]}, headers=stack.auth("support"), timeout=TIMEOUT)

    # Then the gateway refuses the first, and the API refuses support whatever it sent
    assert anonymous.status_code == 401
    assert (support.status_code, support.json()["error"]["code"]) == (403, "forbidden")
    assert (support_junk.status_code, support_junk.json()["error"]["code"]) == (403, "forbidden")


def test_the_api_description_and_swagger_ui_are_open_to_anyone(stack: RunningStack) -> None:
    # When someone without a token opens the OpenAPI document and Swagger UI
    spec = requests.get(f"{stack.http_url}/v1/openapi.json", timeout=TIMEOUT)
    docs = requests.get(f"{stack.http_url}/v1/docs", timeout=TIMEOUT)

    # Then both are served, the document listing the contacts' routes
    assert spec.status_code == 200 and "/v1/contacts/{contact_id}" in spec.json()["paths"]
    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
