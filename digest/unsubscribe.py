"""One-click unsubscribe (RFC 8058) from a signed link: look at what a link would stop, and stop it.

No session, no cookie and no CSRF token: the signed token in the address is the proof (see
digest/tokens.py). A GET only shows what would change; only a POST changes anything, so a mail
scanner that follows links unsubscribes nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from convene.clock import Clock
from convene.errors import BadRequest
from digest.preferences import do_unsubscribe
from digest.tokens import read_unsubscribe_token
from members.models import User

BAD_LINK = (
    "This unsubscribe link is not valid: it may have been cut when it was copied. "
    "Use the link in a recent email, or change what you receive in your email settings."
)


@dataclass(frozen=True)
class UnsubscribeLink:
    user_id: int
    list_name: str
    masked_email: str


def _mask(email: str) -> str:
    # The page may be opened by whoever the email was forwarded to: show enough to recognise it.
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


async def get_unsubscribe_link(secret: str, token: str) -> UnsubscribeLink:
    found = read_unsubscribe_token(secret, token)
    if found is None:
        raise BadRequest(BAD_LINK)
    user = await User.get_or_none(id=found[0])
    if user is None:
        raise BadRequest(BAD_LINK)
    return UnsubscribeLink(found[0], found[1], _mask(user.email))


async def do_unsubscribe_by_link(secret: str, token: str, clock: Clock) -> UnsubscribeLink:
    link = await get_unsubscribe_link(secret, token)
    await do_unsubscribe(link.user_id, link.list_name, clock)
    return link
