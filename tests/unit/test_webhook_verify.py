"""Signature checks agree with the providers' schemes; Stripe's with the official library, both ways."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import stripe
from crm.payments.verify import SignatureError, verify_authorizenet, verify_paypal, verify_stripe
from hypothesis import given
from hypothesis import strategies as st

from tests.support.signing import (
    PAYPAL_CERT_URL,
    authorizenet_header,
    paypal_headers,
    paypal_key_and_certificate,
    stripe_header,
)

SECRET = "whsec_test_secret"
BODY = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"})


def stripe_library_accepts(body: str, header: str, secret: str = SECRET) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance=300)
        return True
    except stripe.SignatureVerificationError:
        return False


def ours_accepts(body: str, header: str, secrets: list[str] | None = None) -> bool:
    try:
        verify_stripe(body.encode(), header, secrets or [SECRET])
        return True
    except SignatureError:
        return False


def test_a_header_signed_by_the_stripe_library_is_accepted():
    header = stripe_header(BODY, SECRET)
    assert ours_accepts(BODY, header) and stripe_library_accepts(BODY, header)


@pytest.mark.parametrize(("case", "code"), [
    ("tampered", "signature_mismatch"), ("wrong_secret", "signature_mismatch"), ("stale", "signature_stale"),
    ("unsigned", "signature_missing"), ("garbage", "signature_malformed"),
])
def test_forged_tampered_stale_and_unsigned_are_refused_like_the_library_does(case, code):
    header = {"tampered": stripe_header(BODY, SECRET), "wrong_secret": stripe_header(BODY, "whsec_other"),
              "stale": stripe_header(BODY, SECRET, int(time.time()) - 301), "unsigned": "",
              "garbage": "v0=abc"}[case]
    body = BODY.replace("succeeded", "failed") if case == "tampered" else BODY
    with pytest.raises(SignatureError) as error:
        verify_stripe(body.encode(), header, [SECRET])
    assert error.value.code == code
    assert not stripe_library_accepts(body, header)


def test_a_timestamp_of_digits_int_cannot_read_is_malformed_even_when_signed():
    # "²" passes str.isdigit; signed with the right secret it reached int() and was a 503
    signature = hmac.new(SECRET.encode(), "²".encode() + b"." + BODY.encode(), hashlib.sha256).hexdigest()
    with pytest.raises(SignatureError) as error:
        verify_stripe(BODY.encode(), f"t=²,v1={signature}", [SECRET])
    assert error.value.code == "signature_malformed"


def test_during_rotation_any_secret_may_match_any_signature():
    # Given Stripe signing with both the old and the new secret while they roll
    old, new = stripe_header(BODY, "whsec_old"), stripe_header(BODY, "whsec_new")
    header = old + "," + new.split(",", 1)[1]
    # Then an endpoint with either secret, or both, accepts it
    assert ours_accepts(BODY, header, ["whsec_new"])
    assert ours_accepts(BODY, header, ["whsec_old", "whsec_new"])
    assert not ours_accepts(BODY, header, ["whsec_other"])


@given(body=st.text(max_size=200), header=st.text(max_size=200))
def test_any_header_is_judged_as_the_official_library_judges_it(body, header):
    assert ours_accepts(body, header) == stripe_library_accepts(body, header)


@given(body=st.text(max_size=200), offset=st.integers(-1000, 1000))
def test_any_signed_body_at_any_age_is_judged_alike(body, offset):
    header = stripe_header(body, SECRET, int(time.time()) + offset)
    assert ours_accepts(body, header) == stripe_library_accepts(body, header)


def test_authorizenet_signature_in_either_case():
    body = b'{"notificationId":"n1"}'
    header = authorizenet_header(body, "KEY")
    verify_authorizenet(body, header, "KEY")
    verify_authorizenet(body, header.lower(), "KEY")
    for bad_body, bad_header in [(b'{"notificationId":"n2"}', header), (body, "sha256=" + header[7:]),
                                 (body, None), (body, authorizenet_header(body, "OTHER"))]:
        with pytest.raises(SignatureError):
            verify_authorizenet(bad_body, bad_header, "KEY")


def fetch_test_certificate(url: str) -> bytes:
    assert url == PAYPAL_CERT_URL
    return paypal_key_and_certificate()[1]


def test_a_paypal_transmission_signed_with_its_certificate_is_accepted():
    body = b'{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{}}'
    verify_paypal(body, paypal_headers(body, "WEBHOOK-1"), "WEBHOOK-1", fetch_test_certificate)


@pytest.mark.parametrize("case", ["tampered", "other_webhook", "foreign_cert_host", "http_cert", "stale", "missing"])
def test_paypal_forgeries_are_refused_without_fetching_foreign_certificates(case):
    body = b'{"id":"WH-1"}'
    headers = paypal_headers(body, "WEBHOOK-1")
    if case == "tampered":
        body = b'{"id":"WH-2"}'
    elif case == "foreign_cert_host":
        headers["paypal-cert-url"] = "https://api.paypal.com.evil.example/cert.pem"
    elif case == "http_cert":
        headers["paypal-cert-url"] = PAYPAL_CERT_URL.replace("https", "http")
    elif case == "stale":
        from datetime import UTC, datetime, timedelta

        headers = paypal_headers(body, "WEBHOOK-1", sent_at=datetime.now(UTC) - timedelta(minutes=10))
    elif case == "missing":
        headers.pop("paypal-transmission-sig")
    webhook_id = "WEBHOOK-OTHER" if case == "other_webhook" else "WEBHOOK-1"

    def fetch(url: str) -> bytes:
        assert case not in ("foreign_cert_host", "http_cert"), "a foreign certificate was fetched"
        return fetch_test_certificate(url)

    with pytest.raises(SignatureError):
        verify_paypal(body, headers, webhook_id, fetch)
