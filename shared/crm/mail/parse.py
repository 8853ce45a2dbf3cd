"""Raw MIME to a plain record: headers decoded whatever their charset, bodies, a preview, attachments.

The standard `email` package with the modern policy does the parsing. Strangers' mail is often broken,
so every header and part is read defensively: what cannot be decoded is replaced, never raised, and
what is wrong is listed in `defects`. Nothing here knows about AWS or the table.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import nh3

MAX_SUBJECT = 998
MAX_ADDRESSES = 100
MAX_REFERENCES = 50
PREVIEW_LENGTH = 200
_ADDRESS_HEADERS = frozenset({"to", "cc", "reply-to", "references"})
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")
# Where a reply's quoted history starts, in the languages the CRM's users write.
_QUOTE_START = re.compile(
    r"^\s*(on\b.{0,300}\bwrote:|le\b.{0,300}\ba écrit|am\b.{0,300}\bschrieb|-{2,}\s*original message\s*-{2,}"
    r"|-{2,}\s*forwarded message\s*-{2,}|from:\s.+|.{0,300}(نوشت|كتب|писал|έγραψε).{0,3}:?\s*$)",
    re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_HTML_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "div", "em", "font", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
_HTML_ATTRIBUTES = {"*": {"dir", "lang", "title", "align"}, "a": {"href"}, "img": {"src", "alt", "width", "height"},
                    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


@dataclass(frozen=True)
class Address:
    name: str
    address: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    disposition: str
    content_id: str | None
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: the addresses that failed."""

    failed_recipients: tuple[str, ...]


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    sent_at: str | None
    text_body: str
    html_body: str
    preview: str
    attachments: tuple[Attachment, ...]
    headers: dict[str, str]
    bounce: Bounce | None
    defects: tuple[str, ...]
    parsed: bool = True

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def parse_email(raw: bytes) -> ParsedEmail:
    """Never raises: a message the parser cannot read at all comes back with `parsed=False`."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        return _read(message)
    except Exception as exc:  # noqa: BLE001 - strangers' bytes; the raw message is kept and flagged
        return _unparseable(type(exc).__name__)


def _unparseable(reason: str) -> ParsedEmail:
    return ParsedEmail(None, None, (), "", None, (), (), (), None, "", "", "", (), {}, None,
                       (f"unparseable:{reason}",), parsed=False)


def _read(message: Message) -> ParsedEmail:
    headers = {name.lower(): header_text(message, name, every=name.lower() in _ADDRESS_HEADERS)
               for name in dict.fromkeys(message.keys())}
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Attachment] = []
    defects = [type(defect).__name__ for defect in message.defects]
    _walk(message, text_parts, html_parts, attachments, defects, top=True)
    text = "\n\n".join(text_parts).strip()
    html_body = sanitize_html("\n".join(html_parts)) if html_parts else ""
    if not text and html_body:
        text = html_to_text(html_body)
    ids = message_ids(headers.get("message-id", ""))
    return ParsedEmail(
        message_id=ids[0] if ids else None,
        in_reply_to=next(iter(message_ids(headers.get("in-reply-to", ""))), None),
        references=tuple(message_ids(headers.get("references", "")))[-MAX_REFERENCES:],
        subject=_one_line(headers.get("subject", ""))[:MAX_SUBJECT],
        sender=next(iter(addresses(headers.get("from", ""))), None),
        to=addresses(headers.get("to", "")),
        cc=addresses(headers.get("cc", "")),
        reply_to=addresses(headers.get("reply-to", "")),
        sent_at=_date(headers.get("date", "")),
        text_body=text,
        html_body=html_body,
        preview=preview(text),
        attachments=tuple(attachments),
        headers=headers,
        bounce=_bounce(message, headers),
        defects=tuple(dict.fromkeys(defects)),
    )


def _walk(part: Message, text: list[str], html_parts: list[str], attachments: list[Attachment],
          defects: list[str], top: bool = False) -> None:
    """Bodies from the message's own parts; attached messages are kept whole as attachments."""
    if not top:
        defects.extend(type(defect).__name__ for defect in part.defects)
    content_type = _content_type(part)
    if part.is_multipart() and not content_type.startswith("message/"):
        for sub in part.get_payload() or []:
            if isinstance(sub, Message):
                _walk(sub, text, html_parts, attachments, defects)
        return
    disposition = _disposition(part)
    filename = _filename(part)
    if content_type == "message/rfc822" and not top:
        attachments.append(Attachment(filename or "message.eml", content_type, disposition or "attachment",
                                      _content_id(part), _message_bytes(part)))
        return
    if content_type.startswith("multipart/"):
        # A broken or missing boundary leaves the whole body as one string: keep it as the text.
        text.append(decode_text(_payload(part), _charset(part)))
        return
    if content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        body = decode_text(_payload(part), _charset(part))
        (text if content_type == "text/plain" else html_parts).append(body)
        return
    if content_type.startswith("message/"):
        return
    data = _payload(part)
    if data or filename:
        attachments.append(Attachment(filename or _default_name(content_type), content_type,
                                      disposition or "inline", _content_id(part), data))


def header_text(message: Message, name: str, every: bool = False) -> str:
    """A header as text: RFC 2047 words decoded in any charset; a malformed one decoded as well as it
    can be, never an exception. The first occurrence (the one the receiving server added on top), or
    with `every` all of them joined with commas (address lists split over repeated headers)."""
    values = []
    for raw_name, raw_value in message.raw_items():
        if raw_name.lower() == name.lower():
            values.append(_decode_words(str(raw_value)))
            if not every:
                break
    return ", ".join(v for v in values if v)


def _decode_words(value: str) -> str:
    unfolded = re.sub(r"\r?\n[ \t]+", " ", value).strip()
    if any("\udc80" <= ch <= "\udcff" for ch in unfolded):
        # Raw 8-bit bytes in a header (common, though not allowed): UTF-8 if they are, else Windows-1252.
        unfolded = decode_text(unfolded.encode("ascii", "surrogateescape"), "utf-8")
    try:
        chunks = decode_header(unfolded)
    except Exception:  # noqa: BLE001 - a broken encoded word is shown as it came
        return unfolded
    try:
        return str(make_header(chunks))
    except Exception:  # noqa: BLE001 - an unknown charset: decode each word as well as it can be
        return "".join(decode_text(chunk, charset or "raw-unicode-escape") if isinstance(chunk, bytes) else chunk
                       for chunk, charset in chunks)


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset, which may be wrong or unknown: then UTF-8, then Windows-1252."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            codecs.lookup(candidate)
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


def addresses(header: str) -> tuple[Address, ...]:
    found = []
    for name, address in getaddresses([header])[:MAX_ADDRESSES]:
        address = address.strip()
        if "@" in address:
            found.append(Address(_one_line(name), address))
    return tuple(found)


def message_ids(header: str) -> list[str]:
    ids = _MESSAGE_ID.findall(header)
    if not ids and header.strip() and " " not in header.strip():
        ids = [header.strip().strip("<>")]
    return ids


def sanitize_html(markup: str) -> str:
    """No scripts, styles, event handlers or remote tricks: an allow-list, links made safe."""
    return nh3.clean(markup, tags=set(_HTML_TAGS), attributes={k: set(v) for k, v in _HTML_ATTRIBUTES.items()},
                     url_schemes={"http", "https", "mailto", "cid"}, link_rel="noopener noreferrer nofollow")


def html_to_text(markup: str) -> str:
    with_breaks = re.sub(r"(?i)<\s*(br|/p|/div|/tr|/li|/h\d)\b[^>]*>", "\n", markup)
    return html.unescape(nh3.clean(with_breaks, tags=set())).strip()


def preview(text: str) -> str:
    """The new part of the message on one line: quoted replies and signatures cut off."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">") or stripped == "--" or _QUOTE_START.match(stripped):
            if stripped.startswith(">") and not kept:
                continue
            break
        kept.append(stripped)
    return _SPACES.sub(" ", " ".join(kept)).strip()[:PREVIEW_LENGTH]


def _bounce(message: Message, headers: dict[str, str]) -> Bounce | None:
    """A multipart/report DSN: recipients whose Action is failed (or a bare X-Failed-Recipients)."""
    failed: list[str] = []
    if _content_type(message) == "multipart/report" and _report_type(message) == "delivery-status":
        for part in _parts(message):
            if _content_type(part) != "message/delivery-status":
                continue
            for block in _status_blocks(part):
                action = str(block.get("Action", "")).strip().lower()
                recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                if action == "failed" and recipient:
                    failed.append(recipient.split(";", 1)[-1].strip().strip("<>"))
        if not failed and "x-failed-recipients" in headers:
            failed = [a.address for a in addresses(headers["x-failed-recipients"])]
        return Bounce(tuple(dict.fromkeys(a for a in failed if "@" in a)))
    if "x-failed-recipients" in headers and _content_type(message).startswith("multipart/"):
        return Bounce(tuple(a.address for a in addresses(headers["x-failed-recipients"])))
    return None


def _report_type(message: Message) -> str:
    """delivery-status for a bounce; disposition-notification (a read receipt) and others are not."""
    try:
        return str(message.get_param("report-type") or "").strip().lower()
    except Exception:  # noqa: BLE001 - strangers' malformed headers must not fail the parse
        return ""


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some mailers send the status fields as text; parse them as header blocks.
    text = payload if isinstance(payload, str) else ""
    return [BytesParser(policy=policy.compat32).parsebytes(chunk.strip().encode("utf-8", "replace") + b"\n\n")
            for chunk in re.split(r"\r?\n\r?\n", text) if chunk.strip()]


def _parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001 - strangers' malformed headers must not fail the parse
        return "application/octet-stream"


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001 - strangers' malformed headers must not fail the parse
        return None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken base64 or quoted-printable: keep what is there
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _message_bytes(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        try:
            return inner[0].as_bytes(policy=policy.SMTP.clone(max_line_length=0))
        except Exception:  # noqa: BLE001 - strangers' malformed headers must not fail the parse
            return str(inner[0]).encode("utf-8", "replace")
    return _payload(part)


def _disposition(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:  # noqa: BLE001 - strangers' malformed headers must not fail the parse
        return ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - strangers' malformed headers must not fail the parse
        name = ""
    name = _one_line(_decode_words(name) if "=?" in name else name)
    return name.replace("/", "_").replace("\\", "_")[:255]


def _content_id(part: Message) -> str | None:
    ids = message_ids(header_text(part, "content-id"))
    return ids[0] if ids else None


def _default_name(content_type: str) -> str:
    main, _, sub = content_type.partition("/")
    return f"{main or 'file'}.{sub or 'bin'}"


def _date(value: str) -> str | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return moment.isoformat()


def _one_line(value: str) -> str:
    """Control characters and line breaks become spaces; format marks (RLM, ZWNJ) that RTL text needs stay."""
    return _SPACES.sub(" ", "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                                    for ch in value)).strip()

