"""The version a write request expects to replace (If-Match), for records without a Change."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from crm.platform.errors import HttpError


def require_version(event: APIGatewayProxyEventV2, current_version: int, what: str) -> None:
    """A write that names the version it read (If-Match) fails with 412 when someone saved since."""
    expected = event.headers.get("if-match")
    if expected is not None and expected.strip('"') != str(current_version):
        raise HttpError(412, "version_mismatch", f"The {what} is at version {current_version}.")
