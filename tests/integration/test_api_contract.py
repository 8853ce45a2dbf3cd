"""The API against its own OpenAPI document, with schemathesis: requests generated from the served
document, positive and negative, sent in process as API Gateway sends them (an admin's claims, moto
with the table of template.yaml); every answer must be no 5xx, a documented status, and a JSON body of
the documented schema. Every operation of the document is tested, so new routes join by themselves.

`make test` runs a few examples per operation (hypothesis profile "crm"); `make fuzz` (marker `fuzz`)
runs the count of the active profile, "deep"."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import pytest
import schemathesis
from hypothesis import HealthCheck, event, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api_client import ApiClient

QUICK_EXAMPLES = 8
# The client API is one entry point of about 45 operations; a deep run spreads the profile's cases (10,000)
# over them, at least 250 each, rather than 10,000 for every operation (hours in moto).
DEEP_EXAMPLES_PER_OPERATION = max(250, settings().max_examples // 40)
EXAMPLES = (QUICK_EXAMPLES if settings.get_current_profile_name() in ("crm", "default")
            else DEEP_EXAMPLES_PER_OPERATION)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 308: "Permanent Redirect"}


def api_gateway(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A WSGI app that hands each request to the API's Lambda handler as API Gateway would, for an admin."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("utf-8", "surrogateescape") if length else None
    headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items()
               if name.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    response = ApiClient("admin").call(environ["REQUEST_METHOD"], environ["PATH_INFO"], raw_body=body,
                                       query=dict(parse_qsl(environ.get("QUERY_STRING", ""))), headers=headers)
    payload = response.body if isinstance(response.body, str) else json.dumps(response.body)
    start_response(f"{response.status} {_REASONS.get(response.status, 'Error')}", list(response.headers.items()))
    return [payload.encode()]


schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", api_gateway)


@pytest.mark.fuzz(entry_point="/v1 client API (schemathesis)")
@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_document_says(aws, case):
    # Given any request the document allows, or almost allows, to an operation
    # When an admin sends it
    # Then the answer is no 5xx, its status is documented, and its JSON body matches the documented schema
    response = case.call_and_validate(checks=CHECKS)
    event(f"HTTP {response.status_code}")  # the spread of answers `make fuzz` reports


# Found by schemathesis: a body in another media type than JSON was a 503 (Powertools raised before any
# route ran). Now it is 415, after the role gate.
@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", "application/xml"])
def test_a_body_that_is_not_json_is_415_and_changes_nothing(aws, content_type):
    # Given a contact body sent as another media type, by a role that may write and by one that may not
    body = '{"first_name": "Ali"}'
    headers = {"content-type": content_type}

    # When each posts it
    writer = ApiClient("sales").call("POST", "/v1/contacts", raw_body=body, headers=headers)
    reader = ApiClient("support").call("POST", "/v1/contacts", raw_body=body, headers=headers)

    # Then the writer is told to send JSON, the reader that it may not write, and no contact exists
    assert (writer.status, writer.body["error"]["code"]) == (415, "unsupported_media_type")
    assert (reader.status, reader.body["error"]["code"]) == (403, "forbidden")
    assert ApiClient("admin").get("/v1/contacts").body["items"] == []
