"""The staff directory: everyone reads and edits their own profile (/v1/users/me: time zone, language, working
days and hours, time away); admins list every profile, with the user pool's users and their Cognito groups
(roles are Cognito groups: read here, never written), and edit anyone's, their manager and email included.
Assignment skips a rep who is away or off work; an SLA escalation alerts their manager (decision 0050)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.platform import aws
from crm.platform.access import ROLES
from crm.platform.config import get_settings
from crm.team.directory import member
from crm.team.profiles import blank_profile, profiles, save_profile
from crm.team.spec import TEAM_MEMBER
from pydantic import BaseModel, ConfigDict, Field

from api.auth import current_caller, requires
from api.params import IfMatch

router = APIGatewayHttpRouter()
# Built at run time from the spec: to the checker a body of this model has no methods (attr-defined below).
ProfileFields = TEAM_MEMBER.input_model
Profile = TEAM_MEMBER.output_model
# A pool's users read at most this many pages of 60 (a small business's staff fit in one).
MAX_POOL_PAGES = 20


class PoolUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="The user's `sub`, the id a record's owner holds.")
    username: str
    email: str | None
    enabled: bool
    status: str | None
    groups: list[str]


class Directory(BaseModel):
    profiles: list[Profile]
    users: list[PoolUser] | None = Field(description="The user pool's users with their groups; null when this "
                                                     "deployment names no pool.")


@router.get("/users/me", middlewares=[requires("profile", "read")])
def get_my_profile() -> Profile:
    """Your profile; one never saved is every day, all day, in UTC (version 0)."""
    user_id = current_caller().user_id
    return TEAM_MEMBER.view(member(user_id) or blank_profile(user_id))


@router.put("/users/me", middlewares=[requires("profile", "write")])
def update_my_profile(body: ProfileFields, if_match: IfMatch = None) -> Profile:
    """Your time zone, language, name, working days and hours, and time away; absent fields stay, null
    clears. Your email and manager are set by an admin."""
    caller = current_caller()
    return save_profile(caller.user_id, caller.user_id, body.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
                        if_match, admin=False)


@router.get("/users", middlewares=[requires("team", "read")])
def list_users() -> Directory:
    """Every saved profile, and the user pool's users with their groups (its roles)."""
    views = [TEAM_MEMBER.view(item) for item in profiles()]
    return Directory.model_validate({"profiles": views, "users": pool_users()})


@router.put("/users/<user_id>", middlewares=[requires("team", "write")])
def update_profile(user_id: str, body: ProfileFields, if_match: IfMatch = None) -> Profile:
    """Anyone's profile, their manager and email included; absent fields stay, null clears."""
    from crm.platform.errors import HttpError  # noqa: PLC0415 - the one refusal of this route

    if not 0 < len(user_id) <= 128:
        raise HttpError(404, "not_found", "There is no such user.")
    return save_profile(current_caller().user_id, user_id, body.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
                        if_match, admin=True)


def pool_users() -> list[dict[str, Any]] | None:
    """The pool's users, each with its groups: ListUsers, then ListUsersInGroup per role (four requests, not
    one per user)."""
    pool = get_settings().user_pool_id
    if not pool:
        return None
    cognito = aws.client("cognito-idp")
    users: dict[str, dict[str, Any]] = {}
    token: str | None = None
    for _ in range(MAX_POOL_PAGES):
        page = cognito.list_users(UserPoolId=pool, Limit=60, **({"PaginationToken": token} if token else {}))
        for user in page.get("Users", []):
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes") or ()}
            users[user["Username"]] = {"id": attributes.get("sub") or user["Username"], "username": user["Username"],
                                       "email": attributes.get("email"), "enabled": bool(user.get("Enabled", True)),
                                       "status": user.get("UserStatus"), "groups": []}
        token = page.get("PaginationToken")
        if not token:
            break
    for role in ROLES:
        try:
            for page in cognito.get_paginator("list_users_in_group").paginate(UserPoolId=pool, GroupName=role):
                for user in page.get("Users", []):
                    if user["Username"] in users:
                        users[user["Username"]]["groups"].append(role)
        except cognito.exceptions.ResourceNotFoundException:
            continue  # A pool without this role's group: nobody has it.
    return sorted(users.values(), key=lambda user: user["username"])
