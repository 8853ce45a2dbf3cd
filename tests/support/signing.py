"""Signing test payloads with each provider's real scheme (Stripe's with the official library)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache

import stripe
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

PAYPAL_CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-test"


def stripe_header(body: str, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)


def authorizenet_header(body: bytes, key: str) -> str:
    return "sha512=" + hmac.new(key.encode(), body, hashlib.sha512).hexdigest().upper()


@cache
def paypal_key_and_certificate() -> tuple[rsa.RSAPrivateKey, bytes]:
    """A throwaway RSA key and self-signed certificate standing in for PayPal's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.paypal.com")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return key, certificate.public_bytes(serialization.Encoding.PEM)


def paypal_headers(body: bytes, webhook_id: str, transmission_id: str = "tx-1",
                   sent_at: datetime | None = None) -> dict[str, str]:
    key, _ = paypal_key_and_certificate()
    transmission_time = (sent_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {"paypal-transmission-id": transmission_id, "paypal-transmission-time": transmission_time,
            "paypal-transmission-sig": base64.b64encode(signature).decode(), "paypal-cert-url": PAYPAL_CERT_URL,
            "paypal-auth-algo": "SHA256withRSA"}
