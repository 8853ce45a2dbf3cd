"""The table stream as Lambda feeds it to one function of template.yaml: its filter, batch size and
item-failure reporting, through the local stack's poller; every delivered batch is kept."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any


def stream_source(function_id: str) -> Any:
    """The function's stream source as template.yaml declares it."""
    from crm_local.template import StreamSource, Template

    template = Template.load()
    template.bind("CrmUserPool", "pool")
    template.bind("CrmUserPoolClient", "client")
    return next(s for s in template.event_sources() if isinstance(s, StreamSource) and s.function_id == function_id)


class FunctionStream:
    def __init__(self, aws: dict[str, Any], function_id: str) -> None:
        import boto3
        from botocore.config import Config
        from crm_local.dispatch import StreamPoller

        # A failure shows at once rather than after the retries' pauses.
        source = dataclasses.replace(stream_source(function_id), table_name=aws["settings"].table_name,
                                     maximum_retry_attempts=0, on_failure_queue=None)
        handler = handler_path(function_id)
        self._handler = getattr(importlib.import_module(handler.rpartition(".")[0]), handler.rpartition(".")[2])
        # Botocore sends stream reads to an account endpoint that moto's in-process mock does not serve.
        config = Config(account_id_endpoint_mode="disabled")
        self.batches: list[dict[str, Any]] = []
        self.results: list[Any] = []
        self._poller = StreamPoller(source, self._invoke, lambda service: boto3.client(service, config=config),
                                    f"arn:aws:lambda:us-east-1:123456789012:function:{function_id}")

    def _invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        self.batches.append(event)
        self.results.append(self._handler(event, None))
        return self.results[-1]

    def catch_up(self) -> None:
        while self._poller.poll():
            pass

    def records(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches for record in batch["Records"]]


def handler_path(function_id: str) -> str:
    from crm_local.template import Template

    return str(Template.load().document["Resources"][function_id]["Properties"]["Handler"])
