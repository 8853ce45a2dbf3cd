"""Signature checks on the raw body, before anything else is read, for each provider's real scheme."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

STRIPE_TOLERANCE_SECONDS = 300
PAYPAL_TOLERANCE_SECONDS = 300
# PayPal publishes its signing certificates only on its own API hosts.
PAYPAL_CERT_HOSTS = ("api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com")


class SignatureError(Exception):
    """Forged, tampered, stale or unsigned. `code` names which, for the 400 and the metric."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify_stripe(body: bytes, header: str | None, secrets: Sequence[str], now: float | None = None) -> None:
    """`Stripe-Signature: t=…,v1=…[,v1=…]`: HMAC-SHA256 of `t.body`. Any of our secrets may match any
    v1, so rotating a secret (Stripe sends one v1 per active secret) loses no event."""
    if not header:
        raise SignatureError("signature_missing", "The Stripe-Signature header is missing.")
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()) or not signatures:
        raise SignatureError("signature_malformed", "The Stripe-Signature header has no timestamp or v1 signature.")
    signed = timestamp.encode() + b"." + body
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets if s]
    if not any(hmac.compare_digest(e.encode(), v.encode("utf-8", "replace")) for e in expected for v in signatures):
        raise SignatureError("signature_mismatch", "No Stripe signature matches this body.")
    # Only age counts, as in Stripe's own libraries: a clock running ahead is not an attack.
    if (time.time() if now is None else now) - int(timestamp) > STRIPE_TOLERANCE_SECONDS:
        raise SignatureError("signature_stale", "The Stripe signature is older than five minutes.")


def verify_authorizenet(body: bytes, header: str | None, signature_key: str) -> None:
    """`X-ANET-Signature: sha512=HEX`: HMAC-SHA512 of the body keyed with the signature key's text;
    Authorize.Net sends the digest in upper case."""
    if not header:
        raise SignatureError("signature_missing", "The X-ANET-Signature header is missing.")
    scheme, _, value = header.strip().partition("=")
    if scheme.lower() != "sha512" or not value:
        raise SignatureError("signature_malformed", "X-ANET-Signature is not sha512=<hex>.")
    expected = hmac.new(signature_key.encode(), body, hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected.encode(), value.lower().encode("utf-8", "replace")):
        raise SignatureError("signature_mismatch", "The Authorize.Net signature does not match this body.")


CertificateFetcher = Callable[[str], bytes]


def verify_paypal(body: bytes, headers: dict[str, str], webhook_id: str, fetch_certificate: CertificateFetcher,
                  now: float | None = None) -> None:
    """PayPal's transmission signature: RSA-SHA256 over `id|time|webhook id|crc32(body)`, with the
    certificate at PAYPAL-CERT-URL, which must be one of PayPal's own hosts."""
    transmission_id = headers.get("paypal-transmission-id")
    transmission_time = headers.get("paypal-transmission-time")
    signature = headers.get("paypal-transmission-sig")
    cert_url = headers.get("paypal-cert-url")
    algorithm = headers.get("paypal-auth-algo", "SHA256withRSA")
    if not (transmission_id and transmission_time and signature and cert_url):
        raise SignatureError("signature_missing", "PayPal transmission headers are missing.")
    if algorithm != "SHA256withRSA":
        raise SignatureError("signature_malformed", "Only SHA256withRSA PayPal signatures are accepted.")
    url = urlsplit(cert_url)
    if url.scheme != "https" or url.hostname not in PAYPAL_CERT_HOSTS or url.port not in (None, 443):
        raise SignatureError("certificate_untrusted", "PAYPAL-CERT-URL is not on PayPal's own hosts.")
    sent_at = _paypal_time(transmission_time)
    if abs((time.time() if now is None else now) - sent_at) > PAYPAL_TOLERANCE_SECONDS:
        raise SignatureError("signature_stale", "The PayPal transmission is older than five minutes.")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("signature_malformed", "PAYPAL-TRANSMISSION-SIG is not base64.") from exc
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()
    # Deferred: only PayPal deliveries need the X.509 and RSA code.
    from cryptography import x509  # noqa: PLC0415 - only PayPal deliveries need it
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415 - only PayPal deliveries need it
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - only PayPal deliveries need it
    from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: PLC0415 - only PayPal deliveries need it

    try:
        certificate = x509.load_pem_x509_certificate(fetch_certificate(cert_url))
    except ValueError as exc:
        raise SignatureError("certificate_invalid", "PayPal's certificate could not be read.") from exc
    if certificate.not_valid_after_utc.timestamp() < (time.time() if now is None else now):
        raise SignatureError("certificate_invalid", "PayPal's certificate has expired.")
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SignatureError("certificate_invalid", "PayPal's certificate does not hold an RSA key.")
    try:
        public_key.verify(raw_signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureError("signature_mismatch", "The PayPal signature does not match this body.") from exc


def _paypal_time(value: str) -> float:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    except ValueError as exc:
        raise SignatureError("signature_malformed", "PAYPAL-TRANSMISSION-TIME is not a timestamp.") from exc
