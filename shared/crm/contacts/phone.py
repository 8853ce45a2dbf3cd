"""Phone numbers to E.164, whatever digits, brackets and trunk prefixes people type them with.

Apart from normalize.py so that functions which only match emails do not load phonenumbers.
"""

from __future__ import annotations

from crm.platform.text import InvalidValue


def normalize_phone(raw: str, default_region: str | None) -> str:
    """E.164 from any local format: Persian and Arabic-Indic digits, brackets, trunk prefixes."""
    import phonenumbers  # noqa: PLC0415 - ~15 ms of metadata; a form or record without a phone never loads it

    try:
        number = phonenumbers.parse(raw.strip(), (default_region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue("This is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue("This phone number is not valid for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
