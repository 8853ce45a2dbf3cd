"""Web form configuration: which fields a form has, how they map onto a contact, and its spam rules."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from crm.forms.spec import FormItem
from crm.platform.clock import iso_now
from crm.records.table import get_item

# Contact properties a form field may fill; anything else goes to `custom:<key>`.
CONTACT_PROPERTIES = ("email", "phone", "first_name", "last_name", "company", "job_title")
FIELD_TYPES = ("text", "email", "tel", "textarea", "file", "hidden")
_FORM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class InvalidFormConfig(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid form configuration")
        self.fields = fields


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str = "text"
    required: bool = False
    # A contact property, `custom:<key>`, or None to keep the value on the submission only.
    maps_to: str | None = None
    max_length: int = 1000


@dataclass(frozen=True)
class SpamSettings:
    honeypot_field: str = "website"
    min_seconds_to_submit: int = 3
    rate_limit_per_minute: int = 10


@dataclass(frozen=True)
class FileSettings:
    max_bytes: int = 5 * 1024 * 1024
    allowed_types: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg", "text/plain")


@dataclass(frozen=True)
class FormConfig:
    form_id: str
    name: str
    fields: tuple[FormField, ...]
    redirect_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    default_phone_region: str = "US"
    owner: str | None = None
    lead_source: str = "web_form"
    success_message: str = "Thank you! We will be in touch soon."
    max_body_bytes: int = 64 * 1024
    spam: SpamSettings = field(default_factory=SpamSettings)
    files: FileSettings = field(default_factory=FileSettings)

    def field_named(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [asdict(f) for f in self.fields]
        data["allowed_origins"] = list(self.allowed_origins)
        data["files"]["allowed_types"] = list(self.files.allowed_types)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormConfig:
        """Validates a stored or submitted configuration, naming every field that is wrong."""
        errors: dict[str, str] = {}
        form_id = str(data.get("form_id", ""))
        if not _FORM_ID.match(form_id):
            errors["form_id"] = "Lowercase letters, digits and dashes, at most 63."
        fields = []
        for index, raw in enumerate(data.get("fields") or []):
            try:
                fields.append(_parse_field(raw))
            except (TypeError, ValueError) as exc:
                errors[f"fields[{index}]"] = str(exc)
        if not fields and "fields" not in errors:
            errors["fields"] = "A form needs at least one field."
        names = [f.name for f in fields]
        if len(names) != len(set(names)):
            errors["fields"] = "Field names must be unique."
        if not any(f.maps_to in ("email", "phone") for f in fields):
            errors["fields"] = "A form needs an email or phone field to identify the person."
        region = str(data.get("default_phone_region", "US")).upper()
        if not re.fullmatch(r"[A-Z]{2}", region):
            errors["default_phone_region"] = "A two-letter country code such as US, RU or IR."
        origins = tuple(str(o).rstrip("/") for o in data.get("allowed_origins") or ())
        if any(not re.fullmatch(r"https?://[^/\s]+", o) for o in origins):
            errors["allowed_origins"] = "Origins look like https://www.example.com (no path)."
        redirect = data.get("redirect_url")
        if redirect is not None and not re.fullmatch(r"https?://\S+", str(redirect)):
            errors["redirect_url"] = "An absolute http(s) URL."
        try:
            spam = SpamSettings(**(data.get("spam") or {}))
            files_raw = dict(data.get("files") or {})
            if "allowed_types" in files_raw:
                files_raw["allowed_types"] = tuple(files_raw["allowed_types"])
            files = FileSettings(**files_raw)
        except TypeError as exc:
            errors["spam"] = str(exc)
            spam, files = SpamSettings(), FileSettings()
        if errors:
            raise InvalidFormConfig(errors)
        return cls(
            form_id=form_id,
            name=str(data.get("name") or form_id),
            fields=tuple(fields),
            redirect_url=redirect,
            allowed_origins=origins,
            default_phone_region=region,
            owner=data.get("owner"),
            lead_source=str(data.get("lead_source") or "web_form"),
            success_message=str(data.get("success_message") or FormConfig.success_message),
            max_body_bytes=int(data.get("max_body_bytes") or 64 * 1024),
            spam=SpamSettings(honeypot_field=str(spam.honeypot_field),
                              min_seconds_to_submit=int(spam.min_seconds_to_submit),
                              rate_limit_per_minute=int(spam.rate_limit_per_minute)),
            files=FileSettings(max_bytes=int(files.max_bytes), allowed_types=tuple(files.allowed_types)),
        )


def _parse_field(raw: dict[str, Any]) -> FormField:
    if not isinstance(raw, dict):
        raise TypeError("Each field is an object.")
    name = str(raw.get("name", ""))
    if not _FIELD_NAME.match(name) or name.startswith("utm_"):
        raise ValueError(f"Field name {name!r} must be lowercase letters, digits and underscores.")
    field_type = str(raw.get("type", "text"))
    if field_type not in FIELD_TYPES:
        raise ValueError(f"Field type must be one of {', '.join(FIELD_TYPES)}.")
    maps_to = raw.get("maps_to")
    if maps_to is not None and maps_to not in CONTACT_PROPERTIES and not re.fullmatch(
            r"custom:[a-z][a-z0-9_]{0,62}", str(maps_to)):
        raise ValueError("maps_to is a contact property or custom:<key>.")
    return FormField(
        name=name,
        label=str(raw.get("label") or name.replace("_", " ").capitalize()),
        type=field_type,
        required=bool(raw.get("required", False)),
        maps_to=maps_to,
        max_length=int(raw.get("max_length", 10000 if field_type == "textarea" else 1000)),
    )


def demo_form(allowed_origins: tuple[str, ...] = (), redirect_url: str | None = None) -> FormConfig:
    """The `contact-us` form the local stack seeds."""
    return FormConfig.from_dict({
        "form_id": "contact-us",
        "name": "Contact us",
        "fields": [
            {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "email"},
            {"name": "first_name", "label": "First name", "maps_to": "first_name"},
            {"name": "last_name", "label": "Last name", "maps_to": "last_name"},
            {"name": "phone", "label": "Phone", "type": "tel", "maps_to": "phone"},
            {"name": "company", "label": "Company", "maps_to": "company"},
            {"name": "message", "label": "Message", "type": "textarea"},
        ],
        "allowed_origins": list(allowed_origins),
        "redirect_url": redirect_url,
        "default_phone_region": "US",
        "spam": {"honeypot_field": "website", "min_seconds_to_submit": 2, "rate_limit_per_minute": 20},
    })


def save_form(config: FormConfig) -> None:
    pk, sk = FormItem.key(config.form_id)
    FormItem(pk, sk, config=config.to_dict(), updated_at=iso_now(), version=1, GSI1PK=FormItem.list_key(),
             GSI1SK=config.form_id).save()


def load_form(form_id: str) -> FormConfig | None:
    item = get_item(FormItem, FormItem.key(form_id))
    return FormConfig.from_dict(item.config.as_dict()) if item else None
