"""Assignment rules, for admins: the ordered rules that give a new lead its owner (crm.assignment, decision
0050). Each has conditions on the new contact, a strategy over its members with their weights and caps, and an
SLA. POST /v1/assignment-rules/order puts them in the order they are tried.

Their models are written here: conditions and members are nested, as saved reports' definitions are."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.assignment.rulebook import add_rule, read_rule, remove_rule, reorder, replace_rule, rule_view
from crm.assignment.spec import MAX_MEMBERS, MAX_RULES, MAX_VALUES, SLA_ACTIONS, STRATEGIES
from crm.assignment.store import rule_items
from crm.platform.errors import HttpError
from crm.platform.text import InvalidValue, clean_text
from crm.records.reads import expect_version
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import IfMatch
from api.responses import created

router = APIGatewayHttpRouter()
UserId = Annotated[str, Field(min_length=1, max_length=128)]
Count = Annotated[int, Field(ge=0, le=100_000)]
Value = Annotated[str, Field(min_length=1, max_length=200)]
Values = Annotated[list[Value], Field(max_length=MAX_VALUES)]
Score = Annotated[int, Field(ge=0, le=1000)]


class MemberFields(BaseModel):
    """A rep the rule may give leads to: their weight (weighted: 3 gets three leads for another's one), and
    at most how many leads a UTC day and in any 30 days (none: no cap)."""

    model_config = ConfigDict(extra="forbid")
    user_id: UserId
    weight: Annotated[int, Field(ge=0, le=100)] = 1
    daily_cap: Count | None = None
    monthly_cap: Count | None = None


class ConditionFields(BaseModel):
    """What a new contact must be for the rule to take it; each given condition must hold. `countries` (ISO
    3166 codes) match the contact's `country` custom field or its phone's region; `languages` its `language`
    custom field; `form_ids` the form of its first touch; lists match case-insensitively."""

    model_config = ConfigDict(extra="forbid")
    sources: Values = []
    countries: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]], Field(max_length=MAX_VALUES)] = []
    languages: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]],
                         Field(max_length=MAX_VALUES)] = []
    form_ids: Values = []
    min_score: Score | None = None
    max_score: Score | None = None


class RuleFields(BaseModel):
    """A rule as written whole (POST, PUT). `position` 1 is tried first (a new rule goes last without one);
    an SLA of `sla_minutes` escalates a lead nobody contacted in time by `sla_action`."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    enabled: bool = True
    position: Annotated[int, Field(ge=1, le=MAX_RULES)] | None = None
    conditions: ConditionFields = ConditionFields()
    strategy: Literal[STRATEGIES]
    members: Annotated[list[MemberFields], Field(min_length=1, max_length=MAX_MEMBERS)]
    sla_minutes: Annotated[int, Field(ge=1, le=525_600)] | None = None
    sla_action: Literal[SLA_ACTIONS] | None = None


class RuleOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=MAX_RULES)]


class Rule(BaseModel):
    id: str
    name: str
    position: int
    enabled: bool
    strategy: str
    conditions: dict[str, Any]
    members: list[dict[str, Any]]
    sla_minutes: int | None
    sla_action: str | None
    created_at: str
    updated_at: str
    version: int


class RuleList(BaseModel):
    items: list[Rule]


def stored(body: RuleFields) -> dict[str, Any]:
    """The rule as stored; 422 naming every problem that field limits alone do not catch."""
    problems: dict[str, str] = {}
    try:
        name = clean_text(body.name, 200)
    except InvalidValue as exc:
        problems["name"], name = str(exc), "-"
    if not name:
        problems["name"] = "Required."
    users = [member.user_id for member in body.members]
    if len(set(users)) != len(users):
        problems["members"] = "Each member appears once."
    if body.strategy == "weighted" and not any(member.weight for member in body.members):
        problems["members"] = "A weighted rule needs a member with a weight above 0."
    conditions = body.conditions
    if conditions.min_score is not None and conditions.max_score is not None \
            and conditions.min_score > conditions.max_score:
        problems["conditions.min_score"] = "At most max_score."
    if body.sla_action is not None and body.sla_minutes is None:
        problems["sla_minutes"] = "An SLA action needs the minutes it allows."
    if problems:
        raise HttpError(422, "invalid_fields", "The assignment rule needs attention.", problems)
    kept = conditions.model_dump(exclude_defaults=True)
    if "countries" in kept:
        kept["countries"] = [country.upper() for country in kept["countries"]]
    return {"name": name, "enabled": body.enabled, "strategy": body.strategy, "conditions": kept or None,
            "members": [member.model_dump(exclude_none=True) for member in body.members],
            "sla_minutes": body.sla_minutes,
            "sla_action": body.sla_action or ("alert_manager" if body.sla_minutes else None)}


@router.get("/assignment-rules", middlewares=[requires("assignment_rules", "read")])
def list_assignment_rules() -> RuleList:
    """Every rule, in the order they are tried."""
    return RuleList.model_validate({"items": [rule_view(item) for item in rule_items()]})


@router.post("/assignment-rules", responses={201: {"description": "Created"}},
             middlewares=[requires("assignment_rules", "write")])
def create_assignment_rule(body: RuleFields) -> Response[Rule]:
    view = add_rule(current_caller().user_id, stored(body), body.position)
    return created(view, f"/v1/assignment-rules/{view['id']}")


@router.post("/assignment-rules/order", middlewares=[requires("assignment_rules", "write")])
def order_assignment_rules(body: RuleOrder) -> RuleList:
    return RuleList.model_validate({"items": reorder(current_caller().user_id, body.rule_ids)})


@router.get("/assignment-rules/<rule_id>", middlewares=[requires("assignment_rules", "read")])
def get_assignment_rule(rule_id: str) -> Rule:
    return Rule.model_validate(rule_view(read_rule(rule_id)))


@router.put("/assignment-rules/<rule_id>", middlewares=[requires("assignment_rules", "write")])
def replace_assignment_rule(rule_id: str, body: RuleFields, if_match: IfMatch = None) -> Rule:
    """The rule as sent, whole (its position stays: reorder to move it)."""
    item = read_rule(rule_id)
    version = expect_version(if_match, item, "assignment rule")
    return Rule.model_validate(replace_rule(current_caller().user_id, item, version, stored(body)))


@router.delete("/assignment-rules/<rule_id>", responses={204: {"description": "Deleted"}},
               middlewares=[requires("assignment_rules", "write")])
def delete_assignment_rule(rule_id: str, if_match: IfMatch = None) -> Response[None]:
    item = read_rule(rule_id)
    remove_rule(current_caller().user_id, item, expect_version(if_match, item, "assignment rule"))
    return Response(204)
