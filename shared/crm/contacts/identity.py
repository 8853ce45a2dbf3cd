"""One person, one record: normalized email addresses (phones are in crm.phone, text folding in crm.text)."""

from __future__ import annotations

from crm.platform.text import InvalidValue, clean_text, fold_text

__all__ = ["InvalidValue", "clean_text", "email_key", "fold_text", "normalize_email"]


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
