"""Members' emails: each one rendered from templates/email/<name>/{subject.txt,body.txt,body.html}."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from convene.mail import OutgoingEmail
from members.context import Site


async def send_email(site: Site, name: str, to: str, context: dict[str, Any], locale: str = "") -> None:
    """Render the three parts of an email in the recipient's language and send it.

    Callers send only after their transaction has committed: an email never announces a change
    that was rolled back."""
    settings = site.settings
    locale = locale or settings.default_locale
    ctx = {"site_name": settings.site_name, "base_url": settings.base_url, **context}
    render = site.templates.render_string
    subject = render(f"email/{name}/subject.txt", ctx, locale).strip()
    text = render(f"email/{name}/body.txt", ctx, locale)
    html = render(f"email/{name}/body.html", ctx, locale)
    domain = urlsplit(settings.base_url).hostname or "localhost"
    message = OutgoingEmail(to=to, subject=subject, text=text, html=html).build(settings.mail_from, domain)
    await site.mailer.send(message)
