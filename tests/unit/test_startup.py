"""Cold start without garbage collection: each function's handler module loads with the collector paused,
then freezes what it built and starts the collector again, so a warm container collects as usual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.functions import handler_packages

ROOT = Path(__file__).resolve().parents[2]
# Every function template.yaml deploys, so a new one cannot be left out.
FUNCTIONS = handler_packages()
PROBE = """
import gc, json, sys
from {package} import handler  # noqa: F401
print(json.dumps({{"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}))
"""


@pytest.mark.parametrize("package", FUNCTIONS)
def test_a_handler_module_loads_without_collections_and_leaves_the_collector_running(package):
    assert len(FUNCTIONS) >= 7
    # Given a fresh interpreter, as a cold container of the function
    path = os.pathsep.join([str(ROOT / "shared"), str(ROOT / "functions" / package)])

    # When it imports the function's handler module
    result = subprocess.run([sys.executable, "-c", PROBE.format(package=package)], cwd=ROOT, capture_output=True,
                            text=True, env=os.environ | {"PYTHONPATH": path}, timeout=60, check=False)

    # Then the collector runs again, and the import's objects are frozen out of its way
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["enabled"] is True
    assert seen["frozen"] > 10_000
