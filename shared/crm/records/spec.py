"""One kind of record, derived from the fields its stored item declares (crm.records.fields): the API's
input model (every writable field; in a PATCH absent stays and null clears), its output model and page,
the view of an item, and the normalization and validation of a write. A field added to the item reaches
storage, the API, the OpenAPI document and validation from that one line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.records.fields import ApiField, WriteContext, declared_fields, normalized_values, page_model
from crm.records.table import CrmItem

if TYPE_CHECKING:
    from pydantic import BaseModel

    from crm.platform.access import Caller

ItemT = TypeVar("ItemT", bound=CrmItem)


def everyone(caller: Caller, item: Any) -> bool:
    return True


def article(noun: str) -> str:
    return "An" if noun[:1] in "aeiou" else "A"


@dataclass(frozen=True)
class Entity(Generic[ItemT]):
    """`name` is how the audit log and messages call a record; `title` names the API's models
    (`<title>Fields`, `<title>`, `<title>Page`); `visible` says whether a caller may see one record, and
    every door that returns or links such a record asks it."""

    name: str
    title: str
    item: type[ItemT]
    id_attribute: str
    visible: Callable[[Caller, Any], bool] = everyone
    description: str = ""

    @cached_property
    def fields(self) -> dict[str, ApiField]:
        return declared_fields(self.item)

    @cached_property
    def input_model(self) -> type[BaseModel]:
        from pydantic import ConfigDict, create_model  # noqa: PLC0415 - only the API builds models
        from pydantic import Field as ModelField  # noqa: PLC0415 - only the API builds models

        fields: dict[str, Any] = {
            name: (field.input_type() | None, ModelField(None, description=field.description))
            for name, field in self.fields.items() if field.writable}
        doc = f"{article(self.name)} {self.name}'s editable fields. In a PATCH, absent fields stay as they are and " \
              "null clears one."
        return create_model(f"{self.title}Fields", __config__=ConfigDict(extra="forbid"),
                            __doc__=doc, **fields)

    @cached_property
    def output_model(self) -> type[BaseModel]:
        from pydantic import create_model  # noqa: PLC0415 - only the API builds models

        fields: dict[str, Any] = {name: (field.output_type(), ...) for name, field in self.fields.items()}
        return create_model(self.title, id=(str, ...), **fields, created_at=(str, ...),
                            updated_at=(str, ...), version=(int, ...))

    @cached_property
    def page_model(self) -> type[BaseModel]:
        return page_model(f"{self.title}Page", self.output_model)

    def view(self, item: ItemT) -> dict[str, Any]:
        # Every entity's item is versioned, which the CrmItem that ItemT is bound to does not say.
        return {"id": getattr(item, self.id_attribute),
                **{name: field.present(getattr(item, name)) for name, field in self.fields.items()},
                "created_at": item.created_at, "updated_at": item.updated_at,  # type: ignore[attr-defined]
                "version": int(item.version)}  # type: ignore[attr-defined]

    def viewer(self, caller: Caller) -> Callable[[ItemT], bool]:
        return lambda item: self.visible(caller, item)

    def normalized(self, body: BaseModel, existing: ItemT | None, required: bool = True) -> dict[str, Any]:
        """The submitted fields as they will be stored; every problem at once as 422 `invalid_fields`, and
        (unless the caller decides that itself) a required field must have a value after the write."""
        context = WriteContext(self.name, existing, get_settings().default_phone_region)
        problems: dict[str, str] = {}
        values = normalized_values(self.fields, body.model_dump(exclude_unset=True), context, problems)
        if problems:
            raise HttpError(422, "invalid_fields", "Some fields need attention.", problems)
        for name, field in self.fields.items():
            if required and field.required and (existing is None or name in values) and not values.get(name):
                raise HttpError(422, "invalid_fields", f"A {self.name} needs a {name}.", {name: "Required."})
        return values

    def defaults(self) -> dict[str, Any]:
        """What a create stores for the fields it was not given a value for."""
        return {name: value for name, field in self.fields.items()
                if (value := getattr(field, "default_value", None)) is not None}
