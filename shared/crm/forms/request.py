"""Turns an API Gateway v2 event into a typed form request: fields, files and where it came from."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass

from crm.platform.errors import HttpError
from crm.platform.http_event import HttpEvent

# Lambda's synchronous payload limit is 6 MB; a larger body never reaches us, so stop just below it.
MULTIPART_MAX_BYTES = 5_800_000
MAX_FIELDS = 100
MAX_FIELD_NAME_LENGTH = 100


@dataclass(frozen=True)
class UploadedFile:
    field_name: str
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class FormRequest:
    form_id: str
    content_type: str
    raw_body: bytes
    fields: dict[str, str]
    files: tuple[UploadedFile, ...]
    source_ip: str
    user_agent: str
    origin: str | None
    referer: str | None
    wants_json: bool


def parse_form_request(event: HttpEvent, max_body_bytes: int) -> FormRequest:
    """Reads the body in whichever of the three content types the client used."""
    content_type = event.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        if len(event.body) > MULTIPART_MAX_BYTES:
            raise _too_large(MULTIPART_MAX_BYTES)
        fields, files = _parse_multipart(content_type, event.body)
    elif media_type in ("application/x-www-form-urlencoded", "application/json"):
        if len(event.body) > max_body_bytes:
            raise _too_large(max_body_bytes)
        text = _decode_utf8(event.body)
        fields = _parse_urlencoded(text) if media_type.endswith("urlencoded") else _parse_json(text)
        files = ()
    else:
        raise HttpError(415, "unsupported_media_type",
                        "Send application/x-www-form-urlencoded, multipart/form-data or application/json.")
    accept = event.headers.get("accept", "")
    return FormRequest(
        form_id=event.path_parameters.get("form_id", ""),
        content_type=media_type,
        raw_body=event.body,
        fields=fields,
        files=files,
        source_ip=event.source_ip,
        user_agent=event.user_agent,
        origin=event.headers.get("origin"),
        referer=event.headers.get("referer"),
        wants_json=media_type == "application/json" or "application/json" in accept,
    )


def _too_large(limit: int) -> HttpError:
    return HttpError(413, "body_too_large", f"The request body is larger than {limit} bytes.")


def _decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, "invalid_encoding", "The request body must be UTF-8.") from exc


def _parse_urlencoded(text: str) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                                       max_num_fields=MAX_FIELDS, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, "invalid_body", "The form body could not be read.") from exc
    return _first_values(pairs)


def _parse_json(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise HttpError(400, "invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise HttpError(400, "invalid_json", "The request body must be a JSON object of fields.")
    if len(data) > MAX_FIELDS:
        raise HttpError(400, "too_many_fields", f"At most {MAX_FIELDS} fields.")
    pairs: list[tuple[str, str]] = []
    bad: dict[str, str] = {}
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            bad[str(name)[:MAX_FIELD_NAME_LENGTH]] = "Must be a string or a number."
            continue
        pairs.append((str(name), str(value)))
    if bad:
        raise HttpError(422, "invalid_fields", "Some fields have the wrong type.", bad)
    return _first_values(pairs)


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[UploadedFile, ...]]:
    if "boundary=" not in content_type.lower():
        raise HttpError(400, "invalid_multipart", "multipart/form-data needs a boundary.")
    # Deferred: only multipart posts need the MIME parser, and it is a tenth of this function's cold start.
    import email.parser  # noqa: PLC0415 - only multipart posts need the MIME parser
    import email.policy  # noqa: PLC0415 - only multipart posts need the MIME parser

    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise HttpError(400, "invalid_multipart", "The multipart body could not be read.")
    pairs: list[tuple[str, str]] = []
    files: list[UploadedFile] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or part.get_content_disposition() != "form-data":
            continue
        decoded = part.get_payload(decode=True)  # bytes; None for a part that is itself multipart
        payload = decoded if isinstance(decoded, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if payload:
                files.append(UploadedFile(str(name), str(filename), part.get_content_type(), payload))
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            pairs.append((str(name), payload.decode(charset)))
        except (UnicodeDecodeError, LookupError) as exc:
            raise HttpError(400, "invalid_encoding", f"Field {name!r} is not valid {charset}.") from exc
        if len(pairs) > MAX_FIELDS:
            raise HttpError(400, "too_many_fields", f"At most {MAX_FIELDS} fields.")
    if not pairs and not files:
        raise HttpError(400, "invalid_multipart", "The multipart body has no form fields.")
    return _first_values(pairs), tuple(files)


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """A repeated field keeps its first value, as a form with one input per name sends it. A field
    with an empty or overlong name is no form's field; it stays only in the raw body."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if 0 < len(name) <= MAX_FIELD_NAME_LENGTH:
            fields.setdefault(name, value)
    return fields
