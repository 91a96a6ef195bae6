#!/usr/bin/env bash
# Run Convene with the demo network at http://127.0.0.1:8000 (the README's first command).
# Extra arguments go to `convene serve`, e.g. `bash scripts/run.sh --port 8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/convene serve --demo "$@"
