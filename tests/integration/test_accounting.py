"""Nothing accepted is lost: with AWS faults injected at a rate that makes some inputs exhaust their
retries, every input accepted is either processed or in a dead-letter queue, never both, never twice.

The template's wiring runs in this process (tests/support/local_stack.py): the stream, the rules, the
bucket notifications and the inbound mail queue, as `crm local run` dispatches them, with moto inside."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tests.conftest import sample_event, table_items
from tests.support.faults import READ_TIMEOUT, SERVER_ERROR, THROTTLE, FaultInjector, FaultPlan, Rule
from tests.support.local_stack import drain
from tests.support.mail import message
from tests.support.signing import stripe_header

SEED = 20261124
FORMS = WEBHOOKS = 20
EMAILS = 30
# What a form's page or a payment provider does with a 503: try again, a few times.
SENDER_ATTEMPTS = 3

PLAN = FaultPlan(seed=SEED, rules=[
    Rule("dynamodb.TransactWriteItems", THROTTLE, probability=0.6, function="LeadCaptureFunction"),
    Rule("dynamodb.TransactWriteItems", SERVER_ERROR, probability=0.6, function="PaymentWebhookFunction"),
    # Mail is read from S3 up to five times (the queue's maxReceiveCount) before it is dead-lettered.
    Rule("s3.GetObject", THROTTLE, probability=0.35, function="EmailIngestFunction"),
    Rule("s3.GetObject", SERVER_ERROR, probability=0.35, function="EmailIngestFunction"),
    Rule("s3.GetObject", READ_TIMEOUT, probability=0.15, function="EmailIngestFunction"),
    # Scoring is invoked three times (Lambda's asynchronous retries) before it is dead-lettered.
    Rule("dynamodb.GetItem", SERVER_ERROR, probability=0.5, function="LeadScoringFunction"),
    # The search indexer retries a stream batch from its first failed record, 11 times (MaximumRetryAttempts).
    Rule("dynamodb.GetItem", THROTTLE, probability=0.7, function="SearchIndexerFunction"),
])


def send(invoke: Any, function_id: str, event: dict[str, Any]) -> int:
    """A sender that retries a 503; the status it ends with."""
    for _ in range(SENDER_ATTEMPTS):
        status = invoke(function_id, event)["statusCode"]
        if status != 503:
            return status
    return status


def form_event(index: int) -> dict[str, Any]:
    event = sample_event("lead_capture_submit_json.json",
                         body=json.dumps({"email": f"lead{index}@example.com", "first_name": f"Lead {index}"}))
    event["requestContext"]["http"]["sourceIp"] = f"198.51.100.{index}"  # under the per-IP rate limit
    return event


def webhook_event(index: int) -> dict[str, Any]:
    from crm.platform.config import get_settings

    raw = json.dumps({"id": f"evt_{index}", "object": "event", "type": "payment_intent.succeeded",
                      "created": 1_795_521_600, "data": {"object": {
                          "id": f"pi_{index}", "object": "payment_intent", "amount_received": 100 + index,
                          "currency": "eur", "receipt_email": f"payer{index}@example.com", "metadata": {}}}})
    event = sample_event("payment_webhook_stripe.json", body=raw)
    event["headers"]["stripe-signature"] = stripe_header(raw, get_settings().stripe_webhook_secret)
    return event


def dead_letters(sqs: Any, queue_name: str) -> list[dict[str, Any]]:
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    found: dict[str, dict[str, Any]] = {}
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages"):
        found.update({m["MessageId"]: m for m in messages})
    for m in found.values():  # left in the queue for a replay
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    return list(found.values())


def test_every_accepted_input_is_processed_or_dead_lettered_exactly_once(in_process_stack):
    stack = in_process_stack
    table = stack.name("CrmTable")
    inbound_bucket = stack.name("InboundMailBucket")
    scoring_outcomes: dict[str, list[bool]] = {}
    indexer_delivered: set[str] = set()
    indexer_done: list[str] = []

    def observed(function_id: str, event: Any) -> Any:
        """Records each scoring attempt's outcome per outbox event id, and each stream record the search
        indexer finished (those before its first reported failure) by sequence number."""
        if function_id == "SearchIndexerFunction":
            batch = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
            indexer_delivered.update(batch)
            result = stack.functions.invoke(function_id, event)
            failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
            indexer_done.extend(batch[:batch.index(failed[0])] if failed else batch)
            return result
        if function_id != "LeadScoringFunction":
            return stack.functions.invoke(function_id, event)
        attempts = scoring_outcomes.setdefault(event["detail"]["event_id"], [])
        try:
            result = stack.functions.invoke(function_id, event)
        except Exception:
            attempts.append(False)
            raise
        attempts.append(True)
        return result

    with FaultInjector(PLAN) as faults:
        invoke = faults.arm(observed)
        pollers = stack.pollers(invoke)
        # Given N form submissions and N webhooks sent by senders who retry a 503, and N mails stored
        form_statuses = [send(invoke, "LeadCaptureFunction", form_event(i)) for i in range(FORMS)]
        webhook_statuses = [send(invoke, "PaymentWebhookFunction", webhook_event(i)) for i in range(WEBHOOKS)]
        s3 = stack.client("s3")
        mail_keys = {f"inbound/mail-{i}" for i in range(EMAILS)}
        for key in sorted(mail_keys):
            s3.put_object(Bucket=inbound_bucket, Key=key, Body=message(subject=key).as_bytes())
        # When dispatch drains the stream, the bus, the notifications and the queue
        drain(pollers)

    items = table_items(stack.client("dynamodb"), table)
    # Then forms: each accepted one is one accepted submission; a refused one left nothing behind
    accepted_forms = sum(status in (200, 201) for status in form_statuses)
    # (an accepted submission is kept as its contact's timeline entry, with its raw body)
    submissions = [i for i in items if i["SK"]["S"].startswith("HISTORY#") and "raw_body" in i["data"]["M"]]
    assert Counter(form_statuses) == Counter({201: accepted_forms, 503: FORMS - accepted_forms})
    assert len(submissions) == accepted_forms
    # And webhooks: each accepted delivery is one recorded event
    accepted_webhooks = sum(status == 200 for status in webhook_statuses)
    assert len([i for i in items if i["PK"]["S"].startswith("WEBHOOK#")]) == accepted_webhooks
    # And mail: every stored message is an email item or a dead letter, not both, not twice
    processed_mail = [i["raw_key"]["S"] for i in items if i["PK"]["S"].startswith("EMAIL#") and i["SK"]["S"] == "EMAIL"]
    from email_ingest.handler import s3_objects

    mail_dlq = [key for m in dead_letters(stack.client("sqs"), stack.name("InboundMailDLQ"))
                for _, key in s3_objects(m["Body"])]
    assert len(processed_mail) == len(set(processed_mail)) and len(mail_dlq) == len(set(mail_dlq))
    assert set(processed_mail) | set(mail_dlq) == mail_keys
    assert not set(processed_mail) & set(mail_dlq)
    # And scoring: every event the bus delivered was scored or dead-lettered, never both
    scoring_dlq = [json.loads(m["Body"])["detail"]["event_id"]
                   for m in dead_letters(stack.client("sqs"), stack.name("LeadScoringDLQ"))]
    scored = {event_id for event_id, attempts in scoring_outcomes.items() if any(attempts)}
    assert len(scoring_dlq) == len(set(scoring_dlq))
    assert scored | set(scoring_dlq) == set(scoring_outcomes)
    assert not scored & set(scoring_dlq)
    assert all(len(attempts) <= 3 for attempts in scoring_outcomes.values())
    # And the publisher lost nothing: every outbox event the scoring rule matches reached scoring, and no
    # other (a new lead scored at capture announces its two events marked so, and the rule skips them)
    from crm.records.outbox import EVENT_SOURCE, OutboxItem, events_of
    from crm_local.patterns import matches
    from crm_local.template import RuleSource

    announced = [e for i in items if i["PK"]["S"].startswith("OUTBOX#") for e in events_of(OutboxItem.from_raw_data(i))]
    scoring_rules = [source.pattern for source in stack.template.event_sources()
                     if isinstance(source, RuleSource) and source.function_id == "LeadScoringFunction"]
    assert scoring_rules
    assert set(scoring_outcomes) == {e.event_id for e in announced if any(
        matches(rule, {"source": EVENT_SOURCE, "detail-type": e.detail_type, "detail": e.detail})
        for rule in scoring_rules)}
    assert any(e.detail.get("scored_at_capture") for e in announced)
    # And search: every contact or company record the stream delivered was indexed or is in a range of
    # SearchIndexerDLQ, never both, never twice
    search_dlq = [json.loads(m["Body"])["DDBStreamBatchInfo"]
                  for m in dead_letters(stack.client("sqs"), stack.name("SearchIndexerDLQ"))]
    in_search_dlq = {number for number in indexer_delivered if any(
        int(batch["startSequenceNumber"]) <= int(number) <= int(batch["endSequenceNumber"]) for batch in search_dlq)}
    assert len(indexer_done) == len(set(indexer_done))
    assert set(indexer_done) | in_search_dlq == indexer_delivered
    assert not set(indexer_done) & in_search_dlq
    assert sum(int(batch["batchSize"]) for batch in search_dlq) == len(in_search_dlq)
    # And the faults did make inputs fail for good, at every stage, so the equation was tested
    assert FORMS > accepted_forms > 0 and WEBHOOKS > accepted_webhooks > 0
    assert mail_dlq and processed_mail and scoring_dlq and scored and search_dlq and indexer_done
    # And once SearchIndexerDLQ is replayed, every contact and company is findable as it is now
    from crm_local.dlq import DeadLetterOffice, DeadLetterQueues

    assert DeadLetterOffice(stack.client, DeadLetterQueues.from_template(stack.template)).replay(
        stack.name("SearchIndexerDLQ")) == (len(search_dlq), [])
    items = table_items(stack.client("dynamodb"), table)
    profiles = {i["PK"]["S"]: i["version"]["N"] for i in items if i["SK"]["S"] == "PROFILE"
                and i["PK"]["S"].split("#")[0] in ("CONTACT", "COMPANY") and "merged_into" not in i}
    indexed = {i["PK"]["S"]: i["version"]["N"] for i in items if i["SK"]["S"] == "SEARCH_TERMS"}
    assert profiles and indexed == profiles
    print(f"\naccounting: forms {accepted_forms}/{FORMS} accepted = {len(submissions)} stored; "
          f"webhooks {accepted_webhooks}/{WEBHOOKS} accepted = recorded; mail {EMAILS} stored = "
          f"{len(processed_mail)} processed + {len(mail_dlq)} in InboundMailDLQ; scoring {len(scoring_outcomes)} "
          f"delivered = {len(scored)} scored + {len(scoring_dlq)} in LeadScoringDLQ; search {len(indexer_delivered)} "
          f"records = {len(indexer_done)} indexed + {len(in_search_dlq)} in SearchIndexerDLQ "
          f"({len(search_dlq)} ranges); "
          f"faults injected {Counter(i.kind for i in faults.injected)}")
