"""The `custom_fields` field every kind of record declares: the business's own fields, checked against
their definitions on each write."""

from __future__ import annotations

from typing import Any

from crm.records.fields import Document, FieldProblems, WriteContext


class CustomFields(Document):
    """A write sends only the fields it changes (null removes one); the others stay as they were."""

    def output_type(self) -> Any:
        return dict[str, Any]

    def present(self, stored: Any) -> Any:
        return super().present(stored) or {}

    def normalize(self, value: Any, context: WriteContext) -> Any:
        from crm.custom_fields.store import checked_custom_fields  # noqa: PLC0415 - only API writes check definitions

        stored = getattr(context.existing, self.attr_name, None) if context.existing is not None else None
        problems: dict[str, str] = {}
        merged = checked_custom_fields(context.entity, value or {}, stored.as_dict() if stored else {}, problems,
                                       context.phone_region)
        if problems:
            raise FieldProblems(problems)
        return merged
