"""PresenceBoard (realtime/presence.py): what the site's other server processes announce of their
rooms, merged, replaced and expired. The same behaviour end to end, over a real Redis:
tests/realtime/test_backplane_redis.py."""

from __future__ import annotations

from realtime.presence import PresenceBoard


def test_announcements_merge_and_replace_per_process():
    board = PresenceBoard("me")
    assert board.apply_room("p1", "group:1", {1: "Amal", 2: "Bo"}, now=0) == {1, 2}
    assert board.apply_room("p2", "group:1", {2: "Bo", 3: "Chen"}, now=0) == {2, 3}
    assert board.here("group:1") == {1: "Amal", 2: "Bo", 3: "Chen"}
    # p1's next word on the room replaces its last: Amal left it there, Bo is still with p2.
    assert board.apply_room("p1", "group:1", {2: "Bo"}, now=1) == {1}
    assert board.here("group:1") == {2: "Bo", 3: "Chen"}
    # A whole-process announcement: rooms it does not name are empty there.
    assert board.apply_all("p2", {"group:7": {4: "Dara"}}, now=2) == {"group:1": {2, 3}, "group:7": {4}}
    assert board.here("group:1") == {2: "Bo"} and board.here("group:7") == {4: "Dara"}
    assert board.apply_room("p1", "group:1", {}, now=3) == {2}
    assert board.here("group:1") == {}


def test_its_own_announcements_are_ignored():
    board = PresenceBoard("me")
    assert board.knows("me")
    assert board.apply_room("me", "group:1", {1: "Amal"}, now=0) == set()
    assert board.apply_all("me", {"group:1": {1: "Amal"}}, now=0) == {}
    assert board.here("group:1") == {}


def test_a_silent_process_is_forgotten_after_the_expiry():
    board = PresenceBoard("me")
    board.apply_room("p1", "group:1", {1: "Amal"}, now=0)
    board.apply_room("p2", "group:1", {1: "Amal", 2: "Bo"}, now=30)
    assert board.expire(now=PresenceBoard.EXPIRY) == {}  # p1 is exactly at the limit: kept
    # p1 silent past the expiry: forgotten. Amal's entry from p1 changed (the hub works out the
    # frame from the merged view), but she is still shown: she is connected to p2 as well.
    assert board.expire(now=PresenceBoard.EXPIRY + 0.5) == {"group:1": {1}}
    assert not board.knows("p1")
    assert board.here("group:1") == {1: "Amal", 2: "Bo"}
    assert board.expire(now=30 + PresenceBoard.EXPIRY + 1) == {"group:1": {1, 2}}
    assert board.here("group:1") == {}
