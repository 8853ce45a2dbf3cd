"""The template's functions, run in this process: each handler is imported on first use and then kept,
like a warm Lambda container, and one invocation at a time runs per function, as in one container."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from crm_local import log
from crm_local.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, FunctionSpec


class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, function: FunctionSpec) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{function.name}"
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + function.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._handler: Any = None
        self._lock = threading.Lock()

    def invoke(self, event: Any) -> Any:
        with self._lock:
            if self._handler is None:
                module_name, _, attribute = self.spec.handler.rpartition(".")
                self._handler = getattr(importlib.import_module(module_name), attribute)
            return self._handler(event, LambdaContext(self.spec))


class LocalFunctions:
    """Every function of the template by logical id."""

    def __init__(self, specs: Iterable[FunctionSpec]) -> None:
        self._functions = {spec.logical_id: LocalFunction(spec) for spec in specs}

    def invoke(self, function_id: str, event: Any) -> Any:
        return self._functions[function_id].invoke(event)


def shared_environment(specs: Iterable[FunctionSpec], aws_endpoint: str,
                       overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """One environment for all functions, since they share this process. They share the template's
    Globals, so a variable that differs between functions is reported, and the first value kept."""
    environment: dict[str, str] = {}
    for spec in specs:
        for name, value in spec.environment.items():
            if environment.setdefault(name, value) != value:
                log.warning("%s differs between functions; %s gets %r", name, spec.logical_id, environment[name])
    environment.update({
        "AWS_REGION": LOCAL_REGION,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "CRM_AWS_ENDPOINT_URL": aws_endpoint,
        # No X-Ray daemon runs locally.
        "POWERTOOLS_TRACE_DISABLED": "true",
        # moto runs no Athena query: SQL over the analytical store runs in DuckDB here (decision 0047).
        "CRM_ANALYTICS_ENGINE": "duckdb",
    })
    # Secrets are named by ARN in AWS; locally each function falls back to the variable without the
    # _ARN suffix (CRM_CURSOR_SECRET, CRM_STRIPE_WEBHOOK_SECRET, ...) or its development default.
    environment.update({name: "" for name in environment if name.startswith("CRM_") and name.endswith("_ARN")})
    environment.update(overrides or {})
    return environment
