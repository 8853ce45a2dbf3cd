"""Who gets a new lead, as pure functions: which rule matches it, which of the rule's members may take it now
(caps, working hours, time away), and whose turn it is by the rule's strategy, with the reason in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

WINDOW_DAYS = 30


@dataclass(frozen=True)
class Member:
    user_id: str
    weight: int = 1
    daily_cap: int | None = None
    monthly_cap: int | None = None


@dataclass(frozen=True)
class Conditions:
    """Each given condition must hold; a list holds when the lead's value is one of it (case-insensitively)."""

    sources: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    form_ids: tuple[str, ...] = ()
    min_score: int | None = None
    max_score: int | None = None


@dataclass(frozen=True)
class Rule:
    rule_id: str
    name: str
    position: int
    strategy: str
    members: tuple[Member, ...]
    conditions: Conditions = field(default_factory=Conditions)
    enabled: bool = True
    turn: int = 0
    sla_minutes: int | None = None
    sla_action: str | None = None


@dataclass(frozen=True)
class Lead:
    """What rules look at in a new contact. `countries` holds the contact's country and its phone's region."""

    source: str | None = None
    countries: frozenset[str] = frozenset()
    language: str | None = None
    score: int | None = None
    form_id: str | None = None


@dataclass(frozen=True)
class Load:
    """Leads a rep was given today (UTC) and over the last 30 days, today included."""

    today: int = 0
    window: int = 0


@dataclass(frozen=True)
class Pick:
    user_id: str
    # The rule's turn after this pick (round robin and weighted), None when the strategy keeps none.
    next_turn: int | None
    reason: str


def _folded(values: Iterable[str]) -> set[str]:
    return {value.strip().casefold() for value in values}


def matches(conditions: Conditions, lead: Lead) -> bool:
    def one_of(allowed: tuple[str, ...], value: str | None) -> bool:
        return not allowed or (value is not None and value.strip().casefold() in _folded(allowed))

    if conditions.countries and not _folded(conditions.countries) & _folded(lead.countries):
        return False
    if (conditions.min_score is not None or conditions.max_score is not None) and lead.score is None:
        return False
    score = lead.score or 0
    return (one_of(conditions.sources, lead.source) and one_of(conditions.languages, lead.language)
            and one_of(conditions.form_ids, lead.form_id)
            and (conditions.min_score is None or score >= conditions.min_score)
            and (conditions.max_score is None or score <= conditions.max_score))


def matching_rules(rules: Iterable[Rule], lead: Lead) -> list[Rule]:
    """The enabled rules whose conditions the lead meets, in their order."""
    return [rule for rule in sorted(rules, key=lambda r: (r.position, r.rule_id))
            if rule.enabled and matches(rule.conditions, lead)]


def rotation(members: Sequence[Member]) -> tuple[int, ...]:
    """The members' turns over one cycle, by smooth weighted round robin: each member appears `weight` times,
    spread out (weights 3 and 1 give A A B A, never A A A B). All weights 1 is plain round robin."""
    weights = [max(member.weight, 0) for member in members]
    total = sum(weights)
    current = [0] * len(members)
    order: list[int] = []
    for _ in range(total):
        current = [c + w for c, w in zip(current, weights, strict=True)]
        best = max(range(len(members)), key=lambda i: (current[i], -i))
        current[best] -= total
        order.append(best)
    return tuple(order)


def window(days: Mapping[str, int], today: dt.date) -> Load:
    """A rep's load from their per-day counts."""
    first = (today - dt.timedelta(days=WINDOW_DAYS - 1)).isoformat()
    return Load(int(days.get(today.isoformat(), 0)),
                sum(int(count) for day, count in days.items() if first <= day <= today.isoformat()))


def counted(days: Mapping[str, int], today: dt.date) -> dict[str, int]:
    """The per-day counts after one more lead today, without days that left the window."""
    first = (today - dt.timedelta(days=WINDOW_DAYS - 1)).isoformat()
    kept = {day: int(count) for day, count in days.items() if first <= day <= today.isoformat()}
    kept[today.isoformat()] = kept.get(today.isoformat(), 0) + 1
    return kept


def full_reason(member: Member, load: Load) -> str | None:
    if member.daily_cap is not None and load.today >= member.daily_cap:
        return f"daily cap {member.daily_cap} reached"
    if member.monthly_cap is not None and load.window >= member.monthly_cap:
        return f"30-day cap {member.monthly_cap} reached"
    return None


def unavailable(rule: Rule, loads: Mapping[str, Load], away: Mapping[str, str | None],
                exclude: frozenset[str]) -> dict[str, str]:
    """Why each member who cannot take a lead now cannot: excluded, away or off work, or full."""
    reasons: dict[str, str] = {}
    for member in rule.members:
        reason = ("excluded" if member.user_id in exclude else away.get(member.user_id)
                  or full_reason(member, loads.get(member.user_id, Load())))
        if member.weight <= 0 and rule.strategy == "weighted":
            reason = "weight 0"
        if reason:
            reasons[member.user_id] = reason
    return reasons


def _quota(member: Member, load: Load) -> str:
    caps = [f"{load.today + 1} of {member.daily_cap} today" if member.daily_cap is not None
            else f"{load.today + 1} today"]
    if member.monthly_cap is not None:
        caps.append(f"{load.window + 1} of {member.monthly_cap} in 30 days")
    return ", ".join(caps)


def pick(rule: Rule, loads: Mapping[str, Load], away: Mapping[str, str | None],
         exclude: frozenset[str] = frozenset()) -> Pick | None:
    """The member who takes the lead by the rule's strategy, or None when every member is out, full or
    excluded (`unavailable` says why)."""
    out = unavailable(rule, loads, away, exclude)
    able = [i for i, member in enumerate(rule.members) if member.user_id not in out]
    if not able:
        return None
    if rule.strategy == "least_loaded":
        def load_of(i: int) -> tuple[int, int, int]:
            load = loads.get(rule.members[i].user_id, Load())
            return load.today, load.window, i
        chosen, next_turn = min(able, key=load_of), None
        how = "least loaded"
    else:
        order = rotation(rule.members if rule.strategy == "weighted" else
                         [Member(m.user_id) for m in rule.members])
        start = rule.turn % len(order)
        step = next(s for s in range(len(order)) if order[(start + s) % len(order)] in able)
        chosen, next_turn = order[(start + step) % len(order)], rule.turn + step + 1
        how = "weighted" if rule.strategy == "weighted" else "round robin"
    member = rule.members[chosen]
    return Pick(member.user_id, next_turn,
                f"by rule {rule.name}: {how}, {_quota(member, loads.get(member.user_id, Load()))}")


def unassigned_reason(tried: Mapping[str, Mapping[str, str]]) -> str:
    """Why a lead stays unassigned, as an admin reads it on its timeline: no rule matched, or each matching
    rule's members and why each could not take it."""
    if not tried:
        return "Not assigned: no assignment rule matches this contact"
    parts = [f"rule {name}: " + ("; ".join(f"{user} {why}" for user, why in reasons.items()) or "no members")
             for name, reasons in tried.items()]
    return "Not assigned: every member is away or full (" + " | ".join(parts) + ")"
