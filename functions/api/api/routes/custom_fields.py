"""Custom field definitions: admins write them, everyone reads them (crm.custom_fields checks each
record's values against them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.custom_fields.rules import (
    ENTITIES,
    FIELD_TYPES,
    definition_problems,
    with_built_ins,
)
from crm.custom_fields.spec import FieldDefinitionItem
from crm.custom_fields.store import definition_of, definitions_of
from crm.platform.errors import HttpError
from crm.platform.text import InvalidValue, clean_text
from crm.records.reads import expect_version, load
from crm.records.writes import Change, create, delete, update
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import IfMatch, answers
from api.responses import created

router = APIGatewayHttpRouter()
Entity = Literal["contact", "company", "deal", "activity"]
FieldType = Literal["text", "number", "date", "checkbox", "email", "phone", "url", "picklist", "multi_picklist",
                    "currency"]
assert set(ENTITIES) == set(get_args(Entity)) and set(FIELD_TYPES) == set(get_args(FieldType))  # noqa: S101 - import-time check that the lists match the Literals


class NewFieldDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: Entity
    key: Annotated[str, Field(max_length=63, description="Lowercase letters, digits and _.")]
    label: Annotated[str, Field(min_length=1, max_length=200)]
    type: FieldType
    options: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=200)] = []
    required: bool = False


class FieldDefinitionChanges(BaseModel):
    """The label, the options and whether the field is required may change; its key and type may not."""

    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    options: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=200)] | None = None
    required: bool | None = None


class FieldDefinitionView(BaseModel):
    entity: str
    key: str
    label: str
    type: str
    options: list[str]
    required: bool
    built_in: bool
    version: int


class FieldDefinitionList(BaseModel):
    items: list[FieldDefinitionView]


@router.get("/custom-fields", middlewares=[requires("definitions", "read")])
def list_custom_fields(entity: Annotated[Entity, Query(description="The kind of record.")]) -> FieldDefinitionList:
    return {"items": [d.as_dict() for d in sorted(definitions_of(entity).values(), key=lambda d: d.key)]}


@router.post("/custom-fields", responses=answers(201, {409: "The kind of record already has a field with this key."}),
             middlewares=[requires("definitions", "write")])
def create_custom_field(body: NewFieldDefinition) -> Response[FieldDefinitionView]:
    caller = current_caller()
    label = _label(body.label)
    problems = definition_problems(body.entity, body.key, body.type, body.options)
    if problems:
        raise HttpError(422, "invalid_fields", "The definition needs attention.", problems)
    if any(d.key == body.key for d in with_built_ins(body.entity, ()).values()):
        raise HttpError(409, "field_exists", f"{body.key} is a built-in field of {body.entity}.")
    change = Change("custom_field", f"{body.entity}.{body.key}", "create", caller.user_id)
    item = FieldDefinitionItem(*FieldDefinitionItem.key(body.entity, body.key), entity=body.entity,
                               field_key=body.key, label=label, field_type=body.type,
                               options=set(body.options) or None, required=body.required,
                               created_at=change.at, updated_at=change.at, version=1)
    view = definition_of(item).as_dict()
    create(change, item, view)
    change.conflicts["record"] = HttpError(409, "field_exists", f"{body.entity} already has a field {body.key}.")
    change.commit()
    return created(view)


@router.patch("/custom-fields/<entity>/<key>", middlewares=[requires("definitions", "write")])
def update_custom_field(entity: str, key: str, body: FieldDefinitionChanges,
                        if_match: IfMatch = None) -> FieldDefinitionView:
    caller = current_caller()
    item = load(FieldDefinitionItem, FieldDefinitionItem.key(entity, key), "custom field")
    version = expect_version(if_match, item, "custom field")
    submitted = body.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    if submitted.get("label") is not None:
        values["label"] = _label(submitted["label"])
    if submitted.get("options") is not None:
        problems = definition_problems(entity, key, item.field_type, submitted["options"])
        if problems:
            raise HttpError(422, "invalid_fields", "The definition needs attention.", problems)
        values["options"] = set(submitted["options"]) or None
    if submitted.get("required") is not None:
        values["required"] = submitted["required"]
    before = definition_of(item).as_dict()
    for name, value in values.items():
        setattr(item, name, value)
    item.version = version + 1
    after = definition_of(item).as_dict()
    change = Change("custom_field", f"{entity}.{key}", "update", caller.user_id)
    update(change, item, version, values, before, after)
    change.commit()
    return after


@router.delete("/custom-fields/<entity>/<key>", responses=answers(204), middlewares=[requires("definitions", "write")])
def delete_custom_field(entity: str, key: str, if_match: IfMatch = None) -> Response[None]:
    """Records keep the values they have; new writes of this key are refused."""
    caller = current_caller()
    item = load(FieldDefinitionItem, FieldDefinitionItem.key(entity, key), "custom field")
    version = expect_version(if_match, item, "custom field")
    change = Change("custom_field", f"{entity}.{key}", "delete", caller.user_id)
    delete(change, item, version, definition_of(item).as_dict())
    change.commit()
    return Response(204)


def _label(raw: str) -> str:
    try:
        label = clean_text(raw, 200)
    except InvalidValue as exc:
        raise HttpError(422, "invalid_fields", "The label needs attention.", {"label": str(exc)}) from exc
    if not label:
        raise HttpError(422, "invalid_fields", "The label needs attention.", {"label": "Must not be empty."})
    return label
