"""Workflows' pure rules: a definition holds together or every problem is named, conditions compare as their
author means, branches go ahead only, and waits end when they say."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from crm.workflows.definition import Condition, WaitStep, WorkflowFields
from crm.workflows.rules import (
    after,
    branch_target,
    definition_problems,
    holds,
    wait_until,
    webhook_problem,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
CONTACT_FIELDS = frozenset({"id", "email", "lifecycle_stage", "score", "created_at", "owner", "custom_fields"})


def fields(steps: list[dict[str, Any]], **extra: Any) -> WorkflowFields:
    return WorkflowFields.model_validate({"name": "W", "trigger": {"events": ["Contact Created"]}, "steps": steps,
                                          **extra})


def check(condition: dict[str, Any], record: dict[str, Any], event: dict[str, Any] | None = None) -> bool:
    return holds(Condition.model_validate(condition), record, event or {}, NOW)


@pytest.mark.parametrize(("condition", "record", "expected"), [
    ({"field": "lifecycle_stage", "value": "Lead"}, {"lifecycle_stage": "lead"}, True),
    ({"field": "lifecycle_stage", "op": "ne", "value": "lead"}, {}, True),
    ({"field": "lifecycle_stage", "op": "in", "value": ["mql", "sql"]}, {"lifecycle_stage": "SQL"}, True),
    ({"field": "lifecycle_stage", "op": "not_in", "value": ["mql"]}, {"lifecycle_stage": None}, True),
    ({"field": "score", "op": "gte", "value": 50}, {"score": 50}, True),
    ({"field": "score", "op": "gt", "value": 50}, {"score": None}, False),
    ({"field": "score", "op": "gt", "value": 50}, {"score": "sixty"}, False),
    ({"field": "created_at", "op": "lt", "value": "2026-12-01"}, {"created_at": "2026-11-30T23:00:00Z"}, True),
    ({"field": "email", "op": "contains", "value": "@EXAMPLE"}, {"email": "a@example.com"}, True),
    ({"field": "custom.plan", "value": "gold"}, {"custom_fields": {"plan": "Gold"}}, True),
    ({"field": "custom.plan", "op": "exists"}, {"custom_fields": None}, False),
    ({"field": "owner", "op": "missing"}, {"owner": ""}, True),
    ({"field": "last_activity_at", "op": "older_than_days", "value": 30}, {"last_activity_at": None}, True),
    ({"field": "last_activity_at", "op": "older_than_days", "value": 30},
     {"last_activity_at": "2026-11-20T00:00:00Z"}, False),
    ({"field": "last_activity_at", "op": "within_days", "value": 30},
     {"last_activity_at": "2026-11-20T00:00:00Z"}, True),
])
def test_a_condition_compares_as_its_author_means(condition, record, expected):
    assert check(condition, record) is expected


def test_event_fields_are_read_from_the_triggering_event():
    assert check({"field": "event.channel", "value": "form"}, {}, {"channel": "form"})
    assert not check({"field": "event.channel", "value": "form"}, {}, {"channel": "api"})


def test_a_valid_definition_has_no_problems():
    workflow = fields([{"id": "w", "type": "wait", "duration": {"days": 2}},
                       {"id": "b", "type": "branch", "conditions": [{"field": "score", "op": "gte", "value": 5}],
                        "else": "end"},
                       {"id": "s", "type": "webhook", "url": "https://hooks.example.com/crm"}])
    assert definition_problems(workflow, CONTACT_FIELDS) == {}


def test_every_problem_is_named_where_it_is():
    workflow = fields([{"id": "b", "type": "branch", "conditions": [{"field": "nope"}], "then": "b"},
                       {"id": "w", "type": "wait", "duration": {"days": 2}, "until": {"field": "created_at"}},
                       {"id": "w", "type": "wait", "duration": {"days": 366, "hours": 1}},
                       {"id": "h", "type": "webhook", "url": "file:///etc/passwd"},
                       {"id": "end", "type": "wait", "duration": {"minutes": 0}}],
                      trigger={"events": ["A", "A"], "conditions": [{"field": "score", "op": "in", "value": 3}]},
                      stop_on=["reply", "reply"])
    assert definition_problems(workflow, CONTACT_FIELDS) == {
        "steps.0.conditions.0": "Unknown field 'nope': a contact field, custom.<name>, event.<key> or "
                                "last_activity_at.",
        "steps.0.then": "'b' is not a step after this one (or 'end').",
        "steps.1": "A wait has either a duration or until (a date field), not both.",
        "steps.2.id": "Step id 'w' is used twice.",
        "steps.2": "A wait's duration is more than nothing and at most 366 days.",
        "steps.3.url": "An http:// or https:// URL with a host.",
        "steps.4.id": "'end' names the end of a run, not a step.",
        "steps.4": "A wait's duration is more than nothing and at most 366 days.",
        "trigger.events": "Name each event type once.",
        "stop_on": "Name each reason once.",
        "trigger.conditions.0": "in compares with a list of values.",
    }


@pytest.mark.parametrize("url", ["http://user:pw@example.com/x", "https://", "javascript:alert(1)",
                                 "https://exa mple.com/", "https://example.com:99999/"])
def test_a_webhook_url_is_http_with_a_host_and_no_credentials(url):
    assert webhook_problem(url) is not None


def test_a_branch_goes_to_then_or_else_or_on():
    ids = ["a", "b", "c"]
    step = fields([{"id": "a", "type": "branch", "conditions": [{"field": "score", "op": "gt", "value": 1}],
                    "then": "c"}, {"id": "b", "type": "wait", "duration": {"days": 1}},
                   {"id": "c", "type": "wait", "duration": {"days": 1}}]).steps[0]
    assert branch_target(step, {"score": 5}, {}, ids, NOW) == (True, "c")
    assert branch_target(step, {"score": 0}, {}, ids, NOW) == (False, "b")
    assert after(ids, "c") == "end"


def test_a_wait_ends_after_its_duration_or_at_a_date_with_its_offset():
    duration = WaitStep.model_validate({"id": "w", "type": "wait", "duration": {"days": 1, "hours": 2}})
    assert wait_until(duration, {}, {}, NOW) == NOW + dt.timedelta(hours=26)
    until = WaitStep.model_validate({"id": "w", "type": "wait", "until": {"field": "custom.renews",
                                                                         "offset": {"days": -7}}})
    assert wait_until(until, {"custom_fields": {"renews": "2027-01-31"}}, {}, NOW) == \
        dt.datetime(2027, 1, 24, tzinfo=dt.UTC)
    # A date already past (or none) waits no time
    assert wait_until(until, {"custom_fields": {"renews": "2026-12-05"}}, {}, NOW) is None
    assert wait_until(until, {}, {}, NOW) is None


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=20),
                    st.floats(allow_nan=True, allow_infinity=True))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                         max_size=4), max_leaves=20)
STEP = st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "end", "c d"]),
                              "type": st.sampled_from(["wait", "branch", "send_email", "create_task", "set_field",
                                                       "assign", "webhook", "sleep"])},
                             optional={"duration": JSON, "until": JSON, "conditions": JSON, "then": JSON,
                                       "else": JSON, "url": st.text(max_size=30), "template_id": JSON,
                                       "subject": JSON, "field": JSON, "value": JSON, "due_in": JSON})


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"name": JSON, "trigger": JSON, "steps": st.lists(STEP, max_size=5) | JSON},
                             optional={"re_entry": JSON, "stop_on": JSON, "status": JSON}))
def test_a_definition_a_stranger_writes_is_accepted_or_refused_never_raises_otherwise(body):
    # Given any JSON in the shape of a workflow, when it is checked
    try:
        workflow = WorkflowFields.model_validate(body)
    except ValidationError:
        return  # refused field by field: the API's 422
    problems = definition_problems(workflow, CONTACT_FIELDS)
    # Then it holds together, or each problem is a message at a path; and a valid run of its conditions
    # never raises whatever the record holds
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in problems.items())
    for step in workflow.steps:
        for condition in getattr(step, "conditions", ()):
            holds(condition, {"score": body, "email": "x"}, {"x": body}, NOW)


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from(["eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists", "missing",
                           "older_than_days", "within_days"]), value=JSON, actual=JSON)
def test_any_condition_on_any_value_is_true_or_false(op, value, actual):
    try:
        condition = Condition.model_validate({"field": "score", "op": op, "value": value})
    except ValidationError:
        return
    assert holds(condition, {"score": actual}, {}, NOW) in (True, False)
