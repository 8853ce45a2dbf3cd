"""A workflow as its author writes it (JSON, checked as a whole): a trigger, ordered steps with ids, re-entry,
what stops it, and its status. Field limits are pydantic's; what spans fields (step ids unique, a branch's
targets, a field a condition reads) is `crm.workflows.rules.definition_problems`, so one 422 names it all."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

MAX_STEPS = 50
MAX_CONDITIONS = 20
MAX_TRIGGER_EVENTS = 5
Status = Literal["draft", "active", "paused"]
ReEntry = Literal["once", "always", "restart"]
StopReason = Literal["reply", "payment", "unsubscribe"]
Operator = Literal["eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists", "missing",
                   "older_than_days", "within_days"]
STATUSES, RE_ENTRY, STOP_REASONS = get_args(Status), get_args(ReEntry), get_args(StopReason)
# A branch's target that ends the run.
END = "end"
STEP_ID = r"^[A-Za-z0-9_-]{1,20}$"

StepId = Annotated[str, Field(pattern=STEP_ID)]
EventType = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9 ._-]+$")]
FieldName = Annotated[str, Field(min_length=1, max_length=100)]
Scalar = str | int | float | bool | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Duration(Strict):
    """How long: days, hours and minutes add up (a wait of none is refused)."""

    days: Annotated[int, Field(ge=-366, le=366)] = 0
    hours: Annotated[int, Field(ge=-1000, le=1000)] = 0
    minutes: Annotated[int, Field(ge=-10_000, le=10_000)] = 0

    def minutes_total(self) -> int:
        return self.days * 1440 + self.hours * 60 + self.minutes


class Condition(Strict):
    """`field` of the record (a contact field, `custom.<name>`, `last_activity_at`) or of the triggering event
    (`event.<key>`), an operator, and the value it is compared with (a list for in/not_in, days for
    older_than_days/within_days, none for exists/missing)."""

    field: FieldName
    op: Operator = "eq"
    value: Annotated[list[Scalar], Field(max_length=50)] | Scalar = None


Conditions = Annotated[list[Condition], Field(max_length=MAX_CONDITIONS)]


class Trigger(Strict):
    """The event types on the bus that start a run, and what the contact they are about must be (all hold)."""

    events: Annotated[list[EventType], Field(min_length=1, max_length=MAX_TRIGGER_EVENTS)]
    conditions: Conditions = []


class Until(Strict):
    field: FieldName
    offset: Duration = Duration()


class WaitStep(Strict):
    """A duration from now, or until a date field of the record plus an offset (a date already past, or a
    record without it, waits no time)."""

    id: StepId
    type: Literal["wait"]
    duration: Duration | None = None
    until: Until | None = None


class BranchStep(Strict):
    """When every condition holds, go to `then`, else to `else`; a missing target is the next step, `end`
    ends the run. Targets lie ahead (a run never loops)."""

    id: StepId
    type: Literal["branch"]
    conditions: Annotated[list[Condition], Field(min_length=1, max_length=MAX_CONDITIONS)]
    then: StepId | None = None
    else_: StepId | None = Field(default=None, alias="else")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SendEmailStep(Strict):
    id: StepId
    type: Literal["send_email"]
    template_id: Annotated[str, Field(min_length=1, max_length=64)]
    variables: Annotated[dict[Annotated[str, Field(max_length=64)], Scalar], Field(max_length=50)] = {}


class CreateTaskStep(Strict):
    """A task for the record's owner (or `owner`), due `due_in` from when the step runs."""

    id: StepId
    type: Literal["create_task"]
    subject: Annotated[str, Field(min_length=1, max_length=500)]
    body: Annotated[str, Field(max_length=10_000)] | None = None
    due_in: Duration = Duration(days=1)
    owner: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class SetFieldStep(Strict):
    """A field of the contact, written through the API's validated write path."""

    id: StepId
    type: Literal["set_field"]
    field: FieldName
    value: Any = None


class AssignStep(Strict):
    """Gives the contact an owner by the assignment rules (or by one rule); an owner it has is kept."""

    id: StepId
    type: Literal["assign"]
    rule_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class WebhookStep(Strict):
    """POSTs the run, the step and the contact to `url`, signed with the workflow's secret; a 2xx is done."""

    id: StepId
    type: Literal["webhook"]
    url: Annotated[str, Field(min_length=8, max_length=2000)]


Step = Annotated[WaitStep | BranchStep | SendEmailStep | CreateTaskStep | SetFieldStep | AssignStep | WebhookStep,
                 Field(discriminator="type")]


class WorkflowFields(Strict):
    """A workflow as written whole (POST, PUT)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] | None = None
    status: Status = "draft"
    trigger: Trigger
    steps: Annotated[list[Step], Field(min_length=1, max_length=MAX_STEPS)]
    re_entry: ReEntry = "once"
    stop_on: Annotated[list[StopReason], Field(max_length=3)] = []


def stored_steps(fields: WorkflowFields) -> list[dict[str, Any]]:
    """The steps as kept (and shown): JSON, `else` by its own name, nothing left unset."""
    return [step.model_dump(by_alias=True, exclude_none=True) for step in fields.steps]
