"""What `sam build` installs is what the project declares: every run-time dependency in pyproject.toml is in
the layer's requirements (shared/requirements.txt) or in the one function's that alone needs it, and no
requirements file names a package the project does not declare. And no function loads a package that only
another function ships: in AWS it would not be there."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.functions import handler_packages

ROOT = Path(__file__).resolve().parents[2]
# The Lambda runtime has boto3 already; the project declares it for the local stack and the tests.
IN_THE_RUNTIME = {"boto3"}


def names(lines: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
            for line in lines if line.strip() and not line.strip().startswith("#")}


def test_every_run_time_dependency_is_installed_by_sam_build_and_nothing_else():
    # Given the project's declared run-time dependencies and the requirements files sam build reads
    declared = names(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    files = [ROOT / "shared" / "requirements.txt", *sorted((ROOT / "functions").glob("*/requirements.txt"))]
    installed = set().union(*(names(path.read_text().splitlines()) for path in files))
    # Then they are the same packages
    assert installed == declared - IN_THE_RUNTIME


# Every module of a function's package imported in a fresh interpreter (its routes and second handlers too);
# the top-level names of what that loaded.
PROBE = """
import json, pkgutil, sys, importlib
package = importlib.import_module({package!r})
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""


def shipped_by(path: Path) -> set[str]:
    return names(path.read_text().splitlines()) if path.exists() else set()


@pytest.mark.parametrize("package", handler_packages())
def test_a_function_loads_no_package_that_only_another_function_ships(package):
    # Given what the layer, this function and the other functions install
    layer = shipped_by(ROOT / "shared" / "requirements.txt")
    own = shipped_by(ROOT / "functions" / package / "requirements.txt")
    others = set().union(*(shipped_by(path) for path in (ROOT / "functions").glob("*/requirements.txt")))
    elsewhere_only = others - own - layer
    # When every module of the function's package is imported, as its routes and handlers are in AWS
    result = subprocess.run([sys.executable, "-c", PROBE.format(package=package)], cwd=ROOT, capture_output=True,
                            text=True, env=os.environ, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    distributions = importlib.metadata.packages_distributions()
    loaded = {name.lower().replace("_", "-") for module in json.loads(result.stdout.splitlines()[-1])
              for name in distributions.get(module, ())}
    # Then none of what it loaded is missing from its own deployment
    assert elsewhere_only, "no function ships a package of its own: this test checks nothing"
    assert loaded & elsewhere_only == set()
