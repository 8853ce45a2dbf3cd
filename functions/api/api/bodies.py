"""What a write request brings: its JSON body, and the version it expects to replace (If-Match)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from crm.errors import ClientError


def json_body(event: APIGatewayProxyEventV2) -> Any:
    try:
        return json.loads(event.decoded_body or "")
    except ValueError as exc:
        raise ClientError(400, "invalid_json", "The request body is not valid JSON.") from exc


def require_version(event: APIGatewayProxyEventV2, current_version: int, what: str) -> None:
    """A write that names the version it read (If-Match) fails with 412 when someone saved since."""
    expected = event.headers.get("if-match")
    if expected is not None and expected.strip('"') != str(current_version):
        raise ClientError(412, "version_mismatch", f"The {what} is at version {current_version}.")
