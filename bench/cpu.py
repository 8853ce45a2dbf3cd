"""(c) Warm handler CPU per invocation with AWS stubbed out: each operation is replayed against the
responses moto gave it in the requests bench, answered at botocore's HTTP layer, so neither moto nor
the network is in the measurement; only the function's own work (and botocore's) is."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from bench.aws_calls import replaying
from bench.harness import quiet
from bench.requests_count import Operation, outcome

WARM_UP_INVOCATIONS = 20


@dataclass(frozen=True)
class CpuTime:
    operation: str
    invocations: int
    median_us: float
    p90_us: float


def measure_cpu(operations: list[Operation], invocations: int) -> list[CpuTime]:
    """Each operation that ran: not one that failed, nor a bus event its rule did not deliver."""
    return [_measure(operation, invocations) for operation in operations
            if operation.delivered and not operation.error]


def _measure(operation: Operation, invocations: int) -> CpuTime:
    samples = []
    with quiet():
        for run in range(WARM_UP_INVOCATIONS + invocations):
            with replaying(operation.calls):
                start = time.process_time()
                response = operation.function(operation.event)
                elapsed = time.process_time() - start
            if outcome(response) != outcome(operation.response):
                raise AssertionError(f"{operation.name}: replay answered {response!r}, moto {operation.response!r}")
            if run >= WARM_UP_INVOCATIONS:
                samples.append(elapsed * 1e6)
    deciles = statistics.quantiles(samples, n=10)
    return CpuTime(operation.name, invocations, statistics.median(samples), deciles[-1])
