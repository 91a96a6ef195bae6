"""What the benchmark scripts share: running in the project's venv, child processes that end with
their driver, reading this host's CPU use, waiting for a quiet host, and bulk-seeding SQLite.

Standard library only: each script imports it before it has re-executed itself in the venv.
Scripts run as `python3 bench/<name>.py`, so this folder is first on the import path.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent
VENV = MAIN / ".venv"
VPY = VENV / "bin" / "python"


def ensure_venv() -> None:
    """Re-execute the running script with the project's venv, unless it already runs there."""
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(str(VPY), [str(VPY), os.path.abspath(sys.argv[0]), *sys.argv[1:]])


def die_with_parent() -> None:
    """preexec_fn: servers get SIGTERM if the driver dies, so nothing outlives a crashed run."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def calib() -> float:
    """Seconds for a fixed pure-Python loop (best of 3); lower = faster host at that moment."""
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        s = 0
        for i in range(3_000_000):
            s += i * i
        best = min(best, time.perf_counter() - t)
    return best


def cpu_snap() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7], sum(v)


def wait_quiet(max_s: float, log: Callable[[str], None]) -> None:
    """This machine is shared: wait (up to max_s) until other processes use < 15% of a core."""
    deadline = time.monotonic() + max_s
    while True:
        a = cpu_snap()
        time.sleep(2.0)
        b = cpu_snap()
        busy = (b[0] - a[0]) / os.sysconf("SC_CLK_TCK") / 2.0 * 100
        if busy < 15 or time.monotonic() > deadline:
            if busy >= 15:
                log(f"host still busy ({busy:.0f}% of a core used by others); measuring anyway")
            return


# --- seeding SQLite ------------------------------------------------------------------------------


def ts(when: datetime) -> str:
    """A datetime as Tortoise stores it in SQLite."""
    return when.isoformat(sep=" ")


def table_columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str, bool, bool]]:
    """(name, declared type, not null, has default) for each column but the primary key."""
    rows = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return [(r[1], (r[2] or "").upper(), bool(r[3]), r[4] is not None) for r in rows if not r[5]]


def insert(conn: sqlite3.Connection, table: str, rows: list[dict], *, with_id: bool = True) -> None:
    """Bulk insert; NOT NULL columns a row leaves out get the model's zero value ("" / 0)."""
    if not rows:
        return
    cols = table_columns(conn, table)
    fill = {
        c[0]: (0 if any(t in c[1] for t in ("INT", "BOOL", "REAL")) else "")
        for c in cols
        if c[2] and not c[3]
    }
    # The row's own columns, and the NOT NULL ones without a default; the database fills the rest.
    names = (["id"] if with_id and "id" in rows[0] else []) + [
        c[0] for c in cols if c[0] in rows[0] or c[0] in fill
    ]
    values = [[row.get(n, fill.get(n)) for n in names] for row in rows]
    marks = ",".join("?" * len(names))
    quoted = ",".join(f'"{n}"' for n in names)
    conn.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', values)
