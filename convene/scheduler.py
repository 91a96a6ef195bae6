"""The in-process scheduler: runs registered jobs every few seconds.

Jobs hold no state of their own: each asks the database and the clock what is due and records
what it did, so a restart loses nothing, and two processes running the same job do each thing
once (claims and unique keys). Tests call run_once() after moving a FrozenClock.

With a lease (convene/lease.py), the running loop does its pass only while it holds the lease and
renews it between jobs, so of several worker processes one does the scheduled work at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Lease(Protocol):
    async def acquire(self) -> bool: ...
    async def release(self) -> None: ...


class Scheduler:
    def __init__(self, interval: float = 30.0, lease: Lease | None = None) -> None:
        self.interval = interval
        self.lease = lease
        self.jobs: list[tuple[str, Job]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None

    def add(self, name: str, job: Job) -> None:
        self.jobs.append((name, job))

    async def run_once(self, before_each: Callable[[], Awaitable[bool]] | None = None) -> dict[str, Any]:
        """Run every job once, in order; a failing job is logged and does not stop the others.
        `before_each()` is asked before each job; False ends the pass (the lease was lost)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        results: dict[str, Any] = {}
        async with self._lock:
            for name, job in self.jobs:
                if before_each is not None and not await before_each():
                    break
                try:
                    results[name] = await job()
                except Exception as exc:  # noqa: BLE001
                    log.exception("scheduled job %s failed", name)
                    results[name] = exc
        return results

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _hold(self) -> bool:
        if self.lease is None:
            return True
        try:
            return await self.lease.acquire()
        except Exception:  # noqa: BLE001  the database is away: try again next pass
            log.exception("could not take the scheduler lease")
            return False

    async def run_pass(self) -> dict[str, Any] | None:
        """The loop's pass: every job, if this process holds (or can take) the lease; else None."""
        if not await self._hold():
            return None
        return await self.run_once(before_each=self._hold if self.lease is not None else None)

    async def _loop(self) -> None:
        assert self._wake is not None
        while True:
            await self.run_pass()
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
            if self.lease is not None:
                try:
                    await self.lease.release()
                except Exception:  # noqa: BLE001  it expires by itself
                    log.exception("could not release the scheduler lease")
