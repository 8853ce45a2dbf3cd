"""Lead capture logic: spam judgement, validation, source tracking. Knows nothing of AWS or HTTP."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

from crm.forms.config import FormConfig
from crm.forms.request import FormRequest, UploadedFile
from crm.platform.errors import HttpError
from crm.platform.identity import InvalidValue, clean_text, email_key, fold_text, normalize_email, normalize_phone

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Hidden fields the embed script adds; they are tracking data, not the person's answers.
RENDER_TIME_FIELD = "_ts"
REFERRER_FIELD = "_referrer"
PAGE_FIELD = "_page"
_MAX_TRACKING_LENGTH = 2048


@dataclass(frozen=True)
class StoredFile:
    field_name: str
    filename: str
    content_type: str
    size: int
    sha256: str
    key: str


@dataclass(frozen=True)
class Submission:
    """What was received, kept whatever the verdict."""

    submission_id: str
    form_id: str
    received_at: str
    content_type: str
    raw_body: str | None
    fields: dict[str, str]
    files: tuple[StoredFile, ...]
    touch: dict[str, str]
    source_ip: str
    spam_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lead:
    """The person, normalized: what identifies them and what the form says about them."""

    email: str | None
    phone: str | None
    properties: dict[str, str]
    custom_fields: dict[str, str]
    owner: str | None
    source: str
    email_key: str | None = field(init=False)
    search_name: str | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "email_key", email_key(self.email) if self.email else None)
        name = " ".join(v for v in (self.properties.get("first_name"), self.properties.get("last_name")) if v)
        object.__setattr__(self, "search_name", fold_text(name) if name else None)


@dataclass(frozen=True)
class Outcome:
    contact_id: str | None
    created: bool
    spam: bool


class RateLimited(Exception):
    """Too many submissions from one address on one form this minute."""


class LeadStore(Protocol):
    def store_file(self, form_id: str, upload: UploadedFile, sha256: str) -> str: ...

    def save_spam(self, submission: Submission, rate_limit_per_minute: int) -> None: ...

    def save_lead(self, submission: Submission, lead: Lead, rate_limit_per_minute: int) -> tuple[str, bool]: ...


def handle_form_submission(config: FormConfig, request: FormRequest, store: LeadStore,
                           now_ms: int, received_at: str) -> Outcome:
    """Judges, validates and records one submission; spam is kept for review and creates no contact."""
    spam_reasons = judge_spam(config, request.fields, now_ms)
    lead = None if spam_reasons else validate_lead(config, request)
    files = tuple(_store_files(config, request, store)) if lead is not None else ()
    submission = Submission(
        submission_id=uuid.uuid4().hex,
        form_id=config.form_id,
        received_at=received_at,
        content_type=request.content_type,
        raw_body=None if request.content_type == "multipart/form-data" else request.raw_body.decode("utf-8"),
        fields=dict(request.fields),
        files=files,
        touch=source_touch(config, request, received_at),
        source_ip=request.source_ip,
        spam_reasons=tuple(spam_reasons),
    )
    try:
        if lead is None:
            store.save_spam(submission, config.spam.rate_limit_per_minute)
            return Outcome(contact_id=None, created=False, spam=True)
        contact_id, created = store.save_lead(submission, lead, config.spam.rate_limit_per_minute)
    except RateLimited as exc:
        raise HttpError(429, "rate_limited", "Too many submissions from your address; try again in a minute.",
                        headers={"retry-after": "60"}) from exc
    return Outcome(contact_id=contact_id, created=created, spam=False)


def judge_spam(config: FormConfig, fields: dict[str, str], now_ms: int) -> list[str]:
    """Reasons to treat a submission as spam; an empty list means it looks human."""
    reasons = []
    if fields.get(config.spam.honeypot_field, "").strip():
        reasons.append("honeypot_filled")
    rendered = fields.get(RENDER_TIME_FIELD)
    # Forms posted without the embed script carry no render time; only the other rules judge them.
    if rendered is not None:
        if not (rendered.isascii() and rendered.isdigit()):  # "²" is a digit to str.isdigit, not to int()
            reasons.append("render_time_invalid")
        else:
            elapsed_ms = now_ms - int(rendered)
            if elapsed_ms < config.spam.min_seconds_to_submit * 1000:
                reasons.append("submitted_too_fast")
            elif elapsed_ms > 7 * 24 * 3600 * 1000:
                reasons.append("render_time_stale")
    return reasons


def validate_lead(config: FormConfig, request: FormRequest) -> Lead:
    """Checks every field at once and returns the normalized person, or a 422 naming each bad field."""
    errors: dict[str, str] = {}
    properties: dict[str, str] = {}
    custom: dict[str, str] = {}
    email = phone = None
    for form_field in config.fields:
        if form_field.type == "file":
            if form_field.required and not any(f.field_name == form_field.name for f in request.files):
                errors[form_field.name] = "This file is required."
            continue
        raw = request.fields.get(form_field.name, "")
        try:
            value = clean_text(raw, form_field.max_length)
            if not value:
                if form_field.required:
                    errors[form_field.name] = "This field is required."
                continue
            if form_field.maps_to == "email":
                email = normalize_email(value)
            elif form_field.maps_to == "phone":
                phone = normalize_phone(value, config.default_phone_region)
            elif form_field.maps_to and form_field.maps_to.startswith("custom:"):
                custom[form_field.maps_to.removeprefix("custom:")] = value
            elif form_field.maps_to:
                properties[form_field.maps_to] = value
        except InvalidValue as exc:
            errors[form_field.name] = str(exc)
    if not errors and email is None and phone is None:
        errors["email"] = "An email address or a phone number is needed to reach you."
    if errors:
        raise HttpError(422, "invalid_fields", "Some fields need attention.", errors)
    return Lead(email=email, phone=phone, properties=properties, custom_fields=custom,
                owner=config.owner, source=config.lead_source)


def source_touch(config: FormConfig, request: FormRequest, at: str) -> dict[str, str]:
    """Where this visit came from: UTM parameters, referrer, landing page, form, address, browser."""
    page = request.fields.get(PAGE_FIELD, "")[:_MAX_TRACKING_LENGTH]
    page_query = dict(parse_qsl(urlsplit(page).query)) if page else {}
    touch = {
        "at": at,
        "form_id": config.form_id,
        "ip": request.source_ip,
        "user_agent": request.user_agent,
        "referrer": (request.fields.get(REFERRER_FIELD) or request.referer or "")[:_MAX_TRACKING_LENGTH],
        "landing_page": page,
    }
    for name in UTM_FIELDS:
        touch[name] = (request.fields.get(name) or page_query.get(name) or "")[:_MAX_TRACKING_LENGTH]
    return {k: v for k, v in touch.items() if v}


def _store_files(config: FormConfig, request: FormRequest, store: LeadStore) -> list[StoredFile]:
    """Checks every file against the form's limits before any is stored, so a bad one stores nothing."""
    for upload in request.files:
        form_field = config.field_named(upload.field_name)
        if form_field is None or form_field.type != "file":
            raise HttpError(422, "invalid_fields", "This form takes no such file.",
                            {upload.field_name: "This form has no file field of that name."})
        if len(upload.content) > config.files.max_bytes:
            raise HttpError(413, "file_too_large", f"Files may be at most {config.files.max_bytes} bytes.",
                            {upload.field_name: "This file is too large."})
        if upload.content_type not in config.files.allowed_types:
            raise HttpError(422, "invalid_fields", "This type of file is not accepted.",
                            {upload.field_name: f"Accepted types: {', '.join(config.files.allowed_types)}."})
    stored = []
    for upload in request.files:
        digest = hashlib.sha256(upload.content).hexdigest()
        key = store.store_file(config.form_id, upload, digest)
        stored.append(StoredFile(upload.field_name, upload.filename[:255], upload.content_type,
                                 len(upload.content), digest, key))
    return stored
