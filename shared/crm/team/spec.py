"""A member of staff as the CRM knows them beyond their sign-in: where to write to them, their time zone and
language (reminders are shown and mailed in these), their manager (whom an SLA escalates to), their working
hours and their time away (assignment skips a rep who is away or off work).

The user id is the Cognito `sub`, the same id a record's `owner` holds. Key: `USER#<id>` / `PROFILE`; GSI1
`TEAM` lists them."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from crm.records.fields import Choice, DateTime, Email, Text, TextSet
from crm.records.spec import Entity
from crm.records.table import VersionedItem

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class MemberItem(VersionedItem):
    user_id = UnicodeAttribute()
    email = Email(description="Where the CRM writes to them: reminders, assignments, escalations.")
    name = Text(200)
    time_zone = Text(64, description="An IANA time zone such as Asia/Tehran; UTC when absent.")
    language = Text(16, description="A language tag such as fa, ru or en.")
    manager = Text(128, description="The user id of their manager, whom an SLA escalation alerts.")
    working_days = TextSet(Choice(WEEKDAYS), 7, description="The days they work (mon...sun); every day when absent.")
    work_starts = Text(5, description="When their working day starts, HH:MM in their time zone.")
    work_ends = Text(5, description="When it ends, HH:MM in their time zone.")
    away_from = DateTime(description="Out of office from this moment...")
    away_until = DateTime(description="...until this one.")

    @staticmethod
    def key(user_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", "PROFILE"

    @staticmethod
    def list_key() -> str:
        return "TEAM"


TEAM_MEMBER = Entity("team member", "TeamMember", MemberItem, "user_id")
