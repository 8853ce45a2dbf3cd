"""When a member of staff is at work, as pure functions of their profile and a moment."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm.team.spec import WEEKDAYS, MemberItem


def zone_of(member: MemberItem | None) -> ZoneInfo:
    try:
        return ZoneInfo(member.time_zone) if member is not None and member.time_zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def away_reason(member: MemberItem | None, at: dt.datetime) -> str | None:
    """Why the member cannot take work at `at` (aware), or None when they can."""
    if member is None:
        return None
    moment = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if member.away_until and (member.away_from or "") <= moment < member.away_until:
        return f"out of office until {member.away_until}"
    local = at.astimezone(zone_of(member))
    if member.working_days and WEEKDAYS[local.weekday()] not in member.working_days:
        return f"not a working day ({WEEKDAYS[local.weekday()]})"
    clock = local.strftime("%H:%M")
    starts, ends = member.work_starts or "00:00", member.work_ends or "24:00"
    inside = starts <= clock < ends if starts <= ends else (clock >= starts or clock < ends)
    return None if inside else f"outside working hours ({starts}-{ends} {zone_of(member).key})"
