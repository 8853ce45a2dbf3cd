"""A record's fields, declared once on its stored item: each is a PynamoDB attribute (storage) that also
says how the API takes it (type, limits, whether a client may write it), how a write normalizes it, and
how a read shows it. `crm.records.spec.Entity` derives the API's models, views and validation from them.

An item attribute that is not one of these (index keys, folded names, ledgers) stays internal: it is
stored but never taken from nor shown to a client.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from crm.platform.identity import email_key, normalize_email, normalize_phone
from crm.platform.text import clean_text

# Declaration order, so the API's models list fields as the spec declares them (PynamoDB sorts by name).
_declared = itertools.count()


class FieldProblems(Exception):
    """Several problems found in one field's value (a record's custom fields), by the name each goes under."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class WriteContext:
    """What a field may need to normalize a value: the record as it was (None on create) and its kind."""

    entity: str
    existing: Any
    phone_region: str | None


def plain_numbers(values: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB numbers come back as Decimal; JSON wants int or float."""
    return {k: (int(v) if v == v.to_integral_value() else float(v)) if isinstance(v, Decimal) else v
            for k, v in values.items()}


class ApiField(Attribute[Any]):
    """The API side of a stored attribute. `writable` fields appear in the input model (absent stays,
    null clears); every field appears in the output model; `required` ones must have a value on create."""

    api_type: Any = str

    def __init__(self, *, max_length: int | None = None, required: bool = False, writable: bool = True,
                 description: str | None = None, **attribute: Any) -> None:
        if attribute.get("_user_instantiated") is False:
            # PynamoDB builds a map attribute's stored value from its class: a value, not a field.
            super().__init__(**attribute)
            return
        attribute.setdefault("null", True)
        super().__init__(**attribute)
        self.declare(max_length=max_length, required=required, writable=writable, description=description,
                     order=next(_declared))

    def declare(self, **metadata: Any) -> None:
        """Sets what the field says of itself. A map attribute keeps anything set on it while it is being
        declared as its stored value, so the metadata goes around that."""
        for name, value in metadata.items():
            object.__setattr__(self, name, value)

    def input_type(self) -> Any:
        from pydantic import Field as ModelField  # noqa: PLC0415 - only the API builds models; forms and mail never load pydantic

        if self.max_length is None:
            return self.api_type
        return Annotated[self.api_type, ModelField(max_length=self.max_length)]

    def output_type(self) -> Any:
        return self.api_type if self.required else self.api_type | None

    def normalize(self, value: Any, context: WriteContext) -> Any:
        """The stored value of what a client sent, null meaning clear it; raises InvalidValue."""
        return None if value is None else self.clean(value, context)

    def clean(self, value: Any, context: WriteContext) -> Any:
        return value

    def present(self, stored: Any) -> Any:
        return stored


class Text(ApiField, UnicodeAttribute):  # type: ignore[misc]
    def __init__(self, max_length: int = 200, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def clean(self, value: Any, context: WriteContext) -> Any:
        return clean_text(value, self.max_length or 2048) or None


class Choice(ApiField, UnicodeAttribute):  # type: ignore[misc]
    """One of a fixed list. With a `default`, the record always has one: a create without it stores the
    default, and a clear stores the default or, with `clear_keeps`, leaves the value as it was."""

    def __init__(self, options: tuple[str, ...], default: str | None = None, clear_keeps: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.declare(options=options, default_value=default, clear_keeps=clear_keeps,
                     api_type=Literal[options])  # type: ignore[valid-type]

    def output_type(self) -> Any:
        return str if self.default_value else str | None

    def normalize(self, value: Any, context: WriteContext) -> Any:
        if value is not None or self.default_value is None:
            return value
        kept = getattr(context.existing, self.attr_name, None) if self.clear_keeps else None
        return kept or self.default_value


class Email(Text):
    """An address as email-validator normalizes it; with `matching_key`, as the key a person is matched by."""

    def __init__(self, matching_key: bool = False, **kwargs: Any) -> None:
        super().__init__(max_length=320, **kwargs)
        self.declare(matching_key=matching_key)

    def clean(self, value: Any, context: WriteContext) -> Any:
        normalized = normalize_email(value)
        return email_key(normalized) if self.matching_key else normalized


class Phone(Text):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("description", "Any format; stored as E.164.")
        super().__init__(max_length=64, **kwargs)

    def clean(self, value: Any, context: WriteContext) -> Any:
        return normalize_phone(value, context.phone_region)


class TextSet(ApiField, UnicodeSetAttribute):  # type: ignore[misc]
    """A set of strings, shown sorted; `each` normalizes one member, `max_items` bounds the list."""

    def __init__(self, each: ApiField, max_items: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.declare(each=each, max_items=max_items)

    def input_type(self) -> Any:
        from pydantic import Field as ModelField  # noqa: PLC0415 - only the API builds models

        return Annotated[list[self.each.input_type()], ModelField(max_length=self.max_items)]  # type: ignore[misc]

    def output_type(self) -> Any:
        return list[str]

    def normalize(self, value: Any, context: WriteContext) -> Any:
        return sorted({self.each.normalize(v, context) for v in value or ()} - {None})

    def present(self, stored: Any) -> Any:
        return sorted(stored or ())


class Integer(ApiField, NumberAttribute):  # type: ignore[misc]
    api_type = int

    def present(self, stored: Any) -> Any:
        return int(stored) if stored is not None else None


class Flag(ApiField, BooleanAttribute):  # type: ignore[misc]
    api_type = bool


class Document(ApiField, MapAttribute):  # type: ignore[misc]
    """A JSON object kept as a map, shown with plain numbers."""

    api_type = dict[str, Any]

    @classmethod
    def is_raw(cls) -> bool:
        # Any keys, as a plain MapAttribute takes (PynamoDB treats only that class itself as schemaless).
        return True

    def __set__(self, instance: Any, value: Any) -> None:
        # PynamoDB builds an assigned dict into an instance of the field's class; a plain map holds it, so
        # the value is never mistaken for a field being declared.
        if isinstance(value, Mapping):
            value = MapAttribute(**value)
        super().__set__(instance, value)

    def present(self, stored: Any) -> Any:
        if stored is None:
            return None
        return plain_numbers(stored.as_dict() if isinstance(stored, MapAttribute) else stored)


class Listing(ApiField, ListAttribute):  # type: ignore[misc]
    """A list kept as is (a score's explanation); shown as [] when absent."""

    api_type = list[Any]

    def output_type(self) -> Any:
        return list[Any]

    def present(self, stored: Any) -> Any:
        return list(stored) if stored is not None else []
