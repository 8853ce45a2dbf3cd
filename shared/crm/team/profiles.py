"""Writing staff profiles: one's own (time zone, language, working hours, time away) or, for an admin, anyone's
with their manager and the address the CRM writes to them at. Checked as a whole; each write audited."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm.platform.clock import iso_now
from crm.platform.errors import HttpError
from crm.records.fields import WriteContext, normalized_values
from crm.records.writes import Change, create, update_viewed
from crm.team.directory import member
from crm.team.spec import TEAM_MEMBER, MemberItem

ADMIN_ONLY = ("email", "manager")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def blank_profile(user_id: str) -> MemberItem:
    """What a member without a saved profile is taken to be: every day, all day, in UTC."""
    now = iso_now()
    return MemberItem(*MemberItem.key(user_id), user_id=user_id, created_at=now, updated_at=now, version=0)


def profile_problems(values: dict[str, Any], user_id: str) -> dict[str, str]:
    """What the fields alone cannot say: a real time zone, a clock time, a language tag, time away that ends
    after it starts, and a manager who is someone else."""
    problems: dict[str, str] = {}
    zone = values.get("time_zone")
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems["time_zone"] = "An IANA time zone such as Europe/Athens or Asia/Tehran."
    for name in ("work_starts", "work_ends"):
        value = values.get(name)
        if value and not (_CLOCK.match(value) or (name == "work_ends" and value == "24:00")):
            problems[name] = "A time of day, HH:MM (00:00 to 23:59; the day may end at 24:00)."
    if values.get("language") and not _LANGUAGE.match(values["language"]):
        problems["language"] = "A language tag such as fa, ru or en-GB."
    if values.get("manager") == user_id:
        problems["manager"] = "Someone else: an SLA escalation alerts the manager."
    return problems


def save_profile(actor: str, user_id: str, submitted: dict[str, Any], if_match: str | None,
                 admin: bool) -> dict[str, Any]:
    """Creates or changes the profile of `user_id` with the fields submitted (absent stays, null clears); only
    an admin sets `email` and `manager`."""
    if not admin and (refused := [name for name in ADMIN_ONLY if name in submitted]):
        raise HttpError(403, "forbidden", "Only an admin sets a member's email and manager.",
                        {name: "Set by an admin." for name in refused})
    existing = member(user_id)
    current = existing or blank_profile(user_id)
    version = int(current.version)
    if if_match is not None and if_match.strip().strip('"') != str(version):
        raise HttpError(412, "version_mismatch", f"The profile is at version {version}; read it again.")
    problems: dict[str, str] = {}
    values = normalized_values(TEAM_MEMBER.fields, submitted, WriteContext(TEAM_MEMBER.name, existing, None),
                               problems)
    merged = {name: getattr(current, name) for name in TEAM_MEMBER.fields} | values
    problems |= profile_problems(merged, user_id)
    if merged.get("away_from") and not merged.get("away_until"):
        problems["away_until"] = "Time away needs its end."
    elif merged.get("away_from") and merged["away_from"] >= merged["away_until"]:
        problems["away_until"] = "After away_from."
    if problems:
        raise HttpError(422, "invalid_fields", "Some fields need attention.", problems)
    change = Change("team member", user_id, "update" if existing else "create", actor)
    if existing is None:
        item = MemberItem(*MemberItem.key(user_id), user_id=user_id, created_at=change.at, updated_at=change.at,
                          version=1, GSI1PK=MemberItem.list_key(), GSI1SK=user_id,
                          **{name: value for name, value in values.items() if value is not None})
        view = TEAM_MEMBER.view(item)
        create(change, item, view)
    else:
        view = update_viewed(change, existing, version, values, TEAM_MEMBER.view)
    change.commit()
    return view


def profiles() -> list[MemberItem]:
    """Every saved profile (a team is small: one Query, paged through)."""
    return list(MemberItem.by_created.query(MemberItem.list_key()))
