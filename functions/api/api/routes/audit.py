"""The audit log: who changed what and when, field by field; one record's history or everything, newest first."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.platform.config import get_settings
from crm.platform.errors import ClientError
from crm.platform.secrets import cursor_secret
from crm.records.audit import AuditItem
from crm.records.fields import plain_numbers
from crm.records.reads import list_page
from pydantic import BaseModel

from api.auth import requires
from api.params import Cursor, Limit

router = APIGatewayHttpRouter()


class AuditEntry(BaseModel):
    id: str
    entity: str
    entity_id: str
    action: str
    actor: str
    at: str
    changes: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


def audit_view(item: AuditItem) -> dict[str, Any]:
    return {"id": item.audit_id, "entity": item.entity, "entity_id": item.entity_id, "action": item.action,
            "actor": item.actor, "at": item.at,
            "changes": {name: plain_numbers(change) for name, change in item.changes.as_dict().items()}}


@router.get("/audit", middlewares=[requires("audit", "read")])
def list_audit(entity: Annotated[str | None, Query(max_length=200, description=(
        "One record, as `<kind>:<id>` (for example `contact:3f2a…`); without it, every change."))] = None,
               limit: Limit = None, cursor: Cursor = None) -> AuditPage:
    if entity is None:
        query = partial(AuditItem.by_created.query, AuditItem.list_key())
    else:
        kind, _, entity_id = entity.partition(":")
        if not kind or not entity_id:
            raise ClientError(400, "invalid_entity", "entity is <kind>:<id>, for example contact:abc.",
                              {"entity": "<kind>:<id>"})
        query = partial(AuditItem.query, AuditItem.key(kind, entity_id, "", "")[0])
    return list_page(query, audit_view, scope=f"audit:{entity}", secret=cursor_secret(get_settings()),
                     limit=limit, cursor=cursor).as_dict()
