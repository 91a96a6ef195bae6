"""Who may do what in the members area. Every service calls these; templates only mirror them."""

from __future__ import annotations

from convene.errors import Forbidden, NotAuthenticated
from members.models import Role, User


def check_signed_in(actor: object) -> User:
    if not isinstance(actor, User) or not actor.is_active:
        raise NotAuthenticated()
    return actor


def check_is_admin(actor: object) -> User:
    user = check_signed_in(actor)
    if user.role != Role.ADMIN:
        raise Forbidden("Only administrators can do that.")
    return user
