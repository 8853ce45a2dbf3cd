"""Lambda entry for inbound mail: SQS batches of S3 notifications, one per raw message SES stored.

A message that fails (an AWS fault) is reported alone and retried; the queue dead-letters it after its
retries. Bad MIME is not a failure: it is stored, flagged, with its raw bytes kept in S3."""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from crm.mail.ingest import MAX_MESSAGE_BYTES, ingest
from crm.mail.mailboxes import MailSettings, parse_mailboxes
from crm.mail.store import DynamoMailStore
from crm.platform.cache import TtlCache
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.observability import count, logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table

processor = BatchProcessor(event_type=EventType.SQS)


@functools.cache
def _mail_store() -> DynamoMailStore:
    """Created on first use and kept for the container's life, the table bound once."""
    settings = get_settings()
    bind_table(settings)
    return DynamoMailStore(settings)


MAILBOX_CACHE_SECONDS = 60
_mail_settings: TtlCache[str, MailSettings] = TtlCache(max_entries=1)


@functools.cache
def _environment_mail_settings() -> MailSettings:
    return MailSettings.from_environ()


def forget_mail_settings() -> None:
    """Drops the cached mailboxes, so the next message reads the saved ones at once."""
    _mail_settings.clear()


def mail_settings() -> MailSettings:
    """The domain from the environment with the mailboxes saved through the API, re-read each minute."""
    return _mail_settings.get("mailboxes", _load_mail_settings, MAILBOX_CACHE_SECONDS)


def _load_mail_settings() -> MailSettings:
    settings = _environment_mail_settings()
    saved = _mail_store().saved_mailboxes()
    return settings.with_mailboxes(parse_mailboxes(saved)) if saved is not None else settings


def s3_objects(body: str) -> list[tuple[str, str]]:
    """(bucket, key) of each object an S3 notification announces; S3's test event announces none."""
    notification = json.loads(body)
    return [(record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"]))
            for record in notification.get("Records") or () if record.get("eventName", "").startswith("ObjectCreated")]


def handle_record(record: SQSRecord) -> None:
    store = _mail_store()
    for bucket, key in s3_objects(record.body):
        raw = store.load_raw(bucket, key, MAX_MESSAGE_BYTES)
        outcome = ingest(raw, mail_settings(), store, iso_now())
        count("EmailDuplicate" if outcome.duplicate else f"Email{outcome.status.capitalize()}")
        count("ContactCreated", int(outcome.created_contact))
        count("EmailAutoReplied", int(outcome.auto_replied))
        logger.info("email ingested", extra={"email_id": outcome.email_id, "status": outcome.status,
                                             "duplicate": outcome.duplicate, "raw_key": key})


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor,
                                    context=context)


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
