"""A company's rules as pure functions: one company per web domain, and the order companies list in."""

from __future__ import annotations

import re

from crm.platform.text import InvalidValue, fold_text

_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(raw: str) -> str:
    """`https://www.Example.COM/about` and `example.com` are one company; IDN domains in their ASCII form."""
    value = raw.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    value = value.removeprefix("www.").rstrip(".")
    try:
        ascii_domain = value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidValue("This is not a web domain.") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidValue("This is not a web domain.")
    return ascii_domain


def order_key(name: str, company_id: str) -> str:
    """Companies list by name whatever script, case or accents it is typed with."""
    return f"{fold_text(name)}#{company_id}"
