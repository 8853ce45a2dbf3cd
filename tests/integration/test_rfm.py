"""RFM segments end to end over moto: contacts made through the API, their payments and refunds in the
analytical store as Firehose leaves them, the daily job (AnalyticsJobsFunction) run; then marketing filters
GET /v1/contacts?rfm_segment=Champions, sees who is there and why, and exports that list. Also the scoring
itself: quintiles, the segment rules, merges, currencies and repeated events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.test_exports import csv_rows, exported
from tests.support.api_client import ApiClient
from tests.support.event_store import bus_event, write_events

admin = ApiClient("admin", user="admin-1")
marketing = ApiClient("marketing", user="marketing-1")
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def new_contact(name: str) -> str:
    response = admin.post("/v1/contacts", {"first_name": name, "email": f"{name.lower()}@example.com"})
    assert response.status == 201, response.body
    return str(response.body["id"])


def paid(contact_id: str, amount_minor: int, days_ago: float, currency: str = "EUR", n: int = 0) -> dict[str, Any]:
    return bus_event("Payment Succeeded", {"contact_id": contact_id, "payment_key": f"stripe:{contact_id}:{n}",
                                           "amount_minor": amount_minor, "currency": currency,
                                           "provider": "stripe"}, NOW - timedelta(days=days_ago))


def refunded(contact_id: str, amount_minor: int, days_ago: float, currency: str = "EUR") -> dict[str, Any]:
    return bus_event("Payment Refunded", {"contact_id": contact_id, "payment_key": f"stripe:{contact_id}:0",
                                          "amount_minor": amount_minor, "currency": currency},
                     NOW - timedelta(days=days_ago))


def run_job() -> dict[str, Any]:
    from analytics_jobs.handler import handler

    return handler({"job": "rfm"}, None)


def names(page: dict[str, Any]) -> set[str]:
    return {item["first_name"] for item in page["items"]}


@pytest.fixture
def customers(aws) -> dict[str, str]:
    """Six paying contacts, each of a kind: two best customers, two who paid once, one who used to pay
    often, one long gone; and a lead who never paid."""
    people = {name: new_contact(name) for name in ("Ana", "Bob", "Cem", "Fay", "Dan", "Eve", "Lia")}
    events = [
        *(paid(people["Ana"], 10_000, 1 + 20 * n, n=n) for n in range(5)),
        *(paid(people["Bob"], 8_000, 2 + 20 * n, n=n) for n in range(4)),
        paid(people["Cem"], 2_000, 10),
        paid(people["Fay"], 2_000, 100), refunded(people["Fay"], 1_000, 90),
        *(paid(people["Dan"], 9_000, 200 + 30 * n, n=n) for n in range(3)),
    ]
    eve = paid(people["Eve"], 500, 300)
    # Delivery is at least once: Eve's payment reached the store twice
    write_events(aws["s3"], aws["settings"].analytics_bucket, [*events, eve, eve])
    return people


def test_the_job_writes_each_payers_segment_and_marketing_filters_by_it(customers):
    # When the daily job runs
    totals = run_job()
    # Then every payer got a segment, written as an update of the contact
    assert totals["payers"] == 6 and totals["changed"] == 6 and totals["skipped"] == 0
    assert totals["segments"] == {"Champions": 2, "Potential loyalists": 2, "At risk": 1, "Lost": 1}
    # And marketing lists the champions, and each other segment, with a filter
    assert names(marketing.get("/v1/contacts", rfm_segment="Champions").body) == {"Ana", "Bob"}
    assert names(marketing.get("/v1/contacts", rfm_segment="Potential loyalists").body) == {"Cem", "Fay"}
    assert names(marketing.get("/v1/contacts", rfm_segment="At risk").body) == {"Dan"}
    assert names(marketing.get("/v1/contacts", rfm_segment="Lost").body) == {"Eve"}
    # A filter combines with the others, and a segment nobody is in lists nobody
    assert names(marketing.get("/v1/contacts", rfm_segment="Champions", sort="-score").body) == {"Ana", "Bob"}
    assert marketing.get("/v1/contacts", rfm_segment="Loyal").body["items"] == []
    assert marketing.get("/v1/contacts", rfm_segment="Whales").status == 400


def test_a_contact_shows_its_segment_and_what_it_came_from(customers):
    run_job()
    ana = admin.get(f"/v1/contacts/{customers['Ana']}").body
    assert ana["rfm_segment"] == "Champions"
    assert ana["rfm"] == {"r": 5, "f": 5, "m": 5, "payments": 5, "net_minor": 50_000, "currency": "EUR",
                          "last_paid_at": "2026-12-03T10:00:00Z"}
    # Refunds come off the money; a payment delivered twice counts once
    assert admin.get(f"/v1/contacts/{customers['Fay']}").body["rfm"]["net_minor"] == 1_000
    assert admin.get(f"/v1/contacts/{customers['Eve']}").body["rfm"]["payments"] == 1
    # And a lead who never paid has none
    lia = admin.get(f"/v1/contacts/{customers['Lia']}").body
    assert lia["rfm_segment"] is None and lia["rfm"] is None


def test_the_segment_is_read_only_and_audited(customers):
    run_job()
    # A client cannot set it
    refused = admin.patch(f"/v1/contacts/{customers['Eve']}", {"rfm_segment": "Champions"}, version=2)
    assert refused.status == 422
    # The write is in the audit log, by the analysis
    entries = admin.get("/v1/audit", entity=f"contact:{customers['Ana']}").body["items"]
    [by_rfm] = [entry for entry in entries if entry["actor"] == "rfm-analysis"]
    assert by_rfm["changes"]["rfm_segment"] == {"before": None, "after": "Champions"}


def test_running_again_changes_nothing_and_a_new_payment_moves_a_contact(customers, aws):
    run_job()
    version = admin.get(f"/v1/contacts/{customers['Dan']}").body["version"]
    # When the job runs again over the same store
    again = run_job()
    # Then nothing is written
    assert again["changed"] == 0 and again["unchanged"] == 6
    assert admin.get(f"/v1/contacts/{customers['Dan']}").body["version"] == version
    # When Dan pays again, most recently of all, and the job runs
    write_events(aws["s3"], aws["settings"].analytics_bucket, [paid(customers["Dan"], 9_000, 0, n=9)])
    run_job()
    # Then Dan is a champion now
    assert admin.get(f"/v1/contacts/{customers['Dan']}").body["rfm_segment"] == "Champions"


def test_the_champions_list_exports(customers):
    run_job()
    # When marketing exports the champions
    export, raw = exported(marketing, "/v1/contacts?rfm_segment=Champions")
    # Then the file holds the champions, with their segment as a column
    rows = csv_rows(raw)
    assert {row["first_name"] for row in rows} == {"Ana", "Bob"}
    assert {row["rfm_segment"] for row in rows} == {"Champions"}
    assert export["rows"] == 2


def test_payers_gone_from_the_table_are_skipped(aws):
    # Given a payer whose contact was deleted, and one the table never had
    gone = new_contact("Gus")
    assert admin.delete(f"/v1/contacts/{gone}", version=1).status == 204
    write_events(aws["s3"], aws["settings"].analytics_bucket, [paid(gone, 100, 3), paid("never-there", 100, 4)])
    # When the job runs / Then both are skipped, and nothing is created
    totals = run_job()
    assert totals["payers"] == 2 and totals["skipped"] == 2 and totals["changed"] == 0
    assert admin.get(f"/v1/contacts/{gone}").status == 404


def test_an_empty_store_segments_nobody(aws):
    assert run_job() == {"job": "rfm", "payers": 0, "changed": 0, "unchanged": 0, "skipped": 0, "segments": {}}


# The analysis itself, without AWS.

def test_quintiles_rank_by_the_middle_of_ties():
    from crm.analytics.rfm import quintiles

    assert quintiles({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}) == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    # Ties share the score of their middle rank: four who paid once sit in the middle, the one who paid twice on top
    assert quintiles({"a": 1, "b": 1, "c": 1, "d": 1, "e": 2}) == {"a": 3, "b": 3, "c": 3, "d": 3, "e": 5}
    assert quintiles({"a": 1, "b": 1, "c": 1, "d": 2, "e": 3}) == {"a": 2, "b": 2, "c": 2, "d": 4, "e": 5}
    # A lone payer is in the middle, neither best nor lost
    assert quintiles({"a": 7}) == {"a": 3}
    assert quintiles({}) == {}


@pytest.mark.parametrize(("scores", "payments", "expected"), [
    ((5, 5, 5), 9, "Champions"),
    ((4, 4, 4), 4, "Champions"),
    ((4, 4, 3), 4, "Loyal"),
    ((3, 3, 1), 2, "Loyal"),
    ((5, 2, 2), 1, "New customers"),
    ((3, 2, 5), 1, "Potential loyalists"),
    ((4, 3, 3), 1, "New customers"),
    ((2, 5, 5), 8, "Can't lose them"),
    ((1, 4, 4), 5, "Can't lose them"),
    ((2, 3, 1), 3, "At risk"),
    ((2, 2, 5), 1, "Hibernating"),
    ((1, 2, 5), 1, "Lost"),
])
def test_each_segment_rule(scores, payments, expected):
    from crm.analytics.rfm import segment

    assert segment(*scores, payments) == expected


def test_every_score_has_a_segment():
    from crm.analytics.rfm import segment
    from crm.contacts.spec import RFM_SEGMENTS

    found = {segment(r, f, m, n) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6) for n in (1, 2, 9)}
    assert found == set(RFM_SEGMENTS)


def test_merged_payers_count_as_their_winner_in_their_main_currency():
    from crm.analytics.rfm import payers

    rows = [
        # contact, currency, payments, paid, refunded, last payment
        ("winner", "EUR", 1, 1_000, 0, "2026-12-01T10:00:00"),
        ("loser", "EUR", 2, 3_000, 500, "2026-12-03 10:00:00.000"),
        ("loser", "USD", 1, 9_999, 0, "2026-11-01T10:00:00"),
        ("earlier", "IRR", 1, 50, 0, "2026-10-01T10:00:00"),
        ("refund-only", "EUR", 0, 0, 100, None),
    ]
    # loser was merged into middle, which was merged into winner; and a cycle does not hang
    merges = [("loser", "middle"), ("middle", "winner"), ("x", "y"), ("y", "x")]
    found = {payer.contact_id: payer for payer in payers(rows, merges)}
    assert set(found) == {"winner", "earlier"}
    winner = found["winner"]
    assert (winner.payments, winner.currency, winner.net_minor) == (4, "EUR", 3_500)
    assert winner.last_paid_at == datetime(2026, 12, 3, 10, tzinfo=UTC)


# On the local stack: real payments through the webhook, the bus and the local Firehose, then `crm sql`
# and `crm rfm` as an operator runs them.

def stripe_payment(email: str, n: int, amount_minor: int) -> dict[str, Any]:
    import json

    from crm.platform.config import get_settings

    from tests.conftest import sample_event
    from tests.support.signing import stripe_header

    raw = json.dumps({"id": f"evt_rfm_{n}", "object": "event", "type": "payment_intent.succeeded",
                      "created": 1_795_521_600 + n, "data": {"object": {
                          "id": f"pi_rfm_{n}", "object": "payment_intent", "amount_received": amount_minor,
                          "currency": "eur", "receipt_email": email, "metadata": {}}}})
    event = sample_event("payment_webhook_stripe.json", body=raw)
    event["headers"]["stripe-signature"] = stripe_header(raw, get_settings().stripe_webhook_secret)
    return event


def test_crm_sql_and_crm_rfm_on_the_local_stack(in_process_stack, tmp_path, monkeypatch, capsys):
    import json

    from crm_local.cli import main

    from tests.support.local_stack import drain

    stack = in_process_stack
    # Given a running local stack (its state file) where two people paid by Stripe, one of them twice
    monkeypatch.setenv("CRM_LOCAL_STATE_DIR", str(tmp_path))
    (tmp_path / "state.json").write_text(json.dumps({"aws_endpoint": stack.aws_endpoint}))
    for n, (email, amount) in enumerate([("nima@example.com", 5_000), ("sara@example.com", 700),
                                         ("nima@example.com", 4_000)]):
        answer = stack.functions.invoke("PaymentWebhookFunction", stripe_payment(email, n, amount))
        assert answer["statusCode"] == 200, answer
    drain(stack.pollers(stack.functions.invoke))
    capsys.readouterr()
    # When an operator sums the payments with `crm sql`
    assert main(["sql", "SELECT detail.currency AS currency, count(*) AS payments, sum(detail.amount_minor) AS "
                        "total FROM events WHERE detail_type = 'Payment Succeeded' GROUP BY 1"]) == 0
    # Then a table shows what the local Firehose stored
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["currency", "|", "payments", "|", "total"]
    assert lines[2].split() == ["EUR", "|", "3", "|", "9700"]
    assert "(1 row; duckdb" in lines[-1]
    # And refused SQL says why, with no table
    assert main(["sql", "DELETE FROM events"]) == 2
    assert "query_refused" in capsys.readouterr().err
    # When the RFM analysis runs now with `crm rfm`
    capsys.readouterr()
    assert main(["rfm"]) == 0
    assert capsys.readouterr().out.startswith("2 payers: 2 contacts' segments written")
    # Then the contacts carry their segments (a lone payer of two is in the middle of each score)
    nima = {c["email"]: c for c in admin.get("/v1/contacts").body["items"]}["nima@example.com"]
    assert nima["rfm"]["payments"] == 2 and nima["rfm"]["net_minor"] == 9_000
    assert nima["rfm_segment"] in ("Champions", "Loyal")
    assert [c["email"] for c in admin.get("/v1/contacts", rfm_segment=nima["rfm_segment"]).body["items"]] \
        == ["nima@example.com"]
