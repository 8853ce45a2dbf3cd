"""boto3 clients for the embedded moto server."""

from __future__ import annotations

from typing import Any

import boto3

from crm_local.template import LOCAL_REGION


def local_client(service: str, aws_endpoint: str) -> Any:
    # moto accepts any credentials; fixed ones keep a developer's real profile out of the local stack.
    return boto3.session.Session().client(service, region_name=LOCAL_REGION, endpoint_url=aws_endpoint,
                                          aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106 - moto takes any key
