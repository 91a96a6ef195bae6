#!/usr/bin/env bash
# While several people change models at once: (re)generate throwaway "*_dev" migrations for every
# app from the current models, so the test servers get the new tables. Before a release the lead
# deletes the *_dev files and writes the real migrations (scripts/dev-migrations.sh --clean).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f convene/migrations/*/[0-9][0-9][0-9][0-9]_dev.py
[ "${1:-}" = "--clean" ] && exit 0
. .venv/bin/activate
PYTHONPATH=. tortoise -c convene.tortoise_config.TORTOISE_ORM makemigrations -n dev
