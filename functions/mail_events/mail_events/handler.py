"""Lambda entry of SES's bounce and complaint events, which the configuration set every send goes through puts on
the default event bus (an EventBridge rule brings them here):
- a hard (Permanent) bounce or a complaint suppresses each recipient's address: no send goes to it again
  (crm.outbound.compose skips it as `suppressed`, staff get 409); the contact's timeline shows why;
- a complaint also unsubscribes the contact from every marketing topic (Contact Unsubscribed each).
A soft bounce changes nothing (SES retries it). Redelivered or replayed, an event suppresses once: the
suppression is written only if it is not there, with its timeline entry and event in the same transaction.
A failure raises: EventBridge retries, then MailEventsDLQ keeps the event for `crm dlq replay`."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from crm.contacts.spec import UniqueItem
from crm.outbound.spec import SuppressionItem
from crm.outbound.subscriptions import unsubscribe_everything
from crm.outbound.suppression import address_key
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.history import HistoryItem
from crm.records.table import bind_table, get_item
from crm.records.transactions import LabelledTransaction

bind_table(get_settings())
MAX_RECIPIENTS = 50


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    detail = event.get("detail") or {}
    kind = str(detail.get("eventType") or detail.get("notificationType") or "")
    if kind == "Bounce":
        bounce = detail.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            logger.info("a soft bounce: SES retries it", extra={"type": bounce.get("bounceType")})
            return {"suppressed": 0}
        recipients, reason, facts = bounce.get("bouncedRecipients"), "bounce", {
            "type": bounce.get("bounceSubType"), "feedback_id": bounce.get("feedbackId")}
        at = str(bounce.get("timestamp") or iso_now())
    elif kind == "Complaint":
        complaint = detail.get("complaint") or {}
        recipients, reason, facts = complaint.get("complainedRecipients"), "complaint", {
            "type": complaint.get("complaintFeedbackType"), "feedback_id": complaint.get("feedbackId")}
        at = str(complaint.get("timestamp") or iso_now())
    else:
        logger.info("an SES event mail events do not act on", extra={"type": kind})
        return {"suppressed": 0}
    mail = detail.get("mail") or {}
    facts["subject"] = ((mail.get("commonHeaders") or {}).get("subject") or "")[:300] or None
    addresses = [str(r.get("emailAddress") or "") for r in (recipients or [])[:MAX_RECIPIENTS] if isinstance(r, dict)]
    done = sum(suppress(address, reason, at, facts) for address in addresses)
    return {"suppressed": done}


def suppress(address: str, reason: str, at: str, facts: dict[str, Any]) -> bool:
    """True when this event suppressed the address (False: not an address, or suppressed before)."""
    from pynamodb.exceptions import TransactWriteError  # noqa: PLC0415 - with the write it serves

    key = address_key(address)
    if key is None:
        logger.warning("an SES event named something that is not an address")
        return False
    sentinel = get_item(UniqueItem, UniqueItem.key("email", key))
    contact_id = sentinel.contact_id if sentinel is not None else None
    if reason == "complaint" and contact_id is not None:
        # First, and again on a redelivery (it changes nothing then): the person wants none of our marketing.
        unsubscribe_everything(contact_id, "complaint", "ses")
    transaction = LabelledTransaction()
    detail = {k: v for k, v in facts.items() if v}
    transaction.put("suppression", SuppressionItem(*SuppressionItem.key(key), address=address, reason=reason, at=at,
                                                   detail=json.dumps(detail)), SuppressionItem.PK.does_not_exist())
    if contact_id is not None:
        entry_id = hashlib.sha256(f"{key}:{reason}:{at}".encode()).hexdigest()[:24]
        summary = ("Mail to this address bounced for good; it is suppressed" if reason == "bounce"
                   else "The person marked our mail as spam; the address is suppressed")
        transaction.put(f"history:{contact_id}", HistoryItem(
            *HistoryItem.key(contact_id, at, entry_id), entry_type="email_suppressed", summary=summary,
            data={"address": address, "reason": reason, **detail}, created_at=at))
    transaction.event("Email Suppressed", {"contact_id": contact_id, "reason": reason})
    try:
        transaction.commit()
    except TransactWriteError as exc:
        if "suppression" not in transaction.failed_labels(exc):
            raise
        logger.info("the address was suppressed before", extra={"reason": reason})
        return False
    return True


# The import is done: what it built lives as long as the container (crm.platform.startup).
loaded()
