"""Durable room state: the append-only event log every client catches up from, and chat messages."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Room(Model):
    """A room's counters and settings. `key` is e.g. "group:12" or "consultation:3"."""

    key = fields.CharField(max_length=80, primary_key=True)
    last_seq = fields.BigIntField(default=0)
    slow_mode_seconds = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "rt_rooms"


class RoomEvent(Model):
    """One entry of a room's log, numbered 1, 2, 3 ... without gaps. A client that subscribes with
    since=N is sent every event with seq > N, so nothing is lost between page load and socket."""

    id = fields.BigIntField(primary_key=True)
    room = fields.CharField(max_length=80)
    seq = fields.BigIntField()
    kind = fields.CharField(max_length=32)  # message, hidden, deleted, restored, ...
    message_id = fields.BigIntField(null=True)
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "rt_events"
        unique_together = (("room", "seq"),)


class ChatMessage(Model):
    id = fields.BigIntField(primary_key=True)
    room = fields.CharField(max_length=80, db_index=True)
    seq = fields.BigIntField()
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    client_key = fields.CharField(max_length=64)
    body = fields.TextField()
    body_html = fields.TextField()
    created_at = fields.DatetimeField()
    hidden_at = fields.DatetimeField(null=True)
    hidden_by_id = fields.IntField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "rt_messages"
        # A retried send (same author, same client key) is stored once.
        unique_together = (("room", "author", "client_key"), ("room", "seq"))
        # Slow mode: when the sender last sent here, read from the index, however long the room's
        # history (realtime/service.py _SEND_STATE_COLUMNS).
        indexes = (("room", "author_id", "created_at"),)


class Mute(Model):
    id = fields.IntField(primary_key=True)
    room = fields.CharField(max_length=80)
    user_id = fields.IntField()
    until = fields.DatetimeField()
    by_id = fields.IntField()

    class Meta:
        table = "rt_mutes"
        unique_together = (("room", "user_id"),)


class ReadMarker(Model):
    id = fields.IntField(primary_key=True)
    room = fields.CharField(max_length=80)
    user_id = fields.IntField()
    seq = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "rt_read_markers"
        unique_together = (("room", "user_id"),)
