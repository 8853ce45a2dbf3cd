"""(a) Cold start: each function's handler module imported in a fresh interpreter, as a ratio to
`import pynamodb.models` timed the same way in the same run. The runs are interleaved, each round in a
rotated order, so the machine's drift and the position in a round hit every module alike."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

from crm_local.template import FunctionSpec

from bench.harness import function_environment

BASELINE = "pynamodb.models"
_TIMED_IMPORT = "import sys, time; t = time.perf_counter(); __import__(sys.argv[1]); print(time.perf_counter() - t)"
_IMPORT_TIME = re.compile(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)")
HEAVIEST_SHOWN = 5


@dataclass(frozen=True)
class ColdStart:
    function: str
    module: str
    median_ms: float | None
    # Median of the per-round ratios: each round's module and baseline ran side by side.
    ratio: float | None
    # What the module imports beyond the baseline, heaviest first (ms), to show where the time goes.
    heaviest: tuple[tuple[str, float], ...] = ()
    error: str | None = None


def measure_cold_starts(functions: list[FunctionSpec], rounds: int) -> tuple[float, list[ColdStart]]:
    """The baseline's median (ms) and each function's cold start."""
    env = function_environment(functions[0])
    targets = [(BASELINE, env)] + [(_module(f), function_environment(f)) for f in functions]
    errors = {module: _import_error(module, target_env) for module, target_env in targets}
    runnable = [(module, target_env) for module, target_env in targets if errors[module] is None]
    samples: dict[str, list[float]] = {module: [] for module, _ in runnable}
    for round_number in range(rounds):
        shift = round_number % len(runnable)
        for module, target_env in runnable[shift:] + runnable[:shift]:
            samples[module].append(_import_seconds(module, target_env) * 1000)
    baseline = samples[BASELINE]
    results = []
    for function in functions:
        module = _module(function)
        if errors[module] is not None:
            results.append(ColdStart(function.logical_id, module, None, None, error=errors[module]))
            continue
        ratios = [ms / base for ms, base in zip(samples[module], baseline, strict=True)]
        results.append(ColdStart(function.logical_id, module, statistics.median(samples[module]),
                                 statistics.median(ratios), _heaviest_imports(module, env)))
    return statistics.median(baseline), results


def _module(function: FunctionSpec) -> str:
    return function.handler.rsplit(".", 1)[0]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def _import_error(module: str, env: dict[str, str]) -> str | None:
    """None if the module imports; also leaves its bytecode cached, as in a deployed package."""
    result = _run(["-c", _TIMED_IMPORT, module], env)
    return None if result.returncode == 0 else (result.stderr.strip().splitlines() or ["failed"])[-1]


def _import_seconds(module: str, env: dict[str, str]) -> float:
    return float(_run(["-c", _TIMED_IMPORT, module], env).stdout)


def _heaviest_imports(module: str, env: dict[str, str]) -> tuple[tuple[str, float], ...]:
    """The packages whose own import time (summed over their modules) the module adds to the baseline's."""
    result = _run(["-X", "importtime", "-c", f"import {BASELINE}, sys; __import__(sys.argv[1])", module], env)
    lines = result.stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.endswith(f" {BASELINE}")), 0) + 1
    by_package: Counter[str] = Counter()
    for line in lines[start:]:
        match = _IMPORT_TIME.match(line)
        if match:
            by_package[match.group(2).split(".")[0]] += int(match.group(1)) / 1000
    return tuple(by_package.most_common(HEAVIEST_SHOWN))
