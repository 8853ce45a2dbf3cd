"""Secrets from Secrets Manager through Powertools parameters (cached); local development uses the env."""

from __future__ import annotations

from crm.platform.config import Settings

SECRET_MAX_AGE_SECONDS = 300


def secret_value(arn: str | None, local_value: str | None) -> str:
    """The secret behind `arn` (cached for five minutes), or the local stack's value when there is none."""
    if arn is None:
        return local_value or ""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - only where the secret lives in AWS

    return str(parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS))


def cursor_secret(settings: Settings) -> str:
    return secret_value(settings.cursor_secret_arn, settings.cursor_secret)
