"""The `make fuzz` report: a deep run rewrites the fuzzing table of RELIABILITY.md from hypothesis's statistics."""

from __future__ import annotations

from tests.support.fuzz_report import END, START

pytest_plugins = ["pytester"]

PROPERTIES = """
import pytest
from hypothesis import event, given, strategies as st


@pytest.mark.fuzz(entry_point="POST /things")
@given(st.integers())
def test_any_integer_is_taken(n):
    event("HTTP 200" if n % 2 == 0 else "HTTP 400")


@pytest.mark.fuzz
@given(st.integers(max_value=-1))  # every example fails, not only the runs that happen to draw a negative
def test_no_integer_is_negative(n):
    assert n >= 0


def test_not_a_property():
    pass
"""

CONFTEST = """
from pathlib import Path

from hypothesis import settings

from tests.support.fuzz_report import FuzzReport

settings.register_profile("tiny", max_examples=7, database=None)
settings.load_profile("tiny")


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz(entry_point): an entry-point property")
    config.pluginmanager.register(FuzzReport(Path("RELIABILITY.md")), "crm-fuzz-report")
"""


def test_a_deep_run_rewrites_only_the_table_between_the_markers(pytester):
    # Given a RELIABILITY.md with other sections, a passing and a failing fuzz property, and a plain test
    before = f"# Reliability\n\n## Fuzzing\n{START}\nold table\n{END}\n\n## Fault injection\nkept\n"
    pytester.makefile(".md", RELIABILITY=before)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_properties=PROPERTIES)
    # When the run ends
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2, failed=1)
    # Then the table lists each fuzz property with its entry point, cases, result and outcomes
    text = (pytester.path / "RELIABILITY.md").read_text()
    assert text.startswith("# Reliability\n\n## Fuzzing\n" + START)
    assert text.endswith(f"{END}\n\n## Fault injection\nkept")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 2 and "old table" not in text
    taken = rows[0].split(" | ")
    assert taken[:4] == ["| POST /things", "any integer is taken", "7", "passed"]
    assert "HTTP 200" in taken[4] and "HTTP 400" in taken[4]
    negative = rows[1].split(" | ")
    assert negative[0] == "| test_properties" and negative[3].startswith("**failures found**")


def test_a_run_of_one_property_keeps_the_others_rows_and_drops_rows_of_properties_gone(pytester):
    # Given a table from a full run, and a row of a property since removed
    removed_row = "| gone | property | 1 | passed | - | 0m01s | - | 2026-01-01 |"
    pytester.makefile(".md", RELIABILITY=f"{START}\n{removed_row}\n{END}")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_properties=PROPERTIES)
    pytester.runpytest_inprocess("-p", "no:cacheprovider")
    # When only the failing property runs again, fixed
    pytester.makepyfile(test_properties=PROPERTIES.replace("assert n >= 0", "assert isinstance(n, int)"))
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "negative").assert_outcomes(passed=1)
    # Then its row says passed, the other property keeps its row, and the removed one's row is gone
    text = (pytester.path / "RELIABILITY.md").read_text()
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [(row[1], row[3]) for row in rows] == [("any integer is taken", "passed"),
                                                  ("no integer is negative", "passed")]


OPERATIONS = """
import pytest
import schemathesis
from hypothesis import settings

schema = schemathesis.openapi.from_dict({
    "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
    "paths": {"/b": {"delete": {"responses": {"204": {"description": "Deleted"}}}},
              "/a": {"get": {"responses": {"200": {"description": "OK"}}}}},
})


@pytest.mark.fuzz(entry_point="API")
@schema.parametrize()
@settings(max_examples=3)
def test_every_operation_answers(case):
    assert case.operation.method != "delete"
"""


def test_an_operation_that_fails_inside_a_schemathesis_test_is_reported_by_name(pytester):
    # Given a schemathesis test that runs once per operation and fails for one of two (as the API contract test)
    pytester.makefile(".md", RELIABILITY=f"{START}\n{END}")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_operations=OPERATIONS)
    # When the run ends
    pytester.runpytest_inprocess("-p", "no:cacheprovider")
    # Then the one row counts both operations and names the failing one, though the other ran after it
    text = (pytester.path / "RELIABILITY.md").read_text()
    [row] = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert row[1] == "every operation answers" and row[2].endswith(" over 2 operations")
    assert row[3] == "**failures found** in DELETE /b"
    # And a later run of other properties keeps that row (its property cell is its key)
    pytester.makepyfile(test_more=PROPERTIES)
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "integer")
    assert "every operation answers |" in (pytester.path / "RELIABILITY.md").read_text()
