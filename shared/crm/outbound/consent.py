"""Consent per topic, and the signed token of a one-click unsubscribe (pure: no I/O).

A contact's `consent` maps a marketing topic to {status: subscribed | unsubscribed, at, source}. Marketing
mail needs the contact's yes to its topic (opt-in); unsubscribing one topic leaves the others as they were.
`transactional` mail (a receipt, a reply to what they asked) needs no consent and has no unsubscribe."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any, Literal

TRANSACTIONAL = "transactional"
TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_TOPICS = 50
Status = Literal["subscribed", "unsubscribed"]
# The unsubscribe token's key is derived from the cursor secret under this label, so that neither signature
# can stand for the other.
TOKEN_PURPOSE = b"crm/unsubscribe-token/v1"
_MAC_BYTES = 16


def is_topic(topic: str) -> bool:
    return bool(TOPIC.match(topic))


def refusal(consent: Mapping[str, Any] | None, topic: str) -> str | None:
    """Why mail of `topic` may not go to a contact with this consent (None: it may)."""
    if topic == TRANSACTIONAL:
        return None
    entry = (consent or {}).get(topic) or {}
    status = entry.get("status") if isinstance(entry, Mapping) else None
    if status == "unsubscribed":
        return "unsubscribed"
    if status != "subscribed":
        return "no_consent"
    return None


def with_consent(consent: Mapping[str, Any] | None, changes: Mapping[str, Status], at: str,
                 source: str) -> dict[str, Any]:
    """The consent map after `changes`; a topic already at its status keeps when and how it got there."""
    updated = {topic: dict(entry) for topic, entry in (consent or {}).items() if isinstance(entry, Mapping)}
    for topic, status in changes.items():
        if updated.get(topic, {}).get("status") != status:
            updated[topic] = {"status": status, "at": at, "source": source}
    return updated


def unsubscribed_all(consent: Mapping[str, Any] | None, at: str, source: str) -> dict[str, Any]:
    """Every topic the contact is subscribed to, unsubscribed (a spam complaint)."""
    current = consent or {}
    return with_consent(current, {topic: "unsubscribed" for topic, entry in current.items()
                                  if isinstance(entry, Mapping) and entry.get("status") == "subscribed"}, at, source)


def token_key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), TOKEN_PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(key: bytes, contact_id: str, topic: str) -> str:
    """`<contact id and topic>.<their MAC>`, URL-safe: what a link and a List-Unsubscribe header carry."""
    payload = f"{contact_id}\n{topic}".encode()
    return f"{_b64(payload)}.{_b64(hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES])}"


def read_token(key: bytes, token: str) -> tuple[str, str] | None:
    """(contact id, topic) of a token this key signed, else None."""
    if len(token) > 512 or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    try:
        payload, given = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES], given):
        return None
    try:
        contact_id, topic = payload.decode("utf-8").split("\n")
    except (UnicodeDecodeError, ValueError):
        return None
    return (contact_id, topic) if contact_id and is_topic(topic) else None
