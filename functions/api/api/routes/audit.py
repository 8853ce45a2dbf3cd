"""The audit log: who changed what and when, field by field; one record's history or everything, newest first."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.audit import AUDIT_ENTRY, AuditItem
from crm.records.reads import list_page

from api.auth import requires
from api.params import Cursor, Limit

router = APIGatewayHttpRouter()
AuditEntry = AUDIT_ENTRY.output_model
AuditPage = AUDIT_ENTRY.page_model


@router.get("/audit", middlewares=[requires("audit", "read")])
def list_audit(entity: Annotated[str | None, Query(max_length=200, description=(
        "One record, as `<kind>:<id>` (for example `contact:3f2a…`); without it, every change."))] = None,
               limit: Limit = None, cursor: Cursor = None) -> AuditPage:
    if entity is None:
        query = partial(AuditItem.by_created.query, AuditItem.list_key())
    else:
        kind, _, entity_id = entity.partition(":")
        if not kind or not entity_id:
            raise HttpError(400, "invalid_entity", "entity is <kind>:<id>, for example contact:abc.",
                            {"entity": "<kind>:<id>"})
        query = partial(AuditItem.query, AuditItem.key(kind, entity_id, "", "")[0])
    return list_page(query, AUDIT_ENTRY.view, scope=f"audit:{entity}", secret=cursor_secret(get_settings()),
                     limit=limit, cursor=cursor).as_dict()
