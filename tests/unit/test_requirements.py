"""What `sam build` installs is what the project declares: every run-time dependency in pyproject.toml is in
the layer's requirements (shared/requirements.txt) or in the one function's that alone needs it, and no
requirements file names a package the project does not declare."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

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
