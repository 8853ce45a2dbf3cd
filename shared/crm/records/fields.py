"""A record's fields, declared once on its stored item: each is a PynamoDB attribute (storage) that also
says how the API takes it (type, limits, whether a client may write it), how a write normalizes it, and
how a read shows it. `crm.records.spec.Entity` derives the API's models, views and validation from them.

An item attribute that is not one of these (index keys, folded names, ledgers) stays internal: it is
stored but never taken from nor shown to a client.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

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
from crm.platform.text import InvalidValue, clean_text

if TYPE_CHECKING:
    from pydantic import BaseModel

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
    null clears); every field appears in the output model; `required` ones must have a value on create.

    The API shows a field as never null when it is `required`, stored with `null=False`, or has an `absent`
    value (what a read shows for a record stored without one). `min_length`, `pattern`, `minimum`,
    `maximum` and `strict` bound what the API takes, as the OpenAPI document says."""

    api_type: Any = str
    # What `declare` sets on each field.
    max_length: int | None
    required: bool
    writable: bool
    description: str | None
    absent: Any
    bounds: dict[str, Any]
    order: int

    def __init__(self, *, max_length: int | None = None, required: bool = False, writable: bool = True,
                 description: str | None = None, min_length: int | None = None, pattern: str | None = None,
                 minimum: int | None = None, maximum: int | None = None, strict: bool = False, absent: Any = None,
                 **attribute: Any) -> None:
        if attribute.get("_user_instantiated") is False:
            # PynamoDB builds a map attribute's stored value from its class: a value, not a field.
            super().__init__(**attribute)
            return
        attribute.setdefault("null", True)
        super().__init__(**attribute)
        bounds = {"min_length": min_length, "max_length": max_length, "pattern": pattern, "ge": minimum,
                  "le": maximum, "strict": strict or None}
        self.declare(max_length=max_length, required=required, writable=writable, description=description,
                     absent=absent, bounds={name: value for name, value in bounds.items() if value is not None},
                     order=next(_declared))

    def declare(self, **metadata: Any) -> None:
        """Sets what the field says of itself. A map attribute keeps anything set on it while it is being
        declared as its stored value, so the metadata goes around that."""
        for name, value in metadata.items():
            object.__setattr__(self, name, value)

    def input_type(self) -> Any:
        from pydantic import Field as ModelField  # noqa: PLC0415 - only the API builds models; forms and mail never load pydantic

        if not self.bounds:
            return self.api_type
        return Annotated[self.api_type, ModelField(**self.bounds)]

    def always_shown(self) -> bool:
        return self.required or not self.null or self.absent is not None

    def output_type(self) -> Any:
        return self.api_type if self.always_shown() else self.api_type | None

    def normalize(self, value: Any, context: WriteContext) -> Any:
        """The stored value of what a client sent, null meaning clear it; raises InvalidValue."""
        return None if value is None else self.clean(value, context)

    def clean(self, value: Any, context: WriteContext) -> Any:
        return value

    def present(self, stored: Any) -> Any:
        return self.absent if stored is None else stored


def declared_fields(item: type[Any], only: tuple[str, ...] | None = None) -> dict[str, ApiField]:
    """The fields an item declares (or those of them named in `only`), in declaration order: PynamoDB keeps
    its attributes by name."""
    declared = [(name, attribute) for name, attribute in item.get_attributes().items()
                if isinstance(attribute, ApiField) and (only is None or name in only)]
    return dict(sorted(declared, key=lambda pair: pair[1].order))


def page_model(title: str, record: type[BaseModel]) -> type[BaseModel]:
    """A page of `record`s as a list answers it: the records and the cursor of the next page."""
    from pydantic import create_model  # noqa: PLC0415 - only the API builds models

    # A list of a model built at run time: not a name the checker can read as a type.
    return create_model(title, items=(list[record], ...), next_cursor=(str | None, ...))  # type: ignore[valid-type]


def normalized_values(fields: Mapping[str, ApiField], submitted: Mapping[str, Any], context: WriteContext,
                      problems: dict[str, str]) -> dict[str, Any]:
    """The stored values of what a client sent, field by field; each problem goes into `problems` under the
    name it is shown by, so that a record's own rules can add theirs and one 422 names them all."""
    values: dict[str, Any] = {}
    for name, value in submitted.items():
        try:
            values[name] = fields[name].normalize(value, context)
        except InvalidValue as exc:
            problems[name] = str(exc)
        except FieldProblems as exc:
            problems.update(exc.problems)
    return values


class Text(ApiField, UnicodeAttribute):
    def __init__(self, max_length: int = 200, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def clean(self, value: Any, context: WriteContext) -> Any:
        return clean_text(value, self.max_length or 2048) or None


class Choice(ApiField, UnicodeAttribute):
    """One of a fixed list. With a `default`, the record always has one: a create without it stores the
    default, and a clear stores the default or, with `clear_keeps`, leaves the value as it was."""

    options: tuple[str, ...]
    default_value: str | None
    clear_keeps: bool

    def __init__(self, options: tuple[str, ...], default: str | None = None, clear_keeps: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.declare(options=options, default_value=default, clear_keeps=clear_keeps,
                     api_type=Literal[options])

    def output_type(self) -> Any:
        return str if self.default_value or self.always_shown() else str | None

    def normalize(self, value: Any, context: WriteContext) -> Any:
        if value is not None or self.default_value is None:
            return value
        kept = getattr(context.existing, self.attr_name, None) if self.clear_keeps else None
        return kept or self.default_value


class Email(Text):
    """An address as email-validator normalizes it; with `matching_key`, as the key a person is matched by."""

    matching_key: bool

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


class TextSet(ApiField, UnicodeSetAttribute):
    """A set of strings, shown sorted; `each` normalizes one member, `max_items` bounds the list."""

    each: ApiField
    max_items: int

    def __init__(self, each: ApiField, max_items: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.declare(each=each, max_items=max_items)

    def input_type(self) -> Any:
        from pydantic import Field as ModelField  # noqa: PLC0415 - only the API builds models

        # A list of the member's type, which is built at run time: not a type the checker can read.
        return Annotated[list[self.each.input_type()], ModelField(max_length=self.max_items)]  # type: ignore[misc]

    def output_type(self) -> Any:
        return list[str]

    def normalize(self, value: Any, context: WriteContext) -> Any:
        return sorted({self.each.normalize(v, context) for v in value or ()} - {None})

    def present(self, stored: Any) -> Any:
        return sorted(stored or ())


class Integer(ApiField, NumberAttribute):
    api_type = int

    def present(self, stored: Any) -> Any:
        return int(stored) if stored is not None else None


class MinorUnits(Integer):
    """An amount of money in minor units (cents), a whole number: 1250 is 12.50 in its currency."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("description", "In minor units (cents).")
        super().__init__(minimum=0, maximum=10**15, strict=True, **kwargs)


class Percent(Integer):
    """A whole percent, 0 to 100 (a probability)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(minimum=0, maximum=100, strict=True, **kwargs)


class Flag(ApiField, BooleanAttribute):
    """True or false (with `strict`, not 1 nor "true"). With a `default`, a record always has one."""

    api_type = bool

    def always_shown(self) -> bool:
        return super().always_shown() or self.default is not None


class Ref(ApiField, UnicodeAttribute):
    """The id of another record (or of a pipeline's stage), kept exactly as sent: one padded with spaces
    names no record rather than another one."""

    def __init__(self, max_length: int = 64, min_length: int | None = 1, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, min_length=min_length, **kwargs)


class Currency(ApiField, UnicodeAttribute):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("description", "ISO 4217, e.g. EUR.")
        super().__init__(pattern=r"^[A-Z]{3}$", **kwargs)


def iso_date(value: str) -> str:
    """A calendar date as a custom date field takes it: 2026-11-24."""
    text = clean_text(value, 10_000)
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise InvalidValue("A date such as 2026-11-24.")


def iso_datetime(value: str) -> str:
    """An ISO 8601 time with its offset, kept in UTC: 2026-11-24T09:30:00Z."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError("A time with its offset, such as 2026-11-24T09:30:00Z.")
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Date(ApiField, UnicodeAttribute):
    """A calendar date, checked and stored as 2026-11-24 (a bad one is refused with the request)."""

    parse = staticmethod(iso_date)

    def __init__(self, max_length: int = 10, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def input_type(self) -> Any:
        from pydantic import AfterValidator  # noqa: PLC0415 - only the API builds models

        return Annotated[super().input_type(), AfterValidator(self.parse)]


class DateTime(Date):
    """A moment given with its offset, stored in UTC: 2026-11-24T09:30:00Z."""

    parse = staticmethod(iso_datetime)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=40, **kwargs)


class Document(ApiField, MapAttribute[str, Any]):
    """A JSON object kept as a map, shown with plain numbers."""

    api_type = dict[str, Any]

    if TYPE_CHECKING:
        def as_dict(self) -> dict[str, Any]: ...  # PynamoDB's, which is not annotated

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


class Listing(ApiField, ListAttribute[Any]):
    """A list kept as is (a score's explanation); shown as [] when absent."""

    api_type = list[Any]

    def output_type(self) -> Any:
        return list[Any]

    def present(self, stored: Any) -> Any:
        return list(stored) if stored is not None else []
