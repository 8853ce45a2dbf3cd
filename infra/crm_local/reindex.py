"""`crm reindex`: lists the records written before their lists existed (a stack upgraded to this version): the
support cases in the case inbox, and forms' accepted submissions under their forms. Running it twice, or beside
live traffic, changes nothing twice. The table is the running local stack's, or a deployed stack's (`--stack`,
credentials and region from the AWS environment)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crm_local.recount import target_settings


def add_parser(groups: Any) -> None:
    """`crm reindex`, beside the other command groups."""
    parser = groups.add_parser("reindex", help="list records written before their lists existed",
                               description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", help="a deployed stack's name instead of the running local stack")
    parser.add_argument("--region", help="the deployed stack's region (default: the AWS environment's)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from crm.forms.reindex import reindex_submissions  # noqa: PLC0415 - product code, only for this command
    from crm.mail.reindex import reindex_cases  # noqa: PLC0415 - product code, only for this command
    from crm.records.table import bind_table  # noqa: PLC0415 - product code, only for this command

    settings = target_settings(args)
    if settings is None:
        print("no local stack is running (start it with `make run`), and no --stack was named", file=sys.stderr)
        return 1
    bind_table(settings)
    for what, (read, changed) in (("cases", reindex_cases()), ("form submissions", reindex_submissions())):
        print(f"{what}: {read} read without their list's keys, {changed} listed")
    return 0
