"""Tortoise models for groups and their threaded discussions."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Visibility(StrEnum):
    PUBLIC = "public"  # anyone reads
    MEMBERS = "members"  # any signed-in member reads
    PRIVATE = "private"  # only the group's members read


class GroupRole(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    REQUESTED = "requested"  # asked to join a private group; a moderator decides
    INVITED = "invited"  # invited by a moderator; the member accepts


class Group(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    name = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    description_html = fields.TextField(default="")
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.PUBLIC)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    thread_count = fields.IntField(default=0)
    member_count = fields.IntField(default=0)
    last_activity_at = fields.DatetimeField(null=True)

    class Meta:
        table = "groups"


class Membership(Model):
    id = fields.IntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "forum.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(GroupRole, max_length=16, default=GroupRole.MEMBER)
    status = fields.CharEnumField(MembershipStatus, max_length=16, default=MembershipStatus.ACTIVE)
    created_at = fields.DatetimeField()

    class Meta:
        table = "memberships"
        unique_together = (("group", "user"),)
        # "Which groups is this member in?" (every signed-in page: the notification count's
        # readable-groups subquery; the group list): without it SQLite scans every membership.
        indexes = (("user_id", "status"),)


class Thread(Model):
    id = fields.IntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "forum.Group", related_name="threads", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    last_post_at = fields.DatetimeField(db_index=True)
    post_count = fields.IntField(default=0)
    # Thread tools and soft deletion (forum/thread_tools.py, forum/editing.py). A thread whose
    # closes_at has passed behaves as locked; no job runs, the clock decides (forum/access.py).
    deleted_at = fields.DatetimeField(null=True)
    deleted_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    pinned_at = fields.DatetimeField(null=True)
    locked_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)

    class Meta:
        table = "threads"
        # A group's page: its pinned threads, then the others by latest activity (forum/threads.py).
        indexes = (("group_id", "last_post_at"), ("group_id", "pinned_at"))


class Post(Model):
    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name="posts", on_delete=fields.CASCADE
    )
    number = fields.IntField()  # 1 is the opening post; stable per thread
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    parent: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "forum.Post", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField()
    body_html = fields.TextField()
    created_at = fields.DatetimeField()
    # Moderation (forum/moderation.py): a hidden post shows a placeholder to everyone but the
    # group's moderators; hidden_by is None when flags from several members hid it automatically.
    hidden_at = fields.DatetimeField(null=True)
    hidden_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    hide_reason = fields.TextField(default="", db_default="")
    # Editing and soft deletion (forum/editing.py): every version is a PostRevision; a deleted
    # post keeps its number (a placeholder in the thread) and its text for the moderators.
    deleted_at = fields.DatetimeField(null=True)
    deleted_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # db_default too: these columns are added to a posts table that already has rows.
    delete_reason = fields.TextField(default="", db_default="")
    edited_at = fields.DatetimeField(null=True)
    edit_count = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "posts"
        unique_together = (("thread", "number"),)
        # Digests read the posts of a period, and each member's own posts since a date
        # (digest/window.py, digest/personal.py): without these, every run read all the posts.
        indexes = (("created_at",), ("author_id", "created_at"))


class FlagReason(StrEnum):
    SPAM = "spam"
    INAPPROPRIATE = "inappropriate"
    OFF_TOPIC = "off_topic"
    OTHER = "other"  # the note says what


class FlagResolution(StrEnum):
    HIDDEN = "hidden"  # a moderator agreed and hid the post
    DISMISSED = "dismissed"  # a moderator found nothing wrong
    WITHDRAWN = "withdrawn"  # the post went away (deleted) before anyone decided


class Flag(Model):
    """A member's report that a post needs a moderator's attention.

    `open_key` is "post_id:user_id" while the flag is open and NULL once resolved: a unique column
    that lets the database itself refuse a second open flag from the same member on the same post
    (NULLs never collide), while resolved flags pile up as history."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="flags", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reason = fields.CharEnumField(FlagReason, max_length=16)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True, db_index=True)
    resolved_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    resolution = fields.CharField(max_length=16, default="")
    open_key = fields.CharField(max_length=40, null=True, unique=True)

    class Meta:
        table = "flags"


# ---- Revisions, notifications and read marks (forum/editing.py, forum/notifications.py,
# forum/unread.py) ----


class PostRevision(Model):
    """One version of a post. Number 1 is the original, written on the first edit, and the highest
    number is the current text. `title` is the thread's title at that version (opening posts)."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="revisions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    body = fields.TextField()
    body_html = fields.TextField()
    title = fields.CharField(max_length=200, default="")
    editor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    reason = fields.CharField(max_length=300, default="")

    class Meta:
        table = "post_revisions"
        unique_together = (("post", "number"),)


class NotificationKind(StrEnum):
    MENTION = "mention"  # someone wrote @username in a post
    REPLY = "reply"  # someone replied to one of your posts


class Notification(Model):
    """An in-site notification. At most one per member and post (unique), so an edit that adds a
    mention, or a reply that also mentions, never notifies twice."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=16)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "forum.Group", related_name=False, on_delete=fields.CASCADE
    )
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name=False, on_delete=fields.CASCADE
    )
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name=False, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        unique_together = (("user", "post"),)
        indexes = (("user_id", "read_at"),)


class ThreadRead(Model):
    """How far a member has read a thread: the highest post number shown to them."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name="reads", on_delete=fields.CASCADE
    )
    last_read_number = fields.IntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "thread_reads"
        unique_together = (("user", "thread"),)


class ThreadMove(Model):
    """A thread moved from one group to another (forum/thread_tools.py). Its addresses under a
    group it was moved out of redirect to where it is now, for those who may read it there."""

    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name="moves", on_delete=fields.CASCADE
    )
    from_group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "forum.Group", related_name=False, on_delete=fields.CASCADE
    )
    to_group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "forum.Group", related_name=False, on_delete=fields.CASCADE
    )
    moved_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    moved_at = fields.DatetimeField()

    class Meta:
        table = "thread_moves"
        indexes = (("thread_id", "from_group_id"),)


class ReadMark(Model):
    """A member's "mark everything read": every post written before all_read_at counts as read.
    Without a row, the member's account creation time plays that part."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    all_read_at = fields.DatetimeField()

    class Meta:
        table = "read_marks"
