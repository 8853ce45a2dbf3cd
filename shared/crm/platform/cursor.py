"""Opaque, tamper-proof pagination cursors: the page's last key, signed and bound to one listing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


class InvalidCursor(ValueError):
    """A cursor that was altered, forged, or made for another listing."""


def encode_cursor(last_key: dict[str, Any], secret: str, scope: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{payload.decode()}.{_sign(payload, secret, scope)}"


def decode_cursor(cursor: str, secret: str, scope: str) -> dict[str, Any]:
    payload, _, signature = cursor.partition(".")
    expected = _sign(payload.encode("utf-8", "surrogatepass"), secret, scope)
    if not payload or not hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), expected.encode()):
        raise InvalidCursor("This cursor is not valid for this list.")
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("This cursor is not valid for this list.") from exc
    if not isinstance(data, dict):
        raise InvalidCursor("This cursor is not valid for this list.")
    return data


def _sign(payload: bytes, secret: str, scope: str) -> str:
    mac = hmac.new(secret.encode(), scope.encode() + b"\x00" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
