"""Finding a member of staff: their profile, and the address to write to them at (their profile's, else the
email their Cognito user signs in with)."""

from __future__ import annotations

from crm.platform import aws
from crm.platform.config import get_settings
from crm.records.table import get_item
from crm.team.spec import MemberItem


def member(user_id: str) -> MemberItem | None:
    return get_item(MemberItem, MemberItem.key(user_id))


def address_of(user_id: str, profile: MemberItem | None = None) -> str | None:
    """Where to mail the user: their profile's address, else their Cognito user's `email` (found by `sub`, or
    by user name), else the id itself when it is an address. None when nothing is known."""
    profile = profile if profile is not None else member(user_id)
    if profile is not None and profile.email:
        return str(profile.email)
    pool = get_settings().user_pool_id
    if pool and '"' not in user_id:
        cognito = aws.client("cognito-idp")
        for attribute in ("sub", "username"):
            users = cognito.list_users(UserPoolId=pool, Filter=f'{attribute} = "{user_id}"', Limit=1).get("Users")
            for user in users or ():
                found = {a["Name"]: a["Value"] for a in user.get("Attributes") or ()}.get("email")
                if found:
                    return str(found)
    return user_id if "@" in user_id else None
