"""A scheduled report's email (the standard `email` package): the table inline as HTML (its first rows, with a
note when there are more), a short plain-text part, and the whole table attached as CSV or XLSX; sent once
through SES's SendRawEmail.

Marked Auto-Submitted (RFC 3834), so that auto-responders, the CRM's own among them, do not answer it."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from crm.platform import aws
from crm.reports.render import CONTENT_TYPES

# Rows shown in the message itself; the attachment holds them all (at most crm.reports.rules.MAX_GROUPS).
MAX_INLINE_ROWS = 3_000
# Rows in the plain-text part, for a mail client that shows no HTML.
MAX_TEXT_ROWS = 100


def report_message(sender: str, recipients: tuple[str, ...], subject: str, html: str, text: str,
                   attachment: bytes | None = None, filename: str = "", file_format: str = "csv") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if attachment is not None:
        maintype, _, subtype = CONTENT_TYPES[file_format].split(";")[0].partition("/")
        # A CSV is UTF-8 (with a BOM, for Excel): said, so that a mail client shows Persian as Persian.
        params = {"charset": "utf-8"} if maintype == "text" else {}
        message.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename, params=params)
    return message.as_bytes()


def send(sender: str, recipients: tuple[str, ...], raw: bytes) -> str:
    """SES's id of the message sent."""
    response = aws.client("ses").send_raw_email(Source=sender, Destinations=list(recipients), RawMessage={"Data": raw})
    return str(response.get("MessageId", ""))
