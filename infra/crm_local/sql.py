"""`crm sql "SELECT ..."`: one read-only query over the analytical store, printed as a table. On the running
local stack DuckDB reads the embedded S3's Parquet; with `--stack NAME` Athena runs it in the deployed stack's
workgroup (credentials and region from the AWS environment). The query is checked and limited as
POST /v1/analytics/query checks it (crm.analytics.sql): Athena's SQL, one SELECT of `events`.

`crm rfm`: the RFM analysis now, rather than at its daily schedule: in this process over the running local
stack, or by invoking the deployed stack's AnalyticsJobsFunction (`--stack NAME`). Decision 0047."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DEFAULT_ROWS = 100
# A cell wider than this is cut in the table (--json prints every value whole).
CELL_WIDTH = 60


def add_parser(groups: Any) -> None:
    parser = groups.add_parser("sql", help="run one read-only SELECT over the analytical store (events)",
                               description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("query", help="the SELECT, in Athena's SQL, e.g. \"SELECT detail_type, count(*) FROM "
                                      "events GROUP BY 1\"")
    parser.add_argument("--stack", help="a deployed stack's name (Athena) instead of the running local stack")
    parser.add_argument("--region", help="the deployed stack's region (default: the AWS environment's)")
    parser.add_argument("--max-rows", type=int, default=DEFAULT_ROWS, help=f"at most this many rows "
                        f"(default {DEFAULT_ROWS})")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds before the query is stopped "
                                                                        "(default 60)")
    parser.add_argument("--json", action="store_true", help="the answer as JSON, as the API gives it")
    parser.set_defaults(handler=run)
    rfm = groups.add_parser("rfm", help="compute the RFM segments of the payers now and write them to the contacts",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    rfm.add_argument("--stack", help="a deployed stack's name (invokes its AnalyticsJobsFunction) instead of the "
                                     "running local stack")
    rfm.add_argument("--region", help="the deployed stack's region (default: the AWS environment's)")
    rfm.set_defaults(handler=run_rfm)


def engine(args: argparse.Namespace) -> Any:
    """The deployed stack's Athena engine, or DuckDB over the running local stack; None when neither."""
    from crm.analytics.engines import AthenaEngine, DuckDbEngine  # noqa: PLC0415 - product code, only here
    from crm.platform.config import Settings  # noqa: PLC0415 - product code, only for this command

    if args.stack:
        import boto3  # noqa: PLC0415 - only a deployed stack needs boto3 here

        session = boto3.session.Session(region_name=args.region)
        cloudformation = session.client("cloudformation")

        def physical(logical: str) -> str:
            return str(cloudformation.describe_stack_resource(StackName=args.stack, LogicalResourceId=logical)
                       ["StackResourceDetail"]["PhysicalResourceId"])

        settings = Settings(table_name="", event_bus_name="", attachments_bucket="", region=session.region_name,
                            athena_workgroup=physical("AnalyticsWorkGroup"),
                            analytics_database=physical("AnalyticsDatabase"))
        return AthenaEngine(settings, session.client("athena"))
    from crm_local.clients import local_client  # noqa: PLC0415 - the local stack, only without --stack
    from crm_local.running import running_stack  # noqa: PLC0415 - the local stack, only without --stack

    running = running_stack()
    if running is None:
        return None
    return DuckDbEngine(running.settings, local_client("s3", running.aws_endpoint))


def run(args: argparse.Namespace) -> int:
    from crm.analytics.sql import check_query  # noqa: PLC0415 - product code, only for this command
    from crm.platform.errors import HttpError  # noqa: PLC0415 - product code, only for this command

    if args.max_rows < 1 or args.time_limit <= 0:
        print("--max-rows and --time-limit must be positive", file=sys.stderr)
        return 2
    try:
        chosen = engine(args)
        if chosen is None:
            print("no local stack is running (start it with `make run`), and no --stack was named", file=sys.stderr)
            return 1
        checked = check_query(args.query, args.max_rows, chosen.dialect)
        result = chosen.run(checked.sql, max_rows=args.max_rows, time_limit=args.time_limit)
    except HttpError as error:
        print(f"{error.status} {error.code}: {error.message}", file=sys.stderr)
        return 2 if error.status < 500 else 1
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(table([column["name"] for column in result.columns], result.rows))
    more = f", cut at --max-rows {args.max_rows}" if result.truncated else ""
    print(f"({len(result.rows)} row{'s' * (len(result.rows) != 1)}{more}; {result.engine}, {result.elapsed_ms} ms)")
    return 0


def table(names: list[str], rows: list[list[Any]]) -> str:
    """Columns padded to their widest cell (at most CELL_WIDTH), numbers to the right."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(names)]
    numeric = [_numbers([row[i] for row in rows]) for i in range(len(names))]

    def line(values: list[str]) -> str:
        return " | ".join(value.rjust(width) if right else value.ljust(width)
                          for value, width, right in zip(values, widths, numeric, strict=True)).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(names), rule, *(line(row) for row in cells)])


def _numbers(values: list[Any]) -> bool:
    shown = [value for value in values if value is not None]
    return bool(shown) and all(isinstance(value, int | float) and not isinstance(value, bool) for value in shown)


def _cell(value: Any) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= CELL_WIDTH else text[:CELL_WIDTH - 1] + "…"


def run_rfm(args: argparse.Namespace) -> int:
    if args.stack:
        totals = _invoke_deployed(args)
    else:
        totals = _run_locally()
    if totals is None:
        return 1
    print(f"{totals['payers']} payers: {totals['changed']} contacts' segments written, {totals['unchanged']} "
          f"unchanged, {totals['skipped']} skipped (deleted, erased or merged)")
    for name, number in sorted(totals["segments"].items(), key=lambda pair: -pair[1]):
        print(f"  {name:<20} {number}")
    return 0


def _run_locally() -> dict[str, Any] | None:
    from crm.analytics.engines import DuckDbEngine  # noqa: PLC0415 - product code, only for this command
    from crm.analytics.rfm import run_rfm as analyse_and_write  # noqa: PLC0415 - product code, only here
    from crm.records.table import bind_table  # noqa: PLC0415 - product code, only for this command

    from crm_local.clients import local_client  # noqa: PLC0415 - the local stack, only without --stack
    from crm_local.running import running_stack  # noqa: PLC0415 - the local stack, only without --stack

    running = running_stack()
    if running is None:
        print("no local stack is running (start it with `make run`), and no --stack was named", file=sys.stderr)
        return None
    bind_table(running.settings)
    engine = DuckDbEngine(running.settings, local_client("s3", running.aws_endpoint))
    return dict(analyse_and_write(engine, time_limit=600).as_dict())


def _invoke_deployed(args: argparse.Namespace) -> dict[str, Any] | None:
    import boto3  # noqa: PLC0415 - only a deployed stack needs boto3 here
    from botocore.config import Config  # noqa: PLC0415 - only a deployed stack needs boto3 here
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - only a deployed stack

    session = boto3.session.Session(region_name=args.region)
    try:
        resource = session.client("cloudformation").describe_stack_resource(
            StackName=args.stack, LogicalResourceId="AnalyticsJobsFunction")
        function = resource["StackResourceDetail"]["PhysicalResourceId"]
        # The function may run for its whole 15 minutes.
        answer = session.client("lambda", config=Config(read_timeout=960, retries={"max_attempts": 0})).invoke(
            FunctionName=function, Payload=json.dumps({"job": "rfm"}).encode())
    except (BotoCoreError, ClientError) as error:
        print(f"cannot run the analysis of stack {args.stack}: {error}", file=sys.stderr)
        return None
    body = json.loads(answer["Payload"].read() or b"{}")
    if answer.get("FunctionError"):
        print(f"the analysis failed: {body.get('errorMessage', body)}", file=sys.stderr)
        return None
    return dict(body)
