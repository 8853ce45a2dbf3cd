"""The docs name files that exist: a path in backticks in docs/architecture.md that no longer exists is a
map that leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_path_the_architecture_names_exists():
    # Given the paths the architecture document names in backticks
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    paths = {p for p in re.findall(r"`([\w./-]+/[\w./-]*)`", text) if "vendors" not in p and not p.startswith("/")}

    # Then each is a file or folder of the checkout
    assert paths
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []
