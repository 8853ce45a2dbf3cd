#!/usr/bin/env bash
# Builds the staff console into console/dist: Node from Debian's packages when the machine has none, the API's
# OpenAPI document from the routes' code, the TypeScript types generated from it, the strict type check (a
# contract change that breaks the console stops here), then the bundle.
set -euo pipefail
VENV=${1:-.venv}
cd "$(dirname "$0")/../.."
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Node.js is missing and this user cannot apt-get install it: install nodejs and npm (20.19 or newer)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
"$VENV/bin/crm" console openapi build/openapi.json
cd console
# npm ci only when the lock changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
