"""(m) Outbound email in process (moto, the table built from template.yaml): the AWS requests and the cost of each
email the CRM sends, and of what comes back from a recipient.

- A workflow's template email (crm.outbound.compose.send_to_contact): reads the contact, the template and the
  suppression list, claims the send's key, sends through SES, records the send, and writes the email, its
  timeline entry and its Email Sent event in one transaction.
- A staff reply (POST /v1/emails, crm.outbound.staff): the same, plus the email it answers and the caller's
  profile, and (a reply with a 30 KB file) the file kept once in the attachments bucket.
- A one-click unsubscribe (POST /unsubscribe/{token}): the contact read and its consent written with its audit
  entry, timeline entry and two events, in one transaction.
- A hard bounce (MailEventsFunction): the address's contact found, its suppression, timeline entry and event in
  one transaction.

Each operation's requests are counted with botocore's hooks (bench.aws_calls) over RUNS runs; the CPU time is the
median of those runs (moto, in the same process, is in it: a transaction's conditions cost it far more CPU than
they cost the function, so the Lambda figure is an upper bound). Cost at us-east-1 list prices: Lambda (arm64
at 256 MB, CPU x the share of a vCPU plus each request's latency), DynamoDB on-demand (a consistent read 1 RRU,
a write 1 WRU per item under 1 KB, a transactional write 2 WRU per item, and 1 WRU per index entry it adds), SES
$0.10 per thousand emails, S3 PUT $0.005 per thousand, the HTTP API $1.00 per million requests. An email's item
is larger than 1 KB with a long body: each further KB of text is 2 WRU more in the transaction.

`python -m bench.outbound` runs this section alone (`--results FILE` adds its figures to the bench's results
file)."""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from typing import Any

# `python -m bench.outbound` from the repository's root; the hooks go in before any code under test runs.
from bench.cost import (
    DEFAULT_LATENCY_MS,
    DYNAMODB_PER_RRU,
    DYNAMODB_PER_WRU,
    FULL_VCPU_MB,
    HTTP_API_PER_REQUEST,
    LAMBDA_GB_SECOND,
    LAMBDA_PER_REQUEST,
    LATENCY_MS,
)
from bench.harness import apply_environment, embedded_aws, quiet
from bench.operations import RUNS, SES_PER_EMAIL, figures_of, measured, print_operations, section_main

MEMORY_MB = 256
S3_PER_PUT = 0.005 / 1_000
NOW = "2026-12-04T00:00:00Z"
# Index entries each operation's transaction adds: the email's thread entry (GSI1), the audit entry's (GSI1).
INDEX_ENTRIES = {"workflow_email": 1, "staff_reply": 1, "unsubscribe": 1, "hard_bounce": 0}


def _setup() -> dict[str, str]:
    import boto3  # noqa: PLC0415 - inside moto
    from crm.contacts.spec import UniqueItem  # noqa: PLC0415 - once the environment is set
    from crm.contacts.store import new_contact_item  # noqa: PLC0415 - once the environment is set
    from crm.mail.spec import EmailItem  # noqa: PLC0415 - once the environment is set
    from crm.outbound.spec import EmailTemplateItem  # noqa: PLC0415 - once the environment is set
    from crm.platform.config import get_settings  # noqa: PLC0415 - once the environment is set
    from crm.team.spec import MemberItem  # noqa: PLC0415 - once the environment is set

    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain="crm.example.com")
    MemberItem(*MemberItem.key("rep-1"), user_id="rep-1", email="sara@crm.example.com", name="Sara",
               created_at=NOW, updated_at=NOW, version=1).save()
    variants = {"en": {"subject": "News for {{ contact.first_name }}", "text": "Hello {{ contact.first_name }}, "
                       "our news of the month." * 10, "html": "<p>Hello {{ contact.first_name }}</p>"}}
    EmailTemplateItem(*EmailTemplateItem.key("news"), template_id="news", name="News", topic="newsletter",
                      default_language="en", variants_json=json.dumps(variants), created_at=NOW, updated_at=NOW,
                      updated_by="admin", version=1, GSI1PK=EmailTemplateItem.list_key(), GSI1SK=f"{NOW}#news").save()
    for number in range(RUNS):
        contact_id = f"c{number:04d}"
        contact = new_contact_item(contact_id, now=NOW, lifecycle_stage="lead", source="form", owner="rep-1",
                                   email=f"leila{number}@example.com", first_name="Leila", last_name=None)
        contact.consent = {"newsletter": {"status": "subscribed", "at": NOW, "source": "form"}}
        contact.save()
        UniqueItem(*UniqueItem.key("email", f"leila{number}@example.com"), kind="email", contact_id=contact_id).save()
        email_id = f"in{number:04d}"
        EmailItem(*EmailItem.key(email_id), email_id=email_id, status="received", message_id=f"{email_id}@example.com",
                  thread_id=email_id, subject="Pricing?", from_address=f"leila{number}@example.com",
                  received_at=NOW, contact_ids=[contact_id], size=100, raw_bucket="b", raw_key="k",
                  GSI1PK=EmailItem.thread_key(email_id), GSI1SK=f"{NOW}#{email_id}").save()
    boto3.client("s3", region_name="us-east-1").head_bucket(Bucket=get_settings().attachments_bucket)
    # A different file each run: a file the CRM holds already is not uploaded again.
    return {str(n): base64.b64encode(b"%PDF" + n.to_bytes(4) + bytes(30 * 1024)).decode() for n in range(RUNS)}


def _cost(requests: Counter[str], transacted: int, index_entries: int, cpu_seconds: float, extra: float) -> float:
    latency = sum(n * LATENCY_MS.get(name, DEFAULT_LATENCY_MS) for name, n in requests.items())
    seconds = cpu_seconds * FULL_VCPU_MB / MEMORY_MB + latency / 1000
    reads = sum(n for name, n in requests.items() if name in ("dynamodb:GetItem", "dynamodb:Query"))
    writes = sum(n for name, n in requests.items() if name in ("dynamodb:PutItem", "dynamodb:UpdateItem",
                                                               "dynamodb:DeleteItem"))
    wru = writes + 2 * transacted + index_entries
    return (seconds * MEMORY_MB / 1024 * LAMBDA_GB_SECOND["arm64"] + LAMBDA_PER_REQUEST
            + reads * DYNAMODB_PER_RRU + wru * DYNAMODB_PER_WRU + requests["s3:PutObject"] * S3_PER_PUT
            + extra) * 1_000_000


def measure() -> dict[str, Any]:
    apply_environment()
    from crm.platform.config import get_settings  # noqa: PLC0415 - once the environment is set

    get_settings.cache_clear()
    with quiet(), embedded_aws():
        from crm.outbound.compose import send_to_contact  # noqa: PLC0415 - once the environment is set
        from crm.outbound.staff import Request, send_from_staff  # noqa: PLC0415 - once the environment is set
        from crm.outbound.subscriptions import one_click_unsubscribe  # noqa: PLC0415 - once the environment is set
        from crm.platform.access import caller_from_claims  # noqa: PLC0415 - once the environment is set
        from mail_events.handler import suppress  # noqa: PLC0415 - once the environment is set

        data = _setup()
        rep = caller_from_claims({"sub": "rep-1", "cognito:groups": "[admin]"})

        def workflow_email(number: int) -> None:
            if send_to_contact(f"c{number:04d}", "news", send_key=f"wf:{number}").status != "sent":
                raise RuntimeError("the email was not sent: the figures would not be a send's")

        def staff_reply(number: int) -> None:
            request = Request(contact_id=None, to=None, subject=None, text="Our prices are attached.", html=None,
                              reply_to_email_id=f"in{number:04d}", template_id=None, variables={},
                              attachments=[{"filename": f"prices-{number}.pdf", "content_type": "application/pdf",
                                            "content_base64": data[str(number)]}])
            if send_from_staff(rep, request, uuid.uuid4().hex)["status"] != "sent":
                raise RuntimeError("the reply was not sent")

        def unsubscribe(number: int) -> None:
            from crm.outbound.compose import unsubscribe_url  # noqa: PLC0415 - once the environment is set

            if one_click_unsubscribe(unsubscribe_url(f"c{number:04d}", "newsletter").rsplit("/", 1)[1]) is None:
                raise RuntimeError("the token was refused")

        def hard_bounce(number: int) -> None:
            if not suppress(f"leila{number}@example.com", "bounce", NOW, {"type": "General"}):
                raise RuntimeError("nothing was suppressed")

        figures: dict[str, Any] = {}
        for name, run, extra in (("workflow_email", workflow_email, SES_PER_EMAIL),
                                 ("staff_reply", staff_reply, SES_PER_EMAIL + HTTP_API_PER_REQUEST),
                                 ("unsubscribe", unsubscribe, HTTP_API_PER_REQUEST),
                                 ("hard_bounce", hard_bounce, 0.0)):
            ran = measured(run)
            figures[name] = figures_of(ran, _cost(ran.requests, ran.transacted, INDEX_ENTRIES[name], ran.cpu_seconds,
                                                  extra)) | {"transacted_items": ran.transacted}
    return figures


def print_figures(figures: dict[str, Any]) -> None:
    print_operations("(m) Outbound email", (("workflow_email", "template email from a workflow"),
                                            ("staff_reply", "staff reply with a 30 KB file"),
                                            ("unsubscribe", "one-click unsubscribe"),
                                            ("hard_bounce", "hard bounce suppressed")), figures, width=32)


def main() -> None:
    section_main(__doc__ or "", "outbound", measure, print_figures)


if __name__ == "__main__":
    main()
