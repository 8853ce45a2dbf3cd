#!/usr/bin/env bash
# checkov pins its own boto3, cfn-lint and friends, which clash with the project's venv, so it lives in a
# venv of its own. Pinned exactly: new checkov releases add checks, and the template test must not change
# verdict on its own. checkov declares Python up to 3.12, so prefer that.
set -euo pipefail
venv="${1:-.venv-checkov}"
version="3.3.30"
stamp="$venv/.installed-$version"
if [ -f "$stamp" ]; then
  exit 0
fi
pick_python() {
  for candidate in python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 python3.11 python3; do
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
echo "building $venv with $python (checkov $version)"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "checkov==$version"
touch "$stamp"
