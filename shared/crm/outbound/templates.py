"""Email templates as the API keeps them: checked when saved (every variant parses and stays inside the
sandbox's language, crm.outbound.render), written with their audit entry and event, listed newest first."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from crm.outbound.consent import is_topic
from crm.outbound.render import TemplateRefused, check_variants
from crm.outbound.spec import EmailTemplateItem
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.reads import Page, list_page
from crm.records.table import get_item
from crm.records.writes import RECORD, Change, new_id

MAX_VARIANTS = 30


def template_view(item: EmailTemplateItem) -> dict[str, Any]:
    return {"id": item.template_id, "name": item.name, "topic": item.topic,
            "default_language": item.default_language, "variants": item.variants, "version": int(item.version),
            "created_at": item.created_at, "updated_at": item.updated_at, "updated_by": item.updated_by}


def checked(values: dict[str, Any]) -> dict[str, Any]:
    """The template's fields, or 422 naming each problem (`variants.fa.html`: why)."""
    problems: dict[str, str] = {}
    if not is_topic(values["topic"]):
        problems["topic"] = "A topic is lower-case letters, digits, - and _ (newsletter, offers, transactional)."
    variants = values["variants"]
    if not variants or len(variants) > MAX_VARIANTS:
        problems["variants"] = f"Between 1 and {MAX_VARIANTS} languages."
    else:
        try:
            check_variants(variants, values["default_language"])
        except TemplateRefused as exc:
            problems.update(exc.fields)
    if problems:
        raise HttpError(422, "invalid_fields", "Some fields need attention.", problems)
    return values


def read_template(template_id: str) -> EmailTemplateItem:
    item = get_item(EmailTemplateItem, EmailTemplateItem.key(template_id), consistent=True)
    if item is None:
        raise HttpError(404, "not_found", "There is no email template with this id.")
    return item


def add_template(actor: str, values: dict[str, Any]) -> dict[str, Any]:
    values = checked(values)
    template_id = new_id()
    change = Change("email_template", template_id, "create", actor)
    item = EmailTemplateItem(
        *EmailTemplateItem.key(template_id), template_id=template_id, name=values["name"], topic=values["topic"],
        default_language=values["default_language"], variants_json=json.dumps(values["variants"], ensure_ascii=False),
        created_at=change.at, updated_at=change.at, updated_by=actor, version=1,
        GSI1PK=EmailTemplateItem.list_key(), GSI1SK=f"{change.at}#{template_id}")
    view = template_view(item)
    change.transaction.put(RECORD, item, EmailTemplateItem.PK.does_not_exist())
    change.audit(None, view)
    change.transaction.event("Email Template Created", {"template_id": template_id, "topic": item.topic})
    change.commit()
    return view


def edit_template(actor: str, item: EmailTemplateItem, version: int, values: dict[str, Any]) -> dict[str, Any]:
    """Replaces the template's fields whole, if it is still at `version`."""
    values = checked(values)
    change = Change("email_template", item.template_id, "update", actor)
    before = template_view(item)
    variants_json = json.dumps(values["variants"], ensure_ascii=False)
    change.transaction.update(RECORD, item, [
        EmailTemplateItem.name.set(values["name"]), EmailTemplateItem.topic.set(values["topic"]),
        EmailTemplateItem.default_language.set(values["default_language"]),
        EmailTemplateItem.variants_json.set(variants_json), EmailTemplateItem.updated_at.set(change.at),
        EmailTemplateItem.updated_by.set(actor), EmailTemplateItem.version.set(version + 1)],
        EmailTemplateItem.version == version)
    item.name, item.topic, item.default_language = values["name"], values["topic"], values["default_language"]
    item.variants_json, item.updated_at, item.updated_by, item.version = variants_json, change.at, actor, version + 1
    after = template_view(item)
    change.audit(before, after)
    change.transaction.event("Email Template Updated", {"template_id": item.template_id, "topic": item.topic})
    change.commit()
    return after


def remove_template(actor: str, item: EmailTemplateItem, version: int) -> None:
    change = Change("email_template", item.template_id, "delete", actor)
    change.transaction.delete(RECORD, item, EmailTemplateItem.version == version)
    change.audit(template_view(item), None)
    change.transaction.event("Email Template Deleted", {"template_id": item.template_id})
    change.commit()


def templates_page(limit: str | None, cursor: str | None) -> Page:
    query = partial(EmailTemplateItem.by_created.query, EmailTemplateItem.list_key())
    return list_page(query, template_view, scope="email-templates", secret=cursor_secret(get_settings()),
                     limit=limit, cursor=cursor)
