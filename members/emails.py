"""Members' emails: each one rendered from templates/email/<name>/{subject.txt,body.txt,body.html}."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from convene.mail import OutgoingEmail
from members.context import Site


async def send_email(
    site: Site, name: str, to: str, context: dict[str, Any], locale: str = "", *, key: str | None = None
) -> None:
    """Render the three parts of an email in the recipient's language and queue it in the durable
    outbox (digest/outbox.py), which delivers it at once in the background and retries on failure.

    Callers send only after their transaction has committed: an email never announces a change
    that was rolled back."""
    settings = site.settings
    locale = locale or settings.default_locale
    ctx = {"site_name": settings.site_name, "base_url": settings.base_url, **context}
    render = site.templates.render_string
    subject = render(f"email/{name}/subject.txt", ctx, locale).strip()
    text = render(f"email/{name}/body.txt", ctx, locale)
    html = render(f"email/{name}/body.html", ctx, locale)
    if site.outbox is not None:
        await site.outbox.enqueue(
            key=key or f"{name}:{uuid.uuid4().hex}",
            kind=name,
            to_email=to,
            subject=subject,
            text=text,
            html=html,
        )
        site.outbox.kick()
        return
    domain = urlsplit(settings.base_url).hostname or "localhost"
    message = OutgoingEmail(to=to, subject=subject, text=text, html=html).build(settings.mail_from, domain)
    await site.mailer.send(message)
