"""Fixtures that several integration test modules share."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_ENV
from tests.support.local_stack import in_process_stack  # noqa: F401 - a fixture: imported here, pytest shares it
from tests.support.mail import DOMAIN


@pytest.fixture
def mail(aws: dict[str, Any]) -> dict[str, Any]:
    """The inbound bucket SES writes to, and the mail domain verified for sending."""
    import boto3
    from email_ingest.handler import forget_mail_settings

    boto3.client("s3").create_bucket(Bucket=TEST_ENV["CRM_INBOUND_BUCKET"])
    boto3.client("ses").verify_domain_identity(Domain=DOMAIN)
    forget_mail_settings()
    return aws
