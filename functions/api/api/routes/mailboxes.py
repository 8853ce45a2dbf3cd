"""Inbound addresses and their routing rules, cases and auto-replies: read, and replace (versioned)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.mail.mailboxes import parse_mailboxes
from crm.mail.spec import MailboxesItem
from crm.platform.clock import iso_now
from crm.platform.errors import HttpError
from crm.records.table import get_item
from crm.records.writes import RECORD, Change
from pydantic import BaseModel, ConfigDict, Field, RootModel

from api.auth import current_caller, requires
from api.bodies import require_version
from api.params import STALE, answers

router = APIGatewayHttpRouter()
Text = Annotated[str, Field(min_length=1, max_length=200)]


class RoutingRule(BaseModel):
    """Mail whose subject or body holds any keyword (folded, so any script and case) goes to the owner or
    queue; the first matching rule wins."""

    model_config = ConfigDict(extra="forbid")
    keywords: Annotated[list[Text], Field(min_length=1, max_length=100)]
    owner: Text | None = None
    queue: Text | None = None


class AutoReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_prefix: Annotated[str, Field(max_length=50)] = "Re: "
    body: Annotated[str, Field(min_length=1, max_length=10_000)]


class Mailbox(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: Text | None = None
    owner: Text | None = None
    opens_cases: bool = False
    contact_source: Text = "email"
    rules: Annotated[list[RoutingRule], Field(max_length=100)] = []
    auto_reply: AutoReply | None = None


class Mailboxes(RootModel[dict[Annotated[str, Field(min_length=3, max_length=254)], Mailbox]]):
    """Every inbound address with its settings, e.g. {"support@acme.com": {"queue": "support",
    "opens_cases": true}}; the PUT replaces them all."""


def _saved() -> MailboxesItem | None:
    return get_item(MailboxesItem, MailboxesItem.key(), consistent=True)


def _view(item: MailboxesItem | None) -> dict[str, Any]:
    if item is None:
        return {"version": 0, "source": "environment", "mailboxes": None}
    return {"version": int(item.version), "source": "saved", "mailboxes": json.loads(item.definitions_json),
            "updated_at": item.updated_at, "updated_by": item.updated_by}


@router.get("/mailboxes", middlewares=[requires("mailboxes", "read")])
def get_mailboxes() -> dict[str, Any]:
    return _view(_saved())


@router.put("/mailboxes", responses=answers(200, {412: STALE}), middlewares=[requires("mailboxes", "write")])
def put_mailboxes(body: Mailboxes) -> dict[str, Any]:
    """Replaces every mailbox definition at once; email ingestion picks them up within a minute."""
    caller = current_caller()
    definitions = body.model_dump(mode="json", exclude_none=True)
    try:
        parse_mailboxes(definitions)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise HttpError(422, "invalid_mailboxes", "The mailbox definitions need attention.",
                        {"mailboxes": str(exc)}) from exc
    current = _saved()
    version = int(current.version) if current else 0
    require_version(router.current_event, version, "mailbox configuration")
    item = MailboxesItem(*MailboxesItem.key(), definitions_json=json.dumps(definitions, ensure_ascii=False),
                         version=version + 1, updated_at=iso_now(), updated_by=caller.user_id)
    unchanged = MailboxesItem.PK.does_not_exist() if current is None else MailboxesItem.version == version
    change = Change("mailboxes", "inbound", "create" if current is None else "update", caller.user_id)
    change.transaction.put(RECORD, item, unchanged)
    change.audit({"mailboxes": _view(current)["mailboxes"]}, {"mailboxes": definitions})
    change.commit()
    return _view(item)
