"""Profiles: what others may see of a member, and the member's own changes to it."""

from __future__ import annotations

from dataclasses import dataclass

from convene.errors import NotFound
from convene.markup import render_markdown
from members.directory import fill_profile, split_list, visible_fields
from members.models import User, UserStatus
from members.outputs import ProfileOut
from members.permissions import check_signed_in
from members.schemas import ProfileIn


@dataclass
class ProfileView:
    """A member as one particular viewer may see them."""

    user: User
    show_details: bool  # the role: for signed-in members
    show_email: bool  # the member themself and administrators only
    show_status: bool  # administrators only
    is_self: bool
    # The profile details this viewer may see, as the member chose (members/directory.py).
    fields: frozenset[str] = frozenset()

    def shows(self, name: str) -> bool:
        return name in self.fields and bool(getattr(self.user, name))

    def list_of(self, name: str) -> list[str]:
        return split_list(getattr(self.user, name)) if name in self.fields else []

    def out(self) -> ProfileOut:
        user = self.user
        out = fill_profile(ProfileOut(username=user.username, name=user.name), user, self.fields)
        if self.show_details:
            out.role = str(user.role)  # type: ignore[assignment]
        if self.show_email:
            # The joined date is account data, like the email: not part of what others see.
            out.joined_at = user.created_at
            out.email = user.email
        if self.show_status:
            out.status = str(user.status)  # type: ignore[assignment]
        return out


async def get_profile(viewer: object, username: str) -> ProfileView:
    signed_in = isinstance(viewer, User) and viewer.is_active
    is_admin = signed_in and viewer.is_admin  # type: ignore[union-attr]
    user = await User.get_or_none(username=username.lower())
    # Pending, suspended and deleted accounts do not exist for anyone but administrators.
    if user is None or (user.status != UserStatus.ACTIVE and not is_admin):
        raise NotFound("There is no member with that username.")
    is_self = signed_in and viewer.id == user.id  # type: ignore[union-attr]
    return ProfileView(
        user=user,
        show_details=signed_in,
        show_email=is_self or is_admin,
        show_status=is_admin,
        is_self=is_self,
        fields=visible_fields(viewer, user),
    )


async def do_update_profile(actor: object, changes: ProfileIn) -> User:
    """Apply the fields that were sent. The bio is rendered to safe HTML now, once, not per view."""
    user = check_signed_in(actor)
    values = changes.model_dump(exclude_unset=True)
    if not values:
        return user
    for name, value in values.items():
        setattr(user, name, value)
    fields = list(values)
    if "bio" in values:
        user.bio_html = render_markdown(values["bio"])
        fields.append("bio_html")
    await user.save(update_fields=fields)
    return user
