"""Backplane: carries published room frames to every server process's hub.

Chosen by URL like the mailer: ``memory://`` (one process, the default). A ``redis://`` version
plugs in behind the same two methods so several processes deliver each other's events; the hub
never knows which one it has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import urlsplit

from convene.errors import ConfigError

Deliver = Callable[[str, str], Awaitable[None]]


class Backplane(Protocol):
    async def start(self, deliver: Deliver) -> None: ...

    async def publish(self, channel: str, payload: str) -> None: ...

    async def stop(self) -> None: ...


class MemoryBackplane:
    """In-process: publishing is delivering."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, channel: str, payload: str) -> None:
        if self._deliver is not None:
            await self._deliver(channel, payload)

    async def stop(self) -> None:
        self._deliver = None


def backplane_from_url(url: str) -> Backplane:
    scheme = urlsplit(url).scheme or "memory"
    if scheme == "memory":
        return MemoryBackplane()
    raise ConfigError(f"Unknown backplane URL scheme {scheme!r}: use memory://")
