"""A spreadsheet cell as the API's field takes it: text to a whole number, a yes or no, a list, an E.164
phone in the import's default region, an amount in minor units. Pure: what a cell cannot be raises
InvalidValue with a message for the person who typed it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.platform.identity import normalize_phone
from crm.platform.text import InvalidValue

# Persian and Arabic-Indic digits, and the separators people type in numbers in those scripts.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬", "01234567890123456789.,")
_TRUE = {"true", "yes", "y", "1", "x", "✓", "بله", "آری", "نعم", "да", "ya", "ναι", "ja", "oui", "si", "sí"}
_FALSE = {"false", "no", "n", "0", "", "خیر", "نه", "لا", "нет", "tidak", "όχι", "nein", "non"}
_LIST_SEPARATORS = re.compile(r"\s*[;,،\n]\s*")
# ISO 4217 minor units where they are not two.
_EXPONENTS = {"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLP": 0, "ISK": 0, "JPY": 0,
              "KRW": 0, "PYG": 0, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0, "IDR": 2, "IRR": 2}


def number_text(cell: str) -> str:
    """`۱٬۲۵۰٫۵` and `1 250,5`-free: digits in ASCII, thousands separators gone, a decimal point."""
    text = cell.translate(_DIGITS).replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text and re.fullmatch(r"-?\d+,\d{1,2}", text):
        return text.replace(",", ".")
    return text.replace(",", "")


def whole_number(cell: str) -> int:
    try:
        value = Decimal(number_text(cell))
    except InvalidOperation as exc:
        raise InvalidValue("A whole number is expected.") from exc
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidValue("A whole number is expected.")
    return int(value)


def yes_or_no(cell: str) -> bool:
    folded = cell.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise InvalidValue("Yes or no (true or false) is expected.")


def listed(cell: str) -> list[str]:
    return [part for part in _LIST_SEPARATORS.split(cell.strip()) if part]


def phone(cell: str, region: str | None) -> str:
    """In the import's region; a long number that is no phone there is tried as international, since a
    spreadsheet that stored `+79161234567` as a number dropped its plus."""
    text = cell.translate(_DIGITS)
    try:
        return normalize_phone(text, region)
    except InvalidValue:
        if not (text.strip().isdigit() and len(text.strip()) >= 10):
            raise
        return normalize_phone("+" + text.strip(), None)


def minor_units(cell: str, currency: str | None) -> int:
    """An amount typed in its currency's units (`12.50`) as the whole minor units deals keep (1250)."""
    try:
        value = Decimal(re.sub(r"[^\d.\-]", "", number_text(cell)))
    except InvalidOperation as exc:
        raise InvalidValue("An amount such as 1250.50 is expected.") from exc
    scaled = value.scaleb(_EXPONENTS.get((currency or "").upper(), 2))
    if not scaled.is_finite() or scaled < 0 or scaled != scaled.to_integral_value():
        raise InvalidValue("An amount of zero or more, with no more decimals than its currency has.")
    return int(scaled)


def date_time(cell: str) -> str:
    """A time without an offset is taken as UTC, as a spreadsheet's dates have none."""
    text = cell.strip().replace(" ", "T", 1)
    if len(text) == 10:
        text += "T00:00:00"
    if not re.search(r"(Z|[+-]\d\d:?\d\d)$", text):
        text += "Z"
    return text


def field_value(kind: str, cell: str, region: str | None) -> Any:
    """`kind` is how the target takes its value (see crm.imports.targets)."""
    if kind == "integer":
        return whole_number(cell)
    if kind == "flag":
        return yes_or_no(cell)
    if kind == "list":
        return listed(cell)
    if kind == "phone":
        return phone(cell, region)
    if kind == "phones":
        return [phone(part, region) for part in listed(cell)]
    if kind == "datetime":
        return date_time(cell)
    return cell


def custom_value(field_type: str, cell: str, region: str | None) -> Any:
    """A custom field's value from a cell, as crm.custom_fields.rules checks it."""
    if field_type == "checkbox":
        return yes_or_no(cell)
    if field_type == "multi_picklist":
        return listed(cell)
    if field_type == "phone":
        return phone(cell, region)
    if field_type == "number":
        return number_text(cell)
    if field_type == "currency":
        amount, _, currency = cell.strip().rpartition(" ")
        return {"amount_minor": minor_units(amount or currency, currency), "currency": currency.upper()}
    return cell
