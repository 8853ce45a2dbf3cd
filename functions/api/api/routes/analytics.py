"""SQL over the analytical store for admins: one read-only SELECT of the `events` table, checked before it
runs (crm.analytics.sql), run by Athena deployed or DuckDB on the local stack within a time limit and a row
limit (crm.analytics.engines). Decision 0047."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from crm.analytics.engines import MAX_RESULT_BYTES, engine_for, fit
from crm.analytics.sql import MAX_SQL_LENGTH, check_query
from crm.platform.config import get_settings
from pydantic import BaseModel, ConfigDict, Field

from api.auth import requires
from api.params import answers

router = APIGatewayHttpRouter()
DEFAULT_ROWS = 1000
MAX_ROWS = 10_000
REFUSED = "The SQL does not parse, or is not one read-only SELECT of the events table; `fields.sql` says why."
TIMED_OUT = "The query ran longer than its time limit and was stopped."
TOO_LARGE = "The query needed more memory than a query may have."


class QueryRequest(BaseModel):
    """One SELECT (WITH and UNION too) over the `events` table, in Athena's SQL (Trino)."""

    model_config = ConfigDict(extra="forbid")
    sql: Annotated[str, Field(min_length=1, max_length=MAX_SQL_LENGTH, examples=[
        "SELECT detail_type, count(*) AS events FROM events WHERE dt >= '2026-01-01' GROUP BY 1 ORDER BY 2 DESC"])]
    max_rows: Annotated[int, Field(ge=1, le=MAX_ROWS, description="At most this many rows come back "
                                   f"(default {DEFAULT_ROWS}); `truncated` says there were more.")] = DEFAULT_ROWS


class QueryColumn(BaseModel):
    name: str
    type: str


class QueryAnswer(BaseModel):
    """The rows in the query's column order; numbers and booleans as JSON's own, times in ISO 8601."""

    columns: list[QueryColumn]
    rows: list[list[Any]]
    truncated: bool
    engine: str
    elapsed_ms: int


@router.post("/analytics/query", responses=answers(200, {400: REFUSED, 408: TIMED_OUT, 422: TOO_LARGE}),
             middlewares=[requires("analytics", "read")])
def run_query(body: QueryRequest) -> QueryAnswer:
    """Runs a read-only query over every CRM event (the columns of `events`: id, detail_type, source, time,
    detail, dt). Writes, DDL, COPY, ATTACH, INSTALL, LOAD, PRAGMA, SET, table functions, files and tables
    other than `events` are refused with 400; a query past its time limit is stopped (408)."""
    settings = get_settings()
    engine = engine_for(settings)
    query = check_query(body.sql, body.max_rows, engine.dialect)
    result = engine.run(query.sql, max_rows=body.max_rows, time_limit=settings.query_time_limit_seconds)
    result.rows, cut = fit(result.rows, body.max_rows, MAX_RESULT_BYTES)
    result.truncated = result.truncated or cut
    return QueryAnswer.model_validate(result.as_dict())
