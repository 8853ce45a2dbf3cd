"""The local stand-in for SES inbound: what the template says about mail, and the SMTP receiver."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.smtp import Envelope
from crm_local.smtp import InboundMailHandler
from crm_local.template import Template


def test_the_template_receives_mail_for_the_domain_into_the_inbound_bucket() -> None:
    template = Template.load()
    # When the local stack reads the receipt rule, the bucket notification and the identity
    [receipt] = template.mail_receipts()
    inbound = next(b for b in template.buckets() if b.logical_id == "InboundMailBucket")
    # Then mail to the domain lands under inbound/, announced to the ingest queue, sent from the domain
    assert (receipt.bucket, receipt.prefix, receipt.recipients) == (inbound.name, "inbound/", ("crm.example.com",))
    [notification] = inbound.queue_notifications
    assert notification["QueueArn"].endswith(":crm-local-InboundMailQueue")
    assert notification["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "inbound/"}]}}
    assert [i.identity for i in template.mail_identities()] == ["crm.example.com"]


def test_the_receiver_takes_mail_for_its_domains_and_stores_it_the_way_ses_does() -> None:
    stored: list[dict[str, Any]] = []
    handler = InboundMailHandler(lambda **kwargs: stored.append(kwargs), "inbound-bucket", "inbound/",
                                 ("crm.example.com",))
    envelope = Envelope()
    envelope.mail_from = "ali@example.ir"
    # When a client names recipients
    answers = [asyncio.run(handler.handle_RCPT(None, None, envelope, address, []))  # type: ignore[arg-type]
               for address in ("support@crm.example.com", "x@eu.crm.example.com", "someone@elsewhere.example")]
    # Then only the CRM's own domain (and its subdomains) is accepted
    assert [answer[:3] for answer in answers] == ["250", "250", "550"]
    # When the message is sent
    envelope.original_content = b"Subject: hi\r\n\r\nbody"
    answer = asyncio.run(handler.handle_DATA(None, None, envelope))  # type: ignore[arg-type]
    # Then it is stored raw under the prefix, with SES's headers on top
    assert answer.startswith("250")
    [put] = stored
    assert put["Bucket"] == "inbound-bucket" and put["Key"].startswith("inbound/")
    assert put["Body"].startswith(b"Return-Path: <ali@example.ir>\r\nX-SES-Spam-Verdict: PASS\r\n")
    assert put["Body"].endswith(b"Subject: hi\r\n\r\nbody")


def test_a_storage_failure_asks_the_client_to_try_again() -> None:
    def failing_put(**_: Any) -> None:
        raise ConnectionError("moto is down")

    handler = InboundMailHandler(failing_put, "b", "inbound/", ())
    envelope = Envelope()
    envelope.original_content = b"x"
    assert asyncio.run(handler.handle_DATA(None, None, envelope)).startswith("451")  # type: ignore[arg-type]
