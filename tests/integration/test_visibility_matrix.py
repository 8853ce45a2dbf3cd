"""Who sees which record, route by route: one world of records (a customer and a lead, each with a company,
a deal, activities, mail with an attachment and a payment; a stranger's support case), then every read
route of the API called by every role and by a caller in no group. Each call must return exactly the
records the role matrix lets that role see, not merely the right status.

The walk is driven by the served OpenAPI document: every GET operation must have its row in `WALK`, so a
new route that returns records cannot be left out. The rules, as the product states them:

- `PERMISSIONS` (crm.platform.access) says which roles may read each resource (`READERS` restates it,
  so that a change to who reads what is deliberate): anyone else, and a caller in no group, gets 403.
- Support sees customers only (`Caller.customers_only`): contacts and companies whose lifecycle stage is
  `customer`, timelines of customers, activities whose contact is a customer (it lists them one customer
  at a time); mail (an email by id, the emails of its thread, an attachment's link) only where it
  belongs to a support case or to a customer. A record support may not see is 404 to it.
- A timeline shows an entry only to a role that may read what the entry is about (an email, a deal, a
  payment, an activity).

Where the product does not follow these rules today, the row is an expected failure naming the
disagreement (`DISAGREEMENTS`); it turns into a failure as soon as the product is fixed, so the mark is
removed with the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from typing import Any

import pytest
from crm.platform.access import PERMISSIONS, ROLES, Caller

from tests.conftest import LOCAL_ORIGIN, TEST_ENV, sample_event
from tests.integration.test_email_ingest import emails, receive
from tests.integration.test_search import IndexerStream
from tests.support.api_client import ApiClient, ApiResponse
from tests.support.imports import csv_bytes, step, upload
from tests.support.mail import DOMAIN, SALES, SUPPORT, message, reply_to, with_attachment
from tests.support.signing import stripe_header

NO_ROLE = ""
CALLERS = (*ROLES, NO_ROLE)
# The one role that sees customers only (the matrix's words; `Caller.customers_only` is the code's).
CUSTOMERS_ONLY = frozenset({"support"})
STRIPE_SECRET = "whsec_visibility_matrix"
OWNER = "sales-1"
PAGE = {"limit": "200"}

admin, sales, marketing, support = (ApiClient(role, user=f"{role}-1") for role in ROLES)


# Who may read each resource the walk reads, as the product states it. `PERMISSIONS` must say the same
# (a change to who reads what is made in both, deliberately).
_ALL, _SALES = frozenset(ROLES), frozenset({"admin", "sales"})
READERS: dict[str, frozenset[str]] = {
    "contacts": _ALL, "companies": _ALL, "activities": _ALL, "definitions": _ALL,
    "deals": _SALES, "payments": _SALES, "audit": frozenset({"admin"}),
    "forms": frozenset({"admin", "sales", "marketing"}), "scoring_model": frozenset({"admin", "sales", "marketing"}),
    "emails": frozenset({"admin", "sales", "support"}), "cases": frozenset({"admin", "sales", "support"}),
    "mailboxes": frozenset({"admin", "sales", "support"}), "exports": _ALL, "imports": _ALL, "dashboards": _ALL,
    "reports": _ALL, "notifications": _ALL, "saved_views": _ALL,
    "assignment_rules": frozenset({"admin"}), "team": frozenset({"admin"}), "profile": _ALL,
    "email_templates": _ALL,
    "workflows": frozenset({"admin", "marketing"}),
}


def may_read(role: str, resource: str) -> bool:
    return role in READERS[resource]


# --- The world ----------------------------------------------------------------------------------------------

@dataclass
class World:
    """The ids of every record the walk reads, and what each contact's timeline is about."""

    customer: str = ""
    lead: str = ""
    stranger: str = ""
    customer_company: str = ""
    lead_company: str = ""
    customer_deal: str = ""
    lead_deal: str = ""
    customer_activity: str = ""
    support_activity: str = ""
    lead_activity: str = ""
    company_activity: str = ""
    customer_mail: str = ""
    lead_on_customer_thread: str = ""
    lead_mail: str = ""
    lead_case_mail: str = ""
    stranger_mail: str = ""
    stranger_reply: str = ""
    customer_file: str = ""
    lead_file: str = ""
    lead_case: str = ""
    stranger_case: str = ""
    customer_payment: str = ""
    lead_payment: str = ""
    pipeline: str = ""
    form: str = "newsletter"
    # A submission the demo form judged spam, kept for review.
    spam: str = ""
    # A notification of the seller's own (everyone reads only their own).
    notification: str = ""
    sellers_view: str = ""
    team_view: str = ""
    custom_field: str = "company:tier"
    # role -> the export it asked for (an export is its creator's alone).
    exports: dict[str, str] = field(default_factory=dict)
    # role -> the import it started (its creator's and the admins'); sales's has had its dry run.
    imports: dict[str, str] = field(default_factory=dict)
    mapping: str = "walk-mapping"
    # Sales's saved reports: one private, one shared with support.
    report: str = ""
    shared_report: str = ""
    # An assignment rule (admins alone read them), and a profile an admin saved for sales.
    rule: str = ""
    profile: str = ""
    # An email template marketing saved (every role reads templates, to send one).
    email_template: str = ""
    # A workflow marketing made, and the run a lead's creation started (admins and marketing read them).
    workflow: str = ""
    workflow_run: str = ""
    # "entity:id" of every record written through the API (the audit log's subjects).
    audited: set[str] = field(default_factory=set)
    # contact id -> (resource, id) of what each entry of its timeline is about.
    timelines: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def about(self, contact_id: str, resource: str, record_id: str) -> None:
        self.timelines.setdefault(contact_id, set()).add((resource, record_id))


def created(client: ApiClient, path: str, body: dict[str, Any], world: World, entity: str) -> str:
    response = client.post(path, body)
    assert response.status == 201, (path, response.body)
    world.audited.add(f"{entity}:{response.body['id']}")
    return str(response.body["id"])


def a_workflow_run(w: World) -> tuple[str, str]:
    """An active workflow, and its run for the lead (one branch: it ends at once, scheduling nothing)."""
    from crm.workflows.store import forget_cache
    from workflows.handler import handler

    workflow = created(ApiClient("marketing", user="marketing-1"), "/v1/workflows", {
        "name": "Walk", "status": "active", "trigger": {"events": ["Walk Started"]},
        "steps": [{"id": "done", "type": "branch", "conditions": [{"field": "id", "op": "exists"}], "then": "end"}]},
        w, "workflow")
    forget_cache()
    handler({"id": "walk-1", "detail-type": "Walk Started", "source": "crm",
             "detail": {"contact_id": w.lead, "event_id": "walk-1"}}, None)
    return workflow, w.lead


def capture_lead(email: str, first_name: str, last_name: str) -> str:
    """A lead from the demo web form, as a visitor's browser posts it."""
    from lead_capture.handler import handler

    body = json.dumps({"email": email, "first_name": first_name, "last_name": last_name})
    event = sample_event("lead_capture_submit_json.json", body=body)
    event["requestContext"]["http"]["sourceIp"] = f"198.51.100.{uuid.uuid4().int % 250}"
    response = handler(event, None)
    assert response["statusCode"] in (200, 201), response
    return str(json.loads(response["body"])["contact_id"])


def deliver_stripe(event_type: str, obj: dict[str, Any], event_id: str) -> dict[str, Any]:
    from payment_webhook.handler import handler

    raw = json.dumps({"id": event_id, "object": "event", "type": event_type, "created": 1_795_521_600,
                      "data": {"object": obj}})
    event = sample_event("payment_webhook_stripe.json", body=raw)
    event["headers"]["stripe-signature"] = stripe_header(raw, STRIPE_SECRET)
    response = handler(event, None)
    assert response["statusCode"] == 200, response
    body = json.loads(response["body"])
    assert body["status"] == "processed", body
    return body


def received(aws: dict[str, Any], mail: EmailMessage) -> str:
    """The id of a message once email ingestion stored it."""
    before = {e["email_id"]["S"] for e in emails(aws)}
    assert receive(mail) == {"batchItemFailures": []}
    [email_id] = {e["email_id"]["S"] for e in emails(aws)} - before
    return str(email_id)


def build_world(aws: dict[str, Any]) -> World:
    from email_ingest.handler import forget_mail_settings

    w = World()
    # Configuration: the mailboxes (support@ opens cases), a custom field, a pipeline, a second form.
    mailboxes = {SUPPORT: {"queue": "support", "opens_cases": True}, SALES: {"queue": "sales"}}
    saved = admin.call("PUT", "/v1/mailboxes", mailboxes, headers={"if-match": '"0"'})
    assert saved.status == 200, saved.body
    w.audited.add("mailboxes:inbound")
    forget_mail_settings()
    definition = {"entity": "company", "key": "tier", "label": "Tier", "type": "text"}
    assert admin.post("/v1/custom-fields", definition).status == 201
    w.audited.add("custom_field:company.tier")
    stages = [{"id": "renewal", "name": "Renewal", "probability": 50}]
    w.pipeline = created(admin, "/v1/pipelines", {"name": "Renewals", "stages": stages}, w, "pipeline")
    form = {"name": "Newsletter", "fields": [{"name": "email", "label": "Email", "type": "email", "required": True,
                                              "maps_to": "email"}], "allowed_origins": [LOCAL_ORIGIN]}
    assert marketing.call("PUT", f"/v1/forms/{w.form}", form).status == 201
    w.audited.add(f"form:{w.form}")

    # A customer (through the API) and a lead (from the web form), each with its company.
    w.customer_company = created(sales, "/v1/companies", {"name": "Matrix Customer Co", "domain": "customer.example",
                                                          "lifecycle_stage": "customer", "owner": OWNER}, w, "company")
    w.lead_company = created(sales, "/v1/companies", {"name": "Matrix Lead Co", "domain": "lead.example",
                                                      "lifecycle_stage": "lead", "owner": OWNER}, w, "company")
    w.customer = created(sales, "/v1/contacts", {
        "first_name": "Cyrus", "last_name": "Matrix", "email": "cyrus@customer.example", "lifecycle_stage": "customer",
        "company_id": w.customer_company, "owner": OWNER}, w, "contact")
    w.about(w.customer, "contacts", w.customer)
    w.lead = capture_lead("leila@lead.example", "Leila", "Matrix")
    w.about(w.lead, "contacts", w.lead)
    version = sales.get(f"/v1/contacts/{w.lead}").body["version"]
    linked = sales.patch(f"/v1/contacts/{w.lead}", {"company_id": w.lead_company, "owner": OWNER}, version)
    assert linked.status == 200, linked.body
    w.audited.add(f"contact:{w.lead}")

    # A deal each, and activities: on each contact and its deal, one support logged on the customer, and one
    # on the customer's company alone.
    pairs = ((w.customer, w.customer_company, "customer"), (w.lead, w.lead_company, "lead"))
    for contact_id, company_id, name in pairs:
        deal = created(sales, "/v1/deals", {"name": f"Matrix {name} deal", "contact_id": contact_id,
                                            "company_id": company_id, "amount_minor": 9900, "currency": "EUR",
                                            "owner": OWNER}, w, "deal")
        activity = created(sales, "/v1/activities", {"type": "call", "subject": f"Call the {name}", "owner": OWNER,
                                                     "contact_id": contact_id, "deal_id": deal}, w, "activity")
        setattr(w, f"{name}_deal", deal)
        setattr(w, f"{name}_activity", activity)
        w.about(contact_id, "deals", deal)
        w.about(contact_id, "activities", activity)
    w.support_activity = created(support, "/v1/activities", {"type": "note", "subject": "Helped with login",
                                                             "contact_id": w.customer, "owner": OWNER}, w, "activity")
    w.about(w.customer, "activities", w.support_activity)
    meeting = {"type": "meeting", "subject": "Quarterly review", "company_id": w.customer_company, "owner": OWNER}
    w.company_activity = created(sales, "/v1/activities", meeting, w, "activity")

    # Mail: the customer writes to sales with a file, and the lead answers on that thread; the lead writes to
    # sales with another file, then writes to the support desk on that thread (which opens a case there);
    # a stranger writes to the support desk (a case, and a new contact who is a lead) and replies.
    customer_pdf, lead_pdf = b"%PDF-1.4 customer " + os.urandom(256), b"%PDF-1.4 lead " + os.urandom(256)
    first = with_attachment(message(sender="Cyrus Matrix <cyrus@customer.example>", to=SALES, subject="Order"),
                            customer_pdf)
    w.customer_mail = received(aws, first)
    w.lead_on_customer_thread = received(aws, message(
        sender="Leila Matrix <leila@lead.example>", to=SALES, subject="Re: Order", In_Reply_To=first["Message-ID"],
        References=first["Message-ID"]))
    prices = with_attachment(message(sender="Leila Matrix <leila@lead.example>", to=SALES, subject="Prices?"),
                             lead_pdf, filename="prices.pdf")
    w.lead_mail = received(aws, prices)
    w.lead_case_mail = received(aws, reply_to(prices, sender="Leila Matrix <leila@lead.example>", to=SUPPORT))
    opened = message(sender="Stranger Matrix <stranger@example.gr>", subject="Login broken")
    w.stranger_mail = received(aws, opened)
    w.stranger_reply = received(aws, reply_to(opened, sender="Stranger Matrix <stranger@example.gr>"))
    w.customer_file, w.lead_file = hashlib.sha256(customer_pdf).hexdigest(), hashlib.sha256(lead_pdf).hexdigest()
    stored = {e["email_id"]["S"]: e for e in emails(aws)}
    w.lead_case = stored[w.lead_case_mail]["case_id"]["S"]
    w.stranger_case = stored[w.stranger_mail]["case_id"]["S"]
    [w.stranger] = [c["S"] for c in stored[w.stranger_mail]["contact_ids"]["L"]]
    for contact_id, mails in ((w.customer, [w.customer_mail]),
                              (w.lead, [w.lead_on_customer_thread, w.lead_mail, w.lead_case_mail]),
                              (w.stranger, [w.stranger_mail, w.stranger_reply])):
        for email_id in mails:
            w.about(contact_id, "emails", email_id)

    # Payments: the customer pays for its deal (which wins it); the lead's payment fails (it stays a lead).
    paid = deliver_stripe("payment_intent.succeeded", {
        "id": "pi_customer", "object": "payment_intent", "amount_received": 9900, "currency": "eur",
        "metadata": {"crm_contact_id": w.customer, "crm_deal_id": w.customer_deal}}, "evt_customer")
    failed = deliver_stripe("payment_intent.payment_failed", {
        "id": "pi_lead", "object": "payment_intent", "amount": 4900, "currency": "eur",
        "last_payment_error": {"message": "Card declined"}, "metadata": {"crm_contact_id": w.lead}}, "evt_lead")
    w.customer_payment, w.lead_payment = paid["payment_key"], failed["payment_key"]
    w.about(w.customer, "payments", w.customer_payment)
    w.about(w.lead, "payments", w.lead_payment)

    # Each role's own export of the customers.
    for role, client in zip(ROLES, (admin, sales, marketing, support), strict=True):
        started = client.post("/v1/exports", {"list": "/v1/contacts?lifecycle_stage=customer", "format": "csv"})
        assert started.status == 202, started.body
        w.exports[role] = started.body["id"]

    # Each role's own import of what it may write; sales's file read and dry-run, which writes nothing.
    for role, client in zip(ROLES, (admin, sales, marketing, support), strict=True):
        entity = "activities" if role == "support" else "contacts"
        w.imports[role] = upload(client, entity, csv_bytes([["email"], ["walk@example.com"]]))["id"]
    step(sales, w.imports["sales"], "check", {"mapping": {"email": "email"}})
    # Sales's reports: its own, and one it shares with support.
    w.report = created(sales, "/v1/reports", {"name": "Mine", "entity": "contacts"}, w, "report")
    w.shared_report = created(sales, "/v1/reports", {"name": "Ours", "entity": "contacts",
                                                     "shared_with": ["support"]}, w, "report")
    w.email_template = created(ApiClient("marketing", user="marketing-1"), "/v1/email-templates", {
        "name": "Welcome", "topic": "newsletter", "variants": {"en": {"subject": "Hi", "text": "Hello"}}},
        w, "email_template")
    w.workflow, w.workflow_run = a_workflow_run(w)
    w.rule = created(admin, "/v1/assignment-rules", {"name": "Web leads", "strategy": "round_robin",
                                                     "members": [{"user_id": OWNER}]}, w, "assignment rule")
    saved = admin.call("PUT", "/v1/users/sales-1", {"time_zone": "Asia/Tehran", "manager": "admin-1"})
    assert saved.status == 200, saved.body
    w.profile = "sales-1"
    w.audited.add("team member:sales-1")
    assert sales.call("PUT", f"/v1/import-mappings/{w.mapping}",
                      {"entity": "contacts", "columns": {"email": "email"}}).status == 200
    return w


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The embedded AWS of the `aws` and `mail` fixtures, kept for the module: the walk only reads."""
    from email_ingest.handler import forget_mail_settings
    from lead_capture.handler import forget_cached_forms
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        import boto3
        from crm.forms.config import demo_form, save_form
        from crm.platform.config import get_settings
        from crm.records.table import bind_table
        from crm_local.template import create_table_kwargs

        patch.setenv("CRM_STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)
        get_settings.cache_clear()
        settings = get_settings()
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**create_table_kwargs(settings.table_name))
        for bucket in (settings.attachments_bucket, TEST_ENV["CRM_INBOUND_BUCKET"]):
            boto3.client("s3").create_bucket(Bucket=bucket)
        boto3.client("s3").create_bucket(Bucket=settings.transfer_bucket)
        for queue_url in (settings.export_queue_url, settings.import_queue_url):
            boto3.client("sqs").create_queue(QueueName=queue_url.rsplit("/", 1)[1])
        boto3.client("events").create_event_bus(Name=settings.event_bus_name)
        boto3.client("ses").verify_domain_identity(Domain=DOMAIN)
        bind_table(settings)
        save_form(demo_form(allowed_origins=(LOCAL_ORIGIN,), redirect_url="https://www.example.com/thanks"))
        forget_cached_forms()
        aws = {"dynamodb": dynamodb, "s3": boto3.client("s3"), "settings": settings}
        world = build_world(aws)
        world.spam = spam_submission()
        world.notification = seller_notification()
        world.sellers_view, world.team_view = saved_views()
        IndexerStream(aws).catch_up()
        yield world
    get_settings.cache_clear()
    forget_mail_settings()
    forget_cached_forms()


def saved_views() -> tuple[str, str]:
    """The seller's own view of the contacts list (sales-1's, nobody else's) and one an admin shared."""
    from crm.platform.access import Caller
    from crm.saved_views.store import save_view

    own = save_view(Caller("sales-1", frozenset({"sales"})), "Hot leads", "/v1/contacts?sort=-score", False)
    team = save_view(Caller("admin-1", frozenset({"admin"})), "Customers", "/v1/contacts?lifecycle_stage=customer",
                     True)
    return own["id"], team["id"]


def accepted_submissions(form_id: str) -> set[str]:
    """The submissions the form accepted, as the index lists them (the walk read them in build_world)."""
    from crm.records.history import HistoryItem

    return {str(entry.data["submission_id"]) for entry in HistoryItem.by_form.query(HistoryItem.form_list_key(form_id))}


def seller_notification() -> str:
    """A reminder told to the seller the walk calls as (sales-1), by email too: nobody else may see it."""
    from crm.notifications.store import notify

    return notify("sales-1", "reminder", "Reminder: call the customer", "Call back.", None, key="walk:reminder",
                  email=False)


def spam_submission() -> str:
    """A bot's post to the demo form (its honeypot filled): the id spam review lists it by."""
    from crm.forms.review import spam_page
    from lead_capture.handler import handler

    event = sample_event("lead_capture_submit_json.json", body=json.dumps({"email": "bot@example.com",
                                                                           "website": "http://cheap.example"}))
    assert handler(event, None)["statusCode"] == 202
    return str(spam_page("contact-us", "spam", None, None).items[0]["id"])


# --- What a response holds ----------------------------------------------------------------------------------

Found = Callable[[World, Any], set[str]]


def one(world: World, body: Any) -> set[str]:
    return {body["id"]}


def widget_shown(world: World, body: Any) -> set[str]:
    return {f"widget:{body['widget']}"}


def page(world: World, body: Any) -> set[str]:
    assert body["next_cursor"] is None, "the walk reads whole lists: one page"
    return {item["id"] for item in body["items"]}


def import_file(world: World, body: Any) -> set[str]:
    """The import a presigned link's file belongs to: imports/<id>/<step>/<kind>.csv."""
    return {body["url"].split("?")[0].rsplit("/", 3)[-3]}


def its_creators_and_admins(world: World, role: str) -> Seen:
    return {world.imports["sales"]} if role in ("sales", "admin") else 404


def email_and_thread(world: World, body: Any) -> set[str]:
    return {body["id"], *(email["id"] for email in body["thread"])}


def case_and_emails(world: World, body: Any) -> set[str]:
    return {body["id"], *(email["id"] for email in body["emails"])}


def audited(world: World, body: Any) -> set[str]:
    assert body["next_cursor"] is None
    return {f"{entry['entity']}:{entry['entity_id']}" for entry in body["items"]}


def definitions(world: World, body: Any) -> set[str]:
    return {f"{item['entity']}:{item['key']}" for item in body["items"]}


def mailbox_addresses(world: World, body: Any) -> set[str]:
    return set(body["mailboxes"] or {})


def scoring_model(world: World, body: Any) -> set[str]:
    return {f"scoring-model:{body['source']}"} if body["model"] else set()


# What a timeline entry is about: the resource a reader must be allowed to read, and the id in its data
# (None: the timeline's own record).
ENTRY_SUBJECTS: dict[str, tuple[str, str | None]] = {
    "created": ("contacts", None), "updated": ("contacts", None), "contact_created": ("contacts", None),
    "form_resubmitted": ("contacts", None), "score_below_threshold": ("contacts", None),
    "email_received": ("emails", "email_id"), "email_bounced": ("emails", "email_id"),
    "activity_logged": ("activities", "activity_id"),
    "deal_created": ("deals", "deal_id"), "deal_stage_changed": ("deals", "deal_id"), "deal_won": ("deals", "deal_id"),
    "deal_lost": ("deals", "deal_id"),
    "payment_succeeded": ("payments", "payment_key"), "payment_failed": ("payments", "payment_key"),
    "payment_refunded": ("payments", "payment_key"),
    "assigned": ("contacts", None), "not_assigned": ("contacts", None), "sla_escalated": ("contacts", None),
    # A workflow's step on the contact: its name, the step and the outcome (what it sent is its own entry).
    "workflow_step": ("contacts", None),
}


def timeline_of(record: Callable[[World], str]) -> Found:
    """What each entry of a timeline is about, as "resource:id"."""
    def subjects(world: World, body: Any) -> set[str]:
        assert body["next_cursor"] is None
        found = set()
        for entry in body["items"]:
            kind = entry["type"]
            if kind == "qualified":  # lead scoring's (about the contact) or qualify's (about its new deal)
                kind = "deal_created" if "deal_id" in entry["data"] else "created"
            assert kind in ENTRY_SUBJECTS, f"a timeline entry type the walk does not know: {entry['type']}"
            resource, key = ENTRY_SUBJECTS[kind]
            found.add(f"{resource}:{entry['data'][key] if key else record(world)}")
        return found

    return subjects


# --- The walk -------------------------------------------------------------------------------------------------

Seen = set[str] | int
Sees = Callable[[World, str], Seen]


@dataclass(frozen=True)
class Read:
    """One call of a route: its path and query in the world, how to read the ids out of a 200, and what a role
    the matrix lets read the route's resources gets (the ids, or the status of a refusal)."""

    case: str
    path: Callable[[World], str]
    found: Found
    sees: Sees
    query: Callable[[World], dict[str, str]] = lambda w: {}
    also_reads: tuple[str, ...] = ()  # resources this call needs beyond the route's


@dataclass(frozen=True)
class Route:
    reads: tuple[str, ...]  # the resources whose read permission the route needs
    calls: tuple[Read, ...]


def all_but_support(records: Callable[[World], set[str]], support: Callable[[World], Seen]) -> Sees:
    """Each reader but support sees `records`; support, which sees customers only, gets `support` (the ids
    it sees, or 404 for a record it may not see, 400 where it must name a customer)."""
    return lambda w, role: support(w) if role in CUSTOMERS_ONLY else records(w)


def all_alike(records: Callable[[World], set[str]]) -> Sees:
    """Each reader sees `records`."""
    return lambda w, role: records(w)


def timeline(contact: Callable[[World], str], customer: bool) -> Sees:
    """The entries whose subject the role may read; for support, a customer's timeline only."""
    def sees(w: World, role: str) -> Seen:
        if role in CUSTOMERS_ONLY and not customer:
            return 404
        return {f"{resource}:{record}" for resource, record in w.timelines[contact(w)] if may_read(role, resource)}

    return sees


def deal_timeline(w: World, deal: str) -> set[str]:
    activity = w.customer_activity if deal == w.customer_deal else w.lead_activity
    return {f"deals:{deal}", f"activities:{activity}"}


def given(**query: Callable[[World], str] | str) -> Callable[[World], dict[str, str]]:
    """A query string, its values fixed or read from the world."""
    return lambda w: {name: value(w) if callable(value) else value for name, value in query.items()}


def paged(**query: Callable[[World], str] | str) -> Callable[[World], dict[str, str]]:
    """A list's query, for one page that holds the whole list."""
    return lambda w: {**PAGE, **given(**query)(w)}


# What support gets where it sees nothing: a record it may not see, an empty list, or a list of activities
# it must narrow to one customer.
NOT_FOUND: Callable[[World], Seen] = lambda w: 404  # noqa: E731
NOTHING: Callable[[World], Seen] = lambda w: set()  # noqa: E731
NAME_A_CUSTOMER: Callable[[World], Seen] = lambda w: 400  # noqa: E731
ALL_CONTACTS: Callable[[World], set[str]] = lambda w: {w.customer, w.lead, w.stranger}  # noqa: E731
ALL_ACTIVITIES: Callable[[World], set[str]] = lambda w: {  # noqa: E731
    w.customer_activity, w.support_activity, w.lead_activity, w.company_activity}

DASHBOARD_WIDGETS = {"funnel": "contacts", "leads": "contacts", "scores": "contacts", "pipeline": "deals",
                     "deals": "deals", "activity": "activities", "revenue": "payments"}


def dashboard_read(name: str, entity: str) -> Read:
    """A widget, for each role that may read its entity; support is refused the ones it would see summed
    beyond customers."""
    shows: Callable[[World], set[str]] = lambda w: {f"widget:{name}"}  # noqa: E731
    sees = all_but_support(shows, lambda w: 403) if entity in ("contacts", "activities") else all_alike(shows)
    return Read(name, lambda w: f"/v1/dashboards/{name}", widget_shown, sees, also_reads=(entity,))


WALK: dict[str, Route] = {
    "GET /v1/email-templates": Route(("email_templates",), (
        Read("every template", lambda w: "/v1/email-templates", page, all_alike(lambda w: {w.email_template}),
             paged()),
    )),
    "GET /v1/email-templates/{template_id}": Route(("email_templates",), (
        Read("the welcome", lambda w: f"/v1/email-templates/{w.email_template}", one,
             all_alike(lambda w: {w.email_template})),
    )),
    "GET /v1/workflows": Route(("workflows",), (
        Read("every workflow", lambda w: "/v1/workflows", lambda w, body: {x["id"] for x in body["items"]},
             all_alike(lambda w: {w.workflow})),
    )),
    "GET /v1/workflows/templates": Route(("workflows",), (
        Read("the built-in ones", lambda w: "/v1/workflows/templates",
             lambda w, body: {x["key"] for x in body["items"]},
             all_alike(lambda w: {"welcome-after-form", "thank-you-after-payment", "win-back"})),
    )),
    "GET /v1/workflows/{workflow_id}": Route(("workflows",), (
        Read("the walk's", lambda w: f"/v1/workflows/{w.workflow}", one, all_alike(lambda w: {w.workflow})),
    )),
    "GET /v1/workflows/{workflow_id}/runs": Route(("workflows",), (
        Read("the lead's run", lambda w: f"/v1/workflows/{w.workflow}/runs",
             lambda w, body: {x["contact_id"] for x in body["items"]}, all_alike(lambda w: {w.workflow_run})),
    )),
    "GET /v1/assignment-rules": Route(("assignment_rules",), (
        Read("every rule", lambda w: "/v1/assignment-rules", lambda w, body: {r["id"] for r in body["items"]},
             all_alike(lambda w: {w.rule})),
    )),
    "GET /v1/assignment-rules/{rule_id}": Route(("assignment_rules",), (
        Read("the web leads'", lambda w: f"/v1/assignment-rules/{w.rule}", one, all_alike(lambda w: {w.rule})),
    )),
    # One's own profile is one's own alone; the directory is the admins'.
    "GET /v1/users/me": Route(("profile",), (
        Read("one's own", lambda w: "/v1/users/me", one, lambda w, role: {f"{role}-1"}),
    )),
    "GET /v1/users": Route(("team",), (
        Read("every profile", lambda w: "/v1/users", lambda w, body: {p["id"] for p in body["profiles"]},
             all_alike(lambda w: {w.profile})),
    )),
    "GET /v1/contacts/{contact_id}": Route(("contacts",), (
        Read("the customer", lambda w: f"/v1/contacts/{w.customer}", one, all_alike(lambda w: {w.customer})),
        Read("the lead", lambda w: f"/v1/contacts/{w.lead}", one, all_but_support(lambda w: {w.lead}, NOT_FOUND)),
        Read("the stranger (a lead made by the support desk)", lambda w: f"/v1/contacts/{w.stranger}", one,
             all_but_support(lambda w: {w.stranger}, NOT_FOUND)),
    )),
    "GET /v1/contacts": Route(("contacts",), (
        Read("newest first", lambda w: "/v1/contacts", page, all_but_support(ALL_CONTACTS, lambda w: {w.customer}),
             paged()),
        Read("by score", lambda w: "/v1/contacts", page, all_but_support(ALL_CONTACTS, lambda w: {w.customer}),
             paged(sort="-score")),
        Read("the leads", lambda w: "/v1/contacts", page, all_but_support(lambda w: {w.lead, w.stranger}, NOTHING),
             paged(lifecycle_stage="lead")),
        Read("the customers", lambda w: "/v1/contacts", page, all_alike(lambda w: {w.customer}),
             paged(lifecycle_stage="customer")),
        Read("an owner's", lambda w: "/v1/contacts", page,
             all_but_support(lambda w: {w.customer, w.lead}, lambda w: {w.customer}), paged(owner=OWNER)),
        Read("the lead company's", lambda w: "/v1/contacts", page, all_but_support(lambda w: {w.lead}, NOTHING),
             paged(company_id=lambda w: w.lead_company)),
        Read("new ones", lambda w: "/v1/contacts", page, all_but_support(ALL_CONTACTS, lambda w: {w.customer}),
             paged(lead_status="new")),
    )),
    "GET /v1/contacts/{contact_id}/timeline": Route(("contacts",), (
        Read("the customer's", lambda w: f"/v1/contacts/{w.customer}/timeline", timeline_of(lambda w: w.customer),
             timeline(lambda w: w.customer, customer=True), paged()),
        Read("the lead's", lambda w: f"/v1/contacts/{w.lead}/timeline", timeline_of(lambda w: w.lead),
             timeline(lambda w: w.lead, customer=False), paged()),
        Read("the stranger's", lambda w: f"/v1/contacts/{w.stranger}/timeline", timeline_of(lambda w: w.stranger),
             timeline(lambda w: w.stranger, customer=False), paged()),
    )),
    "GET /v1/companies/{company_id}": Route(("companies",), (
        Read("the customer's", lambda w: f"/v1/companies/{w.customer_company}", one,
             all_alike(lambda w: {w.customer_company})),
        Read("the lead's", lambda w: f"/v1/companies/{w.lead_company}", one,
             all_but_support(lambda w: {w.lead_company}, NOT_FOUND)),
    )),
    "GET /v1/companies": Route(("companies",), tuple(
        Read(case, lambda w: "/v1/companies", page,
             all_but_support(lambda w: {w.customer_company, w.lead_company}, lambda w: {w.customer_company}),
             query)
        for case, query in (("newest first", paged()), ("by name", paged(sort="name")),
                            ("an owner's", paged(owner=OWNER)))
    )),
    "GET /v1/search": Route(("contacts",), (
        Read("contacts", lambda w: "/v1/search", page, all_but_support(ALL_CONTACTS, lambda w: {w.customer}),
             paged(q="matrix")),
        Read("contacts by email", lambda w: "/v1/search", page, all_but_support(lambda w: {w.lead}, NOTHING),
             paged(q="leila@lead.example")),
        Read("companies", lambda w: "/v1/search", page,
             all_but_support(lambda w: {w.customer_company, w.lead_company}, lambda w: {w.customer_company}),
             paged(q="matrix", type="company"), also_reads=("companies",)),
    )),
    "GET /v1/activities/{activity_id}": Route(("activities",), (
        Read("the customer's", lambda w: f"/v1/activities/{w.customer_activity}", one,
             all_alike(lambda w: {w.customer_activity})),
        Read("support's own, on the customer", lambda w: f"/v1/activities/{w.support_activity}", one,
             all_alike(lambda w: {w.support_activity})),
        Read("the lead's", lambda w: f"/v1/activities/{w.lead_activity}", one,
             all_but_support(lambda w: {w.lead_activity}, NOT_FOUND)),
        Read("the customer company's, with no contact", lambda w: f"/v1/activities/{w.company_activity}", one,
             all_but_support(lambda w: {w.company_activity}, NOT_FOUND)),
    )),
    "GET /v1/activities": Route(("activities",), (
        Read("all", lambda w: "/v1/activities", page, all_but_support(ALL_ACTIVITIES, NAME_A_CUSTOMER), paged()),
        Read("the customer's", lambda w: "/v1/activities", page,
             all_alike(lambda w: {w.customer_activity, w.support_activity}),
             paged(contact_id=lambda w: w.customer)),
        Read("the customer's, by due date", lambda w: "/v1/activities", page,
             all_alike(lambda w: {w.customer_activity, w.support_activity}),
             paged(contact_id=lambda w: w.customer, sort="due_at")),
        Read("the lead's", lambda w: "/v1/activities", page,
             all_but_support(lambda w: {w.lead_activity}, NAME_A_CUSTOMER),
             paged(contact_id=lambda w: w.lead)),
        Read("the lead deal's", lambda w: "/v1/activities", page,
             all_but_support(lambda w: {w.lead_activity}, NAME_A_CUSTOMER), paged(deal_id=lambda w: w.lead_deal)),
        Read("an owner's", lambda w: "/v1/activities", page, all_but_support(ALL_ACTIVITIES, NAME_A_CUSTOMER),
             paged(owner=OWNER, sort="due_at")),
    )),
    "GET /v1/deals/{deal_id}": Route(("deals",), (
        Read("the customer's", lambda w: f"/v1/deals/{w.customer_deal}", one,
             all_alike(lambda w: {w.customer_deal})),
        Read("the lead's", lambda w: f"/v1/deals/{w.lead_deal}", one, all_alike(lambda w: {w.lead_deal})),
    )),
    "GET /v1/deals": Route(("deals",), (
        Read("all", lambda w: "/v1/deals", page, all_alike(lambda w: {w.customer_deal, w.lead_deal}),
             paged()),
        Read("the lead's", lambda w: "/v1/deals", page, all_alike(lambda w: {w.lead_deal}),
             paged(contact_id=lambda w: w.lead)),
    )),
    "GET /v1/deals/{deal_id}/timeline": Route(("deals",), (
        Read("the customer deal's", lambda w: f"/v1/deals/{w.customer_deal}/timeline",
             timeline_of(lambda w: w.customer_deal), all_alike(lambda w: deal_timeline(w, w.customer_deal)), paged()),
        Read("the lead deal's", lambda w: f"/v1/deals/{w.lead_deal}/timeline", timeline_of(lambda w: w.lead_deal),
             all_alike(lambda w: deal_timeline(w, w.lead_deal)), paged()),
    )),
    "GET /v1/emails/{email_id}": Route(("emails",), (
        Read("the customer's, with the lead's answer on its thread", lambda w: f"/v1/emails/{w.customer_mail}",
             email_and_thread,
             all_but_support(lambda w: {w.customer_mail, w.lead_on_customer_thread}, lambda w: {w.customer_mail})),
        Read("the lead's answer on the customer's thread", lambda w: f"/v1/emails/{w.lead_on_customer_thread}",
             email_and_thread, all_but_support(lambda w: {w.customer_mail, w.lead_on_customer_thread}, NOT_FOUND)),
        Read("the lead's to sales", lambda w: f"/v1/emails/{w.lead_mail}", email_and_thread,
             all_but_support(lambda w: {w.lead_mail, w.lead_case_mail}, NOT_FOUND)),
        Read("the lead's to the support desk, on that thread", lambda w: f"/v1/emails/{w.lead_case_mail}",
             email_and_thread,
             all_but_support(lambda w: {w.lead_mail, w.lead_case_mail}, lambda w: {w.lead_case_mail})),
        Read("the stranger's to the support desk", lambda w: f"/v1/emails/{w.stranger_mail}", email_and_thread,
             all_alike(lambda w: {w.stranger_mail, w.stranger_reply})),
    )),
    "GET /v1/cases": Route(("cases",), (
        Read("the open ones", lambda w: "/v1/cases", page, all_alike(lambda w: {w.stranger_case, w.lead_case}),
             paged()),
    )),
    "GET /v1/cases/{case_id}": Route(("cases",), (
        Read("the stranger's", lambda w: f"/v1/cases/{w.stranger_case}", case_and_emails,
             all_alike(lambda w: {w.stranger_case, w.stranger_mail, w.stranger_reply})),
        Read("the lead's, opened on its thread with sales", lambda w: f"/v1/cases/{w.lead_case}", case_and_emails,
             all_but_support(lambda w: {w.lead_case, w.lead_mail, w.lead_case_mail},
                             lambda w: {w.lead_case, w.lead_case_mail})),
    )),
    "GET /v1/attachments/{attachment_id}": Route(("emails",), (
        Read("the customer's file", lambda w: f"/v1/attachments/{w.customer_file}", one,
             all_alike(lambda w: {w.customer_file})),
        Read("the lead's file", lambda w: f"/v1/attachments/{w.lead_file}", one,
             all_but_support(lambda w: {w.lead_file}, NOT_FOUND)),
    )),
    "GET /v1/payments/{payment_id}": Route(("payments",), (
        Read("the customer's", lambda w: f"/v1/payments/{w.customer_payment}", one,
             all_alike(lambda w: {w.customer_payment})),
        Read("the lead's", lambda w: f"/v1/payments/{w.lead_payment}", one, all_alike(lambda w: {w.lead_payment})),
    )),
    "GET /v1/payments": Route(("payments",), (
        Read("the customer's", lambda w: "/v1/payments", page, all_alike(lambda w: {w.customer_payment}),
             paged(contact_id=lambda w: w.customer)),
        Read("the lead's", lambda w: "/v1/payments", page, all_alike(lambda w: {w.lead_payment}),
             paged(contact_id=lambda w: w.lead)),
    )),
    "GET /v1/audit": Route(("audit",), (
        Read("everything", lambda w: "/v1/audit", audited, all_alike(lambda w: w.audited), paged()),
        Read("the lead's", lambda w: "/v1/audit", audited, all_alike(lambda w: {f"contact:{w.lead}"}),
             paged(entity=lambda w: f"contact:{w.lead}")),
    )),
    "GET /v1/forms": Route(("forms",), (
        Read("all", lambda w: "/v1/forms", page, all_alike(lambda w: {"contact-us", w.form}), paged()),
    )),
    "GET /v1/forms/{form_id}": Route(("forms",), (
        Read("the newsletter", lambda w: f"/v1/forms/{w.form}", one, all_alike(lambda w: {w.form})),
    )),
    "GET /v1/notifications": Route(("notifications",), (
        Read("one's own", lambda w: "/v1/notifications", page,
             lambda w, role: {w.notification} if role == "sales" else set(), paged()),
    )),
    "GET /v1/saved-views": Route(("saved_views",), (
        Read("one's own and the team's", lambda w: "/v1/saved-views", lambda w, body: {v["id"] for v in body["items"]},
             lambda w, role: {w.sellers_view, w.team_view} if role == "sales" else {w.team_view}),
    )),
    "GET /v1/forms/{form_id}/submissions": Route(("forms",), (
        Read("the demo form's", lambda w: "/v1/forms/contact-us/submissions", page,
             all_alike(lambda w: accepted_submissions("contact-us")), paged()),
    )),
    "GET /v1/forms/{form_id}/spam": Route(("forms",), (
        Read("the demo form's spam", lambda w: "/v1/forms/contact-us/spam", page, all_alike(lambda w: {w.spam}),
             paged()),
    )),
    "GET /v1/scoring-model": Route(("scoring_model",), (
        Read("the model", lambda w: "/v1/scoring-model", scoring_model,
             all_alike(lambda w: {"scoring-model:default"})),
    )),
    "GET /v1/mailboxes": Route(("mailboxes",), (
        Read("the saved mailboxes", lambda w: "/v1/mailboxes", mailbox_addresses,
             all_alike(lambda w: {SUPPORT, SALES})),
    )),
    "GET /v1/custom-fields": Route(("definitions",), (
        Read("the companies'", lambda w: "/v1/custom-fields", definitions,
             all_alike(lambda w: {w.custom_field}), given(entity="company")),
    )),
    "GET /v1/pipelines": Route(("definitions",), (
        Read("all", lambda w: "/v1/pipelines", page, all_alike(lambda w: {"default", w.pipeline}), paged()),
    )),
    "GET /v1/pipelines/{pipeline_id}": Route(("definitions",), (
        Read("the renewals", lambda w: f"/v1/pipelines/{w.pipeline}", one, all_alike(lambda w: {w.pipeline})),
        Read("the built-in default", lambda w: "/v1/pipelines/default", one, all_alike(lambda w: {"default"})),
    )),
    "GET /v1/exports": Route(("exports",), (
        Read("one's own", lambda w: "/v1/exports", page, lambda w, role: {w.exports[role]}, paged()),
    )),
    "GET /v1/imports": Route(("imports",), (
        Read("one's own", lambda w: "/v1/imports", page, lambda w, role: {w.imports[role]}, paged()),
    )),
    "GET /v1/imports/{import_id}": Route(("imports",), (
        Read("sales's", lambda w: f"/v1/imports/{w.imports['sales']}", one, its_creators_and_admins),
    )),
    "GET /v1/imports/{import_id}/results": Route(("imports",), (
        Read("sales's dry run", lambda w: f"/v1/imports/{w.imports['sales']}/results", import_file,
             its_creators_and_admins, query=lambda w: {"step": "check"}),
    )),
    "GET /v1/imports/{import_id}/errors": Route(("imports",), (
        Read("sales's dry run", lambda w: f"/v1/imports/{w.imports['sales']}/errors", import_file,
             its_creators_and_admins, query=lambda w: {"step": "check"}),
    )),
    "GET /v1/import-mappings": Route(("imports",), (
        Read("contacts", lambda w: "/v1/import-mappings", lambda w, body: {m["name"] for m in body},
             all_alike(lambda w: {w.mapping}), query=lambda w: {"entity": "contacts"}),
    )),
    # A report is its owner's, the admins', and the roles' it is shared with; to anyone else it does not exist.
    "GET /v1/reports": Route(("reports",), (
        Read("one's own and those shared with one's role", lambda w: "/v1/reports", page,
             lambda w, role: {"admin": {w.report, w.shared_report}, "sales": {w.report, w.shared_report},
                              "support": {w.shared_report}}.get(role, set()), paged()),
    )),
    "GET /v1/reports/{report_id}": Route(("reports",), (
        Read("sales's own", lambda w: f"/v1/reports/{w.report}", one,
             lambda w, role: {w.report} if role in ("admin", "sales") else 404),
        Read("sales's, shared with support", lambda w: f"/v1/reports/{w.shared_report}", one,
             lambda w, role: {w.shared_report} if role in ("admin", "sales", "support") else 404),
    )),
    "GET /v1/exports/{export_id}": Route(("exports",), (
        Read("sales's", lambda w: f"/v1/exports/{w.exports['sales']}", one,
             lambda w, role: {w.exports["sales"]} if role == "sales" else 404),
    )),
    # A widget sums every record of its entity: it needs that entity's read, and support, which sees
    # customers only, may not see contacts or activities summed.
    "GET /v1/dashboards/{widget}": Route(("dashboards",), tuple(
        dashboard_read(name, entity) for name, entity in DASHBOARD_WIDGETS.items())),
}

# (route, case, role) -> why the product gets it wrong today. Each is an expected failure that fails as
# soon as the product is fixed.
DISAGREEMENTS: dict[tuple[str, str, str], str] = {}


def served_reads() -> set[str]:
    """Every GET operation of the document GET /v1/openapi.json serves."""
    spec = ApiClient(authenticated=False).get("/v1/openapi.json")
    assert spec.status == 200, spec.body
    return {f"GET {path}" for path, operations in spec.body["paths"].items() if "get" in operations}


def expected(world: World, route: str, read: Read, role: str) -> Seen:
    if not all(may_read(role, resource) for resource in (*WALK[route].reads, *read.also_reads)):
        return 403
    return read.sees(world, role)


def answer(world: World, response: ApiResponse, found: Found) -> Seen:
    if response.status != 200:
        return response.status
    return found(world, response.body)


WALKS = [(route, read, role) for route, entry in WALK.items() for read in entry.calls for role in CALLERS]


def walk_param(route: str, read: Read, role: str) -> Any:
    reason = DISAGREEMENTS.get((route, read.case, role))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(route, read, role, id=f"{route} [{read.case}] as {role or 'no group'}", marks=marks)


# --- The tests -----------------------------------------------------------------------------------------------

def test_the_role_matrix_grants_the_reads_the_walk_expects():
    # Given the role matrix as data, and the one role that sees customers only
    granted = {resource: PERMISSIONS[resource]["read"] for resource in READERS}
    narrowed = {role for role in ROLES if Caller("someone", frozenset({role})).customers_only}

    # Then each resource is read by exactly the roles the walk expects, and support alone is narrowed to
    # customers (a caller with support and another role is not)
    assert granted == READERS
    assert narrowed == CUSTOMERS_ONLY
    assert not Caller("someone", frozenset({"support", "sales"})).customers_only


def test_every_read_route_the_api_serves_is_in_the_walk():
    # Given the GET operations the API's own document lists
    served = served_reads()

    # When they are compared with the walk's table
    missing, stale = sorted(served - set(WALK)), sorted(set(WALK) - served)

    # Then every one has its row (a new route must say who sees what from it), and no row names a route
    # that is gone
    assert missing == [], f"read routes the visibility walk does not cover: {missing}"
    assert stale == [], f"rows of the walk for routes the API no longer serves: {stale}"


@pytest.mark.parametrize(("route", "read", "role"), [walk_param(*walk) for walk in WALKS])
def test_each_role_sees_exactly_the_records_the_matrix_allows(world, route, read, role):
    # Given the world of records, and a caller in the role (or in no group)
    caller = ApiClient(role, user=f"{role or 'nobody'}-1")

    # When it calls the route
    response = caller.get(read.path(world), **read.query(world))

    # Then it gets exactly the records the matrix lets it see: their ids, or 403 for a route its role may not
    # use, 404 for a record it may not see (400 where support must name a customer)
    assert answer(world, response, read.found) == expected(world, route, read, role), response.body


def test_the_walk_reads_records_that_exist_and_that_some_role_may_not_see(world):
    # Given the world and the walk's expectations
    answers = {(route, read.case): {role: expected(world, route, read, role) for role in CALLERS}
               for route, read, _ in WALKS}

    # Then every record of the world was made, every call expects records for some role (an empty world would
    # let any rule pass), and every rule of support's is exercised: support is refused something others get
    assert [f.name for f in fields(World) if not getattr(world, f.name)] == []
    assert [call for call, seen in answers.items() if not any(isinstance(s, set) and s for s in seen.values())] == []
    narrower = {call for call, seen in answers.items() if seen["support"] != seen["sales"] and seen["support"] != 403}
    assert {route for route, _ in narrower} == {
        "GET /v1/contacts/{contact_id}", "GET /v1/contacts", "GET /v1/contacts/{contact_id}/timeline",
        "GET /v1/companies/{company_id}", "GET /v1/companies", "GET /v1/search", "GET /v1/activities/{activity_id}",
        "GET /v1/activities", "GET /v1/emails/{email_id}", "GET /v1/cases/{case_id}",
        "GET /v1/attachments/{attachment_id}",
        # Not customers-only: every role sees its own exports and imports alone (an admin every import), and the
        # reports it owns or that are shared with its role (an admin every report).
        "GET /v1/exports", "GET /v1/exports/{export_id}", "GET /v1/imports", "GET /v1/imports/{import_id}",
        "GET /v1/imports/{import_id}/results", "GET /v1/imports/{import_id}/errors", "GET /v1/reports",
        "GET /v1/reports/{report_id}",
        # Everyone's notifications are their own alone, and so are their profile and their own saved views.
        "GET /v1/notifications", "GET /v1/users/me", "GET /v1/saved-views"}
