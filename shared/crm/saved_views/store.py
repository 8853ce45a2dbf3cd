"""Saving, listing and deleting views. Anyone keeps views of their own; sharing one with the team, and deleting a
shared one someone else saved, is an admin's. The list a view names is checked when it is saved."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from crm.exports.lists import list_request
from crm.platform.access import Caller
from crm.platform.clock import iso_now
from crm.platform.errors import HttpError
from crm.records.writes import new_id
from crm.saved_views.spec import MAX_VIEWS, SAVED_VIEW, TEAM, SavedViewItem


def _partition(caller: Caller, shared: bool) -> str:
    return TEAM if shared else caller.user_id


def _views(partition: str) -> list[SavedViewItem]:
    pk, _ = SavedViewItem.key(partition, "")
    return list(SavedViewItem.query(pk, SavedViewItem.SK.startswith("VIEW#"), limit=MAX_VIEWS))


def views_of(caller: Caller, resource: str | None) -> list[dict[str, Any]]:
    """The caller's own views and the team's, by name; with `resource` (contacts), only its lists'."""
    views = [*_views(caller.user_id), *_views(TEAM)]
    shown = [SAVED_VIEW.view(v) for v in views if resource is None or _resource(v.list_path) == resource]
    return sorted(shown, key=lambda v: (v["name"].casefold(), v["id"]))


def save_view(caller: Caller, name: str, list_path: str, shared: bool) -> dict[str, Any]:
    if shared and "admin" not in caller.roles:
        raise HttpError(403, "forbidden", "Only an admin shares a view with the team.")
    request = list_request(list_path)
    partition = _partition(caller, shared)
    if len(_views(partition)) >= MAX_VIEWS:
        raise HttpError(409, "too_many_views", f"At most {MAX_VIEWS} views here: delete one first.")
    view_id = new_id()
    query = urlencode(request.query)
    item = SavedViewItem(*SavedViewItem.key(partition, view_id), view_id=view_id, name=name,
                         list_path=f"{request.path}?{query}" if query else request.path, shared=shared,
                         owner=caller.user_id, created_at=iso_now())
    item.save(SavedViewItem.PK.does_not_exist())
    return SAVED_VIEW.view(item)


def delete_view(caller: Caller, view_id: str) -> None:
    """One's own view, or a shared one one saved; any shared one for an admin. Another's is not there (404)."""
    for partition in (caller.user_id, TEAM):
        try:
            item = SavedViewItem.get(*SavedViewItem.key(partition, view_id))
        except SavedViewItem.DoesNotExist:
            continue
        if partition == TEAM and item.owner != caller.user_id and "admin" not in caller.roles:
            raise HttpError(403, "forbidden", "Only an admin or its author deletes a shared view.")
        item.delete()
        return
    raise HttpError(404, "not_found", "There is no saved view with this id.")


def _resource(list_path: str) -> str:
    return list_path.removeprefix("/v1/").split("?")[0].split("/")[0]
