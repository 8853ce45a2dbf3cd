"""Shared fixtures: the environment every function reads, and an embedded AWS built from template.yaml."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support.fuzz_report import DEEP_PROFILE, FuzzReport

# Shared, noisy machines: a slow example is not a failure; timings belong to `make bench`.
hypothesis_settings.register_profile("crm", deadline=None, print_blob=True)
# `make fuzz`: the properties marked `fuzz` (every entry point strangers reach) with 10,000 examples each.
hypothesis_settings.register_profile(DEEP_PROFILE, hypothesis_settings.get_profile("crm"), max_examples=10_000)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "crm")
hypothesis_settings.load_profile(PROFILE)

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

# Functions read their configuration once, at first use: set it before any handler is imported.
TEST_ENV = {
    "CRM_TABLE_NAME": "crm-test",
    "CRM_EVENT_BUS_NAME": "crm-test-bus",
    "CRM_ATTACHMENTS_BUCKET": "crm-test-attachments",
    "CRM_INBOUND_BUCKET": "crm-test-inbound",
    "CRM_TRANSFER_BUCKET": "crm-test-transfers",
    "CRM_IMPORT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/crm-test-imports",
    "CRM_EXPORT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/crm-test-exports",
    # The analytical store: Parquet in this bucket, queried with DuckDB as on the local stack.
    "CRM_ANALYTICS_BUCKET": "crm-test-analytics",
    "CRM_ANALYTICS_ENGINE": "duckdb",
    # tests.support.mail.DOMAIN: the domain the tests' mail is addressed to.
    "CRM_MAIL_DOMAIN": "crm.example.com",
    # Saved reports' emails: their schedules' group, Scheduler's role, the mailer and its DLQ, and the sender.
    "CRM_REPORT_SCHEDULE_GROUP": "crm-test-reports",
    "CRM_REPORT_SCHEDULER_ROLE": "arn:aws:iam::123456789012:role/crm-test-report-scheduler",
    "CRM_REPORT_MAILER_FUNCTION": "arn:aws:lambda:us-east-1:123456789012:function:crm-test-report-mailer",
    "CRM_REPORT_MAILER_DLQ": "arn:aws:sqs:us-east-1:123456789012:crm-test-report-mailer-dlq",
    "CRM_REPORT_SENDER": "reports@crm.example.com",
    # Automation's one-time schedules (reminders, snoozes): their group, and the notifier they invoke.
    "CRM_AUTOMATION_SCHEDULE_GROUP": "crm-test-automation",
    "CRM_NOTIFIER_FUNCTION": "arn:aws:lambda:us-east-1:123456789012:function:crm-test-notifier",
    "CRM_NOTIFIER_SCHEDULER_ROLE": "arn:aws:iam::123456789012:role/crm-test-notifier-scheduler",
    "CRM_NOTIFIER_DLQ": "arn:aws:sqs:us-east-1:123456789012:crm-test-notifier-dlq",
    "CRM_ASSIGNMENT_FUNCTION": "arn:aws:lambda:us-east-1:123456789012:function:crm-test-assignment",
    "CRM_ASSIGNMENT_SCHEDULER_ROLE": "arn:aws:iam::123456789012:role/crm-test-assignment-scheduler",
    "CRM_ASSIGNMENT_DLQ": "arn:aws:sqs:us-east-1:123456789012:crm-test-assignment-dlq",
    "CRM_WORKFLOW_FUNCTION": "arn:aws:lambda:us-east-1:123456789012:function:crm-test-workflows",
    "CRM_WORKFLOW_SCHEDULER_ROLE": "arn:aws:iam::123456789012:role/crm-test-workflow-scheduler",
    "CRM_WORKFLOW_DLQ": "arn:aws:sqs:us-east-1:123456789012:crm-test-workflow-dlq",
    "CRM_NOTIFICATION_SENDER": "notifications@crm.example.com",
    "CRM_PUBLIC_URL": "https://crm.example.com",
    # The workflow webhook tests' receivers listen on 127.0.0.1.
    "CRM_WEBHOOK_PRIVATE_TARGETS": "allow",
    "CRM_CURSOR_SECRET": "test-cursor-secret",
    "CRM_CURSOR_SECRET_ARN": "",
    "CRM_AWS_ENDPOINT_URL": "",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_METRICS_NAMESPACE": "ServerlessCRM",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
os.environ.update(TEST_ENV)

LOCAL_ORIGIN = "http://localhost:3000"


def pytest_configure(config: pytest.Config) -> None:
    # The embedded AWS's moto, in every test: transactions roll back from an undo log, not whole-table copies.
    from crm_local import moto_speedups

    moto_speedups.install()
    _share_botocore_data_loader()
    if PROFILE == DEEP_PROFILE:
        config.pluginmanager.register(FuzzReport(ROOT / "RELIABILITY.md"), "crm-fuzz-report")


def _share_botocore_data_loader() -> None:
    """A Lambda container makes its botocore session once; the tests make one per test (every function's
    clients and table connection start afresh), and each new session parsed botocore's service models
    and endpoint data again: half of a small test's time. One loader, with its cache, serves them all."""
    from botocore import loaders, session

    shared = loaders.create_loader()

    def register_shared_data_loader(self: session.Session) -> None:
        self._components.lazy_register_component("data_loader", lambda: shared)

    session.Session._register_data_loader = register_shared_data_loader  # type: ignore[method-assign]


def sample_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A sample event from events/, the same ones `sam local invoke` would use, with overrides."""
    event = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    merged = copy.deepcopy(event)
    merged.update(overrides)
    return merged


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """Moto with the table, bucket and bus of template.yaml, the demo form seeded."""
    from moto import mock_aws

    with mock_aws():
        import boto3
        from crm.forms.config import demo_form, save_form
        from crm.platform.config import get_settings
        from crm.records.table import bind_table
        from crm_local.template import create_table_kwargs

        settings = get_settings()
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**create_table_kwargs(settings.table_name))
        boto3.client("s3").create_bucket(Bucket=settings.attachments_bucket)
        boto3.client("s3").create_bucket(Bucket=settings.transfer_bucket)
        boto3.client("s3").create_bucket(Bucket=settings.analytics_bucket)
        sqs = boto3.client("sqs")
        for queue_url in (settings.import_queue_url, settings.export_queue_url):
            sqs.create_queue(QueueName=queue_url.rsplit("/", 1)[1])
        boto3.client("events").create_event_bus(Name=settings.event_bus_name)
        bind_table(settings)
        save_form(demo_form(allowed_origins=(LOCAL_ORIGIN,), redirect_url="https://www.example.com/thanks"))
        from lead_capture import handler as lead_capture_handler

        lead_capture_handler.forget_cached_forms()
        yield {"dynamodb": dynamodb, "s3": boto3.client("s3"), "settings": settings}


@pytest.fixture
def serialized_aws(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """DynamoDB serializes conflicting transactions; moto's in-memory backend is not thread-safe, so
    for concurrency tests it handles one request at a time. Our code still races freely around it."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    unlocked = BotocoreStubber.process_request

    def process_one_at_a_time(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return unlocked(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_one_at_a_time)
    _serialize_metrics(monkeypatch)
    return aws


def _serialize_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Lambda process runs one invocation at a time, so Powertools' metrics are not thread-safe: threads
    sharing them could flush a set another thread is emptying. Adding and flushing take turns here."""
    import threading

    from crm.platform.observability import metrics

    lock = threading.RLock()
    for name in ("add_metric", "flush_metrics"):
        original = getattr(metrics.provider, name)

        def one_at_a_time(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(*args, **kwargs)

        monkeypatch.setattr(metrics.provider, name, one_at_a_time)


def table_items(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item, for assertions in tests only (no request path ever scans)."""
    items, kwargs = [], {"TableName": table_name}
    while True:
        page = dynamodb.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def fuzz_table(aws: dict[str, Any]) -> Any:
    """For entry-point properties: each example starts from this table and is compared with it."""
    from tests.support.fuzz import TableWatch

    return TableWatch(aws)
