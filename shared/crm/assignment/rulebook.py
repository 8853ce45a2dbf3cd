"""The admin's assignment rules: created, replaced (If-Match), deleted and put in order, each write audited.

A rule's `position` orders the rules (1 is tried first); a new rule goes last unless it names a position,
and a reorder gives every rule its place in one transaction."""

from __future__ import annotations

from typing import Any

from crm.assignment.spec import MAX_RULES, AssignmentRuleItem
from crm.assignment.store import rule_items
from crm.platform.errors import HttpError
from crm.records.reads import load
from crm.records.writes import Change, new_id
from crm.reports.spec import plain

# Written by an admin; `turn` is assignment's bookkeeping and is left alone by an edit.
EDITABLE = ("name", "enabled", "conditions", "strategy", "members", "sla_minutes", "sla_action")


def rule_view(item: AssignmentRuleItem) -> dict[str, Any]:
    conditions = plain(item.conditions) or {}
    return {"id": item.rule_id, "name": item.name, "position": int(item.position), "enabled": bool(item.enabled),
            "strategy": item.strategy, "conditions": conditions,
            "members": [plain(member) for member in item.members or ()],
            "sla_minutes": None if item.sla_minutes is None else int(item.sla_minutes),
            "sla_action": item.sla_action, "created_at": item.created_at, "updated_at": item.updated_at,
            "version": int(item.version)}


def read_rule(rule_id: str) -> AssignmentRuleItem:
    return load(AssignmentRuleItem, AssignmentRuleItem.key(rule_id), "assignment rule")


def _position_key(position: int, rule_id: str) -> str:
    return f"{position:06d}#{rule_id}"


def add_rule(actor: str, values: dict[str, Any], position: int | None) -> dict[str, Any]:
    """A new rule, at `position` (the others after it move down one) or last."""
    existing = rule_items()
    if len(existing) >= MAX_RULES:
        raise HttpError(409, "too_many_rules", f"There are {MAX_RULES} assignment rules already; delete one first.")
    rule_id = new_id()
    change = Change("assignment rule", rule_id, "create", actor)
    place = len(existing) + 1 if position is None else min(position, len(existing) + 1)
    item = AssignmentRuleItem(*AssignmentRuleItem.key(rule_id), rule_id=rule_id, position=place, turn=0,
                              created_at=change.at, updated_at=change.at, version=1,
                              GSI1PK=AssignmentRuleItem.list_key(), GSI1SK=_position_key(place, rule_id), **values)
    change.transaction.put("record", item, AssignmentRuleItem.PK.does_not_exist())
    change.audit(None, rule_view(item))
    _renumber(change, existing, place, skip=rule_id)
    change.commit()
    return rule_view(item)


def _renumber(change: Change, ordered: list[AssignmentRuleItem], free: int | None = None, skip: str = "") -> None:
    """Numbers the rules 1, 2, ... in their order, leaving `free` for another; only those that move are written,
    each conditioned on its version."""
    place = 0
    for item in ordered:
        if item.rule_id == skip:
            continue
        place += 1
        if free is not None and place == free:
            place += 1
        if int(item.position) != place:
            change.transaction.update(f"order:{item.rule_id}", item, [
                AssignmentRuleItem.position.set(place),
                AssignmentRuleItem.GSI1SK.set(_position_key(place, item.rule_id)),
                AssignmentRuleItem.version.set(int(item.version) + 1), AssignmentRuleItem.updated_at.set(change.at)],
                AssignmentRuleItem.version == int(item.version))
            item.position, item.version = place, int(item.version) + 1


def replace_rule(actor: str, item: AssignmentRuleItem, version: int, values: dict[str, Any]) -> dict[str, Any]:
    change = Change("assignment rule", item.rule_id, "update", actor)
    before = rule_view(item)
    for name in EDITABLE:
        setattr(item, name, values.get(name))
    item.version, item.updated_at = version + 1, change.at
    actions = [getattr(AssignmentRuleItem, name).remove() if values.get(name) is None
               else getattr(AssignmentRuleItem, name).set(values[name]) for name in EDITABLE]
    change.transaction.update("record", item, [*actions, AssignmentRuleItem.version.set(version + 1),
                                               AssignmentRuleItem.updated_at.set(change.at)],
                              AssignmentRuleItem.version == version)
    change.audit(before, rule_view(item))
    change.commit()
    return rule_view(item)


def remove_rule(actor: str, item: AssignmentRuleItem, version: int) -> None:
    change = Change("assignment rule", item.rule_id, "delete", actor)
    change.transaction.delete("record", item, AssignmentRuleItem.version == version)
    change.audit(rule_view(item), None)
    _renumber(change, rule_items(), skip=item.rule_id)
    change.commit()


def reorder(actor: str, rule_ids: list[str]) -> list[dict[str, Any]]:
    """Every rule in the order given: the list must name each rule once."""
    existing = {item.rule_id: item for item in rule_items()}
    if len(set(rule_ids)) != len(rule_ids) or set(rule_ids) != set(existing):
        message = "Name every assignment rule once, in the order they are tried."
        raise HttpError(422, "invalid_fields", message, {"rule_ids": message})
    change = Change("assignment rule", "order", "reorder", actor)
    ordered = [existing[rule_id] for rule_id in rule_ids]
    _renumber(change, ordered)
    if len(change.transaction):
        change.audit({"order": sorted(existing, key=lambda r: int(existing[r].position))}, {"order": rule_ids})
        change.commit()
    return [rule_view(item) for item in ordered]
