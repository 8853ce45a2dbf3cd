"""Explainable lead scoring: fit rules on what a contact is, engagement rules on what they did.

The score is a pure function of the contact's current properties, its engagement ledger, the model and
the day it is computed on, so re-delivered or reordered events can never change it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from crm.platform.text import fold_text

FIT_OPERATORS = ("equals", "in", "contains", "regex", "exists", "range", "free_mail", "disposable_email",
                 "country")
ENGAGEMENT_EVENTS = ("Form Submitted", "Email Received", "Payment Succeeded", "Activity Logged")
FIT_LETTERS = ("A", "B", "C")
ENGAGEMENT_DIGITS = ("1", "2")
MAX_RULES = 200
MAX_REGEX_LENGTH = 200
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_FIELD = re.compile(r"^(custom:[a-z][a-z0-9_]{0,62}|[a-z][a-z0-9_]{0,62})$")

# Widely used free mailbox providers; a business lead rarely writes from one.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com", "outlook.com",
    "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com",
    "gmx.com", "gmx.de", "web.de", "mail.com", "zoho.com", "yandex.ru", "yandex.com", "ya.ru", "mail.ru",
    "inbox.ru", "list.ru", "bk.ru", "rambler.ru", "qq.com", "163.com", "126.com", "naver.com",
    "chmail.ir", "yahoo.gr", "hotmail.gr", "otenet.gr", "yahoo.com.my", "tutanota.com", "fastmail.com",
})


class InvalidScoringModel(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid scoring model")
        self.fields = fields


@dataclass(frozen=True)
class FitRule:
    id: str
    label: str
    group: str
    field: str
    op: str
    points: int
    value: Any = None


@dataclass(frozen=True)
class EngagementRule:
    id: str
    label: str
    group: str
    event: str
    points: int
    cap: int
    half_life_days: float


@dataclass(frozen=True)
class LedgerEntry:
    """One engagement event, keyed by its outbox event id so a re-delivery is the same entry."""

    event_id: str
    event_type: str
    at: str


@dataclass(frozen=True)
class ScoringModel:
    version: int
    qualification_threshold: int
    group_caps: dict[str, int]
    fit_rules: tuple[FitRule, ...]
    engagement_rules: tuple[EngagementRule, ...]
    fit_grades: dict[str, int]
    engagement_grades: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fit_rules"] = [asdict(r) for r in self.fit_rules]
        data["engagement_rules"] = [asdict(r) for r in self.engagement_rules]
        return data

    @classmethod
    def from_dict(cls, data: Any, version: int) -> ScoringModel:
        """Validates a model, naming every wrong rule (`fit_rules[2].op`) and what is wrong with it."""
        if not isinstance(data, dict):
            raise InvalidScoringModel({"model": "The scoring model is a JSON object."})
        errors: dict[str, str] = {}
        caps = _int_map(data.get("group_caps", {}), "group_caps", errors, minimum=0)
        fit = [_rule(FitRule, raw, f"fit_rules[{i}]", errors, _check_fit)
               for i, raw in enumerate(_list(data.get("fit_rules", []), "fit_rules", errors))]
        engagement = [_rule(EngagementRule, raw, f"engagement_rules[{i}]", errors, _check_engagement)
                      for i, raw in enumerate(_list(data.get("engagement_rules", []), "engagement_rules", errors))]
        rules = [r for r in (*fit, *engagement) if r is not None]
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            errors["rules"] = "Rule ids must be unique."
        if len(rules) > MAX_RULES:
            errors["rules"] = f"At most {MAX_RULES} rules."
        for rule in rules:
            if rule.group not in caps:
                errors.setdefault("group_caps", f"Group {rule.group!r} has no cap.")
        threshold = data.get("qualification_threshold", 60)
        if not isinstance(threshold, int) or isinstance(threshold, bool) or not 0 <= threshold <= 100:
            errors["qualification_threshold"] = "A whole number from 0 to 100."
        fit_grades = _int_map(data.get("fit_grades", {}), "fit_grades", errors)
        engagement_grades = _int_map(data.get("engagement_grades", {}), "engagement_grades", errors)
        if set(fit_grades) != set(FIT_LETTERS):
            errors["fit_grades"] = "Minimum fit points for A, B and C (below C is D)."
        if set(engagement_grades) != set(ENGAGEMENT_DIGITS):
            errors["engagement_grades"] = "Minimum engagement points for 1 and 2 (below 2 is 3)."
        if errors:
            raise InvalidScoringModel(errors)
        return cls(version=version, qualification_threshold=threshold, group_caps=caps,
                   fit_rules=tuple(r for r in fit if r is not None),
                   engagement_rules=tuple(r for r in engagement if r is not None),
                   fit_grades=fit_grades, engagement_grades=engagement_grades)


@dataclass(frozen=True)
class ScoreResult:
    score: int
    grade: str
    fit_points: float
    engagement_points: float
    breakdown: tuple[dict[str, Any], ...]


def score_contact(model: ScoringModel, contact: Mapping[str, Any], ledger: Iterable[LedgerEntry],
                  as_of: date) -> ScoreResult:
    """The score on `as_of`: group caps applied to the rules that fired, the total clamped to 0..100."""
    fired: list[tuple[str, str, str, float]] = []  # (group, rule id, label, points)
    for rule in model.fit_rules:
        if _fit_rule_fires(rule, contact):
            fired.append((rule.group, rule.id, rule.label, float(rule.points)))
    # Sorted so that float sums come out the same whatever order the events arrived in.
    entries = sorted(set(ledger), key=lambda e: (e.at, e.event_id))
    for engagement in model.engagement_rules:
        points = sum(engagement.points * _decay(entry.at, as_of, engagement.half_life_days)
                     for entry in entries if entry.event_type == engagement.event)
        points = max(-engagement.cap, min(engagement.cap, points))
        if points:
            fired.append((engagement.group, engagement.id, engagement.label, points))
    engagement_ids = {r.id for r in model.engagement_rules}
    fit_total = engagement_total = 0.0
    for group, cap in sorted(model.group_caps.items()):
        in_group = [f for f in fired if f[0] == group]
        total = min(float(cap), sum(f[3] for f in in_group))
        if any(f[1] in engagement_ids for f in in_group):
            engagement_total += total
        else:
            fit_total += total
    score = int(max(0, min(100, math.floor(fit_total + engagement_total + 0.5))))
    breakdown = tuple({"rule": rule_id, "label": label, "group": group, "points": round(points, 2)}
                      for group, rule_id, label, points in fired)
    return ScoreResult(score=score, grade=_grade(model, fit_total, engagement_total),
                       fit_points=round(fit_total, 2), engagement_points=round(engagement_total, 2),
                       breakdown=breakdown)


def _grade(model: ScoringModel, fit: float, engagement: float) -> str:
    letter = next((g for g in FIT_LETTERS if fit >= model.fit_grades[g]), "D")
    digit = next((g for g in ENGAGEMENT_DIGITS if engagement >= model.engagement_grades[g]), "3")
    return letter + digit


def _decay(at: str, as_of: date, half_life_days: float) -> float:
    try:
        happened = datetime.fromisoformat(at.replace("Z", "+00:00")).date()
    except ValueError:
        happened = as_of
    age_days = max(0, (as_of - happened).days)
    return float(0.5 ** (age_days / half_life_days))  # float ** float is typed Any: it may be complex


def contact_value(contact: Mapping[str, Any], field: str) -> Any:
    if field.startswith("custom:"):
        return (contact.get("custom_fields") or {}).get(field.removeprefix("custom:"))
    return contact.get(field)


def _fit_rule_fires(rule: FitRule, contact: Mapping[str, Any]) -> bool:
    if rule.op == "free_mail":
        return _email_domain(contact) in FREE_MAIL_DOMAINS
    if rule.op == "disposable_email":
        from disposable_email_domains import blocklist  # noqa: PLC0415 - a 10,000-domain set, loaded when used

        return _email_domain(contact) in blocklist
    if rule.op == "country":
        return contact_country(contact) in {str(v).upper() for v in rule.value}
    value = contact_value(contact, rule.field)
    if rule.op == "exists":
        return value not in (None, "", [], {})
    if value in (None, ""):
        return False
    if rule.op == "range":
        try:
            number = float(str(value).replace(",", "").strip())
        except ValueError:
            return False
        low, high = rule.value.get("min"), rule.value.get("max")
        return (low is None or number >= low) and (high is None or number <= high)
    text = fold_text(str(value))
    if rule.op == "equals":
        return text == fold_text(str(rule.value))
    if rule.op == "in":
        return text in {fold_text(str(v)) for v in rule.value}
    if rule.op == "contains":
        return fold_text(str(rule.value)) in text
    return re.search(rule.value, text, re.IGNORECASE) is not None


def _email_domain(contact: Mapping[str, Any]) -> str:
    email = str(contact.get("email") or "")
    return email.rpartition("@")[2].casefold()


def contact_country(contact: Mapping[str, Any]) -> str | None:
    """The country a contact stated (custom field `country`), else the one their phone belongs to."""
    stated = (contact.get("custom_fields") or {}).get("country")
    if stated:
        return str(stated).upper()
    phone = contact.get("phone")
    if not phone:
        return None
    import phonenumbers  # noqa: PLC0415 - ~15 ms of metadata, loaded only for a contact with a phone

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(str(phone), None))
    except phonenumbers.NumberParseException:
        return None


def _check_fit(rule: FitRule) -> str | None:
    if rule.op not in FIT_OPERATORS:
        return f"op must be one of {', '.join(FIT_OPERATORS)}."
    if not _FIELD.match(rule.field) and rule.op not in ("free_mail", "disposable_email", "country"):
        return "field is a contact property or custom:<key>."
    if rule.op in ("in", "country") and not (isinstance(rule.value, list) and rule.value):
        return "value is a non-empty list."
    if rule.op in ("equals", "contains") and not isinstance(rule.value, (str, int, float)):
        return "value is a string or a number."
    if rule.op == "range":
        bounds = rule.value if isinstance(rule.value, dict) else {}
        if not bounds or set(bounds) - {"min", "max"} or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds.values()):
            return 'value is {"min": number, "max": number} (either may be left out).'
    if rule.op == "regex":
        if not isinstance(rule.value, str) or len(rule.value) > MAX_REGEX_LENGTH:
            return f"value is a regular expression of at most {MAX_REGEX_LENGTH} characters."
        try:
            re.compile(rule.value)
        except re.error as exc:
            return f"value is not a valid regular expression: {exc}."
    return None


def _check_engagement(rule: EngagementRule) -> str | None:
    if rule.event not in ENGAGEMENT_EVENTS:
        return f"event must be one of {', '.join(ENGAGEMENT_EVENTS)}."
    if rule.cap <= 0:
        return "cap is a positive number of points."
    if not rule.half_life_days > 0:
        return "half_life_days is a positive number."
    return None


def _rule(kind: type, raw: Any, where: str, errors: dict[str, str], check: Any) -> Any:
    if not isinstance(raw, dict):
        errors[where] = "Each rule is an object."
        return None
    try:
        rule = kind(**raw)
    except TypeError as exc:
        errors[where] = f"Unknown or missing setting: {exc}."
        return None
    if not isinstance(rule.id, str) or not _RULE_ID.match(rule.id):
        errors[f"{where}.id"] = "Lowercase letters, digits, dashes and underscores."
        return None
    numbers = [rule.points] + ([rule.cap, rule.half_life_days] if kind is EngagementRule else [])
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and abs(n) <= 1000 for n in numbers):
        errors[f"{where}.points"] = "points (and cap, half_life_days) are numbers from -1000 to 1000."
        return None
    problem = check(rule)
    if problem:
        errors[f"{where}.{problem.split(' ', 1)[0]}"] = problem
        return None
    return rule


def _list(value: Any, where: str, errors: dict[str, str]) -> list[Any]:
    if not isinstance(value, list):
        errors[where] = "A list of rules."
        return []
    return value


def _int_map(value: Any, where: str, errors: dict[str, str], minimum: int = -1000) -> dict[str, int]:
    if not isinstance(value, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and minimum <= v <= 1000 for v in value.values()):
        errors[where] = "An object of whole numbers."
        return {}
    return {str(k): int(v) for k, v in value.items()}


# Regular expressions match the folded value (see normalize.fold_text): lowercase, no accents or
# diacritics, Arabic and Persian letters unified, Greek final sigma as σ.
SENIOR_TITLES = (r"\b(ceo|cto|cfo|coo|cmo|chief|founder|co-founder|owner|president|vp|vice president|director|"
                 r"head of|managing director|مدیرعامل|مدیر عامل|директор|руководитель|διευθυντησ|pengarah)\b")
MANAGER_TITLES = r"\b(manager|lead|supervisor|مدیر|менеджер|управляющии|υπευθυνοσ|pengurus)\b"

DEFAULT_MODEL: dict[str, Any] = {
    "qualification_threshold": 60,
    "group_caps": {"bant": 50, "profile": 25, "quality": 0, "engagement": 50},
    "fit_grades": {"A": 40, "B": 25, "C": 10},
    "engagement_grades": {"1": 30, "2": 10},
    "fit_rules": [
        {"id": "budget-large", "label": "Budget of 10,000 or more", "group": "bant", "field": "custom:budget",
         "op": "range", "value": {"min": 10000}, "points": 15},
        {"id": "budget-small", "label": "Budget from 1,000 to 9,999", "group": "bant", "field": "custom:budget",
         "op": "range", "value": {"min": 1000, "max": 9999.99}, "points": 7},
        {"id": "need", "label": "Stated a need or pain point", "group": "bant", "field": "custom:need",
         "op": "exists", "points": 10},
        {"id": "timeline-soon", "label": "Buying this quarter", "group": "bant", "field": "custom:timeline",
         "op": "in", "value": ["now", "this month", "this quarter", "0-3 months"], "points": 10},
        {"id": "authority-decision-maker", "label": "Decision maker", "group": "bant",
         "field": "custom:authority", "op": "equals", "value": "decision maker", "points": 15},
        {"id": "authority-influencer", "label": "Influencer", "group": "bant", "field": "custom:authority",
         "op": "equals", "value": "influencer", "points": 8},
        {"id": "authority-end-user", "label": "End user", "group": "bant", "field": "custom:authority",
         "op": "equals", "value": "end user", "points": 3},
        {"id": "title-senior", "label": "Senior job title", "group": "profile", "field": "job_title",
         "op": "regex", "value": SENIOR_TITLES, "points": 12},
        {"id": "title-manager", "label": "Manager job title", "group": "profile", "field": "job_title",
         "op": "regex", "value": MANAGER_TITLES, "points": 6},
        {"id": "has-company", "label": "Gave a company", "group": "profile", "field": "company",
         "op": "exists", "points": 5},
        {"id": "source-referral", "label": "Came by referral", "group": "profile", "field": "source",
         "op": "equals", "value": "referral", "points": 8},
        {"id": "source-web-form", "label": "Filled in a web form", "group": "profile", "field": "source",
         "op": "equals", "value": "web_form", "points": 3},
        {"id": "free-mail", "label": "Free mailbox address", "group": "quality", "field": "email",
         "op": "free_mail", "points": -10},
        {"id": "disposable-email", "label": "Disposable email address", "group": "quality", "field": "email",
         "op": "disposable_email", "points": -30},
        {"id": "email-bouncing", "label": "Email bounces", "group": "quality", "field": "email_status",
         "op": "equals", "value": "bouncing", "points": -20},
    ],
    "engagement_rules": [
        {"id": "form-submissions", "label": "Form submissions", "group": "engagement", "event": "Form Submitted",
         "points": 10, "cap": 30, "half_life_days": 30},
        {"id": "email-replies", "label": "Emails received", "group": "engagement", "event": "Email Received",
         "points": 5, "cap": 20, "half_life_days": 14},
        {"id": "payments", "label": "Payments", "group": "engagement", "event": "Payment Succeeded",
         "points": 20, "cap": 40, "half_life_days": 90},
        {"id": "activities", "label": "Logged calls, meetings and notes", "group": "engagement",
         "event": "Activity Logged", "points": 3, "cap": 15, "half_life_days": 30},
    ],
}


def default_model() -> ScoringModel:
    return ScoringModel.from_dict(DEFAULT_MODEL, version=1)
