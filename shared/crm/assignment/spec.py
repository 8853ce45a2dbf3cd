"""What assignment keeps: its ordered rules, each rep's load, and each assigned lead's SLA.

- A rule, `ASSIGNMENT_RULE#<id>` / `RULE`, every rule on GSI1 `ASSIGNMENT_RULES` (few; read whole, ordered by
  `position`). `turn` is its round-robin cursor: each assignment by the rule moves it on, conditioned on the
  turn it read, so two leads at once never take the same turn. It is not the rule's `version`, which only an
  admin's edit moves (their If-Match stays valid while leads arrive).
- A rep's load, `USER#<id>` / `ASSIGNMENT_LOAD`: how many leads they were given per UTC day over the last 30
  days, one item holding the daily and the rolling 30-day count, written with a version condition in the
  same transaction as the contact's owner: two leads at once never overfill a rep.
- A lead's assignment, `CONTACT#<id>` / `ASSIGNMENT`: by which rule, to whom and when, and whether its SLA was
  escalated (at most once).

Their API models are written in the route (members and conditions are nested), as saved reports' are."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from crm.records.table import CrmItem, ListedItem

STRATEGIES = ("round_robin", "weighted", "least_loaded")
SLA_ACTIONS = ("reassign", "alert_manager")
MAX_RULES = 100
MAX_MEMBERS = 50
MAX_VALUES = 50


class AssignmentRuleItem(ListedItem):
    rule_id = UnicodeAttribute()
    name = UnicodeAttribute()
    position = NumberAttribute()
    enabled = BooleanAttribute(default=True)
    conditions: MapAttribute[str, Any] = MapAttribute(null=True)
    strategy = UnicodeAttribute()
    members = ListAttribute(of=MapAttribute)
    sla_minutes = NumberAttribute(null=True)
    sla_action = UnicodeAttribute(null=True)
    turn = NumberAttribute(default=0)

    @staticmethod
    def key(rule_id: str) -> tuple[str, str]:
        return f"ASSIGNMENT_RULE#{rule_id}", "RULE"

    @staticmethod
    def list_key() -> str:
        return "ASSIGNMENT_RULES"


class LoadItem(CrmItem):
    user_id = UnicodeAttribute()
    # UTC day (YYYY-MM-DD) -> leads assigned that day; days older than the 30-day window are dropped on write.
    days: MapAttribute[str, Any] = MapAttribute(default=dict)
    version = NumberAttribute(default=0)

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "ASSIGNMENT_LOAD"


class LeadAssignmentItem(CrmItem):
    contact_id = UnicodeAttribute()
    rule_id = UnicodeAttribute(null=True)
    owner = UnicodeAttribute()
    assigned_at = UnicodeAttribute()
    sla_due = UnicodeAttribute(null=True)
    escalated_at = UnicodeAttribute(null=True)
    escalation = UnicodeAttribute(null=True)

    @staticmethod
    def key(contact_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", "ASSIGNMENT"
