#!/usr/bin/env bash
# Creates the project's virtual environment with the Lambda runtime's Python (3.13) where the
# machine has it, falling back to python3, and installs the project with its dev extras.
set -euo pipefail
venv="${1:-.venv}"
source "$(dirname "$0")/python.sh"
python="$(pick_python python3.13 /root/.pyenv/versions/3.13*/bin/python3.13 python3)"
echo "building $venv with $python"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
