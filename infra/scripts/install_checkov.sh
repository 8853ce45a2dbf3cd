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
source "$(dirname "$0")/python.sh"
python="$(pick_python python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 python3.11 python3)"
echo "building $venv with $python (checkov $version)"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "checkov==$version"
touch "$stamp"
