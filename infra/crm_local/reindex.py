"""`crm cases reindex`: puts the support cases written before the case inbox existed into it (a stack upgraded
to this version). Running it twice, or beside live mail, changes nothing twice. The table is the running local
stack's, or a deployed stack's (`--stack`, credentials and region from the AWS environment)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crm_local.recount import target_settings


def add_parser(groups: Any) -> None:
    """`crm cases reindex`, beside the other command groups."""
    cases = groups.add_parser("cases", help="support cases")
    commands = cases.add_subparsers(dest="command", required=True)
    parser = commands.add_parser("reindex", help="put cases written before the inbox existed into it",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", help="a deployed stack's name instead of the running local stack")
    parser.add_argument("--region", help="the deployed stack's region (default: the AWS environment's)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from crm.mail.reindex import reindex_cases  # noqa: PLC0415 - product code, only for this command
    from crm.records.table import bind_table  # noqa: PLC0415 - product code, only for this command

    settings = target_settings(args)
    if settings is None:
        print("no local stack is running (start it with `make run`), and no --stack was named", file=sys.stderr)
        return 1
    bind_table(settings)
    read, changed = reindex_cases()
    print(f"{read} cases without an inbox place read, {changed} put into the inbox")
    return 0
