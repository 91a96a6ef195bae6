"""Who is in each room on the site's other server processes, as they announce it over the backplane.

Each process knows its own connections. With several processes (a shared backplane such as Redis),
each also announces, for every room it serves, the members connected to it there: at once when that
changes (a few times a second at most, with the presence frames), and all of its rooms every
REFRESH seconds. A process not heard from for EXPIRY seconds (stopped without saying so, or cut off)
is forgotten. A room's presence is then its own members and everyone the others announced.

Announcements carry each process's node id; a process ignores its own. Time is passed in (`now`,
monotonic seconds), so the expiry is tested without waiting.
"""

from __future__ import annotations

Here = dict[int, str]  # member id -> name, of the members shown as present


class PresenceBoard:
    REFRESH = 20.0  # seconds between a process's announcements of all its rooms
    EXPIRY = 60.0  # a process silent this long is gone

    def __init__(self, node: str) -> None:
        self.node = node
        self._rooms: dict[str, dict[str, Here]] = {}  # room -> node -> who is there
        self._heard: dict[str, float] = {}  # node -> when it last announced anything

    def knows(self, node: str) -> bool:
        return node == self.node or node in self._heard

    def here(self, room: str) -> Here:
        merged: Here = {}
        for members in self._rooms.get(room, {}).values():
            merged.update(members)
        return merged

    def apply_room(self, node: str, room: str, here: Here, now: float) -> set[int]:
        """A process says who is in one room with it now. Returns the members whose entry changed."""
        if node == self.node:
            return set()
        self._heard[node] = now
        return self._set(node, room, here)

    def apply_all(self, node: str, rooms: dict[str, Here], now: float) -> dict[str, set[int]]:
        """A process says who is with it in every room it serves (any room not named has nobody)."""
        if node == self.node:
            return {}
        self._heard[node] = now
        changed: dict[str, set[int]] = {}
        for room in {r for r, nodes in self._rooms.items() if node in nodes} | rooms.keys():
            users = self._set(node, room, rooms.get(room, {}))
            if users:
                changed[room] = users
        return changed

    def expire(self, now: float) -> dict[str, set[int]]:
        """Forget the processes not heard from for EXPIRY seconds; returns who changed, by room."""
        gone = {node for node, heard in self._heard.items() if now - heard > self.EXPIRY}
        changed: dict[str, set[int]] = {}
        for node in gone:
            del self._heard[node]
            for room in [r for r, nodes in self._rooms.items() if node in nodes]:
                users = self._set(node, room, {})
                if users:
                    changed.setdefault(room, set()).update(users)
        return changed

    def _set(self, node: str, room: str, here: Here) -> set[int]:
        nodes = self._rooms.setdefault(room, {})
        before = nodes.get(node, {})
        if here:
            nodes[node] = dict(here)
        else:
            nodes.pop(node, None)
            if not nodes:
                del self._rooms[room]
        return {uid for uid in before.keys() | here.keys() if before.get(uid) != here.get(uid)}
