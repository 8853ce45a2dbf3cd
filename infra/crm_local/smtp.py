"""The local stand-in for SES inbound: an SMTP receiver (aiosmtpd) that stores each message raw in the
inbound bucket the way an SES receipt rule's S3 action does, so any SMTP client can mail the CRM; and
the local outbox, what the CRM sent through SES, read from the embedded moto server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.request import urlopen

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crm_local import log
from crm_local.template import MailReceiptSpec

# SES accepts messages up to 40 MB.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024


class InboundMailHandler:
    """aiosmtpd handler: accepts mail for the template's domains and stores it like SES would."""

    def __init__(self, put_object: Callable[..., Any], bucket: str, prefix: str,
                 recipients: tuple[str, ...]) -> None:
        self._put_object = put_object
        self._bucket = bucket
        self._prefix = prefix
        # As in a receipt rule: addresses, or domains (their subdomains included).
        self._recipients = tuple(r.casefold() for r in recipients)

    def accepts(self, address: str) -> bool:
        address = address.casefold()
        domain = address.rpartition("@")[2]
        return not self._recipients or any(address == r or domain == r or domain.endswith(f".{r}")
                                           for r in self._recipients)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if not self.accepts(address):
            return "550 5.7.1 this server receives mail for the CRM's own domain only"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        key = f"{self._prefix}{uuid.uuid4().hex}"
        # SES adds its trace and verdict headers on top; locally nothing is scanned, so all pass.
        added = (f"Return-Path: <{envelope.mail_from or ''}>\r\n"
                 f"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
                 f"X-SES-Receipt-Recipients: {', '.join(envelope.rcpt_tos)}\r\n").encode("ascii", "replace")
        try:
            self._put_object(Bucket=self._bucket, Key=key, Body=added + content)
        except Exception:  # noqa: BLE001 - any storage failure is a temporary SMTP error
            log.exception("could not store an inbound message")
            return "451 4.3.0 the message could not be stored; try again"
        log.info("stored inbound mail from %s to %s as s3://%s/%s", envelope.mail_from,
                 ", ".join(envelope.rcpt_tos), self._bucket, key)
        return "250 OK message stored"


class SmtpReceiver:
    def __init__(self, receipt: MailReceiptSpec, s3: Any, host: str, port: int) -> None:
        handler = InboundMailHandler(s3.put_object, receipt.bucket, receipt.prefix, receipt.recipients)
        self._controller = Controller(handler, hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def sent_messages(aws_endpoint: str) -> list[dict[str, Any]]:
    """What the CRM sent through the embedded SES, oldest first: moto keeps sent mail in its models,
    which its `/moto-api/data.json` endpoint lists."""
    with urlopen(f"{aws_endpoint}/moto-api/data.json", timeout=10) as response:  # noqa: S310 - local moto
        models = json.loads(response.read()).get("ses", {})
    messages = []
    for raw in models.get("RawMessage", []):
        parsed = BytesParser(policy=policy.default).parsebytes(str(raw.get("raw_data", "")).encode("utf-8"))
        # moto adds the To and Cc addresses to the Destinations given, so some appear twice.
        messages.append({"id": raw.get("id"), "source": raw.get("source"),
                         "destinations": list(dict.fromkeys(raw.get("destinations") or [])),
                         "subject": str(parsed["subject"] or ""),
                         "headers": {k: str(v) for k, v in parsed.items()},
                         "body": _text_of(parsed)})
    for plain in models.get("Message", []):
        messages.append({"id": plain.get("id"), "source": plain.get("source"),
                         "destinations": plain.get("destinations"), "subject": plain.get("subject"),
                         "headers": {}, "body": plain.get("body")})
    return messages


def _text_of(message: Any) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    try:
        return part.get_content() if part is not None else ""
    except (LookupError, KeyError):
        return ""
