"""Secrets from Secrets Manager through Powertools parameters (cached); local development uses the env."""

from __future__ import annotations

from crm.config import Settings

SECRET_MAX_AGE_SECONDS = 300


def cursor_secret(settings: Settings) -> str:
    if settings.cursor_secret_arn is None:
        return settings.cursor_secret or ""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - only where the secret lives in AWS

    return str(parameters.get_secret(settings.cursor_secret_arn, max_age=SECRET_MAX_AGE_SECONDS))
