"""The scoring model and its re-score jobs (only scoring and the API load them).

Apart from crm.models so that functions which do not use them do not build their classes at cold start.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from crm.records.table import CrmItem


class ScoringModelItem(CrmItem):
    """The scoring model: `CURRENT` plus one item per version, kept for the record."""

    version = NumberAttribute()
    model_json = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    latest_job_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(version: int | None = None) -> tuple[str, str]:
        return "SCORING_MODEL", "CURRENT" if version is None else f"VERSION#{version:06d}"


class RescoreJobItem(CrmItem):
    """A background re-score of every contact, one page per event, resumable from its cursor."""

    job_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    model_version = NumberAttribute()
    status = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    processed = NumberAttribute(default=0)
    changed = NumberAttribute(default=0)
    started_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(job_id: str) -> tuple[str, str]:
        return "SCORING_MODEL", f"JOB#{job_id}"
