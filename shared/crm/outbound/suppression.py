"""Addresses SES told us not to write to again (a hard bounce, a spam complaint): every send asks first."""

from __future__ import annotations

from crm.outbound.spec import SuppressionItem
from crm.platform.identity import InvalidValue, email_key, normalize_email
from crm.records.table import get_item


def address_key(address: str) -> str | None:
    try:
        return email_key(normalize_email(address.rpartition("<")[2].rstrip(">")))
    except InvalidValue:
        return None


def suppressed(address: str) -> bool:
    key = address_key(address)
    return key is not None and get_item(SuppressionItem, SuppressionItem.key(key)) is not None
