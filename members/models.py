"""Tortoise models for people and their access: users, sessions, API tokens, invitations."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    MODERATOR = "moderator"
    ADMIN = "admin"


ROLE_RANK = {Role.MEMBER: 0, Role.FACILITATOR: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


class UserStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # registered, waiting for an admin's approval
    SUSPENDED = "suspended"
    DELETED = "deleted"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    username = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=120)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.MEMBER)
    status = fields.CharEnumField(UserStatus, max_length=16, default=UserStatus.ACTIVE)
    organisation = fields.CharField(max_length=200, default="")
    organisation_type = fields.CharField(max_length=40, default="")
    country = fields.CharField(max_length=2, default="")
    bio = fields.TextField(default="")
    bio_html = fields.TextField(default="")
    # Directory profile (members/directory.py). Lists are stored as ",a,b," so that a filter is a
    # plain `contains ",a,"` on any database; read them through members.directory.split_list.
    city = fields.CharField(max_length=120, default="", db_default="")
    stages = fields.CharField(max_length=300, default="", db_default="")  # resettlement stages of their work
    languages = fields.CharField(
        max_length=300, default="", db_default=""
    )  # languages they work in (ISO 639-1)
    expertise = fields.CharField(max_length=500, default="", db_default="")
    # Who sees each profile detail: "everyone", "members" (signed in) or "nobody" (only the member
    # and administrators). New members show nothing beyond their name until they choose.
    organisation_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    organisation_type_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    country_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    city_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    stages_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    languages_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    expertise_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    bio_visibility = fields.CharField(max_length=8, default="nobody", db_default="nobody")
    locale = fields.CharField(max_length=16, default="")
    timezone = fields.CharField(max_length=64, default="UTC")
    # Live chat: when true, others do not see this member in "who is here" lists.
    hide_presence = fields.BooleanField(default=False, db_default=False)
    terms_accepted_at = fields.DatetimeField(null=True)
    # A suspension with an end: when the clock passes it, the next sign-in or request lifts it
    # (members/suspensions.py). NULL with status "suspended" means until an admin lifts it.
    suspended_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField(null=True)

    # Starlette's request.user protocol: a signed-in member.
    is_authenticated = True

    class Meta:
        table = "users"

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    def has_role(self, role: Role) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[role]


class Session(Model):
    """A server-side session: the cookie holds a random token, we keep only its hash."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "members.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    user_agent = fields.CharField(max_length=200, default="")
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sessions"
        # A member's sessions: listed on their account page, all revoked at a password change.
        indexes = (("user_id", "revoked_at"),)


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    name = fields.CharField(max_length=100)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "members.User", related_name="api_tokens", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


class PasswordReset(Model):
    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "members.User", related_name="password_resets", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_resets"


class Invitation(Model):
    """A site invitation (invitation-only registration): a signed link sent by email."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=254)
    role = fields.CharEnumField(Role, max_length=16, default=Role.MEMBER)
    invited_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "members.User", related_name="invitations_sent", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitations"


class LoginFailure(Model):
    """One failed sign-in, counted per email and per address to throttle guessing."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=300, db_index=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "login_failures"


class SiteSetting(Model):
    """Settings an admin changes at run time (registration mode, privacy page, ...)."""

    key = fields.CharField(max_length=64, primary_key=True)
    value = fields.TextField()

    class Meta:
        table = "site_settings"


class AuditEntry(Model):
    """One moderator or administrator action, kept for accountability (who did what, when, why).

    `target_type`/`target_id` name the thing acted on ("user", "post", "thread", "group", ...) without a
    foreign key, so the record outlives what it describes. `group_id` lets a group's moderators read
    the entries about their own group."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64, db_index=True)
    target_type = fields.CharField(max_length=32)
    target_id = fields.IntField(null=True)
    group_id = fields.IntField(null=True, db_index=True)
    reason = fields.TextField(default="")
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "audit_entries"
        indexes = (("actor_id", "created_at"),)


class MemberWarning(Model):
    """A moderator's formal warning to a member, shown on the member's next page until they
    acknowledge it, and kept at /settings/warnings. `group_id`/`post_id` say where it came from
    (plain ids: the warning outlives a deleted post)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "members.User", related_name="warnings", on_delete=fields.CASCADE
    )
    issued_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reason = fields.TextField()
    reason_html = fields.TextField()
    group_id = fields.IntField(null=True)
    post_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    acknowledged_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member_warnings"
        indexes = (("user_id", "acknowledged_at"),)
