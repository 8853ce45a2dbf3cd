"""The guard in front of the analytical store (crm.analytics.sql): one read-only query of `events` passes,
rebuilt with a row limit in the engine's dialect; everything else is a 400 that says why."""

from __future__ import annotations

import pytest
from crm.analytics.engines import athena_value, duckdb_type, fit, json_value
from crm.analytics.sql import check_query
from crm.platform.errors import HttpError
from hypothesis import given
from hypothesis import strategies as st


def refusal(sql: str) -> HttpError:
    with pytest.raises(HttpError) as refused:
        check_query(sql, 100, "duckdb")
    assert refused.value.status == 400
    assert refused.value.fields["sql"] == refused.value.message
    return refused.value


@pytest.mark.parametrize(("sql", "says"), [
    ("INSERT INTO events (id) VALUES ('x')", "INSERT"),
    ("UPDATE events SET id = 'x'", "UPDATE"),
    ("DELETE FROM events", "DELETE"),
    ("MERGE INTO events USING events AS e ON TRUE WHEN MATCHED THEN DELETE", "MERGE"),
    ("DROP TABLE events", "DROP"),
    ("CREATE TABLE x AS SELECT * FROM events", "CREATE"),
    ("CREATE VIEW v AS SELECT 1", "CREATE"),
    ("ALTER TABLE events ADD COLUMN x INT", "ALTER"),
    ("TRUNCATE TABLE events", "TRUNCATE"),
    ("COPY events TO '/tmp/events.csv'", "COPY"),
    ("COPY (SELECT * FROM events) TO 's3://bucket/out.parquet'", "COPY"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("PRAGMA database_list", "PRAGMA"),
    ("SET threads = 64", "SET"),
    ("SET enable_external_access = true", "SET"),
    ("EXPLAIN SELECT * FROM events", "EXPLAIN"),
    ("DESCRIBE events", "DESCRIBE"),
    ("SHOW TABLES", "SHOW"),
    ("CALL system.runtime.kill_query('q')", "CALL"),
    ("VALUES (1)", "VALUES"),
    ("SELECT * INTO stolen FROM events", "SELECT INTO"),
    ("WITH gone AS (DELETE FROM events RETURNING *) SELECT * FROM gone", "DELETE"),
    ("SELECT * FROM read_csv('/etc/passwd')", "Table functions"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "Table functions"),
    ("SELECT * FROM read_parquet('s3://crm-analytics/events/*.parquet')", "Table functions"),
    ("SELECT * FROM parquet_scan('/data/x.parquet')", "Table functions"),
    ("SELECT * FROM read_json_auto('http://example.com/x.json')", "Table functions"),
    ("SELECT * FROM events, read_text('/etc/shadow')", "Table functions"),
    ("SELECT * FROM TABLE(sequence(1, 10))", "Table functions"),
    ("SELECT * FROM 'x.csv'", "File access"),
    ("SELECT * FROM \"/etc/passwd\"", "File access"),
    ("SELECT * FROM 's3://bucket/key.parquet'", "File access"),
    ("SELECT * FROM contacts", "no table 'contacts'"),
    ("SELECT * FROM information_schema.tables", "another schema"),
    ("SELECT * FROM awsdatacatalog.other.events", "another schema"),
    ("SELECT * FROM duckdb_settings()", "Table functions"),
    ("SELECT read_text('/etc/passwd')", "read_text"),
    ("SELECT getenv('HOME')", "getenv"),
    ("SELECT current_setting('access_mode')", "current_setting"),
    ("SELECT 1; SELECT 2", "exactly one statement"),
    ("SELECT 1; DROP TABLE events", "exactly one statement"),
    ("SELECT 1; -- the rest is a comment\nDELETE FROM events", "exactly one statement"),
    ("SELECT 1 /* a comment */; /* another */ COPY events TO '/tmp/x'", "exactly one statement"),
])
def test_what_is_not_one_read_of_events_is_refused_and_named(sql, says):
    assert says in refusal(sql).message


@pytest.mark.parametrize("sql", ["", "   ", ";", "-- only a comment", "SELECT FROM WHERE", "SELECT (((1",
                                 "SELECT 'unterminated", "SELECT \x00", "SELECT '\ud800'", "(" * 5000 + "SELECT 1",
                                 "SELECT 1 " + "x" * 20_001])
def test_what_is_not_sql_is_refused(sql):
    assert refusal(sql).code in ("invalid_sql", "query_refused")


def test_a_comment_cannot_carry_a_statement_into_what_runs():
    # Given a line comment holding what would close a block comment and a second statement
    checked = check_query("SELECT 1 -- */ DROP TABLE events", 10, "duckdb")
    # Then what runs is the query rebuilt without comments
    assert checked.sql == "SELECT 1 LIMIT 11"


@pytest.mark.parametrize(("sql", "runs"), [
    ("SELECT * FROM events", "SELECT * FROM events LIMIT 101"),
    ("SELECT * FROM events LIMIT 5", "SELECT * FROM events LIMIT 5"),
    ("SELECT * FROM events LIMIT 5000", "SELECT * FROM events LIMIT 101"),
    ("SELECT * FROM events LIMIT ALL", "SELECT * FROM events LIMIT 101"),
    ("SELECT * FROM events FETCH FIRST 7 ROWS ONLY", "SELECT * FROM events LIMIT 7"),
    ("SELECT id FROM events UNION ALL SELECT id FROM events",
     "SELECT id FROM events UNION ALL SELECT id FROM events LIMIT 101"),
    ("WITH paid AS (SELECT * FROM events WHERE detail_type = 'Payment Succeeded') SELECT count(*) FROM paid",
     "WITH paid AS (SELECT * FROM events WHERE detail_type = 'Payment Succeeded') SELECT COUNT(*) FROM paid LIMIT 101"),
    ("SELECT detail.contact_id FROM events WHERE dt >= '2026-12-01'",
     "SELECT detail.contact_id FROM events WHERE dt >= '2026-12-01' LIMIT 101"),
    ("SELECT 1;", "SELECT 1 LIMIT 101"),
    ("(SELECT 1)", "(SELECT 1) LIMIT 101"),
])
def test_a_read_runs_rebuilt_with_its_row_limit(sql, runs):
    assert check_query(sql, 100, "duckdb").sql == runs


def test_athenas_sql_is_translated_for_duckdb():
    sql = "SELECT element_at(x, 1), approx_distinct(id) FROM events CROSS JOIN UNNEST(ARRAY[1, 2]) AS t(x)"
    assert check_query(sql, 10, "duckdb").sql == (
        "SELECT x[1], APPROX_COUNT_DISTINCT(id) FROM events CROSS JOIN UNNEST([1, 2]) AS t(x) LIMIT 11")
    assert "ELEMENT_AT(x, 1)" in check_query(sql, 10, "athena").sql


@given(st.text(max_size=300))
def test_any_text_is_a_query_or_a_400(text):
    try:
        checked = check_query(text, 10, "duckdb")
    except HttpError as error:
        assert error.status == 400 and error.message
    else:
        assert checked.row_limit == 11


def test_duckdb_types_follow_the_glue_schema():
    assert duckdb_type("struct<from:string,amount_minor:bigint,ok:boolean>") == \
        'STRUCT("from" VARCHAR, "amount_minor" BIGINT, "ok" BOOLEAN)'
    assert duckdb_type("array<struct<a:int>>") == 'STRUCT("a" INTEGER)[]'


def test_values_become_json():
    from datetime import UTC, datetime
    from decimal import Decimal

    assert json_value({"at": datetime(2026, 12, 4, tzinfo=UTC), "n": Decimal("1.50"), "x": [float("nan")]}) == \
        {"at": "2026-12-04T00:00:00+00:00", "n": "1.50", "x": ["nan"]}
    assert athena_value("12", "bigint") == 12 and athena_value("1.5", "double") == 1.5
    assert athena_value("true", "boolean") is True and athena_value(None, "varchar") is None
    assert athena_value("2.50", "decimal(10,2)") == "2.50"


def test_rows_stop_at_the_row_limit_or_the_size_lambda_can_answer():
    assert fit([[1], [2], [3]], 2) == ([[1], [2]], True)
    assert fit([[1], [2]], 2) == ([[1], [2]], False)
    assert fit([["x" * 1_000_000]] * 10, 100) == ([["x" * 1_000_000]] * 10, False)
    big = ["x" * 1_000_000]
    kept, cut = fit([big] * 10, 100, 4_000_000)
    assert len(kept) == 3 and cut
