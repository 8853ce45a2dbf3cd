"""boto3 clients, created lazily and kept for the container's life (boto3 is imported only when used)."""

from __future__ import annotations

import functools
from typing import Any

from crm.platform.config import get_settings


@functools.cache
def client(service: str) -> Any:
    import boto3  # noqa: PLC0415 - deferred: most requests never need a boto3 client

    settings = get_settings()
    return boto3.session.Session().client(service, region_name=settings.region,
                                          endpoint_url=settings.aws_endpoint_url)
