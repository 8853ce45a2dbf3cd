"""pytest plugin, registered by conftest only under the deep profile (`make fuzz`): rewrites the fuzzing
table in RELIABILITY.md.

Any hypothesis test that carries the `fuzz` marker is reported, the entry point taken from the marker's
`entry_point` argument (or the test module), the property from the test's name, the cases from
hypothesis's own run statistics, so a new test (schemathesis over the API, say) joins by the marker alone."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.statistics import collector

START = "<!-- fuzz-results:start (rewritten by `make fuzz`; edits between these markers are lost) -->"
END = "<!-- fuzz-results:end -->"
DEEP_PROFILE = "deep"


@dataclass
class FuzzResult:
    entry_point: str
    prop: str
    outcome: str = "not run"
    seconds: float = 0.0
    cases: Counter[str] = field(default_factory=Counter)
    shrinks: int = 0
    events: Counter[str] = field(default_factory=Counter)
    stopped_because: str = ""

    def note(self, stats: dict[str, Any]) -> None:
        """Hypothesis's statistics of one run: test cases per phase, with their status and events."""
        for phase in ("explicit", "reuse", "generate"):
            for case in stats.get(f"{phase}-phase", {}).get("test-cases", []):
                self.cases[case["status"]] += 1
                self.events.update(case["events"])
        self.shrinks += len(stats.get("shrink-phase", {}).get("test-cases", []))
        self.stopped_because = stats.get("stopped-because", "")

    def row(self) -> str:
        run = self.cases["valid"] + self.cases["interesting"]
        outcome = f"{self.outcome} ({self.shrinks:,} shrinks)" if self.shrinks else self.outcome
        spread = ", ".join(f"{name} {100 * n / max(run, 1):.0f}%" for name, n in self.events.most_common(6))
        minutes, seconds = divmod(round(self.seconds), 60)
        return (f"| {self.entry_point} | {self.prop} | {run:,} | {outcome} | {spread or '-'} "
                f"| {minutes}m{seconds:02d}s | {self.stopped_because or '-'} |")


class FuzzReport:
    def __init__(self, reliability: Path) -> None:
        self.reliability = reliability
        self.results: dict[str, FuzzResult] = {}

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item):
        marker = item.get_closest_marker("fuzz")
        if marker is None:
            yield
            return
        name = getattr(item, "originalname", item.name)
        result = self.results.setdefault(item.nodeid, FuzzResult(
            entry_point=marker.kwargs.get("entry_point", item.module.__name__.rsplit(".", 1)[-1]),
            prop=name.removeprefix("test_").replace("_", " ") + item.name.removeprefix(name)))
        # Inside hypothesis's own plugin, which collects statistics for --hypothesis-show-statistics: chain to it.
        inner = collector.value

        def note(stats: dict[str, Any]) -> None:
            result.note(stats)
            if inner is not None:
                inner(stats)

        started = time.monotonic()
        with collector.with_value(note):
            yield
        result.seconds = time.monotonic() - started

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.results.get(report.nodeid)
        if result is not None and report.when == "call":
            result.outcome = "passed" if report.passed else "**failures found**" if report.failed else report.outcome

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.results:
            return
        text = self.reliability.read_text(encoding="utf-8")
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        table = "\n".join([
            f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, hypothesis profile `{DEEP_PROFILE}` "
            f"({settings.default.max_examples:,} examples per property; cases run counts generated and replayed "
            "examples, not shrinks).",
            "",
            "| entry point | property | cases run | result | outcomes | time | stopped because |",
            "| --- | --- | ---: | --- | --- | ---: | --- |",
            *(result.row() for result in self.results.values()),
        ])
        self.reliability.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
