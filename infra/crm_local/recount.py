"""`crm dashboards recount`: counts, for the live dashboards, the records written before their counters
existed (a stack upgraded to this version) or after counters were lost. It reads the table with a
parallel Scan and applies each counted record as the stream would; running it twice, or beside the
live stream, counts nothing twice. The table is the running local stack's, or a deployed stack's
(`--stack`, credentials and region from the AWS environment)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(groups: Any) -> None:
    """`crm dashboards recount`, beside the other command groups."""
    dashboards = groups.add_parser("dashboards", help="the live dashboards' counters")
    commands = dashboards.add_subparsers(dest="command", required=True)
    parser = commands.add_parser("recount", help="count every record the counters do not count yet",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", help="a deployed stack's name instead of the running local stack")
    parser.add_argument("--region", help="the deployed stack's region (default: the AWS environment's)")
    parser.add_argument("--segments", type=int, default=4, choices=range(1, 33), metavar="1-32",
                        help="Scan segments read at once (default 4)")
    parser.set_defaults(handler=run)


def target_settings(args: argparse.Namespace) -> Any:
    """The settings of the table a maintenance command works on: a deployed stack's, or the running local one's."""
    from crm.platform.config import Settings  # noqa: PLC0415 - product code, only for this command

    if args.stack:
        import boto3  # noqa: PLC0415 - only a deployed stack needs boto3 here

        session = boto3.session.Session(region_name=args.region)
        table = session.client("cloudformation").describe_stack_resource(
            StackName=args.stack, LogicalResourceId="CrmTable")["StackResourceDetail"]["PhysicalResourceId"]
        return Settings(table_name=table, event_bus_name="", attachments_bucket="", region=session.region_name)
    from crm_local.running import running_stack  # noqa: PLC0415 - the local stack, only without --stack

    running = running_stack()
    return None if running is None else running.settings


def run(args: argparse.Namespace) -> int:
    from crm.dashboards.recount import recount  # noqa: PLC0415 - product code, only for this command
    from crm.records.table import bind_table  # noqa: PLC0415 - product code, only for this command

    settings = target_settings(args)
    if settings is None:
        print("no local stack is running (start it with `make run`), and no --stack was named", file=sys.stderr)
        return 1
    bind_table(settings)
    read, changed = recount(args.segments)
    print(f"{read} records read, {changed} brought into the counters")
    return 0
