"""An assigned lead's SLA: when its one-time schedule runs, a lead its owner has not contacted is escalated,
once, by its rule's action: reassigned to another member of the rule (never the same owner), or its owner's
manager alerted. Either is said on its timeline.

Contacted means: since it was assigned, a call, meeting or note was logged on the contact, or an email was
sent to it from the CRM; both leave an entry on its timeline, read with one Query of its partition from the
moment it was assigned (never a Scan). A task logged is a plan, not a contact."""

from __future__ import annotations

from typing import Any

from crm.assignment.spec import AssignmentRuleItem, LeadAssignmentItem
from crm.assignment.store import assign
from crm.contacts.spec import ContactItem
from crm.notifications.store import notify
from crm.platform.clock import iso_now
from crm.platform.config import get_settings
from crm.records.history import HistoryItem, history_entry
from crm.records.table import get_item
from crm.records.transactions import LabelledTransaction
from crm.records.writes import new_id
from crm.team.directory import member

CONTACT_ACTIVITIES = ("call", "meeting", "note")
# Timeline entries of an email sent to the contact from the CRM.
EMAIL_SENT = ("email_sent",)


def contacted_since(contact_id: str, since: str) -> bool:
    """One Query of the contact's timeline from `since` on (its entries sort by time)."""
    pk, _ = HistoryItem.key(contact_id, since, "")
    entries = HistoryItem.query(pk, HistoryItem.SK.between(f"HISTORY#{since}", "HISTORY#~"),
                                filter_condition=HistoryItem.entry_type.is_in("activity_logged", *EMAIL_SENT))
    for entry in entries:
        data = entry.data.as_dict() if entry.data else {}
        if entry.entry_type in EMAIL_SENT or data.get("activity_type") in CONTACT_ACTIVITIES:
            return True
    return False


def check_sla(contact_id: str, assigned_at: str) -> str:
    """What the SLA check did, in a word: `superseded` (the lead was assigned again since, or the schedule is
    of an assignment that never committed), `owner_changed`, `contacted`, `escalated` or `already_escalated`."""
    lead = get_item(LeadAssignmentItem, LeadAssignmentItem.key(contact_id), consistent=True)
    if lead is None or lead.assigned_at != assigned_at:
        return "superseded"
    if lead.escalated_at is not None:
        _alert_manager(lead, _manager_of(lead.owner))  # a crash after the claim: told once per key all the same
        return "already_escalated"
    contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
    if contact is None or contact.owner != lead.owner:
        return "owner_changed"
    if contacted_since(contact_id, assigned_at):
        return "contacted"
    rule = get_item(AssignmentRuleItem, AssignmentRuleItem.key(lead.rule_id)) if lead.rule_id else None
    minutes = int(rule.sla_minutes) if rule is not None and rule.sla_minutes else None
    missed = f"not contacted within {minutes} minutes" if minutes else "not contacted in time"
    if rule is not None and rule.sla_action == "reassign":
        owner = assign(contact_id, rule_id=lead.rule_id, exclude=frozenset({lead.owner}),
                       why=f"SLA: {lead.owner} {missed}", with_sla=False)
        if owner is not None and owner != lead.owner:
            return "escalated"
        missed += "; nobody else in the rule could take it"
    manager = _manager_of(lead.owner)
    if not _claim(lead, missed, manager):
        return "already_escalated"
    _alert_manager(lead, manager)
    return "escalated"


def _claim(lead: LeadAssignmentItem, missed: str, manager: str | None) -> bool:
    """Marks the lead escalated with its timeline entry, in one transaction, once: False when another run did."""
    from pynamodb.exceptions import TransactWriteError  # noqa: PLC0415 - with the write it serves

    at = iso_now()
    summary = (f"SLA missed: {lead.owner} {missed}; " +
               (f"their manager {manager} was alerted" if manager else "they have no manager to alert"))
    transaction = LabelledTransaction()
    transaction.update("lead", lead, [LeadAssignmentItem.escalated_at.set(at),
                                      LeadAssignmentItem.escalation.set("alert_manager")],
                       LeadAssignmentItem.escalated_at.does_not_exist()
                       & (LeadAssignmentItem.assigned_at == lead.assigned_at))
    transaction.put("history", history_entry(HistoryItem.key(lead.contact_id, at, new_id()), "sla_escalated",
                                             summary, {"owner": lead.owner, "manager": manager}, at))
    transaction.event("Assignment SLA Missed", {"contact_id": lead.contact_id, "owner": lead.owner,
                                                "manager": manager, "assigned_at": lead.assigned_at})
    try:
        transaction.commit()
    except TransactWriteError as exc:
        if "lead" in transaction.failed_labels(exc):
            return False
        raise
    lead.escalated_at = at
    return True


def _manager_of(user_id: str) -> str | None:
    profile = member(user_id)
    return str(profile.manager) if profile is not None and profile.manager else None


def _alert_manager(lead: LeadAssignmentItem, manager: str | None) -> None:
    if manager is None:
        return
    link: dict[str, Any] = {"entity": "contact", "id": lead.contact_id}
    page = f"{get_settings().public_url or ''}/#/contacts/{lead.contact_id}"
    notify(manager, "sla_missed", "A lead was not contacted in time",
           f"{lead.owner} has not contacted the lead assigned to them at {lead.assigned_at}.\n\n{page}", link,
           key=f"sla:{lead.contact_id}:{lead.assigned_at}", profile=member(manager))
