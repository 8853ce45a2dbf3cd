"""Mail for tests: messages built the way real clients and servers write them, including broken ones."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from hypothesis import strategies as st

DOMAIN = "crm.example.com"
SUPPORT = f"support@{DOMAIN}"
SALES = f"sales@{DOMAIN}"


def message(sender: str = "Ali Rezaei <ali@example.ir>", to: str = SUPPORT, subject: str = "Question about my order",
            body: str = "Hello, where is my order?", message_id: str | None = None, **headers: str) -> EmailMessage:
    """A well-formed message; headers given as keyword arguments (Auto_Submitted -> Auto-Submitted)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    mail["Message-ID"] = message_id or make_msgid(idstring=uuid.uuid4().hex, domain="example.ir")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail


def reply_to(original: EmailMessage, body: str = "Thanks, one more thing.", **kwargs: str) -> EmailMessage:
    reply = message(subject=f"Re: {original['Subject']}", body=body, **kwargs)
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = original["Message-ID"]
    return reply


def with_attachment(mail: EmailMessage, data: bytes, filename: str = "invoice.pdf",
                    maintype: str = "application", subtype: str = "pdf") -> EmailMessage:
    mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return mail


def dsn(failed: str, original_subject: str = "Our offer") -> bytes:
    """A delivery status notification (RFC 3464) as mail servers send it."""
    return (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        f"To: sales@{DOMAIN}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\r\n\r\n'
        "--dsn\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Subject: {original_subject}\r\n"
        "--dsn--\r\n"
    ).encode()


def encoded_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def raw(*headers: str, body: bytes = b"Hello", content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = "\r\n".join((*headers, f"Content-Type: {content_type}")).encode("utf-8")
    return head + b"\r\n\r\n" + body


SEEDS = [
    with_attachment(message(subject="Привет", body="Текст"), b"\x00\x01" * 50).as_bytes(),
    raw(f"Subject: {encoded_word('عرض', 'windows-1256')}", body="نص".encode("windows-1256"),
        content_type="text/plain; charset=windows-1256"),
    raw(body=b"<p>hi</p>", content_type="text/html"),
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real message with bytes flipped, cut, inserted or duplicated."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "duplicate", "truncate"]))
        if action == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[position:position + draw(st.integers(1, 40))]
        elif action == "insert":
            data[position:position] = draw(st.sampled_from([b"\r\n", b"--", b"=?utf-8?B?", b"?=", b"boundary=",
                                                            b"\r\n\r\n", b"Content-Type: multipart/mixed", b"\xff"]))
        elif action == "duplicate":
            data[position:position] = data[position:position + 64]
        else:
            del data[position:]
    return bytes(data)
