"""How the API shows a record it never takes field by field (an email, a case, a payment, an audit entry,
a form): the output model and the view, derived from the fields its stored item declares, as
crm.records.spec.Entity derives them for the records clients edit. The item declares each shown field
once with a crm.records.fields class and `writable=False`; the API shows it under its attribute's name,
or under `shown_as` (a dotted name such as "from.address" groups fields into one object). Its other
attributes (keys, raw objects, ledgers) stay internal.

What is not a stored field (a payment's status, a download link) is `computed`: the view declares its
type (`Many` for a list of another view's records), the caller gives its value to `view`.

Nothing here loads pydantic until a model is asked for: the functions that store these records (mail,
payments, lead capture) import their items at cold start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from crm.records.fields import ApiField, declared_fields, page_model
from crm.records.table import CrmItem

if TYPE_CHECKING:
    from pydantic import BaseModel

ItemT = TypeVar("ItemT", bound=CrmItem)
FieldT = TypeVar("FieldT", bound=ApiField)


def shown_as(name: str, field: FieldT) -> FieldT:
    """The field, shown under `name` rather than its attribute's name; "group.name" nests it in `group`."""
    field.declare(shown_as=name)
    return field


@dataclass(frozen=True)
class Many:
    """A computed list of another view's records (a case's emails, a payment's refunds); its model is made
    when the API asks for one."""

    view: RecordView[Any]
    nullable: bool = False

    def output_type(self) -> Any:
        many = list[self.view.output_model]  # type: ignore[name-defined]
        return many | None if self.nullable else many


def _shown_name(attribute: str, field: ApiField) -> tuple[str, ...]:
    return tuple((getattr(field, "shown_as", None) or attribute).split("."))


@dataclass(frozen=True)
class RecordView(Generic[ItemT]):
    """One way the API shows a kind of record. `title` names its model (and `page_title`, if not
    `<title>Page`, a page of them); `id_attribute` is the attribute shown as `id`, or a function of the item
    that gives it; `computed` names the values that are not stored, placed in the order given after the
    field `computed_after`, or last."""

    title: str
    item: type[ItemT]
    id_attribute: str | Callable[[ItemT], Any]
    computed: Mapping[str, Any] = field(default_factory=dict)
    computed_after: str | None = None
    only: tuple[str, ...] | None = None
    page_title: str | None = None

    def part(self, title: str, *attributes: str) -> RecordView[ItemT]:
        """The same record shown by a few of its fields (an email in a thread's list), each under the first
        part of its name: a grouped field stands for its group."""
        return dataclasses.replace(self, title=title, only=attributes, computed={}, computed_after=None,
                                   page_title=None)

    @cached_property
    def fields(self) -> dict[str, ApiField]:
        return declared_fields(self.item, self.only)

    @cached_property
    def attributes(self) -> list[str]:
        """The stored attributes the view reads: a read that only shows it projects these."""
        id_attribute = [self.id_attribute] if isinstance(self.id_attribute, str) else []
        return [*id_attribute, *self.fields]

    @cached_property
    def _paths(self) -> dict[str, tuple[str, ...]]:
        """Each field's name in the view, as its group and its name in it."""
        paths = {attribute: _shown_name(attribute, declared) for attribute, declared in self.fields.items()}
        return {attribute: path[:1] if self.only is not None else path for attribute, path in paths.items()}

    def _identity(self, item: ItemT) -> Any:
        if isinstance(self.id_attribute, str):
            return getattr(item, self.id_attribute)
        return self.id_attribute(item)

    def view(self, item: ItemT, **computed: Any) -> dict[str, Any]:
        if computed.keys() != self.computed.keys():
            raise TypeError(f"{self.title} computes {sorted(self.computed)}, was given {sorted(computed)}")
        shown: dict[str, Any] = {"id": self._identity(item)}
        for attribute, declared in self.fields.items():
            *group, name = self._paths[attribute]
            (shown.setdefault(group[0], {}) if group else shown)[name] = declared.present(getattr(item, attribute))
            if attribute == self.computed_after:
                shown.update(computed)
        if self.computed_after is None:
            shown.update(computed)
        return shown

    @cached_property
    def output_model(self) -> type[BaseModel]:
        from pydantic import create_model  # noqa: PLC0415 - only the API builds models

        fields: dict[str, Any] = {"id": (str, ...)}
        computed = {name: (kind.output_type() if isinstance(kind, Many) else kind, ...)
                    for name, kind in self.computed.items()}
        groups: dict[str, dict[str, Any]] = {}
        for attribute, declared in self.fields.items():
            *group, name = self._paths[attribute]
            if group:
                groups.setdefault(group[0], {})[name] = (declared.output_type(), ...)
                fields.setdefault(group[0], None)  # its place; its model is made below
            else:
                fields[name] = (declared.output_type(), ...)
            if attribute == self.computed_after:
                fields.update(computed)
        if self.computed_after is None:
            fields.update(computed)
        for group_name, members in groups.items():
            fields[group_name] = (create_model(f"{self.title}{group_name.title()}", **members), ...)
        return create_model(self.title, **fields)

    @cached_property
    def page_model(self) -> type[BaseModel]:
        return page_model(self.page_title or f"{self.title}Page", self.output_model)
