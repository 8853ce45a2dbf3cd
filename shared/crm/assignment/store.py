"""Giving a new lead its owner, atomically: the contact's owner, the rep's load and the rule's round-robin
turn change in one TransactWriteItems, each conditioned on what was read (the contact's version, the load's
version, the rule's turn). Two leads at once never overfill a rep: the second transaction is cancelled, and
it reads again and chooses again (a bounded number of times).

The reason is kept on the contact's timeline ("Assigned to Ana by rule Web leads: round robin, 3 of 20
today"), and so is why a lead stayed unassigned. The assignee is notified once; a rule with an SLA puts a
one-time schedule `sla-<contact_id>` that checks, when it is due, whether the lead was contacted
(crm.assignment.sla)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import phonenumbers
from pynamodb.exceptions import TransactWriteError

from crm.assignment.rules import (
    Conditions,
    Lead,
    Member,
    Pick,
    Rule,
    counted,
    matching_rules,
    pick,
    unassigned_reason,
    unavailable,
    window,
)
from crm.assignment.spec import AssignmentRuleItem, LeadAssignmentItem, LoadItem
from crm.contacts.spec import CONTACT, ContactItem
from crm.notifications.store import notify
from crm.platform.config import get_settings
from crm.platform.observability import logger
from crm.platform.schedules import SCHEDULED_TIME, at_expression, automation_target, put_schedule
from crm.platform.transactions import back_off
from crm.records.history import HistoryItem, history_entry
from crm.records.table import get_item
from crm.records.writes import Change, new_id, update
from crm.reports.spec import plain
from crm.team.rules import away_reason
from crm.team.spec import MemberItem

ACTOR = "assignment"
# Every lead a rule assigns moves its turn, so leads arriving together contend: each round one wins, and the
# others read again after a jittered back-off (its ceiling stops doubling at the sixth try).
ATTEMPTS = 25
ASSIGNED_EVENT = "Contact Assigned"
SLA_CHECK = "sla_check"


def rule_of(item: AssignmentRuleItem) -> Rule:
    conditions = plain(item.conditions) or {}
    members = tuple(Member(str(m["user_id"]), int(m.get("weight") or 1) if m.get("weight") is not None else 1,
                           _number(m.get("daily_cap")), _number(m.get("monthly_cap")))
                    for m in (plain(member) for member in item.members or ()))
    return Rule(item.rule_id, item.name, int(item.position), item.strategy, members, Conditions(
        sources=tuple(conditions.get("sources") or ()), countries=tuple(conditions.get("countries") or ()),
        languages=tuple(conditions.get("languages") or ()), form_ids=tuple(conditions.get("form_ids") or ()),
        min_score=_number(conditions.get("min_score")), max_score=_number(conditions.get("max_score"))),
        bool(item.enabled), int(item.turn or 0), _number(item.sla_minutes), item.sla_action)


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def rule_items() -> list[AssignmentRuleItem]:
    """Every rule, in order: one Query (rules are few)."""
    items = list(AssignmentRuleItem.by_created.query(AssignmentRuleItem.list_key()))
    return sorted(items, key=lambda item: (int(item.position), item.rule_id))


def lead_of(contact: ContactItem) -> Lead:
    """What rules look at: the source, the country (a `country` custom field) and the phone's region, the
    language (a `language` custom field), the score, and the form of the first touch."""
    custom = plain(contact.custom_fields) or {}
    countries = {str(custom["country"]).upper()} if isinstance(custom.get("country"), str) else set()
    if contact.phone:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(contact.phone))
        except phonenumbers.NumberParseException:
            region = None
        if region:
            countries.add(region)
    touch = plain(contact.first_touch) or {}
    language = custom.get("language")
    return Lead(source=contact.source, countries=frozenset(countries),
                language=language if isinstance(language, str) else None,
                score=None if contact.score is None else int(contact.score),
                form_id=touch.get("form_id") if isinstance(touch.get("form_id"), str) else None)


def _team(user_ids: Iterable[str]) -> tuple[dict[str, MemberItem], dict[str, LoadItem]]:
    """The members' profiles and loads: two BatchGetItems, whatever the number of members (up to 100)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}, {}
    profiles = {item.user_id: item for item in MemberItem.batch_get([MemberItem.key(i) for i in ids])}
    loads = {item.user_id: item for item in LoadItem.batch_get([LoadItem.key(i) for i in ids],
                                                             consistent_read=True)}
    return profiles, loads


def _name(user_id: str, profiles: dict[str, MemberItem]) -> str:
    profile = profiles.get(user_id)
    return str(profile.name) if profile is not None and profile.name else user_id


class _Lost(Exception):
    """The transaction lost a race (a contact, a load or a turn changed since it was read): read and choose
    again."""


def assign_contact(contact_id: str, *, rule_id: str | None = None, exclude: frozenset[str] = frozenset(),
                   why: str = "") -> str | None:
    """Gives the contact an owner by the first matching rule whose members can take it (or by `rule_id`
    alone, whatever its conditions), never one in `exclude`; returns the owner, None when none could be
    chosen (the reason is then on its timeline). A contact that already has an owner not in `exclude` keeps
    it (it is returned, nothing is written): to move one, exclude its owner. `why` is added to the timeline
    entry (a workflow's step, an SLA escalation)."""
    return assign(contact_id, rule_id=rule_id, exclude=exclude, why=why)


def assign(contact_id: str, *, rule_id: str | None = None, exclude: frozenset[str] = frozenset(), why: str = "",
           with_sla: bool = True) -> str | None:
    """`assign_contact`; an SLA's reassignment passes `with_sla=False`: a lead is escalated once, so its new
    owner gets no SLA check of their own."""
    for attempt in range(ATTEMPTS):
        contact = get_item(ContactItem, ContactItem.key(contact_id), consistent=True)
        if contact is None or contact.merged_into or contact.erased_at:
            return None
        if contact.owner and contact.owner not in exclude:
            _tell_again(contact)
            return str(contact.owner)
        try:
            return _assign_once(contact, rule_id, exclude, why, with_sla)
        except _Lost:
            back_off(min(attempt, 5))
    raise RuntimeError(f"contact {contact_id}: assignment kept losing races; the event is retried")


def _candidates(contact: ContactItem, rule_id: str | None) -> list[Rule] | None:
    """The rules to try, in order; None when there are no rules at all (assignment is not set up, and a lead
    without an owner is nothing to remark on)."""
    if rule_id is not None:
        item = get_item(AssignmentRuleItem, AssignmentRuleItem.key(rule_id), consistent=True)
        return [rule_of(item)] if item is not None else []
    items = rule_items()
    return matching_rules((rule_of(item) for item in items), lead_of(contact)) if items else None


def _assign_once(contact: ContactItem, rule_id: str | None, exclude: frozenset[str], why: str,
                 with_sla: bool) -> str | None:
    rules = _candidates(contact, rule_id)
    if rules is None:
        return None
    profiles, load_items = _team(member.user_id for rule in rules for member in rule.members)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    loads = {user: window(plain(item.days) or {}, today) for user, item in load_items.items()}
    away = {user: away_reason(profile, now) for user, profile in profiles.items()}
    tried: dict[str, dict[str, str]] = {}
    for rule in rules:
        chosen = pick(rule, loads, away, exclude)
        if chosen is not None:
            _commit(contact, replace(rule, sla_minutes=rule.sla_minutes if with_sla else None), chosen,
                    load_items.get(chosen.user_id), now, why, profiles)
            return chosen.user_id
        tried[rule.name] = unavailable(rule, loads, away, exclude)
    _unassigned(contact, unassigned_reason(tried) + (f" ({why})" if why else ""), now, why)
    return None


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _commit(contact: ContactItem, rule: Rule, chosen: Pick, load: LoadItem | None, now: dt.datetime, why: str,
            profiles: dict[str, MemberItem]) -> None:
    contact_id, owner, previous = contact.contact_id, chosen.user_id, contact.owner
    change = Change("contact", contact_id, "assign", ACTOR, at=_stamp(now))
    version = int(contact.version)
    before = CONTACT.view(contact)
    contact.owner, contact.GSI4PK = owner, ContactItem.owner_key(owner)
    update(change, contact, version, {"owner": owner, "GSI4PK": contact.GSI4PK}, before, CONTACT.view(contact))
    days = counted(plain(load.days) if load is not None else {}, now.date())
    if load is None:
        change.transaction.put("load", LoadItem(*LoadItem.key(owner), user_id=owner, days=days, version=1),
                               LoadItem.PK.does_not_exist())
    else:
        change.transaction.update("load", load, [LoadItem.days.set(days), LoadItem.version.set(int(load.version) + 1)],
                                  LoadItem.version == int(load.version))
    if chosen.next_turn is not None:
        change.transaction.update("turn", AssignmentRuleItem(*AssignmentRuleItem.key(rule.rule_id)),
                                  [AssignmentRuleItem.turn.set(chosen.next_turn)], AssignmentRuleItem.turn == rule.turn)
    due = _stamp(now + dt.timedelta(minutes=rule.sla_minutes)) if rule.sla_minutes else None
    change.transaction.put("lead", LeadAssignmentItem(*LeadAssignmentItem.key(contact_id), contact_id=contact_id,
                                                      rule_id=rule.rule_id, owner=owner, assigned_at=change.at,
                                                      sla_due=due))
    summary = f"Assigned to {_name(owner, profiles)} {chosen.reason}" + (f" ({why})" if why else "")
    change.transaction.put("history", history_entry(HistoryItem.key(contact_id, change.at, new_id()), "assigned",
                                                    summary, {"to": owner, "from": previous, "rule_id": rule.rule_id,
                                                              "sla_due": due}, change.at))
    change.transaction.event(ASSIGNED_EVENT, {"contact_id": contact_id, "owner": owner, "previous_owner": previous,
                                              "rule_id": rule.rule_id, "reason": summary})
    target = automation_target("assignment")
    if due is not None and not target.ready:
        logger.warning("no scheduler for SLA checks in this deployment", extra={"contact_id": contact_id})
    elif due is not None:
        # Before the commit: a schedule for an assignment that then lost its race finds another assigned_at
        # on the lead when it runs, and does nothing; one made after could be lost with a crash between.
        put_schedule(f"sla-{contact_id}", target, at_expression(due),
                     {"kind": SLA_CHECK, "contact_id": contact_id, "assigned_at": change.at,
                      "scheduled_time": SCHEDULED_TIME},
                     description=f"SLA check of contact {contact_id}", what="An assignment's SLA check")
    try:
        change.transaction.commit()
    except TransactWriteError as exc:
        if exc.cancellation_reasons:
            raise _Lost from exc
        raise
    _tell(owner, contact_id, summary, profiles.get(owner))


def _tell(owner: str, contact_id: str, summary: str, profile: MemberItem | None = None) -> None:
    page = f"{get_settings().public_url or ''}/#/contacts/{contact_id}"
    notify(owner, "assigned", "A new lead is yours", f"{summary}\n\n{page}", {"entity": "contact", "id": contact_id},
           key=f"assigned:{contact_id}:{owner}", profile=profile)


def _tell_again(contact: ContactItem) -> None:
    """A redelivered event after a crash between the commit and the notification: tell the owner the rule
    chose (notify keeps one per key, so an owner told before is not told twice)."""
    lead = get_item(LeadAssignmentItem, LeadAssignmentItem.key(contact.contact_id), consistent=True)
    if lead is not None and lead.owner == contact.owner and lead.escalated_at is None:
        _tell(str(contact.owner), contact.contact_id, f"Assigned to you by rule {lead.rule_id}")


def _unassigned(contact: ContactItem, reason: str, now: dt.datetime, why: str) -> None:
    """The lead stays without an owner, and its timeline says why (an admin reads it on the contact). A new
    lead's entry is one per contact, at its creation, so a redelivered Contact Created writes it once."""
    from pynamodb.exceptions import PutError  # noqa: PLC0415 - with the write it serves

    at = _stamp(now) if why else str(contact.created_at)
    entry = history_entry(HistoryItem.key(contact.contact_id, at, "not-assigned"), "not_assigned", reason, {}, at)
    try:
        entry.save(HistoryItem.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    logger.info("a lead was left unassigned", extra={"contact_id": contact.contact_id, "reason": reason})
