"""Sending mail through SES once: a claim on the send's key, taken before SES is asked, makes a retried step,
a redelivered event or a replayed dead letter send nothing a second time. A send SES refuses gives its claim
back, so that the retry sends it; a crash between SES's answer and the record leaves the claim, and the
message counts as sent (at most once, never twice)."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pynamodb.attributes import UnicodeAttribute

from crm.platform import aws
from crm.platform.clock import iso_now
from crm.records.table import CrmItem, get_item


class SentItem(CrmItem):
    """The claim of one send: `SENT#<hash of its key>` / `SENT`."""

    send_key = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(send_key: str) -> tuple[str, str]:
        return f"SENT#{hashlib.sha256(send_key.encode('utf-8')).hexdigest()[:40]}", "SENT"


def plain_message(sender: str, recipients: tuple[str, ...], subject: str, text: str, html: str | None = None,
                  automatic: bool = True) -> EmailMessage:
    """A message with a plain-text part (and an HTML one). An automatic message is marked Auto-Submitted
    (RFC 3834), so that auto-responders, the CRM's own among them, do not answer it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if automatic:
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def sent_before(send_key: str) -> SentItem | None:
    return get_item(SentItem, SentItem.key(send_key), consistent=True)


def send_once(send_key: str, sender: str, recipients: tuple[str, ...], raw: bytes) -> str | None:
    """SES's message id, or None when this key was sent (or claimed) before."""
    from pynamodb.exceptions import PutError  # noqa: PLC0415 - with the write it serves

    claim = SentItem(*SentItem.key(send_key), send_key=send_key[:1024], claimed_at=iso_now())
    try:
        claim.save(SentItem.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    try:
        response = aws.client("ses").send_raw_email(Source=sender, Destinations=list(recipients),
                                                     RawMessage={"Data": raw})
    except Exception:
        claim.delete()
        raise
    message_id = str(response.get("MessageId", ""))
    claim.update([SentItem.message_id.set(message_id), SentItem.sent_at.set(iso_now())])
    return message_id
