"""Signed one-click unsubscribe links (RFC 8058) and the list headers that carry them.

A link names a member and a list, signed with the site's secret key (convene.security.sign): it
needs no session and no cookie, so a mail provider's POST (List-Unsubscribe-Post) works, and it
cannot be forged to unsubscribe someone else.
"""

from __future__ import annotations

import re

from convene.security import sign, unsign
from digest.context import Mailroom

PURPOSE = "unsubscribe"
_VALUE = re.compile(r"^unsubscribe-(\d{1,12})-(digest|newsletter|notifications)$")
LIST_LABELS = {"digest": "digest", "newsletter": "newsletter", "notifications": "notifications"}


def unsubscribe_token(secret: str, user_id: int, list_name: str) -> str:
    return sign(secret, f"{PURPOSE}-{user_id}-{list_name}")


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str] | None:
    """(member id, list) from a genuine token; None from anything else."""
    if len(token) > 200:
        return None
    value = unsign(secret, token)
    match = _VALUE.match(value or "")
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def unsubscribe_url(mailroom: Mailroom, user_id: int, list_name: str) -> str:
    return mailroom.url(
        f"/email/unsubscribe/{unsubscribe_token(mailroom.settings.secret_key, user_id, list_name)}"
    )


def list_headers(
    mailroom: Mailroom, user_id: int, list_name: str, *, unsubscribe: str | None = None
) -> dict[str, str]:
    """List-Id (RFC 2919), one-click List-Unsubscribe (RFC 2369, RFC 8058), and Auto-Submitted
    (RFC 3834) so that out-of-office replies are not sent back to us."""
    link = unsubscribe or unsubscribe_url(mailroom, user_id, list_name)
    site = mailroom.settings.site_name.replace('"', "").replace("\\", "")
    return {
        "List-Id": f'"{site} {LIST_LABELS[list_name]}" <{list_name}.{mailroom.host}>',
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
