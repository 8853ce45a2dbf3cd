"""Outbound mail as stored: email templates, and the addresses SES told us not to write to again.

A template is `EMAILTEMPLATE#<id>` / `TEMPLATE`, all of them on GSI1 `EMAIL_TEMPLATES` newest first; its
variants (language -> subject, text, html) are one JSON document, checked by crm.outbound.render when saved.
A suppression is `SUPPRESSED#<address key>` / `SUPPRESSION`: a hard bounce or a complaint, kept until an admin
lifts it; every send looks it up first. The sent emails themselves are crm.mail's EmailItem (status `sent`),
in the thread of the mail they answer."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from crm.records.table import CrmItem, ListedItem


class EmailTemplateItem(ListedItem):
    template_id = UnicodeAttribute()
    name = UnicodeAttribute()
    topic = UnicodeAttribute()
    default_language = UnicodeAttribute()
    variants_json = UnicodeAttribute()
    updated_by = UnicodeAttribute()

    @staticmethod
    def key(template_id: str) -> tuple[str, str]:
        return f"EMAILTEMPLATE#{template_id}", "TEMPLATE"

    @staticmethod
    def list_key() -> str:
        return "EMAIL_TEMPLATES"

    @property
    def variants(self) -> dict[str, dict[str, Any]]:
        value: dict[str, dict[str, Any]] = json.loads(self.variants_json)
        return value


class SuppressionItem(CrmItem):
    address = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)

    @staticmethod
    def key(address_key: str) -> tuple[str, str]:
        return f"SUPPRESSED#{address_key}", "SUPPRESSION"
