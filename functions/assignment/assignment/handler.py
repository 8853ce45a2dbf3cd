"""Lambda entry of assignment (decision 0050):
- EventBridge "Contact Created" (from the API, imports, web forms, email and payments): a new contact without
  an owner is given one by the assignment rules; one created with an owner is left alone.
- EventBridge Scheduler's one-time `sla-<contact_id>` schedule, {"kind": "sla_check", "contact_id",
  "assigned_at"}: a lead not contacted in time is escalated once.
A failure raises: Lambda retries, then AssignmentDLQ keeps the event or the input, which `crm dlq replay`
invokes again (an assigned contact is left as it is, and an escalation is once per assignment)."""

from __future__ import annotations

from typing import Any

from crm.assignment.sla import check_sla
from crm.assignment.store import SLA_CHECK, assign_contact
from crm.platform.config import get_settings
from crm.platform.observability import logger, metrics
from crm.platform.startup import loaded
from crm.records.table import bind_table

CONTACT_CREATED = "Contact Created"

bind_table(get_settings())


class MalformedTrigger(ValueError):
    """An event this function is wired to but cannot read: it is retried, then kept in the DLQ."""


@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    if event.get("kind") == SLA_CHECK:
        contact_id, assigned_at = event.get("contact_id"), event.get("assigned_at")
        if not isinstance(contact_id, str) or not isinstance(assigned_at, str):
            raise MalformedTrigger("an SLA check without contact_id or assigned_at")
        outcome = check_sla(contact_id, assigned_at)
        metrics.add_metric(name=f"SlaChecks_{outcome}", unit="Count", value=1)
        return {"sla": outcome, "contact_id": contact_id}
    if event.get("detail-type") == CONTACT_CREATED:
        detail = event.get("detail")
        contact_id = detail.get("contact_id") if isinstance(detail, dict) else None
        if not isinstance(contact_id, str) or not contact_id:
            raise MalformedTrigger("Contact Created without contact_id")
        owner = assign_contact(contact_id)
        metrics.add_metric(name="LeadsAssigned" if owner else "LeadsLeftUnassigned", unit="Count", value=1)
        return {"contact_id": contact_id, "owner": owner}
    logger.warning("assignment got an event it does not know", extra={"detail_type": event.get("detail-type"),
                                                                     "kind": event.get("kind")})
    return {"ignored": True}


loaded()
