"""The one configuration model. Every function reads it once, at first use, from its environment."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Development defaults for the local stack only; in AWS these come from Secrets Manager.
DEV_CURSOR_SECRET = "local-development-cursor-secret-change-me"  # noqa: S105 - local stack only
DEV_STRIPE_WEBHOOK_SECRET = "whsec_local_development_secret"  # noqa: S105 - local stack only
DEV_AUTHORIZENET_SIGNATURE_KEY = "LOCALDEVELOPMENTSIGNATUREKEY0123456789ABCDEF"
DEV_PAYPAL_WEBHOOK_ID = "LOCAL-DEV-WEBHOOK-ID"


class ConfigError(RuntimeError):
    """The environment does not describe a usable deployment."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    event_bus_name: str
    attachments_bucket: str
    region: str
    # Where SES stores raw inbound mail (email ingestion reads it; a GDPR erase deletes from it).
    inbound_bucket: str | None = None
    # Set only on the local stack, where every AWS client talks to the embedded moto server.
    aws_endpoint_url: str | None = None
    cursor_secret_arn: str | None = None
    cursor_secret: str | None = None
    form_cache_seconds: int = 60
    # Payment providers: a Secrets Manager ARN in AWS, or the value itself on the local stack.
    stripe_webhook_secret_arn: str | None = None
    stripe_webhook_secret: str | None = None
    authorizenet_signature_key_arn: str | None = None
    authorizenet_signature_key: str | None = None
    paypal_webhook_id: str | None = None
    # The country a phone typed without a country code belongs to (ISO 3166 alpha-2), for API writes
    # and searches; forms carry their own.
    default_phone_region: str | None = None
    # Imports and exports: the bucket of uploads and built files, and the queues of their background steps.
    transfer_bucket: str | None = None
    import_queue_url: str | None = None
    export_queue_url: str | None = None
    # The analytical store: every bus event as Parquet under events/ (Firehose writes it; SQL reads it).
    analytics_bucket: str | None = None
    # What runs SQL over it (decision 0047): `athena` deployed (in the workgroup, over the Glue database),
    # `duckdb` on the local stack and in the tests; and how long a query may run.
    analytics_engine: str = "athena"
    athena_workgroup: str | None = None
    analytics_database: str | None = None
    query_time_limit_seconds: float = 8.0
    # Saved reports (decision 0048): the EventBridge Scheduler group their emails are scheduled in, the role
    # Scheduler invokes the mailer with, the mailer and its DLQ (the schedules' target), the address the
    # emails come from, and how long a report run answered at once may read.
    report_schedule_group: str | None = None
    report_scheduler_role_arn: str | None = None
    report_mailer_arn: str | None = None
    report_mailer_dlq_arn: str | None = None
    report_sender: str | None = None
    report_run_seconds: float = 8.0
    # Automation (issue 16): the EventBridge Scheduler group of its one-time wake-ups (reminders, snoozes, SLA
    # checks, workflow waits), and for each function they wake, its ARN, the role Scheduler invokes it with
    # (one per function: each may invoke its own alone) and its DLQ.
    automation_schedule_group: str | None = None
    notifier_arn: str | None = None
    notifier_scheduler_role_arn: str | None = None
    notifier_dlq_arn: str | None = None
    assignment_arn: str | None = None
    assignment_scheduler_role_arn: str | None = None
    assignment_dlq_arn: str | None = None
    workflow_arn: str | None = None
    workflow_scheduler_role_arn: str | None = None
    workflow_dlq_arn: str | None = None
    # Outbound mail: the address the CRM's own notifications come from, and the public address of the API,
    # which links in mail (an unsubscribe link, a record to open) start with.
    notification_sender: str | None = None
    public_url: str | None = None
    # The Cognito user pool staff sign in to: where an address is found for a user without a profile.
    user_pool_id: str | None = None
    # Mail staff and workflows send (decision 0052): the business's domain each user's address is on.
    mail_domain: str | None = None
    # A workflow's webhook may POST to a private, loopback or link-local address only where this is set (the
    # local stack and the tests, whose receivers listen on 127.0.0.1); deployed, such a URL fails its step.
    webhook_private_targets: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        missing = [name for name in ("CRM_TABLE_NAME", "CRM_EVENT_BUS_NAME", "CRM_ATTACHMENTS_BUCKET")
                   if not env.get(name, "").strip()]
        if missing:
            raise ConfigError(f"missing environment variables: {', '.join(missing)}")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        if not region:
            raise ConfigError("AWS_REGION is not set")
        cache_seconds = env.get("CRM_FORM_CACHE_SECONDS", "60")
        if not cache_seconds.isdigit():
            raise ConfigError("CRM_FORM_CACHE_SECONDS must be a whole number of seconds")
        secret_arn = env.get("CRM_CURSOR_SECRET_ARN", "").strip() or None
        secret = env.get("CRM_CURSOR_SECRET", "").strip() or None
        if secret_arn is None and secret is None:
            secret = DEV_CURSOR_SECRET
        return cls(
            table_name=env["CRM_TABLE_NAME"].strip(),
            event_bus_name=env["CRM_EVENT_BUS_NAME"].strip(),
            attachments_bucket=env["CRM_ATTACHMENTS_BUCKET"].strip(),
            region=region,
            inbound_bucket=_optional(env, "CRM_INBOUND_BUCKET"),
            aws_endpoint_url=env.get("CRM_AWS_ENDPOINT_URL", "").strip() or None,
            cursor_secret_arn=secret_arn,
            cursor_secret=secret,
            form_cache_seconds=int(cache_seconds),
            stripe_webhook_secret_arn=_optional(env, "CRM_STRIPE_WEBHOOK_SECRET_ARN"),
            stripe_webhook_secret=_optional(env, "CRM_STRIPE_WEBHOOK_SECRET") or DEV_STRIPE_WEBHOOK_SECRET,
            authorizenet_signature_key_arn=_optional(env, "CRM_AUTHORIZENET_SIGNATURE_KEY_ARN"),
            authorizenet_signature_key=(_optional(env, "CRM_AUTHORIZENET_SIGNATURE_KEY")
                                        or DEV_AUTHORIZENET_SIGNATURE_KEY),
            paypal_webhook_id=_optional(env, "CRM_PAYPAL_WEBHOOK_ID") or DEV_PAYPAL_WEBHOOK_ID,
            default_phone_region=_region(env),
            transfer_bucket=_optional(env, "CRM_TRANSFER_BUCKET"),
            import_queue_url=_optional(env, "CRM_IMPORT_QUEUE_URL"),
            export_queue_url=_optional(env, "CRM_EXPORT_QUEUE_URL"),
            analytics_bucket=_optional(env, "CRM_ANALYTICS_BUCKET"),
            **_analytics(env),
            **_reports(env),
            **_automation(env),
            webhook_private_targets=_optional(env, "CRM_WEBHOOK_PRIVATE_TARGETS") == "allow",
        )


def _analytics(env: Mapping[str, str]) -> dict[str, Any]:
    engine = (_optional(env, "CRM_ANALYTICS_ENGINE") or "athena").lower()
    if engine not in ("athena", "duckdb"):
        raise ConfigError("CRM_ANALYTICS_ENGINE is athena or duckdb")
    seconds = _optional(env, "CRM_QUERY_TIME_LIMIT_SECONDS") or "8"
    try:
        limit = float(seconds)
    except ValueError:
        limit = 0.0
    if not 0 < limit <= 900:
        raise ConfigError("CRM_QUERY_TIME_LIMIT_SECONDS is a number of seconds, at most 900")
    return {"analytics_engine": engine, "athena_workgroup": _optional(env, "CRM_ATHENA_WORKGROUP"),
            "analytics_database": _optional(env, "CRM_ANALYTICS_DATABASE"), "query_time_limit_seconds": limit}


def _reports(env: Mapping[str, str]) -> dict[str, Any]:
    seconds = _optional(env, "CRM_REPORT_RUN_SECONDS") or "8"
    try:
        limit = float(seconds)
    except ValueError:
        limit = 0.0
    if not 0 < limit <= 900:
        raise ConfigError("CRM_REPORT_RUN_SECONDS is a number of seconds, at most 900")
    return {"report_schedule_group": _optional(env, "CRM_REPORT_SCHEDULE_GROUP"),
            "report_scheduler_role_arn": _optional(env, "CRM_REPORT_SCHEDULER_ROLE"),
            "report_mailer_arn": _optional(env, "CRM_REPORT_MAILER_FUNCTION"),
            "report_mailer_dlq_arn": _optional(env, "CRM_REPORT_MAILER_DLQ"),
            "report_sender": _optional(env, "CRM_REPORT_SENDER"), "report_run_seconds": limit}


def _automation(env: Mapping[str, str]) -> dict[str, Any]:
    names = {"automation_schedule_group": "CRM_AUTOMATION_SCHEDULE_GROUP",
             **{f"{function}{suffix}": f"CRM_{function.upper()}_{variable}" for function in
                ("notifier", "assignment", "workflow") for suffix, variable in
                (("_arn", "FUNCTION"), ("_scheduler_role_arn", "SCHEDULER_ROLE"), ("_dlq_arn", "DLQ"))},
             "notification_sender": "CRM_NOTIFICATION_SENDER", "public_url": "CRM_PUBLIC_URL",
             "user_pool_id": "CRM_USER_POOL_ID", "mail_domain": "CRM_MAIL_DOMAIN"}
    return {field: _optional(env, variable) for field, variable in names.items()}


def _region(env: Mapping[str, str]) -> str | None:
    region = (_optional(env, "CRM_DEFAULT_PHONE_REGION") or "").upper()
    if region and not (len(region) == 2 and region.isalpha()):
        raise ConfigError("CRM_DEFAULT_PHONE_REGION is a two-letter country code such as IR or RU")
    return region or None


def _optional(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


@functools.cache
def get_settings() -> Settings:
    return Settings.from_environ()
