"""What runs SQL over the analytical store: Athena deployed, DuckDB on the local stack and in the tests,
chosen by `Settings.analytics_engine` (CRM_ANALYTICS_ENGINE). Both take a query already checked and rebuilt
in their dialect (crm.analytics.sql), run it within a time limit and return at most a row limit of rows, and
answer a query that failed, ran too long or needed too much with a clear 4xx. Decision 0047.

DuckDB is imported by its engine alone, and only the local stack and the tests install it: no function
ships it, and the API's cold start never loads it."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from crm.analytics.schema import EVENTS_PREFIX, PARTITION, TABLE, columns
from crm.platform.config import Settings
from crm.platform.errors import HttpError, unavailable

# An answer to the API goes back through Lambda, whose response is at most 6 MB: rows stop before this much JSON.
MAX_RESULT_BYTES = 4_000_000
# DuckDB's memory for one query on the local stack: a huge GROUP BY or join fails instead of taking the machine.
DUCKDB_MEMORY_LIMIT = "1GB"
_PARTITION_FOLDER = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


@dataclass
class QueryResult:
    columns: list[dict[str, str]]
    rows: list[list[Any]]
    truncated: bool
    engine: str
    elapsed_ms: int = 0
    # What the query read, where the engine says (Athena's bytes scanned).
    statistics: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "truncated": self.truncated, "engine": self.engine,
                "elapsed_ms": self.elapsed_ms}


class Engine(Protocol):
    name: str
    # The sqlglot dialect a checked query is rebuilt in for this engine.
    dialect: str

    def run(self, sql: str, *, max_rows: int, time_limit: float) -> QueryResult:
        """Runs `sql` (checked; its own LIMIT is at most max_rows + 1) for at most `time_limit` seconds."""
        ...


def engine_for(settings: Settings, client: Callable[[str], Any] | None = None) -> Engine:
    """The settings' engine; `client` makes a boto3 client by service name (the platform's by default)."""
    if client is None:
        from crm.platform.aws import client as platform_client  # noqa: PLC0415 - boto3 only once a query runs

        client = platform_client
    if settings.analytics_engine == "duckdb":
        return DuckDbEngine(settings, client("s3"))
    return AthenaEngine(settings, client("athena"))


def timed_out(seconds: float) -> HttpError:
    return HttpError(408, "query_timed_out", f"The query ran longer than its limit of {seconds:g} seconds and was "
                     "stopped: read fewer days (WHERE dt >= ...), group by fewer values, or join less.")


def invalid_query(message: str) -> HttpError:
    text = " ".join(message.split())[:500]
    return HttpError(400, "invalid_query", f"The query failed: {text}", {"sql": text})


def too_large(message: str) -> HttpError:
    return HttpError(422, "query_too_large", "The query needs more memory than a query may have: "
                     f"{' '.join(message.split())[:300]}", {"sql": "Aggregate more, or read fewer days."})


def fit(rows: Iterable[list[Any]], max_rows: int, max_bytes: int | None = None) -> tuple[list[list[Any]], bool]:
    """At most `max_rows` rows (and, given `max_bytes`, that much JSON); whether rows were left out."""
    import json  # noqa: PLC0415 - sizes only

    kept: list[list[Any]] = []
    size = 0
    for row in rows:
        if max_bytes is not None:
            size += len(json.dumps(row, ensure_ascii=False, default=str)) + 1
        if len(kept) == max_rows or (max_bytes is not None and size > max_bytes):
            return kept, True
        kept.append(row)
    return kept, False


# DuckDB, locally.

class DuckDbEngine:
    """The events Parquet files of the analytics bucket, downloaded into a temporary folder and loaded into an
    in-memory table; then the connection gives up file access and locks its configuration before the
    caller's query runs, interrupted by a timer at the time limit."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, settings: Settings, s3: Any) -> None:
        if not settings.analytics_bucket:
            raise HttpError(503, "analytics_unavailable", "The analytical store is not configured here.")
        self.bucket = settings.analytics_bucket
        self.s3 = s3

    def run(self, sql: str, *, max_rows: int, time_limit: float) -> QueryResult:
        import duckdb  # noqa: PLC0415 - the local stack's and the tests' engine; no function ships it

        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="crm-events-") as folder:
            files = self._download(Path(folder))
            connection = duckdb.connect(":memory:", config={"python_enable_replacements": False})
            try:
                load_events(connection, files)
                connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
                connection.execute("SET autoinstall_known_extensions = false")
                connection.execute("SET autoload_known_extensions = false")
                connection.execute("SET enable_external_access = false")
                connection.execute("SET lock_configuration = true")
                result = self._query(duckdb, connection, sql, max_rows, time_limit)
            finally:
                connection.close()
        result.elapsed_ms = int((time.monotonic() - started) * 1000)
        return result

    def _download(self, folder: Path) -> list[Path]:
        files: list[Path] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=EVENTS_PREFIX):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                parts = key.removeprefix(EVENTS_PREFIX).split("/")
                if len(parts) != 2 or not _PARTITION_FOLDER.match(parts[0]) or not parts[1].endswith(".parquet"):
                    continue
                path = folder / parts[0] / f"{len(files)}.parquet"
                path.parent.mkdir(exist_ok=True)
                self.s3.download_file(self.bucket, key, str(path))
                files.append(path)
        return files

    def _query(self, duckdb: Any, connection: Any, sql: str, max_rows: int, time_limit: float) -> QueryResult:
        timer = threading.Timer(time_limit, connection.interrupt)
        timer.start()
        try:
            cursor = connection.execute(sql)
            described = cursor.description or []
            fetched = cursor.fetchmany(max_rows + 1)
        except duckdb.InterruptException as error:
            raise timed_out(time_limit) from error
        except duckdb.OutOfMemoryException as error:
            raise too_large(str(error)) from error
        except duckdb.Error as error:
            if not timer.is_alive():
                raise timed_out(time_limit) from error
            raise invalid_query(str(error)) from error
        finally:
            timer.cancel()
        rows, truncated = fit(([json_value(value) for value in row] for row in fetched), max_rows)
        return QueryResult([{"name": str(d[0]), "type": str(d[1])} for d in described], rows, truncated, self.name)


def load_events(connection: Any, files: list[Path]) -> None:
    """The events table with schema.py's columns (and `dt`), holding the files' rows."""
    declared = ", ".join(f'"{name}" {duckdb_type(kind)}' for name, kind in (*columns(), PARTITION))
    connection.execute(f"CREATE TABLE {TABLE} ({declared})")
    if files:
        # The paths are this module's own (a temporary folder, dt=<day>/<n>.parquet), quoted all the same.
        paths = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
        connection.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM read_parquet([{paths}], "  # noqa: S608
                           "hive_partitioning = true, hive_types = {'dt': VARCHAR}, union_by_name = true)")


def duckdb_type(glue: str) -> str:
    """A Glue (Hive) type as DuckDB names it: struct<a:string,b:bigint> is STRUCT("a" VARCHAR, "b" BIGINT)."""
    glue = glue.strip()
    if glue.lower().startswith("struct<") and glue.endswith(">"):
        fields = _split_fields(glue[len("struct<"):-1])
        return "STRUCT(" + ", ".join(f'"{name}" {duckdb_type(kind)}' for name, kind in fields) + ")"
    if glue.lower().startswith("array<") and glue.endswith(">"):
        return f"{duckdb_type(glue[len('array<'):-1])}[]"
    scalar = {"string": "VARCHAR", "timestamp": "TIMESTAMP", "bigint": "BIGINT", "int": "INTEGER",
              "boolean": "BOOLEAN", "double": "DOUBLE", "date": "DATE"}
    return scalar[glue.lower()]


def _split_fields(body: str) -> list[tuple[str, str]]:
    fields, depth, start = [], 0, 0
    for index, char in enumerate(body + ","):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            name, _, kind = body[start:index].partition(":")
            fields.append((name.strip(), kind.strip()))
            start = index + 1
    return fields


def json_value(value: Any) -> Any:
    """A value DuckDB returned, as JSON shows it: numbers and text as they are, times in ISO 8601, exact
    decimals as text, structs as objects."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Decimal | UUID | dt.timedelta):
        return str(value)
    return str(value)


# Athena, deployed.

class AthenaEngine:
    """StartQueryExecution in the stack's workgroup (which sets where results go and how much a query may
    scan) over its Glue database; polled until done or the time limit, when it is stopped; GetQueryResults
    until the row limit."""

    name = "athena"
    dialect = "athena"
    PAGE = 1000

    def __init__(self, settings: Settings, athena: Any, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not (settings.athena_workgroup and settings.analytics_database):
            raise HttpError(503, "analytics_unavailable", "The analytical store's workgroup and database are not "
                            "configured here.")
        self.workgroup = settings.athena_workgroup
        self.database = settings.analytics_database
        self.athena = athena
        self.sleep = sleep
        self.clock = clock

    def run(self, sql: str, *, max_rows: int, time_limit: float) -> QueryResult:
        started = self.clock()
        execution_id = self.athena.start_query_execution(
            QueryString=sql, WorkGroup=self.workgroup,
            QueryExecutionContext={"Catalog": "AwsDataCatalog", "Database": self.database})["QueryExecutionId"]
        execution = self._finished(execution_id, started + time_limit)
        if execution is None:
            self.athena.stop_query_execution(QueryExecutionId=execution_id)
            raise timed_out(time_limit)
        status = execution["Status"]
        if status["State"] == "FAILED":
            reason = status.get("StateChangeReason") or "Athena gave no reason."
            # ErrorCategory 2 is the query's own fault (syntax, a column, the bytes scanned cutoff).
            if (status.get("AthenaError") or {}).get("ErrorCategory") == 2:
                raise invalid_query(reason)
            raise unavailable(f"Athena could not run the query: {reason[:300]}", 5)
        if status["State"] == "CANCELLED":
            raise HttpError(409, "query_cancelled", "The query was stopped before it finished; run it again.")
        result = self._results(execution_id, max_rows)
        result.elapsed_ms = int((self.clock() - started) * 1000)
        result.statistics = {"bytes_scanned": (execution.get("Statistics") or {}).get("DataScannedInBytes")}
        return result

    def _finished(self, execution_id: str, deadline: float) -> dict[str, Any] | None:
        pause = 0.1
        while True:
            execution = self.athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return dict(execution)
            left = deadline - self.clock()
            if left <= 0:
                return None
            self.sleep(min(pause, left))
            pause = min(pause * 1.5, 1.0)

    def _results(self, execution_id: str, max_rows: int) -> QueryResult:
        rows: list[list[Any]] = []
        kinds: list[str] = []
        names: list[str] = []
        token: str | None = None
        first = True
        while len(rows) <= max_rows:
            page = self.athena.get_query_results(QueryExecutionId=execution_id, MaxResults=self.PAGE,
                                                 **({"NextToken": token} if token else {}))
            result_set = page["ResultSet"]
            if first:
                info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                names, kinds = [c["Name"] for c in info], [c["Type"] for c in info]
            raw = [[cell.get("VarCharValue") for cell in row.get("Data", [])] for row in result_set.get("Rows", [])]
            # A SELECT's first row is its header.
            if first and raw and raw[0] == names:
                raw = raw[1:]
            first = False
            rows += [[athena_value(value, kind) for value, kind in zip(row, kinds, strict=False)] for row in raw]
            token = page.get("NextToken")
            if not token:
                break
        kept, truncated = fit(rows, max_rows)
        return QueryResult([{"name": n, "type": k} for n, k in zip(names, kinds, strict=False)], kept, truncated,
                           self.name)


_INTEGERS = frozenset({"tinyint", "smallint", "integer", "int", "bigint"})
_FLOATS = frozenset({"double", "float", "real"})


def athena_value(value: str | None, kind: str) -> Any:
    """Athena answers every value as text; numbers and booleans become JSON's own, the rest stays text."""
    if value is None:
        return None
    kind = kind.lower()
    try:
        if kind in _INTEGERS:
            return int(value)
        if kind in _FLOATS:
            number = float(value)
            return number if number == number and abs(number) != float("inf") else value
    except ValueError:
        return value
    if kind == "boolean":
        return value.lower() == "true"
    return value
