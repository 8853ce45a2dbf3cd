"""POST /v1/analytics/query through the API over moto: events written as Parquet into the analytics bucket
(as Firehose leaves them) are read with SQL by DuckDB, as on the local stack; hostile SQL gets a 4xx and
changes nothing; only admins may query; and the Athena engine against moto's Athena."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api_client import ApiClient
from tests.support.event_store import bus_event, write_events

admin = ApiClient("admin")
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
QUERY = "/v1/analytics/query"


def query(sql: str, caller: ApiClient = admin, **more: Any) -> Any:
    return caller.post(QUERY, {"sql": sql, **more})


@pytest.fixture
def store(aws) -> dict[str, Any]:
    """Three days of events: two payments, a refund, a new contact."""
    events = [
        bus_event("Contact Created", {"contact_id": "c1", "source": "web"}, NOW - timedelta(days=2)),
        bus_event("Payment Succeeded", {"contact_id": "c1", "payment_key": "stripe:p1", "amount_minor": 5000,
                                        "currency": "EUR", "provider": "stripe"}, NOW - timedelta(days=1)),
        bus_event("Payment Succeeded", {"contact_id": "c2", "payment_key": "stripe:p2", "amount_minor": 1200,
                                        "currency": "EUR", "provider": "stripe"}, NOW),
        bus_event("Payment Refunded", {"contact_id": "c1", "payment_key": "stripe:p1", "amount_minor": 1000,
                                       "currency": "EUR", "provider": "stripe"}, NOW),
    ]
    write_events(aws["s3"], aws["settings"].analytics_bucket, events)
    return aws


def test_an_admin_reads_the_store_with_sql(store):
    # When an admin sums payments per contact
    response = query("SELECT detail.contact_id AS contact, sum(detail.amount_minor) AS paid, count(*) AS n "
                     "FROM events WHERE detail_type = 'Payment Succeeded' GROUP BY 1 ORDER BY 1")
    # Then the rows come back in the query's columns, numbers as numbers
    assert response.status == 200, response.body
    body = response.body
    assert [c["name"] for c in body["columns"]] == ["contact", "paid", "n"]
    assert body["rows"] == [["c1", 5000, 1], ["c2", 1200, 1]]
    assert body["truncated"] is False and body["engine"] == "duckdb" and body["elapsed_ms"] >= 0


def test_the_partition_the_struct_and_times_are_columns(store):
    response = query("SELECT dt, time, detail.currency FROM events WHERE detail_type = 'Contact Created'")
    assert response.status == 200, response.body
    assert response.body["rows"] == [["2026-12-02", "2026-12-02T10:00:00", None]]


def test_with_and_union_are_queries_too(store):
    response = query("WITH paid AS (SELECT detail.contact_id AS c FROM events WHERE detail_type = 'Payment "
                     "Succeeded') SELECT c FROM paid UNION SELECT 'x' ORDER BY 1")
    assert response.status == 200, response.body
    assert response.body["rows"] == [["c1"], ["c2"], ["x"]]


def test_the_row_limit_cuts_and_says_so(store):
    response = query("SELECT detail_type FROM events ORDER BY time", max_rows=2)
    assert response.status == 200, response.body
    assert len(response.body["rows"]) == 2 and response.body["truncated"] is True
    # A query's own smaller LIMIT is kept, and is not a cut
    own = query("SELECT detail_type FROM events ORDER BY time LIMIT 3", max_rows=3)
    assert len(own.body["rows"]) == 3 and own.body["truncated"] is False


def test_an_empty_store_answers_no_rows(aws):
    response = query("SELECT count(*) AS n FROM events")
    assert response.status == 200, response.body
    assert response.body["rows"] == [[0]]


@pytest.mark.parametrize("sql", [
    "INSERT INTO events (id) VALUES ('x')",
    "UPDATE events SET id = 'x'",
    "DELETE FROM events",
    "DROP TABLE events",
    "CREATE TABLE stolen AS SELECT * FROM events",
    "COPY events TO '/tmp/events.csv'",
    "ATTACH '/tmp/other.db' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "PRAGMA database_list",
    "SET threads = 64",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_parquet('s3://crm-test-analytics/events/*.parquet')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM 'x.csv'",
    "SELECT 1; DROP TABLE events",
    "SELECT 1; -- a comment\nDELETE FROM events",
    "SELECT * FROM information_schema.tables",
    "SELECT * INTO copy FROM events",
    "",
])
def test_hostile_sql_gets_a_4xx_and_the_store_is_unchanged(store, sql):
    response = query(sql)
    assert 400 <= response.status < 500, response.body
    assert set(response.body["error"]) >= {"code", "message"}
    # And the store still holds its four events
    assert query("SELECT count(*) FROM events").body["rows"] == [[4]]


TWELVE_WAYS = " CROSS JOIN ".join(f"events e{i}" for i in range(12))
IDS = ", ".join(f"e{i}.id" for i in range(12))


@pytest.mark.parametrize("sql", [
    # every row of the events joined to themselves twelve times over (16.7 million rows)
    f"SELECT max(length(concat({IDS}))) FROM {TWELVE_WAYS}",  # noqa: S608 - the hostile query is the test
    # a group for each of them
    f"SELECT {IDS}, count(*) FROM {TWELVE_WAYS} GROUP BY {', '.join(str(n) for n in range(1, 13))}",  # noqa: S608
])
def test_a_query_past_its_time_limit_is_stopped_with_408(store, monkeypatch, sql):
    from dataclasses import replace

    from api.routes import analytics
    from crm.platform.config import get_settings

    # Given a time limit of half a second
    limited = replace(get_settings(), query_time_limit_seconds=0.5)
    monkeypatch.setattr(analytics, "get_settings", lambda: limited)
    # When a query reads or groups more than it can in that time
    response = query(sql, max_rows=10)
    # Then it is stopped, and says why (or, grouping, ran out of its memory first)
    assert response.status in (408, 422), response.body
    assert response.body["error"]["code"] in ("query_timed_out", "query_too_large")


@pytest.mark.parametrize("role", ["sales", "marketing", "support"])
def test_only_admins_may_query(store, role):
    response = query("SELECT count(*) FROM events", ApiClient(role, user=f"{role}-1"))
    assert response.status == 403 and response.body["error"]["code"] == "forbidden"


def test_a_body_that_is_not_a_query_gets_a_4xx(store):
    assert admin.post(QUERY, {"sql": "SELECT 1", "max_rows": 0}).status == 422
    assert admin.post(QUERY, {"sql": "SELECT 1", "max_rows": 10_001}).status == 422
    assert admin.post(QUERY, {"query": "SELECT 1"}).status == 422
    assert admin.call("POST", QUERY, raw_body="{not json").status == 400


SQL_WORDS = st.sampled_from(["SELECT", "FROM", "events", "WHERE", "GROUP BY", "ORDER BY", "LIMIT", "UNION",
                             "WITH", "AS", "(", ")", ",", ";", "*", "'", '"', "--", "/*", "*/", "detail.contact_id",
                             "count(*)", "read_csv('/etc/passwd')", "COPY", "ATTACH", "1", "-1", "1e309", "NULL",
                             "dt", "time", "CAST(", "AS BIGINT)", "JOIN", "ON", "TRUE", "\\", "\n", "\x00", "é"])


# Queries that parse and reach the engine, with values and errors of every kind.
QUERIES = st.builds(
    "SELECT {} FROM events {} {}".format,
    st.lists(st.sampled_from([
        "*", "id", "detail_type", "detail.contact_id", "count(*)", "time", "dt", "detail", "1/0", "1e308 * 10",
        "sum(detail.amount_minor)", "CAST(id AS BIGINT)", "element_at(split(id, '-'), 1)", "NULL", "'é'",
        "CAST('NaN' AS DOUBLE)", "ARRAY[1, NULL]", "MAP(ARRAY['a'], ARRAY[1])", "CAST(1.50 AS DECIMAL(10, 2))",
        "date_trunc('day', time)", "approx_distinct(id)", "to_hex(CAST(id AS VARBINARY))", "row_number() OVER ()",
    ]), min_size=1, max_size=4).map(", ".join),
    st.sampled_from(["", "WHERE dt >= '2026-01-01'", "WHERE detail.amount_minor > 1", "WHERE id LIKE '%a%'",
                     "WHERE 1/0 = 1", "WHERE nope = 1"]),
    st.sampled_from(["", "GROUP BY 1", "ORDER BY 1", "LIMIT 5", "LIMIT 0", "OFFSET 2", "ORDER BY 1 DESC LIMIT 1"]))


@pytest.mark.fuzz(entry_point="POST /v1/analytics/query")
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=200), st.lists(SQL_WORDS, max_size=25).map(" ".join), QUERIES))
def test_no_text_gets_a_5xx(store, text):
    response = query(text)
    assert response.status < 500, (text, response.body)
    if response.status >= 400:
        assert response.body["error"]["code"] and response.body["error"]["message"]


# The Athena engine against moto's Athena: moto runs no SQL, but answers what a test tells it to.

@pytest.fixture
def athena(aws) -> Any:
    import boto3

    client = boto3.client("athena")
    client.create_work_group(Name="crm-test-analytics", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://crm-test-analytics/athena-results/"}})
    return client


def athena_engine(athena: Any, **clock: Any) -> Any:
    from dataclasses import replace

    from crm.analytics.engines import AthenaEngine
    from crm.platform.config import get_settings

    settings = replace(get_settings(), analytics_engine="athena", athena_workgroup="crm-test-analytics",
                       analytics_database="crm_test_analytics")
    return AthenaEngine(settings, athena, **clock)


def moto_results(rows: list[list[str | None]], columns: list[tuple[str, str]]) -> None:
    import requests

    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    body = {"results": [{"rows": [header, *({"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                                            for row in rows)],
                         "column_info": [{"Name": n, "Type": t, "Label": n, "CatalogName": "hive",
                                          "SchemaName": "", "TableName": "", "Precision": 0, "Scale": 0,
                                          "Nullable": "UNKNOWN", "CaseSensitive": False} for n, t in columns]}],
            "region": "us-east-1", "account_id": "123456789012"}
    assert requests.post("http://motoapi.amazonaws.com/moto-api/static/athena/query-results", json=body,
                         timeout=5).status_code == 201


def test_athena_runs_the_query_in_the_workgroup_and_types_its_values(athena):
    # Given Athena's answer to the next query
    moto_results([["c1", "5000", "true", "2026-12-03 10:00:00.000"], ["c2", None, "false", "2026-12-04"]],
                 [("contact", "varchar"), ("paid", "bigint"), ("vip", "boolean"), ("at", "timestamp")])
    # When the engine runs a checked query
    from crm.analytics.sql import check_query

    checked = check_query("SELECT element_at(x, 1) FROM events", 10, "athena")
    result = athena_engine(athena).run(checked.sql, max_rows=10, time_limit=5)
    # Then the query ran in the workgroup over the database, as Athena's SQL
    [execution_id] = athena.list_query_executions(WorkGroup="crm-test-analytics")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == "SELECT ELEMENT_AT(x, 1) FROM events LIMIT 11"
    assert execution["QueryExecutionContext"]["Database"] == "crm_test_analytics"
    # And the header row is not a row; numbers and booleans are JSON's, the rest text
    assert result.rows == [["c1", 5000, True, "2026-12-03 10:00:00.000"], ["c2", None, False, "2026-12-04"]]
    assert [c["name"] for c in result.columns] == ["contact", "paid", "vip", "at"]
    assert result.truncated is False and result.engine == "athena"


def test_athena_rows_past_the_limit_are_cut(athena):
    moto_results([[str(n)] for n in range(4)], [("n", "integer")])
    result = athena_engine(athena).run("SELECT n FROM events LIMIT 4", max_rows=3, time_limit=5)
    assert result.rows == [[0], [1], [2]] and result.truncated is True


def test_athena_stops_a_query_past_its_time_limit(athena):
    from crm.platform.errors import HttpError
    from moto.moto_api import state_manager

    # Given a query Athena keeps running
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 10_000})
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    try:
        engine = athena_engine(athena, sleep=sleep, clock=lambda: now[0])
        # When its time limit passes / Then it is stopped, and the caller gets 408
        with pytest.raises(HttpError) as refused:
            engine.run("SELECT count(*) FROM events", max_rows=10, time_limit=3)
    finally:
        state_manager.unset_transition("athena::execution")
    assert refused.value.status == 408
    [execution_id] = athena.list_query_executions(WorkGroup="crm-test-analytics")["QueryExecutionIds"]
    assert athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]["State"] \
        == "CANCELLED"
    assert 3 <= now[0] < 4


def test_athena_says_why_a_query_failed(aws):
    from crm.platform.errors import HttpError

    class FailingAthena:
        def start_query_execution(self, **_: Any) -> dict[str, str]:
            return {"QueryExecutionId": "q1"}

        def get_query_execution(self, **_: Any) -> dict[str, Any]:
            return {"QueryExecution": {"Status": {
                "State": "FAILED", "StateChangeReason": "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
                "AthenaError": {"ErrorCategory": 2}}}}

    with pytest.raises(HttpError) as failed:
        athena_engine(FailingAthena()).run("SELECT nope FROM events", max_rows=1, time_limit=5)
    assert failed.value.status == 400 and "Column 'nope' cannot be resolved" in failed.value.message


def test_crm_sql_runs_in_a_deployed_stacks_athena_and_prints_a_table(athena, monkeypatch, capsys):
    import boto3
    from crm_local.cli import main

    # Given a deployed stack whose workgroup and database CloudFormation names
    physical = {"AnalyticsWorkGroup": "crm-test-analytics", "AnalyticsDatabase": "crm_prod_analytics"}

    class Stack:
        def describe_stack_resource(self, StackName: str, LogicalResourceId: str) -> dict[str, Any]:
            assert StackName == "crm-prod"
            return {"StackResourceDetail": {"PhysicalResourceId": physical[LogicalResourceId]}}

    made = boto3.session.Session.client
    monkeypatch.setattr(boto3.session.Session, "client", lambda self, name, **kw: Stack() if name == "cloudformation"
                        else made(self, name, **kw))
    moto_results([["Payment Succeeded", "2"], ["Contact Created", "10"]], [("detail_type", "varchar"),
                                                                             ("n", "bigint")])
    # When an operator runs a query against it
    assert main(["sql", "--stack", "crm-prod", "--region", "us-east-1",
                 "SELECT detail_type, count(*) AS n FROM events GROUP BY 1"]) == 0
    # Then Athena ran it in the stack's workgroup and database, and the rows print as a table
    [execution_id] = athena.list_query_executions(WorkGroup="crm-test-analytics")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["QueryExecutionContext"]["Database"] == "crm_prod_analytics"
    assert execution["Query"] == "SELECT detail_type, COUNT(*) AS n FROM events GROUP BY 1 LIMIT 101"
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == ["detail_type       |  n", "------------------+---",
                       "Payment Succeeded |  2", "Contact Created   | 10"]
    assert out[4].startswith("(2 rows; athena, ")
