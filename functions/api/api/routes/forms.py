"""Web forms: list, read, create or replace (If-Match), delete. Lead capture validates the same shape
(`crm.forms.FormConfig`) and caches a form for `CRM_FORM_CACHE_SECONDS`, so a change reaches a running
form within that time."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.forms.config import FormConfig, InvalidFormConfig
from crm.forms.review import release, spam_page
from crm.forms.spec import FORM, FormItem
from crm.forms.submissions import submissions_page
from crm.platform.config import get_settings
from crm.platform.errors import HttpError
from crm.platform.secrets import cursor_secret
from crm.records.fields import page_model
from crm.records.reads import expect_version, list_page, load
from crm.records.table import get_item
from crm.records.writes import Change, create, delete, update
from pydantic import BaseModel

from api.auth import current_caller, requires
from api.params import Cursor, IfMatch, Limit, answers
from api.responses import created

router = APIGatewayHttpRouter()


Form = FORM.output_model
FormPage = FORM.page_model


@router.get("/forms", middlewares=[requires("forms", "read")])
def list_forms(limit: Limit = None, cursor: Cursor = None) -> FormPage:
    return list_page(partial(FormItem.by_id.query, FormItem.list_key()), FORM.view, scope="forms",
                     secret=cursor_secret(get_settings()), limit=limit, cursor=cursor, ascending=True).as_dict()


@router.get("/forms/<form_id>", middlewares=[requires("forms", "read")])
def get_form(form_id: str) -> Form:
    return FORM.view(load(FormItem, FormItem.key(form_id), "form"))


@router.put("/forms/<form_id>", responses={**answers(200, {409: "A form with this id exists; send If-Match."}),
                                           201: {"description": "Created"}}, middlewares=[requires("forms", "write")])
def put_form(form_id: str, body: Annotated[dict[str, Any], Body(description=(
        "The form: name, fields (name, label, type, required, maps_to, max_length), redirect_url, "
        "allowed_origins, default_phone_region, owner, lead_source, success_message, spam, files."))],
             if_match: IfMatch = None) -> Response[Form]:
    """Creates the form, or replaces it (send If-Match with the version you read; without it, a form that
    exists is 409 rather than overwritten)."""
    caller = current_caller()
    try:
        config = FormConfig.from_dict({**body, "form_id": form_id}).to_dict()
    except InvalidFormConfig as exc:
        raise HttpError(422, "invalid_form", "The form needs attention.", exc.fields) from exc
    except (TypeError, ValueError) as exc:
        raise HttpError(422, "invalid_form", "The form needs attention.", {"body": str(exc)}) from exc
    existing = get_item(FormItem, FormItem.key(form_id), consistent=True)
    if existing is None or if_match is None:
        change = Change("form", form_id, "create", caller.user_id)
        item = FormItem(*FormItem.key(form_id), config=config, updated_at=change.at, version=1,
                        GSI1PK=FormItem.list_key(), GSI1SK=form_id)
        view = FORM.view(item)
        create(change, item, view)
        change.conflicts["record"] = HttpError(409, "form_exists", "A form with this id exists; send If-Match "
                                               "with its version to replace it.")
        change.commit()
        return created(view, f"/v1/forms/{form_id}")
    version = expect_version(if_match, existing, "form")
    change = Change("form", form_id, "update", caller.user_id)
    before = FORM.view(existing)
    existing.config, existing.version, existing.updated_at = config, version + 1, change.at
    after = FORM.view(existing)
    update(change, existing, version, {"config": config}, before, after)
    change.commit()
    return Response(200, "application/json", after, headers={"etag": f'"{after["version"]}"'})


@router.delete("/forms/<form_id>", responses=answers(204), middlewares=[requires("forms", "write")])
def delete_form(form_id: str, if_match: IfMatch = None) -> Response[None]:
    """The form stops accepting submissions (after the cache time); its submissions stay."""
    caller = current_caller()
    item = load(FormItem, FormItem.key(form_id), "form")
    version = expect_version(if_match, item, "form")
    change = Change("form", form_id, "delete", caller.user_id)
    delete(change, item, version, FORM.view(item))
    change.commit()
    return Response(204)


class AcceptedSubmission(BaseModel):
    """A submission the form accepted: the contact it made (`created`) or added to (`updated`), what was sent."""

    id: str
    form_id: str
    received_at: str
    contact_id: str
    outcome: Literal["created", "updated"]
    fields: dict[str, Any]
    source: dict[str, Any]


AcceptedSubmissionPage = page_model("AcceptedSubmissionPage", AcceptedSubmission)


@router.get("/forms/<form_id>/submissions", middlewares=[requires("forms", "read")])
def list_submissions(form_id: str, limit: Limit = None, cursor: Cursor = None) -> AcceptedSubmissionPage:
    """The form's accepted submissions, newest first; those judged spam are its spam review's."""
    load(FormItem, FormItem.key(form_id), "form")
    return submissions_page(form_id, limit, cursor).as_dict()


class KeptSubmission(BaseModel):
    """A submission the form judged spam, kept whole: why, what was sent, and whether a person released it."""

    id: str
    form_id: str
    received_at: str
    status: Literal["spam", "released"]
    reasons: list[str]
    fields: dict[str, Any]
    contact_id: str | None
    released_by: str | None
    released_at: str | None


class ReleasedSubmission(KeptSubmission):
    contact_created: bool


KeptSubmissionPage = page_model("KeptSubmissionPage", KeptSubmission)


@router.get("/forms/<form_id>/spam", middlewares=[requires("forms", "read")])
def list_spam(form_id: str, status: Annotated[Literal["spam", "released"] | None, Query(
        description="spam (waiting for review) or released; both when absent.")] = None,
              limit: Limit = None, cursor: Cursor = None) -> KeptSubmissionPage:
    """The form's submissions judged spam, newest first, each with the reasons and the values sent."""
    load(FormItem, FormItem.key(form_id), "form")
    return spam_page(form_id, status, limit, cursor).as_dict()


@router.post("/forms/<form_id>/spam/<submission_id>/release",
             responses=answers(200, {409: "Released already, or its form is gone."}),
             middlewares=[requires("forms", "write")])
def release_spam(form_id: str, submission_id: str) -> ReleasedSubmission:
    """Makes the submission a contact as if the form had accepted it (one person, one record; the submission on
    its timeline at the time it arrived), audited. 422 when its values cannot make a contact."""
    return release(current_caller(), form_id, submission_id)
