"""Custom fields: what a definition may say, and every value checked against its definition on write.

The qualification fields of a contact (budget, need, timeline, authority, competitors, objections) are
built-in definitions, so lead scoring's `custom:budget` and a form's `custom:budget` mean the same thing;
a business may redefine them (a stored definition with the same key wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from crm.platform.identity import normalize_email, normalize_phone
from crm.platform.text import InvalidValue, clean_text
from crm.records.fields import iso_date

ENTITIES = ("contact", "company", "deal", "activity")
FIELD_TYPES = ("text", "number", "date", "checkbox", "email", "phone", "url", "picklist", "multi_picklist",
               "currency")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_TEXT = 10_000
MAX_OPTIONS = 200
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class FieldDefinition:
    entity: str
    key: str
    label: str
    field_type: str
    options: tuple[str, ...] = ()
    required: bool = False
    built_in: bool = False
    version: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "key": self.key, "label": self.label, "type": self.field_type,
                "options": list(self.options), "required": self.required, "built_in": self.built_in,
                "version": self.version}


def definition_problems(entity: str, key: str, field_type: str, options: Iterable[str]) -> dict[str, str]:
    """What is wrong with a definition, per field; empty when it is usable."""
    problems: dict[str, str] = {}
    options = list(options)
    if entity not in ENTITIES:
        problems["entity"] = f"One of {', '.join(ENTITIES)}."
    if not KEY_PATTERN.match(key):
        problems["key"] = "Lowercase letters, digits and _, starting with a letter, at most 63."
    if field_type not in FIELD_TYPES:
        problems["type"] = f"One of {', '.join(FIELD_TYPES)}."
    elif field_type in ("picklist", "multi_picklist"):
        if not options or len(options) > MAX_OPTIONS or len(set(options)) != len(options) \
                or not all(isinstance(o, str) and o.strip() for o in options):
            problems["options"] = f"A picklist needs 1 to {MAX_OPTIONS} distinct, non-empty options."
    elif options:
        problems["options"] = "Only picklists have options."
    return problems


_AUTHORITY = ("decision maker", "influencer", "end user", "unknown")
BUILT_IN: tuple[FieldDefinition, ...] = (
    FieldDefinition("contact", "budget", "Budget", "number", built_in=True),
    FieldDefinition("contact", "need", "Need", "text", built_in=True),
    FieldDefinition("contact", "timeline", "Timeline", "text", built_in=True),
    FieldDefinition("contact", "authority", "Authority", "picklist", _AUTHORITY, built_in=True),
    FieldDefinition("contact", "competitors", "Competitors", "text", built_in=True),
    FieldDefinition("contact", "objections", "Objections", "text", built_in=True),
)


def with_built_ins(entity: str, stored: Iterable[FieldDefinition]) -> dict[str, FieldDefinition]:
    definitions = {d.key: d for d in BUILT_IN if d.entity == entity}
    definitions.update({d.key: d for d in stored})
    return definitions


@dataclass
class CustomFieldCheck:
    """Checks a write's custom fields; `problems` holds one message per bad field (`custom_fields.<key>`)."""

    definitions: Mapping[str, FieldDefinition]
    phone_region: str | None = None
    problems: dict[str, str] = field(default_factory=dict)

    def values(self, submitted: Mapping[str, Any], existing: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The merged custom fields after a write: a None value removes that field."""
        merged = dict(existing or {})
        for key, raw in submitted.items():
            definition = self.definitions.get(key)
            if definition is None:
                self.problems[f"custom_fields.{key}"] = "There is no custom field with this key."
            elif raw is None:
                merged.pop(key, None)
            else:
                try:
                    merged[key] = coerce(definition, raw, self.phone_region)
                except InvalidValue as exc:
                    self.problems[f"custom_fields.{key}"] = str(exc)
        for definition in self.definitions.values():
            if definition.required and merged.get(definition.key) in (None, "", []):
                self.problems[f"custom_fields.{definition.key}"] = "This field is required."
        return merged


def coerce(definition: FieldDefinition, raw: Any, phone_region: str | None = None) -> Any:
    """The stored form of a value, or InvalidValue with a message for the person who typed it."""
    kind = definition.field_type
    if kind in ("text", "picklist"):
        value = _text(raw)
        if kind == "picklist" and value not in definition.options:
            raise InvalidValue(f"One of: {', '.join(definition.options)}.")
        return value
    if kind == "multi_picklist":
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise InvalidValue("A list of options.")
        unknown = [v for v in raw if v not in definition.options]
        if unknown:
            raise InvalidValue(f"Not an option: {', '.join(unknown[:5])}.")
        return sorted(set(raw))
    if kind == "number":
        return _number(raw)
    if kind == "checkbox":
        if not isinstance(raw, bool):
            raise InvalidValue("true or false.")
        return raw
    if kind == "date":
        return _date(raw)
    if kind == "email":
        return normalize_email(_text(raw))
    if kind == "phone":
        return normalize_phone(_text(raw), phone_region)
    if kind == "url":
        return _url(raw)
    return _money(raw)


def _date(raw: Any) -> str:
    return iso_date(_text(raw))


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("Text is expected.")
    return clean_text(raw, MAX_TEXT)


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise InvalidValue("A number is expected.")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise InvalidValue("A number is expected.") from exc
    if not value.is_finite() or abs(value) >= Decimal(10) ** 30:
        raise InvalidValue("A finite number below 10^30 is expected.")
    return int(value) if value == value.to_integral_value() else float(value)


def _url(raw: Any) -> str:
    value = _text(raw)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2048:
        raise InvalidValue("An http or https address.")
    return value


def _money(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != {"amount_minor", "currency"}:
        raise InvalidValue('{"amount_minor": whole number, "currency": "EUR"} is expected.')
    amount, currency = raw["amount_minor"], raw["currency"]
    if isinstance(amount, bool) or not isinstance(amount, int) or abs(amount) >= 10 ** 18:
        raise InvalidValue("amount_minor is a whole number of minor units (cents).")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise InvalidValue("currency is an ISO 4217 code such as EUR.")
    return {"amount_minor": amount, "currency": currency}
