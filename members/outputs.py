"""What the members API answers with: the JSON shapes of accounts, profiles, tokens and admin lists.
(Input shapes and their validation are in members/schemas.py.)"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from members.models import ApiToken, Invitation, User
from members.schemas import ModeName, RoleName, StatusName


class MemberOut(BaseModel):
    """A member's own account, as they (or an admin) see it."""

    id: int
    username: str
    name: str
    email: str
    role: RoleName
    status: StatusName
    organisation: str
    organisation_type: str
    country: str
    bio: str
    bio_html: str
    locale: str
    timezone: str
    hide_presence: bool
    created_at: datetime
    terms_accepted_at: datetime | None

    @classmethod
    def of(cls, user: User) -> MemberOut:
        return cls(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            role=str(user.role),  # type: ignore[arg-type]
            status=str(user.status),  # type: ignore[arg-type]
            organisation=user.organisation,
            organisation_type=user.organisation_type,
            country=user.country,
            bio=user.bio,
            bio_html=user.bio_html,
            locale=user.locale,
            timezone=user.timezone,
            hide_presence=user.hide_presence,
            created_at=user.created_at,
            terms_accepted_at=user.terms_accepted_at,
        )


class ProfileOut(BaseModel):
    """A public profile. Fields a viewer may not see are null: each detail is shown to whom the
    member chose (members/directory.py); the email address to the member and administrators only."""

    username: str
    name: str
    role: RoleName | None = None
    organisation: str | None = None
    organisation_type: str | None = None
    country: str | None = None
    city: str | None = None
    stages: list[str] | None = None
    languages: list[str] | None = None
    expertise: str | None = None
    bio_html: str | None = None
    joined_at: datetime | None = None
    email: str | None = None
    status: StatusName | None = None


class RegistrationOut(BaseModel):
    status: Literal["active", "pending"]
    message: str
    member: MemberOut


class MessageOut(BaseModel):
    message: str


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
        )


class TokenCreatedOut(TokenOut):
    token: str


class SessionOut(BaseModel):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    current: bool


class AdminMemberOut(BaseModel):
    id: int
    username: str
    name: str
    email: str
    role: RoleName
    status: StatusName
    organisation: str
    created_at: datetime
    last_seen_at: datetime | None

    @classmethod
    def of(cls, user: User) -> AdminMemberOut:
        return cls(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            role=str(user.role),  # type: ignore[arg-type]
            status=str(user.status),  # type: ignore[arg-type]
            organisation=user.organisation,
            created_at=user.created_at,
            last_seen_at=user.last_seen_at,
        )


class MemberPageOut(BaseModel):
    items: list[AdminMemberOut]
    page: int
    pages: int
    total: int


class InvitationOut(BaseModel):
    id: int
    email: str
    role: RoleName
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    state: Literal["open", "accepted", "expired"]

    @classmethod
    def of(cls, invitation: Invitation, now: datetime) -> InvitationOut:
        if invitation.accepted_at is not None:
            state = "accepted"
        elif invitation.expires_at <= now:
            state = "expired"
        else:
            state = "open"
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=str(invitation.role),  # type: ignore[arg-type]
            invited_by=invitation.invited_by.name,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            state=state,  # type: ignore[arg-type]
        )


class OverviewOut(BaseModel):
    registration_mode: ModeName
    members_by_status: dict[str, int]
    members_by_role: dict[str, int]
    open_invitations: int
