"""The running local stack as the product's own code sees it: for commands that run product code in their
own process against it (`crm sql`, `crm rfm`, `crm dashboards recount`, a DLQ replay)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunningStack:
    settings: Any  # crm.platform.config.Settings, of the stack's table, bus and analytics bucket
    aws_endpoint: str


def running_stack() -> RunningStack | None:
    """The running local stack's settings, or None when none runs. moto accepts any credentials; fixed
    ones are set in this process so that a developer's real profile never reaches the local stack."""
    from crm.platform.config import Settings  # noqa: PLC0415 - product code, only for these commands

    from crm_local.stack import StackError, StackSettings, read_state  # noqa: PLC0415 - loaded only when used
    from crm_local.template import LOCAL_REGION, Template  # noqa: PLC0415 - loaded only when used

    stack = StackSettings.from_environ()
    try:
        state = read_state(stack)
    except StackError:
        return None
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")  # noqa: S106 - moto takes any key
    template = Template.load(stack.template_path, aws_endpoint=state["aws_endpoint"])
    settings = Settings(table_name=template.physical_name("CrmTable"),
                        event_bus_name=template.physical_name("CrmEventBus"), attachments_bucket="",
                        region=LOCAL_REGION, aws_endpoint_url=state["aws_endpoint"], analytics_engine="duckdb",
                        analytics_bucket=template.physical_name("AnalyticsBucket"))
    return RunningStack(settings, state["aws_endpoint"])
