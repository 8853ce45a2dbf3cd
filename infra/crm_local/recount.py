"""`crm dashboards recount`: counts, for the live dashboards, the records written before their counters
existed (a stack upgraded to this version) or after counters were lost. It reads the table with a
parallel Scan and applies each counted record as the stream would; running it twice, or beside the
live stream, counts nothing twice. The table is the running local stack's, or a deployed stack's
(`--stack`, credentials and region from the AWS environment)."""

from __future__ import annotations

import argparse
import os
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


def _settings(args: argparse.Namespace) -> Any:
    from crm.platform.config import Settings  # noqa: PLC0415 - product code, only for this command

    if args.stack:
        import boto3  # noqa: PLC0415 - only a deployed stack needs boto3 here

        session = boto3.session.Session(region_name=args.region)
        table = session.client("cloudformation").describe_stack_resource(
            StackName=args.stack, LogicalResourceId="CrmTable")["StackResourceDetail"]["PhysicalResourceId"]
        return Settings(table_name=table, event_bus_name="", attachments_bucket="", region=session.region_name)
    from crm_local.stack import StackError, StackSettings, read_state  # noqa: PLC0415 - the local stack, only without --stack
    from crm_local.template import LOCAL_REGION, Template  # noqa: PLC0415 - the local stack, only without --stack

    stack = StackSettings.from_environ()
    try:
        state = read_state(stack)
    except StackError:
        return None
    # moto accepts any credentials; fixed ones keep a developer's real profile out of the local stack.
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")  # noqa: S106 - moto takes any key
    template = Template.load(stack.template_path, aws_endpoint=state["aws_endpoint"])
    return Settings(table_name=template.physical_name("CrmTable"), event_bus_name="", attachments_bucket="",
                    region=LOCAL_REGION, aws_endpoint_url=state["aws_endpoint"])


def run(args: argparse.Namespace) -> int:
    from crm.dashboards.recount import recount  # noqa: PLC0415 - product code, only for this command
    from crm.records.table import bind_table  # noqa: PLC0415 - product code, only for this command

    settings = _settings(args)
    if settings is None:
        print("no local stack is running (start it with `make run`), and no --stack was named", file=sys.stderr)
        return 1
    bind_table(settings)
    read, changed = recount(args.segments)
    print(f"{read} records read, {changed} brought into the counters")
    return 0
