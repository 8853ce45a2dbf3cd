#!/usr/bin/env bash
# Creates the project's virtual environment with the Lambda runtime's Python (3.13) where the
# machine has it, falling back to python3, and installs the project with its dev extras.
set -euo pipefail
venv="${1:-.venv}"
pick_python() {
  for candidate in python3.13 /root/.pyenv/versions/3.13*/bin/python3.13 python3; do
    # pyenv shims answer `command -v` for versions they cannot run, so ask the interpreter itself.
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import sys" >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
  echo "no python3 found" >&2
  exit 1
}
python="$(pick_python)"
echo "building $venv with $python"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
