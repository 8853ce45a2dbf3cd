"""The local stack's wiring in this process: the embedded AWS (moto's server: moto's in-process mock
does not route DynamoDB Streams) provisioned from template.yaml as `crm local run` provisions it, the
template's functions, and its event sources' pollers, driven one poll at a time from the test's thread
(no dispatcher threads), so a run is deterministic."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.request import Request, urlopen

import pytest

from tests.e2e.conftest import free_port

# A failed message returns after its queue's visibility timeout (minutes in the template); in a test, at
# once, so SQS's redrive after the receives its redrive policy allows happens in test time.
TEST_VISIBILITY_TIMEOUT = "0"


@dataclass
class InProcessStack:
    template: Any
    aws_endpoint: str
    functions: Any = None

    def client(self, service: str) -> Any:
        from crm_local.clients import local_client

        return local_client(service, self.aws_endpoint)

    def pollers(self, invoke: Callable[[str, Any], Any]) -> list[Any]:
        from crm_local.dispatch import build_pollers
        from crm_local.firehose import delivery_pollers

        pollers = build_pollers(self.template.event_sources(), invoke, self.client,
                                partial(self.template.get_att, attribute="Arn"))
        return pollers + delivery_pollers(self.template, self.client)

    def name(self, logical_id: str) -> str:
        return self.template.physical_name(logical_id)


def drain(pollers: list[Any], max_rounds: int = 200) -> int:
    """Polls every source until a whole round finds nothing to do, and the local Firehose has written what
    it buffered (as its interval would); returns the rounds it took."""
    from crm_local.firehose import flush_all

    for round_number in range(1, max_rounds + 1):
        if not any([poller.poll() for poller in pollers]) and not flush_all(pollers):
            return round_number
    raise AssertionError(f"dispatch did not go idle within {max_rounds} rounds")


def _forget_product_caches() -> None:
    """Functions keep their settings, stores and clients for the container's life; start them afresh."""
    import email_ingest.handler
    import lead_capture.handler
    from crm.platform import aws
    from crm.platform.config import get_settings
    from crm.records.table import bind_table

    get_settings.cache_clear()
    aws.client.cache_clear()
    bind_table(get_settings())
    lead_capture.handler._store = None
    lead_capture.handler.forget_cached_forms()
    email_ingest.handler._mail_store.cache_clear()
    email_ingest.handler._environment_mail_settings.cache_clear()
    email_ingest.handler.forget_mail_settings()


@pytest.fixture
def in_process_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessStack]:
    from crm_local import dispatch
    from crm_local.embedded_aws import EmbeddedAws
    from crm_local.provision import provision, seed_demo_form
    from crm_local.runtime import LocalFunctions, shared_environment
    from crm_local.template import Template

    # Lambda's retry pauses, which the local stack keeps short, are not what these tests measure.
    monkeypatch.setattr(dispatch, "retry_backoff", lambda attempt: 0.0)
    port = free_port()
    aws = EmbeddedAws("127.0.0.1", port)
    aws.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's backends are global to the process: each test starts from an empty AWS.
    reset = partial(urlopen, Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310 - moto's http URL
    reset().close()
    try:
        template = Template.load(aws_endpoint=endpoint)
        for resource in template.document["Resources"].values():
            if resource["Type"] == "AWS::SQS::Queue" and "VisibilityTimeout" in resource.get("Properties", {}):
                resource["Properties"]["VisibilityTimeout"] = TEST_VISIBILITY_TIMEOUT
        stack = InProcessStack(template, endpoint)
        provision(template, stack.client)  # first: the functions' environment names the pool it creates
        environment = shared_environment(template.functions(), stack.aws_endpoint)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        seed_demo_form(environment, ("http://localhost:3000",), "http://localhost:3000/thank-you")
        _forget_product_caches()
        stack.functions = LocalFunctions(template.functions())
        yield stack
    finally:
        reset().close()
        aws.stop()
    monkeypatch.undo()
    _forget_product_caches()
