"""pytest plugin, registered by conftest only under the deep profile (`make fuzz`): rewrites the fuzzing
table in RELIABILITY.md after each property.

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
    stopped_because: set[str] = field(default_factory=set)
    # schemathesis runs one test item once per API operation (setup, call, teardown each time).
    runs: int = 0
    failed_runs: list[str] = field(default_factory=list)

    def note(self, stats: dict[str, Any]) -> None:
        """Hypothesis's statistics of one run: test cases per phase, with their status and events."""
        for phase in ("explicit", "reuse", "generate"):
            for case in stats.get(f"{phase}-phase", {}).get("test-cases", []):
                self.cases[case["status"]] += 1
                # Only the answers the tests report (`HTTP <status>`), not hypothesis's own notes on filtering.
                self.events.update(e for e in case["events"] if str(e).startswith("HTTP "))
        self.shrinks += len(stats.get("shrink-phase", {}).get("test-cases", []))
        if stats.get("stopped-because"):
            self.stopped_because.add(stats["stopped-because"])

    def row(self) -> str:
        run = self.cases["valid"] + self.cases["interesting"]
        outcome = "**failures found**" if self.failed_runs else self.outcome
        if len(self.failed_runs) < self.runs:
            outcome += f" in {', '.join(self.failed_runs)}" if self.failed_runs else ""
        outcome += f" ({self.shrinks:,} shrinks)" if self.shrinks else ""
        # The property cell stays the row's key; schemathesis's operations are counted with the cases.
        cases = f"{run:,} over {self.runs} operations" if self.runs > 1 else f"{run:,}"
        spread = ", ".join(f"{name} {100 * n / max(run, 1):.0f}%" for name, n in self.events.most_common(6))
        minutes, seconds = divmod(round(self.seconds), 60)
        return (f"| {self.entry_point} | {self.prop} | {cases} | {outcome} | {spread or '-'} "
                f"| {minutes}m{seconds:02d}s | {', '.join(sorted(self.stopped_because)) or '-'} "
                f"| {time.strftime('%Y-%m-%d')} |")


def _key(item: pytest.Item) -> tuple[str, str]:
    """(entry point, property): the marker's entry point or the module, and the test's name as a sentence
    with its parameters (not schemathesis's operation, which renames the item for each run)."""
    marker = item.get_closest_marker("fuzz")
    assert marker is not None
    name = getattr(item, "originalname", item.name)
    callspec = getattr(item, "callspec", None)
    return (marker.kwargs.get("entry_point", item.module.__name__.rsplit(".", 1)[-1]),
            name.removeprefix("test_").replace("_", " ") + (f"[{callspec.id}]" if callspec else ""))


def _row_key(row: str) -> tuple[str, str]:
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    return cells[0], cells[1]


class FuzzReport:
    """Rows of the properties this run tried replace theirs; rows of properties that still exist but did not
    run (re-running one property after a fix) are kept; rows of properties that no longer exist go."""

    def __init__(self, reliability: Path) -> None:
        self.reliability = reliability
        self.results: dict[str, FuzzResult] = {}
        self.existing: set[tuple[str, str]] = set()

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Before -m and -k deselect: every fuzz property there is.
        self.existing = {_key(item) for item in items if item.get_closest_marker("fuzz")}

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item):
        if item.get_closest_marker("fuzz") is None:
            yield
            return
        result = self.results.setdefault(item.nodeid, FuzzResult(*_key(item)))
        # Inside hypothesis's own plugin, which collects statistics for --hypothesis-show-statistics: chain to it.
        inner = collector.value

        def note(stats: dict[str, Any]) -> None:
            result.note(stats)
            if inner is not None:
                inner(stats)

        started = time.monotonic()
        result.runs += 1
        with collector.with_value(note):
            yield
        result.seconds += time.monotonic() - started

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.results.get(report.nodeid)
        if result is not None and report.when == "call":
            result.outcome = "passed" if report.passed else report.outcome
            if report.failed:
                result.failed_runs.append(report.head_line.partition("[")[2].rstrip("]") or "it")
        if result is not None and report.when == "teardown":
            # After each property, so a deep run stopped part way still records what it finished.
            self._write()

    def _write(self) -> None:
        text = self.reliability.read_text(encoding="utf-8")
        head, _, rest = text.partition(START)
        old_table, _, tail = rest.partition(END)
        rows = {_row_key(line): line for line in old_table.splitlines() if line.startswith("| ")}
        rows = {key: row for key, row in rows.items() if key in self.existing}
        rows.update({(r.entry_point, r.prop): r.row() for r in self.results.values()})
        table = "\n".join([
            f"Hypothesis profile `{DEEP_PROFILE}`: {settings.default.max_examples:,} examples per property; cases "
            "run counts generated and replayed examples, not shrinks; outcomes are the spread of answers.",
            "",
            "| entry point | property | cases run | result | outcomes | time | stopped because | run on |",
            "| --- | --- | ---: | --- | --- | ---: | --- | --- |",
            *rows.values(),
        ])
        self.reliability.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
