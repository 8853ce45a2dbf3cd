"""The guard in front of the analytical store: a caller's SQL runs only if it is one read-only query of the
`events` table, and what runs is the query rebuilt from its parsed tree (without its comments), in the
engine's dialect, with a row limit. Decision 0047.

Callers write Athena's SQL (Trino) wherever they are; the local stack's DuckDB gets the same query
translated by sqlglot, so a query tried on the local stack is the one that runs deployed. Refused: a
second statement, anything but SELECT (WITH and UNION included), writes and DDL (INSERT, UPDATE, DELETE,
MERGE, CREATE, DROP, ALTER, SELECT INTO), COPY, ATTACH, INSTALL and LOAD, PRAGMA, SET, CALL, EXPLAIN, SHOW,
DESCRIBE, table functions (read_csv, read_parquet, glob, ...), file readers and settings among scalar
functions, and every table but `events` and the query's own WITH names: so no path or URL as a table,
no other schema, no catalog. The engines add their own bounds (time, rows, memory; DuckDB without file
access), so a query this guard passes still cannot reach outside the store."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from crm.analytics.schema import TABLE
from crm.platform.errors import HttpError

# The SQL callers write: Athena's engine (Trino), deployed.
DIALECT = "athena"
MAX_SQL_LENGTH = 20_000
# sqlglot says so on its logger when it falls back to an opaque command; the guard refuses those anyway.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# Statements and clauses that are not a read of the store, wherever they appear in the tree.
_NOT_READS: tuple[tuple[str, str], ...] = (
    ("Insert", "INSERT"), ("Update", "UPDATE"), ("Delete", "DELETE"), ("Merge", "MERGE"),
    ("Create", "CREATE"), ("Drop", "DROP"), ("Alter", "ALTER"), ("TruncateTable", "TRUNCATE"),
    ("Into", "SELECT INTO"), ("Copy", "COPY"), ("Attach", "ATTACH"), ("Detach", "DETACH"),
    ("Install", "INSTALL"), ("LoadData", "LOAD"), ("Pragma", "PRAGMA"), ("Set", "SET"), ("Use", "USE"),
    ("Command", "this command"), ("Describe", "DESCRIBE"), ("Show", "SHOW"), ("Transaction", "a transaction"),
    ("Commit", "COMMIT"), ("Rollback", "ROLLBACK"), ("Grant", "GRANT"), ("Revoke", "REVOKE"),
    ("Analyze", "ANALYZE"), ("Refresh", "REFRESH"), ("Cache", "CACHE"), ("Uncache", "UNCACHE"),
    ("Kill", "KILL"), ("Export", "EXPORT"), ("Returning", "RETURNING"), ("Lock", "FOR UPDATE"),
)
NOT_READS: tuple[tuple[type[exp.Expression], str], ...] = tuple(
    (kind, what) for name, what in _NOT_READS if isinstance(kind := getattr(exp, name, None), type))

# Scalar functions that read files or settings (DuckDB's; Athena has none, and DuckDB runs without file
# access anyway): refused by name, as are whole families by prefix.
FILE_FUNCTIONS = frozenset({
    "glob", "query", "query_table", "getenv", "current_setting", "which_secret", "load_extension",
    "read_text", "read_blob", "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto",
    "read_ndjson", "read_json_objects", "parquet_scan", "sniff_csv", "iceberg_scan", "delta_scan", "system",
})
FILE_PREFIXES = ("read_", "parquet_", "duckdb_", "pragma_", "sniff_", "sqlite_", "postgres_", "mysql_",
                 "iceberg_", "delta_", "json_execute", "httpfs", "s3_", "fs_")


@dataclass(frozen=True)
class CheckedQuery:
    """What runs: the caller's query rebuilt in the engine's dialect, limited to `row_limit` rows, one more
    than the caller may receive, so that a result cut short says so."""

    sql: str
    row_limit: int


def refused(message: str, code: str = "query_refused") -> HttpError:
    return HttpError(400, code, message, {"sql": message})


def check_query(text: str, max_rows: int, dialect: str) -> CheckedQuery:
    """The query to run for `text`, or a 400 that says what is refused and why."""
    if not text.strip():
        raise refused("Give one SELECT over the events table.", "invalid_sql")
    if len(text) > MAX_SQL_LENGTH:
        raise refused(f"A query is at most {MAX_SQL_LENGTH} characters.", "invalid_sql")
    if "\x00" in text or not _encodes(text):
        raise refused("The SQL holds a character no query may hold (NUL, or half of a surrogate pair).",
                      "invalid_sql")
    query = _one_query(text)
    _refuse_what_is_not_a_read(query)
    _refuse_other_tables(query)
    _refuse_file_functions(query)
    limited = _limited(query, max_rows + 1)
    try:
        return CheckedQuery(limited.sql(dialect=dialect, comments=False), max_rows + 1)
    except SqlglotError as error:
        raise refused(f"The query cannot be run here: {_first_line(error)}", "invalid_sql") from error


def _one_query(text: str) -> exp.Query:
    try:
        parsed = sqlglot.parse(text, read=DIALECT)
    except ParseError as error:
        raise refused(f"The SQL does not parse: {_first_line(error)}", "invalid_sql") from error
    except (SqlglotError, RecursionError, ValueError) as error:
        raise refused("The SQL does not parse.", "invalid_sql") from error
    # A comment after the last `;` parses as an empty statement; anything else there is a second one.
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    if not statements:
        raise refused("Give one SELECT over the events table.", "invalid_sql")
    if len(statements) > 1:
        raise refused("Give exactly one statement: a second one (after a `;`) is refused.")
    [statement] = statements
    if not isinstance(statement, exp.Query):
        raise refused(f"Only a SELECT (WITH and UNION too) may run; {_what(statement, text)} is refused.")
    return statement


def _refuse_what_is_not_a_read(query: exp.Query) -> None:
    for node in query.walk():
        for kind, what in NOT_READS:
            if isinstance(node, kind):
                raise refused(f"The store is read-only and read by SELECT alone: {what} is refused.")


def _refuse_other_tables(query: exp.Query) -> None:
    own_names = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise refused("Table functions are refused: read the events table (file readers such as "
                          "read_csv, read_parquet and glob are refused).")
        name = table.name
        if table.args.get("db") or table.args.get("catalog"):
            raise refused(f"Only the events table may be read: {table.sql(dialect=DIALECT)} names another "
                          "schema or catalog.")
        if name.lower() == TABLE or name.lower() in own_names:
            continue
        if any(mark in name for mark in ("/", "\\", "://", ".")):
            raise refused(f"File access is refused: {name!r} is not a table; read the events table.")
        raise refused(f"Only the events table may be read (and the query's own WITH names): there is no "
                      f"table {name!r}.")


def _refuse_file_functions(query: exp.Query) -> None:
    for function in query.find_all(exp.Func):
        name = (function.name if isinstance(function, exp.Anonymous) else function.sql_name()).lower()
        if name in FILE_FUNCTIONS or name.startswith(FILE_PREFIXES):
            raise refused(f"The function {name} reads files or settings and is refused.")


def _limited(query: exp.Query, row_limit: int) -> exp.Query:
    """The query with at most `row_limit` rows: its own LIMIT if it is a smaller number, else that."""
    limit = query.args.get("limit")
    own = _number(limit.expression) if isinstance(limit, exp.Limit) else None
    if isinstance(limit, exp.Fetch):
        own = _number(limit.args.get("count"))
        query = query.copy()
        query.set("limit", None)
    if own is not None and own <= row_limit and isinstance(limit, exp.Limit):
        return query
    return query.limit(min(own, row_limit) if own is not None else row_limit)


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _number(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    return None


def _what(statement: object, text: str) -> str:
    for kind, what in NOT_READS:
        if isinstance(statement, kind) and kind is not getattr(exp, "Command", None):
            return what
    # An opaque command, or a word sqlglot read as something else (INSTALL x parses as an alias): its keyword.
    return " ".join(text.split()[:1]).upper()[:40] or "this statement"


def _first_line(error: Exception) -> str:
    """sqlglot's message without the highlighted excerpt of the query that follows it."""
    return (str(error).splitlines() or ["invalid SQL"])[0][:300]
