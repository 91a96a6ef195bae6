#!/usr/bin/env bash
# THE test command (the README's, and CI's through .ci/run): on a fresh Debian machine with
# Python 3.11+, set up .venv, install Convene with its test tools, Debian's Chromium (for the
# browser tests), PostgreSQL (for the PostgreSQL tests) and redis-server (for the Redis backplane
# tests), then lint, check formatting and run the whole test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/forum -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"

as_root() {
  if [ "$(id -u)" = 0 ]; then
    env DEBIAN_FRONTEND=noninteractive "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo env DEBIAN_FRONTEND=noninteractive "$@"
  else
    echo "scripts/test.sh: need root or sudo to run: $*" >&2
    return 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    as_root apt-get update -q
    apt_updated=1
  fi
  as_root apt-get install -y -q "$@"
}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "scripts/test.sh: Convene needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv; then
    # Debian keeps venv's pip bootstrap in a separate package.
    rm -rf .venv
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used); the
# PostgreSQL tests start a private server from Debian's postgresql binaries (tests/pgserver.py),
# the Redis backplane tests one from Debian's redis-server (tests/redisserver.py).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
