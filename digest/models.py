"""Digest models: the durable outbox (every email is a row first, sent and marked after; a unique key
stops doubles), members' email preferences, digest periods, instant-email batches, failing
addresses, and the network newsletter."""

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


class OutboxBody(Model):
    """What a queued email says, kept apart from its delivery state. SQLite rewrites a whole row on
    every UPDATE, and delivery updates the state row two or three times (claim, then sent or retry):
    with the text and HTML in that row, a 30 KB digest was written six times over. Here it is
    written once. Linked by the outbox key, so a batch of emails is inserted without first learning
    the new rows' ids; deleting an OutboxMessage deletes its body (members/erasure.py relies on it)."""

    id = fields.BigIntField(primary_key=True)
    message: fields.OneToOneRelation[OutboxMessage] = fields.OneToOneField(
        "digest.OutboxMessage", related_name="body", to_field="key", on_delete=fields.CASCADE
    )
    text = fields.TextField()
    html = fields.TextField(null=True)
    headers = fields.JSONField(default=dict)

    class Meta:
        table = "outbox_bodies"


# --- Member email preferences ---------------------------------------------------------------------


class DigestFrequency(StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


class DigestPreference(Model):
    """What email one member wants. A member without a row has the defaults below (see
    digest/preferences.py DEFAULTS): rows are written only when a member changes something."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "members.User", related_name="digest_preference", on_delete=fields.CASCADE
    )
    frequency = fields.CharEnumField(DigestFrequency, max_length=8, default=DigestFrequency.WEEKLY)
    weekday = fields.IntField(default=0)  # 0 Monday ... 6 Sunday, in the member's time zone
    hour = fields.IntField(default=8)  # 0-23, in the member's time zone (User.timezone)
    # True: every group the member belongs to, including ones joined later. False: group_ids only.
    all_groups = fields.BooleanField(default=True)
    group_ids = fields.JSONField(default=list)
    instant_mentions = fields.BooleanField(default=True)
    instant_replies = fields.BooleanField(default=True)
    batch_minutes = fields.IntField(default=10)
    # Opt-in, as consent to a newsletter must be (it is not about the member's own activity).
    newsletter = fields.BooleanField(default=False)
    # The next digest is the first scheduled moment after this: changing the hour at noon does not
    # send at once the digest of the (new) 8 o'clock that already passed today.
    schedule_changed_at = fields.DatetimeField(null=True)
    # When digests were last turned on after being off: the first digest after that covers one
    # period, not everything since the last digest months ago.
    resumed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "digest_preferences"


class DigestRunStatus(StrEnum):
    QUEUED = "queued"  # an email went to the outbox
    EMPTY = "empty"  # nothing happened for this member: no email


class DigestRun(Model):
    """One member's digest period, written in the same transaction as its outbox row. The unique
    (user, period_start) and the outbox key digest:<user>:<period_start> make a digest once per
    member and period, whatever crashes, restarts or concurrent runners do."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    period_start = fields.DatetimeField()
    period_end = fields.DatetimeField()  # the scheduled moment this digest belongs to
    status = fields.CharEnumField(DigestRunStatus, max_length=8)
    items = fields.IntField(default=0)
    outbox_key = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "digest_runs"
        unique_together = (("user", "period_start"),)
        indexes = (("user_id", "period_end"),)


class NotificationMail(Model):
    """One instant email listing a member's notifications (forum mentions and replies) with ids in
    [first_notification_id, last_notification_id]. Unique on the first id: two runners batching the
    same member build the same row, and only one inserts it."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    first_notification_id = fields.BigIntField()
    last_notification_id = fields.BigIntField()
    count = fields.IntField(default=0)  # notifications listed (0: all were read or unreadable)
    outbox_key = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "digest_notification_mails"
        unique_together = (("user", "first_notification_id"),)
        indexes = (("user_id", "last_notification_id"),)


class EmailHealth(Model):
    """Permanent delivery failures of one member's address. After FAILING_AFTER hard failures the
    address counts as failing: digests, newsletters and instant emails stop, and admins see it at
    /admin/email. It is about one address: a member who changes their email starts afresh."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "members.User", related_name="email_health", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    hard_failures = fields.IntField(default=0)
    failing_since = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    last_failure_at = fields.DatetimeField(null=True)

    class Meta:
        table = "digest_email_health"


# --- The network newsletter -----------------------------------------------------------------------


class NewsletterStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"  # queued for some subscribers; the scheduler finishes the rest
    SENT = "sent"


class Newsletter(Model):
    id = fields.IntField(primary_key=True)
    subject = fields.CharField(max_length=200)
    body = fields.TextField(default="")
    body_html = fields.TextField(default="")  # render_markdown at write time
    status = fields.CharEnumField(NewsletterStatus, max_length=8, default=NewsletterStatus.DRAFT)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    test_sent_at = fields.DatetimeField(null=True)
    sent_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    send_started_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    recipients = fields.IntField(default=0)

    class Meta:
        table = "digest_newsletters"


class DigestCursor(Model):
    """How far a job has settled a growing table, so each pass reads only what came after: for
    instant emails, every notification with an id up to `value` has been emailed or recorded."""

    name = fields.CharField(max_length=40, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "digest_cursors"
