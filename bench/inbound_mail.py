"""Email ingestion: (e) messages parsed per second by `email_ingest.parse.parse_email` on a mixed corpus
built here from the test suite's mail helpers, and the events that put raw messages in the inbound
bucket for the requests bench (as SES and the bucket notification do)."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from bench.harness import sample_event
from tests.support.mail import DOMAIN, SALES, dsn, encoded_word, message, raw, with_attachment

PASSES = 7
# Each pass parses the corpus this many times, so one pass takes long enough to time.
REPEATS = 40
# A small PDF and PNG: sizes as mail carries them, without turning the bench into a base64 benchmark.
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 256
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16


def _legacy_charset(sender: str, subject: str, body: str, charset: str) -> bytes:
    return raw(f"From: {sender}", f"To: {SALES}", f"Subject: {encoded_word(subject, charset)}",
               f"Message-ID: <{charset}.bench@example.net>", "MIME-Version: 1.0",
               body=body.encode(charset), content_type=f"text/plain; charset={charset}")


def _html_with_inline_image() -> bytes:
    mail = message(subject="Our new catalogue", body="See the catalogue below.")
    mail.add_alternative('<html><body><p>See <b>the catalogue</b>:</p><img src="cid:logo@bench"></body></html>',
                         subtype="html")
    mail.get_payload()[1].add_related(PNG, maintype="image", subtype="png", cid="<logo@bench>")
    return mail.as_bytes()


def _nested() -> bytes:
    forwarded = message(subject="Fwd: Order 1042", body="Forwarding the customer's mail, see attached.")
    forwarded.add_attachment(message(subject="Order 1042", body="Where is my order 1042?"))
    return forwarded.as_bytes()


def _malformed() -> bytes:
    """A multipart with no closing boundary, a part with broken base64 and raw 8-bit bytes in a header."""
    return raw("From: =?utf-8?B?broken <x@example.com>", f"To: {SALES}", "Subject: caf\xe9 \xff".encode(
        "latin-1").decode("latin-1"), "MIME-Version: 1.0",
        body=b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8*?!\r\n"
             b"--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\n\r\n\x00\xff\xfe",
        content_type='multipart/mixed; boundary="b"')


def corpus() -> dict[str, bytes]:
    """The mixed corpus, by kind."""
    return {
        "plain utf-8": message(body="Hello, where is my order? It was due last week.\n" * 8).as_bytes(),
        "windows-1256 Persian": _legacy_charset("Ali Rezaei <ali@example.ir>", "سفارش جديد",
                                                "سلام، لطفاً وضعيت سفارش من را بگوييد.\n" * 8, "windows-1256"),
        "koi8-r Russian": _legacy_charset("Ivan <ivan@example.ru>", "Заказ", "Здравствуйте, где мой заказ?\n" * 8,
                                          "koi8-r"),
        "iso-8859-7 Greek": _legacy_charset("Eleni <eleni@example.gr>", "Παραγγελία",
                                            "Γεια σας, πού είναι η παραγγελία μου;\n" * 8, "iso-8859-7"),
        "HTML, inline image": _html_with_inline_image(),
        "PDF attachment": with_attachment(message(subject="Invoice", body="Invoice attached."), PDF).as_bytes(),
        "nested message/rfc822": _nested(),
        "DSN bounce": dsn(f"gone@{DOMAIN}"),
        "malformed": _malformed(),
    }


@dataclass(frozen=True)
class ParseRate:
    kind: str
    messages: int
    kilobytes: float
    median_us: float
    messages_per_s: float
    mb_per_s: float
    # What the parser made of it, to show each kind is read as intended.
    found: str


def measure_parsing() -> tuple[ParseRate, list[ParseRate]]:
    """The mixed corpus as a whole (median pass), then each kind on its own."""
    from crm.mail.parse import parse_email  # noqa: PLC0415 - code under test is imported once the environment is set

    messages = corpus()
    whole = _rate("mixed corpus", list(messages.values()), parse_email, "")
    return whole, [_rate(kind, [data], parse_email, _found(parse_email(data))) for kind, data in messages.items()]


def _rate(kind: str, messages: list[bytes], parse: Any, found: str) -> ParseRate:
    batch = messages * REPEATS
    size = sum(len(data) for data in messages)
    for data in messages:
        parse(data)
    seconds = []
    for _ in range(PASSES):
        start = time.process_time()
        for data in batch:
            parse(data)
        seconds.append(time.process_time() - start)
    per_pass = statistics.median(seconds)
    return ParseRate(kind, len(messages), size / 1024, per_pass / len(batch) * 1e6, len(batch) / per_pass,
                     size * REPEATS / per_pass / 1e6, found)


def _found(parsed: Any) -> str:
    notes = [f"{len(parsed.attachments)} attachments" if parsed.attachments else "",
             "bounce" if parsed.bounce is not None else "", "html" if parsed.html_body else "",
             f"defects {','.join(parsed.defects)}" if parsed.defects else "",
             "unparseable" if not parsed.parsed else "", f"subject {parsed.subject!r}" if parsed.subject else ""]
    return "; ".join(note for note in notes if note)


def stored_message_event(s3: Any, bucket: str, key: str, mail: EmailMessage) -> dict[str, Any]:
    """The raw message put in the inbound bucket under this key, and the SQS batch announcing it."""
    s3.put_object(Bucket=bucket, Key=key, Body=mail.as_bytes())
    event = sample_event("email_ingest_s3_notification.json")
    notification = json.loads(event["Records"][0]["body"])
    notification["Records"][0]["s3"]["bucket"]["name"] = bucket
    notification["Records"][0]["s3"]["object"] |= {"key": key, "size": len(mail.as_bytes())}
    event["Records"][0]["body"] = json.dumps(notification)
    return event
