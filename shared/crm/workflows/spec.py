"""What workflows keep (decision 0051).

- A workflow, `WORKFLOW#<id>` / `WORKFLOW`: its definition as written (crm.workflows.definition), its webhook
  secret (shown once, when it is made), every workflow on GSI1 `WORKFLOWS` (few; read whole).
- A trigger entry per event type of an active workflow, `WORKFLOW#<id>` / `TRIGGER#<event type>`, on GSI2
  `WORKFLOW_TRIGGER#<event type>`: the workflows an event starts are one Query, never a Scan. Only an active
  workflow has them; pausing or deleting one removes them in the same transaction.
- A run, `CONTACT#<contact id>` / `WORKFLOW_RUN#<workflow id>`: one per (workflow, contact), put with a
  condition that enforces re-entry; where it is (`position`, a step id or `end`) and how it stands. In the
  contact's partition, so the runs an event about a contact stops are one Query; on GSI1
  `WORKFLOW_RUNS#<workflow id>` for the workflow's list of runs."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from crm.records.table import ByCreatedIndex, CollectionOrderIndex, CrmItem, ListedItem

RUN_STATUSES = ("running", "waiting", "completed", "stopped", "failed")
# A run in one of these may still take a step.
LIVE = ("running", "waiting", "failed")
MAX_WORKFLOWS = 200


class WorkflowItem(ListedItem):
    workflow_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    trigger: MapAttribute[str, Any] = MapAttribute()
    steps = ListAttribute(of=MapAttribute)
    re_entry = UnicodeAttribute(default="once")
    stop_on = ListAttribute(of=UnicodeAttribute, null=True)
    secret = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)

    @staticmethod
    def key(workflow_id: str) -> tuple[str, str]:
        return f"WORKFLOW#{workflow_id}", "WORKFLOW"

    @staticmethod
    def list_key() -> str:
        return "WORKFLOWS"


class TriggerItem(CrmItem):
    workflow_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    GSI2PK = UnicodeAttribute()
    order_key = UnicodeAttribute(attr_name="score_key")
    by_trigger = CollectionOrderIndex()

    @staticmethod
    def key(workflow_id: str, event_type: str) -> tuple[str, str]:
        return f"WORKFLOW#{workflow_id}", f"TRIGGER#{event_type}"

    @staticmethod
    def index_key(event_type: str) -> str:
        return f"WORKFLOW_TRIGGER#{event_type}"


class RunItem(CrmItem):
    run_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    status = UnicodeAttribute()
    position = UnicodeAttribute()
    # The event that started the run, whole: a redelivery or a replay of it resumes this run.
    trigger_event_id = UnicodeAttribute()
    event_json = UnicodeAttribute(null=True)
    stop_on = ListAttribute(of=UnicodeAttribute, null=True)
    wait_until = UnicodeAttribute(null=True)
    steps_taken = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    by_created = ByCreatedIndex()

    @staticmethod
    def key(contact_id: str, workflow_id: str) -> tuple[str, str]:
        return f"CONTACT#{contact_id}", f"WORKFLOW_RUN#{workflow_id}"

    @staticmethod
    def list_key(workflow_id: str) -> str:
        return f"WORKFLOW_RUNS#{workflow_id}"
