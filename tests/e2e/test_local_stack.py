"""The local stack over real HTTP, with real clients: what a developer sees after `make run`."""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

JSON = {"Accept": "application/json", "Content-Type": "application/json"}


def unique_email(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@Example.COM"


def submit(stack: RunningStack, fields: dict[str, str]) -> requests.Response:
    return requests.post(f"{stack.http_url}/forms/contact-us/submissions", data=json.dumps(fields),
                         headers=JSON, timeout=10)


def test_health_answers_without_a_token(stack: RunningStack) -> None:
    # When a newcomer opens the health check
    response = requests.get(f"{stack.http_url}/health", timeout=10)

    # Then the API answers
    assert response.status_code == 200


def test_a_hundred_visitors_posting_at_once_all_get_an_answer(stack: RunningStack) -> None:
    # Given a hundred visitors, each from an address of its own (all of 127/8 is loopback), released together
    visitors = 100
    start = threading.Barrier(visitors)

    def connect_and_post(number: int) -> int:
        connection = http.client.HTTPConnection(urlsplit(stack.http_url).hostname, urlsplit(stack.http_url).port,
                                                timeout=120, source_address=(f"127.0.42.{number + 1}", 0))
        start.wait()
        try:
            connection.request("POST", "/forms/contact-us/submissions", headers=JSON,
                               body=json.dumps({"email": unique_email(f"crowd{number}")}))
            return connection.getresponse().status
        finally:
            connection.close()

    # When they all post the form at the same moment
    with ThreadPoolExecutor(max_workers=visitors) as pool:
        statuses = list(pool.map(connect_and_post, range(visitors)))

    # Then none is reset or refused (a listen backlog of five reset the sixth), and every one is accepted
    assert statuses == [201] * visitors


def test_contacts_need_a_valid_token(stack: RunningStack) -> None:
    # Given no token, a forged one, and the demo sales user's token from `crm local token`
    url = f"{stack.http_url}/v1/contacts"

    # When each lists contacts
    without = requests.get(url, timeout=10)
    forged = requests.get(url, headers={"Authorization": "Bearer not.a.token"}, timeout=10)
    with_token = requests.get(url, headers=stack.auth("sales"), timeout=10)

    # Then the gateway refuses the first two as API Gateway does, and lets the sales user in
    assert (without.status_code, without.json()) == (401, {"message": "Unauthorized"})
    assert (forged.status_code, forged.json()) == (401, {"message": "Unauthorized"})
    assert with_token.status_code == 200
    assert "items" in with_token.json()


def test_id_token_passes_the_gateway_too(stack: RunningStack) -> None:
    # Given the admin's id token rather than the access token
    import subprocess
    import sys

    id_token = subprocess.run(
        [sys.executable, "-m", "crm_local.cli", "local", "token", "--role", "admin", "--kind", "id"],
        env=stack.environment, capture_output=True, text=True, timeout=30, check=True).stdout.strip()

    # When it lists contacts
    response = requests.get(f"{stack.http_url}/v1/contacts", headers={"Authorization": id_token}, timeout=10)

    # Then API Gateway's JWT authorizer accepts it by its audience (and the header needs no "Bearer")
    assert response.status_code == 200


def test_form_submission_becomes_one_contact_readable_through_the_api(stack: RunningStack) -> None:
    # Given a visitor who types their address in mixed case and a Russian mobile number
    email = unique_email("Anna.Petrova")

    # When they submit the demo form, and later submit again with the address in other case
    first = submit(stack, {"email": f"  {email} ", "first_name": "Анна", "phone": "+7 912 345-67-89"})
    second = submit(stack, {"email": email.upper(), "first_name": "Анна"})

    # Then the first creates a contact and the second finds the same one
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True
    contact_id = first.json()["contact_id"]
    assert second.status_code == 200, second.text
    assert second.json() == {"contact_id": contact_id, "created": False}

    # And a sales user reads it through the API, normalized
    response = requests.get(f"{stack.http_url}/v1/contacts/{contact_id}", headers=stack.auth("sales"), timeout=10)
    assert response.status_code == 200, response.text
    contact = response.json()
    local_part, domain = email.split("@")
    assert contact["email"] == f"{local_part}@{domain.lower()}"
    assert contact["phone"] == "+79123456789"
    assert contact["first_name"] == "Анна"


def test_unknown_routes_are_not_found_like_api_gateway(stack: RunningStack) -> None:
    # When a client calls a path, or a method on a known path, that the template does not route
    unknown_path = requests.get(f"{stack.http_url}/nothing-here", timeout=10)
    unknown_method = requests.delete(f"{stack.http_url}/health", timeout=10)
    # And paths under /v1, which one route sends to the API function, without and with a token
    anonymous = requests.get(f"{stack.http_url}/v1/nothing-here", timeout=10)
    signed_in = requests.get(f"{stack.http_url}/v1/nothing-here", headers=stack.auth("sales"), timeout=10)

    # Then the first two get API Gateway's own 404, the authorizer turns the anonymous call away, and
    # the API answers the signed-in one with its own 404
    assert (unknown_path.status_code, unknown_path.json()) == (404, {"message": "Not Found"})
    assert (unknown_method.status_code, unknown_method.json()) == (404, {"message": "Not Found"})
    assert anonymous.status_code == 401
    assert (signed_in.status_code, signed_in.json()["error"]["code"]) == (404, "not_found")


def test_new_contact_event_reaches_the_event_bus(stack: RunningStack) -> None:
    # Given a queue subscribed to everything on the CRM's bus
    def client(service: str):
        return boto3.client(service, region_name=stack.state["region"], endpoint_url=stack.aws_endpoint,
                            aws_access_key_id="local", aws_secret_access_key="local")

    sqs, events = client("sqs"), client("events")
    bus = stack.state["event_buses"][0]
    queue_url = sqs.create_queue(QueueName=f"e2e-bus-tap-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="e2e-bus-tap", EventBusName=bus, EventPattern=json.dumps({"source": ["crm"]}))
    events.put_targets(Rule="e2e-bus-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": queue_arn}])

    # When a form submission creates a contact
    response = submit(stack, {"email": unique_email("bus.tap")})
    assert response.status_code == 201, response.text
    contact_id = response.json()["contact_id"]

    # Then the outbox item travels over the table stream and the publisher to the bus
    created = None
    deadline = time.monotonic() + 30
    while created is None and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1).get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail-type"] == "Contact Created" and event["detail"].get("contact_id") == contact_id:
                created = event
    assert created is not None, "no Contact Created event reached the bus within 30 s"
    assert created["source"] == "crm"
