"""Data access for payment webhooks: the provider's event id and all its effects in one transaction.

A payment's facts are written so that any order of events ends in the same state: success and failure
times are set once, each refund is its own item, a subscription update older than the one on the
contact is ignored. Effects that another event already caused (a second "paid" event for the same
payment, a refund seen before) are detected by their conditions and dropped on the retry, so each
effect, and the event announcing it, happens exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition

from crm.contacts.spec import CUSTOMER_STAGE, ContactItem, UniqueItem, created_detail
from crm.contacts.store import current_contact_id, new_contact_item
from crm.deals.spec import DealItem
from crm.payments.providers import PaymentEvent
from crm.payments.spec import ContactWebhookItem, CustomerLinkItem, PaymentItem, RefundItem, WebhookEventItem
from crm.platform.clock import iso_now
from crm.platform.identity import InvalidValue, email_key, normalize_email
from crm.platform.transactions import conflicted, retrying
from crm.records.history import HistoryItem
from crm.records.table import get_item
from crm.records.transactions import LabelledTransaction


class Duplicate(Exception):
    """This provider event was recorded before: nothing more to do."""


@dataclass
class Plan:
    """What the next attempt writes; each failed condition switches one effect off."""

    contact_id: str | None
    create_contact: bool
    apply_success: bool = True
    apply_deal: bool = True
    apply_subscription: bool = True
    known_refunds: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Outcome:
    status: str
    contact_id: str | None
    payment_key: str | None


def resolve_payer(event: PaymentEvent) -> tuple[str | None, str | None]:
    """(contact id, normalized email): the explicit id first, else one read by email or by the
    provider's customer id. No contact and an email means the payer becomes a new contact.

    An explicit id or a customer link may name a contact merged away since (followed to the one it was
    merged into) or erased (not followed: the payer is mapped as if unknown). Email sentinels are
    repointed by the merge and deleted by the erase, so they need no following."""
    email = _email(event.payer_email)
    if event.contact_id:
        followed = current_contact_id(event.contact_id)
        if followed:
            return followed, email
    if email:
        sentinel = get_item(UniqueItem, UniqueItem.key("email", email_key(email)))
        return (sentinel.contact_id if sentinel else None), email
    if event.customer_id:
        link = get_item(CustomerLinkItem, CustomerLinkItem.key(event.provider, event.customer_id))
        return (current_contact_id(link.contact_id) if link else None), None
    return None, None


def record(event: PaymentEvent, raw_body: str, headers: dict[str, str]) -> Outcome:
    """Records the event and its effects once; raises Duplicate for an event already recorded."""
    plan = Plan(contact_id=None, create_contact=False)
    email = _map_payer(plan, event)
    for _ in retrying("payment event could not be recorded after repeated conflicts"):
        transaction = LabelledTransaction()
        status = _build(transaction, event, plan, email, raw_body, headers)
        try:
            transaction.commit()
            return Outcome(status, plan.contact_id, _payment_key(event))
        except TransactWriteError as exc:
            failed = transaction.failed_labels(exc)
            if "webhook" in failed:
                raise Duplicate from exc
            if not failed and conflicted(exc):
                continue
            if not failed:
                raise
            _adjust(plan, failed, event)
    raise AssertionError("not reached: retrying() raises after its last try")


def _map_payer(plan: Plan, event: PaymentEvent) -> str | None:
    """Points the plan at the payer's contact, or at a new one when the event has an email; the email."""
    plan.contact_id, email = resolve_payer(event)
    plan.create_contact = plan.contact_id is None and email is not None and event.effect != "ignored"
    if plan.create_contact:
        plan.contact_id = uuid.uuid4().hex
    return email


def _adjust(plan: Plan, failed: set[str], event: PaymentEvent) -> None:
    moved = "subscription" in failed and plan.contact_id is not None and \
        current_contact_id(plan.contact_id) != plan.contact_id
    if {"new_contact", "email_sentinel", "contact"} & failed or moved:
        # Someone created this payer meanwhile, or the contact was merged away or erased since it was
        # read: map the payer again (by id followed to where it leads, by email, by customer).
        _map_payer(plan, event)
    if "payment_success" in failed:
        plan.apply_success = False
    if "deal" in failed:
        plan.apply_deal = False
    if "subscription" in failed and not moved:
        plan.apply_subscription = False
    plan.known_refunds |= {label.removeprefix("refund:") for label in failed if label.startswith("refund:")}


def _build(tx: LabelledTransaction, event: PaymentEvent, plan: Plan, email: str | None, raw_body: str,
           headers: dict[str, str]) -> str:
    now = iso_now()
    contact_id = plan.contact_id
    payment_key = _payment_key(event)
    timeline: list[tuple[str, str, dict[str, Any]]] = []
    status = "processed"
    if event.effect == "ignored":
        status = "ignored"
    elif contact_id is None:
        status = "unmapped"
    if plan.create_contact and contact_id and event.effect != "ignored":
        tx.put("new_contact", _new_contact(contact_id, email or "", event, now), ContactItem.PK.does_not_exist())
        tx.event("Contact Created", created_detail(contact_id, f"payment:{event.provider}", "payment"))
        tx.put("email_sentinel", UniqueItem(*UniqueItem.key("email", email_key(email or "")), kind="email",
                                            contact_id=contact_id), UniqueItem.PK.does_not_exist())
    contact_actions: list[Any] = []
    if event.effect in ("succeeded", "failed", "refunded") and payment_key:
        _payment(tx, event, plan, payment_key, contact_id, now)
        if event.effect == "succeeded" and plan.apply_success:
            contact_actions += [ContactItem.lifecycle_stage.set(CUSTOMER_STAGE),
                                ContactItem.GSI3PK.set(ContactItem.stage_key(CUSTOMER_STAGE))]
            timeline.append(("payment_succeeded", _money_summary("Paid", event), _payment_data(event, payment_key)))
            tx.event("Payment Succeeded", _payment_detail(event, payment_key, contact_id))
            if event.deal_id and plan.apply_deal:
                deal = DealItem(*DealItem.key(event.deal_id))
                tx.update("deal", deal, [DealItem.stage.set("won"), DealItem.status.set("won"),
                                         DealItem.probability.set(100), DealItem.closed_at.set(now),
                                         DealItem.close_reason.set("paid"), DealItem.updated_at.set(now),
                                         DealItem.stage_entered_at.set(now),
                                         DealItem.version.add(1)],
                          DealItem.PK.exists() & (DealItem.status.does_not_exist() | (DealItem.status != "won")))
                tx.put("deal_history", HistoryItem(
                    *DealItem.history_key(event.deal_id, now, uuid.uuid4().hex), entry_type="deal_won",
                    summary=_money_summary("Won by payment", event),
                    data=_payment_data(event, payment_key) | {"deal_id": event.deal_id, "to": "won"},
                    created_at=now), None)
                tx.event("Deal Won", {"deal_id": event.deal_id, "contact_id": contact_id, "payment_key": payment_key})
        elif event.effect == "failed":
            timeline.append(("payment_failed", _money_summary("Payment failed", event),
                             _payment_data(event, payment_key) | {"reason": event.failure_reason}))
            tx.event("Payment Failed", _payment_detail(event, payment_key, contact_id)
                     | {"reason": event.failure_reason})
        elif event.effect == "refunded":
            for refund_id, amount in sorted(event.refunds.items()):
                if refund_id in plan.known_refunds:
                    continue
                tx.put(f"refund:{refund_id}", RefundItem(*RefundItem.key(payment_key, refund_id),
                                                         payment_key=payment_key, refund_id=refund_id,
                                                         amount_minor=amount, refunded_at=now,
                                                         currency=event.currency),
                       RefundItem.PK.does_not_exist())
                timeline.append(("payment_refunded", f"Refunded {amount} {event.currency or ''}".strip(),
                                 _payment_data(event, payment_key) | {"refund_id": refund_id, "amount_minor": amount}))
                tx.event("Payment Refunded", _payment_detail(event, payment_key, contact_id)
                         | {"refund_id": refund_id, "amount_minor": amount})
    if event.effect == "subscription" and event.subscription:
        if plan.apply_subscription and contact_id:
            contact_actions += [ContactItem.subscription.set(event.subscription),
                                ContactItem.subscription_event_at.set(event.created)]
            timeline.append(("subscription_changed", f"Subscription {event.subscription.get('status')}",
                             dict(event.subscription)))
        elif contact_id:
            status = "stale"
    if contact_id and event.customer_id and event.effect != "ignored":
        tx.put("customer_link", CustomerLinkItem(*CustomerLinkItem.key(event.provider, event.customer_id),
                                                 contact_id=contact_id), None)
    # A contact merged away or erased since it was read takes nothing more: the attempt maps the payer again.
    live = ContactItem.PK.exists() & ContactItem.merged_into.does_not_exist() & ContactItem.erased_at.does_not_exist()
    if contact_id and contact_actions and not plan.create_contact:
        condition: Condition = live
        if event.effect == "subscription":
            condition &= (ContactItem.subscription_event_at.does_not_exist()
                          | (ContactItem.subscription_event_at < event.created))
            tx.update("subscription", ContactItem(*ContactItem.key(contact_id)),
                      [*contact_actions, ContactItem.updated_at.set(now)], condition)
        else:
            tx.update("contact", ContactItem(*ContactItem.key(contact_id)),
                      [*contact_actions, ContactItem.updated_at.set(now), ContactItem.version.add(1)], condition)
    elif contact_id and not plan.create_contact:
        tx.check("contact", ContactItem, ContactItem.key(contact_id), live)
    for entry_type, summary, data in timeline:
        if contact_id:
            tx.put(f"history:{entry_type}", HistoryItem(*HistoryItem.key(contact_id, now, uuid.uuid4().hex),
                                                            entry_type=entry_type, summary=summary, data=data,
                                                            created_at=now), None)
    known_contact = contact_id if contact_id and (event.effect != "ignored" or not plan.create_contact) else None
    if known_contact:
        tx.put("contact_webhook", ContactWebhookItem(*ContactWebhookItem.key(known_contact, event.provider,
                                                                             event.event_id),
                                                     provider=event.provider, event_id=event.event_id), None)
    pk, sk = WebhookEventItem.key(event.provider, event.event_id)
    tx.put("webhook", WebhookEventItem(pk, sk, provider=event.provider, event_id=event.event_id,
                                       event_type=event.event_type, status=status, raw_body=raw_body,
                                       headers=headers, payment_key=payment_key, contact_id=known_contact,
                                       received_at=now), WebhookEventItem.PK.does_not_exist())
    return status


def _payment(tx: LabelledTransaction, event: PaymentEvent, plan: Plan, payment_key: str, contact_id: str | None,
             now: str) -> None:
    item = PaymentItem(*PaymentItem.key(payment_key))
    actions: list[Any] = [
        PaymentItem.payment_key.set(payment_key), PaymentItem.provider.set(event.provider),
        PaymentItem.provider_payment_id.set(event.payment_id or ""),
        PaymentItem.first_seen_at.set(PaymentItem.first_seen_at | now),
    ]
    if contact_id:
        actions += [PaymentItem.contact_id.set(PaymentItem.contact_id | contact_id),
                    PaymentItem.GSI1PK.set(PaymentItem.GSI1PK | PaymentItem.contact_list_key(contact_id)),
                    PaymentItem.GSI1SK.set(PaymentItem.GSI1SK | f"{now}#{payment_key}")]
    if event.amount_minor is not None:
        actions.append(PaymentItem.amount_minor.set(PaymentItem.amount_minor | event.amount_minor))
    if event.currency:
        actions.append(PaymentItem.currency.set(PaymentItem.currency | event.currency))
    if event.deal_id:
        actions.append(PaymentItem.deal_id.set(PaymentItem.deal_id | event.deal_id))
    condition = None
    label = "payment"
    if event.effect == "succeeded" and plan.apply_success:
        actions.append(PaymentItem.succeeded_at.set(now))
        condition, label = PaymentItem.succeeded_at.does_not_exist(), "payment_success"
    elif event.effect == "failed":
        actions += [PaymentItem.failed_at.set(PaymentItem.failed_at | now),
                    PaymentItem.failure_reason.set(event.failure_reason or event.event_type)]
    tx.update(label, item, actions, condition)


def _new_contact(contact_id: str, email: str, event: PaymentEvent, now: str) -> ContactItem:
    first, _, last = (event.payer_name or "").partition(" ")
    subscribed = event.effect == "subscription"
    return new_contact_item(
        contact_id, now=now, lifecycle_stage=CUSTOMER_STAGE if event.effect == "succeeded" else "lead",
        source=f"payment:{event.provider}", email=email, first_name=first or None, last_name=last or None,
        subscription=event.subscription if subscribed else None,
        subscription_event_at=event.created if subscribed else None,
    )


def _payment_key(event: PaymentEvent) -> str | None:
    return f"{event.provider}:{event.payment_id}" if event.payment_id else None


def _payment_detail(event: PaymentEvent, payment_key: str, contact_id: str | None) -> dict[str, Any]:
    return {"payment_key": payment_key, "contact_id": contact_id, "provider": event.provider,
            "amount_minor": event.amount_minor, "currency": event.currency, "provider_event_id": event.event_id}


def _payment_data(event: PaymentEvent, payment_key: str) -> dict[str, Any]:
    return {"payment_key": payment_key, "provider": event.provider, "amount_minor": event.amount_minor,
            "currency": event.currency, "provider_event_id": event.event_id}


def _money_summary(verb: str, event: PaymentEvent) -> str:
    if event.amount_minor is None:
        return verb
    return f"{verb} {event.amount_minor} {event.currency or ''} (minor units) via {event.provider}".strip()


def _email(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalize_email(raw)
    except InvalidValue:
        return None
