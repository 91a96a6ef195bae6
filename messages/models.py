"""Tortoise models for direct messages: conversations, who takes part, blocks, email preferences.

The messages themselves live in the realtime app's durable room log (realtime.models.ChatMessage
in room "dm:<conversation id>"), so they get the same sequence numbers, client keys and catch-up
as group chat, and read markers are realtime.models.ReadMarker.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Conversation(Model):
    id = fields.IntField(primary_key=True)
    subject = fields.CharField(max_length=200, default="")
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # A one-to-one conversation's key is "<low id>:<high id>": the same two people always meet
    # in the same conversation. NULL for group conversations (NULLs never collide).
    pair_key = fields.CharField(max_length=40, null=True, unique=True)
    created_at = fields.DatetimeField()
    last_message_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "dm_conversations"
        indexes = (("created_by_id", "created_at"),)  # how many a member started lately


class Participant(Model):
    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "messages.Conversation", related_name="participants", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    joined_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)
    # Email notification batching (messages/notify.py): set when a message arrives that this
    # participant has not been told about; cleared when an email goes out or they read it.
    pending_since = fields.DatetimeField(null=True, db_index=True)
    notified_seq = fields.BigIntField(default=0)

    class Meta:
        table = "dm_participants"
        unique_together = (("conversation", "user"),)
        indexes = (("user_id", "left_at"),)  # a member's inbox


class Block(Model):
    """The blocker no longer hears from the blocked member: no new conversations, no messages either way."""

    id = fields.IntField(primary_key=True)
    blocker: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    blocked: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "dm_blocks"
        unique_together = (("blocker", "blocked"),)


class MessageSettings(Model):
    """A member's direct-message preferences (no row means the defaults)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    email_new_messages = fields.BooleanField(default=True)

    class Meta:
        table = "dm_settings"
