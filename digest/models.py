"""Durable email: every email is a row first, sent and marked after; a unique key stops doubles."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanently: the server refused it, or it ran out of attempts
    CANCELLED = "cancelled"


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    # What this email is, e.g. "digest:42:2026-11-23" or "password_reset:17". Inserting a key
    # twice is a no-op: a job that runs twice, or two runners at once, queue one email.
    key = fields.CharField(max_length=200, unique=True)
    kind = fields.CharField(max_length=40, db_index=True)
    user_id = fields.IntField(null=True, db_index=True)
    to_email = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    text = fields.TextField()
    html = fields.TextField(null=True)
    headers = fields.JSONField(default=dict)
    # Fixed at enqueue: if a crash makes us send again, the receiver sees the same message.
    message_id = fields.CharField(max_length=200)
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=64, default="")
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox"
        indexes = (("status", "next_attempt_at"),)
