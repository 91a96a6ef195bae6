"""A throwaway PostgreSQL server for tests: Debian's binaries, a temp data folder, loopback only.

scripts/test.sh installs the `postgresql` package; this starts a private instance (as the
`postgres` system user when the tests run as root, since PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: scripts/test.sh installs Debian's postgresql")
    return found[-1]


def _as_pg_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def postgres_server(port: int) -> Iterator[str]:
    """Yields a postgres:// URL of a fresh database on 127.0.0.1:<port>."""
    folder = tempfile.mkdtemp(prefix="convene-pg-")
    data = os.path.join(folder, "data")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    password = uuid.uuid4().hex
    pwfile = os.path.join(folder, "pw")
    with open(pwfile, "w") as fh:
        fh.write(password)
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    subprocess.run(
        _as_pg_user(
            [
                _bin("initdb"),
                "-D",
                data,
                "-U",
                "convene",
                "--pwfile",
                pwfile,
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ]
        ),  # fmt: skip
        check=True,
        capture_output=True,
    )
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off"
    subprocess.run(
        _as_pg_user(
            [_bin("pg_ctl"), "-D", data, "-o", opts, "-l", os.path.join(folder, "log"), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(
            [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
        ).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.1)
        env = {**os.environ, "PGPASSWORD": password}
        subprocess.run(
            [_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "convene", "convene"],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        yield f"postgres://convene:{password}@127.0.0.1:{port}/convene"
    finally:
        subprocess.run(
            _as_pg_user([_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_app(data_dir: Any, smtp_port: int | None = None) -> Iterator[Any]:
    """A Convene test server on a fresh PostgreSQL.

    Tortoise caches each table's INSERT/UPDATE/DELETE statements per connection name ("default")
    for the whole process. One process never mixes dialects in production; the test process does
    (the shared SQLite server stays up), so the cache is emptied on the way in and out, and each
    database builds statements in its own dialect (SQLite "?" and PostgreSQL "$1")."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from tests.conftest import free_port, start_server

    EXECUTOR_CACHE.clear()
    try:
        with postgres_server(free_port()) as url:
            server = start_server(data_dir, smtp_port=smtp_port, database_url=url)
            try:
                yield server
            finally:
                server.stop()
    finally:
        EXECUTOR_CACHE.clear()
