"""One person, one record: email addresses and phone numbers normalized the same way by every entry point.
The libraries load when a value is first checked, not at cold start."""

from __future__ import annotations

from crm.platform.text import InvalidValue, clean_text, fold_text

__all__ = ["InvalidValue", "clean_text", "email_key", "fold_text", "normalize_email", "normalize_phone"]


def normalize_email(raw: str) -> str:
    """The address as email-validator normalizes it (no deliverability check, never the network)."""
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415 - ~20 ms; only checks need it

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidValue(str(exc)) from exc


def email_key(normalized_email: str) -> str:
    """The matching key: addresses match case-insensitively, whatever the local part's case."""
    return normalized_email.casefold()


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
