"""Jinja2 environment: autoescaping, i18n through gettext, the CSRF field, time formatting."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, format_timedelta
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import _make_new_gettext, _make_new_ngettext
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from convene.i18n import negotiate, text_direction, translations
from convene.security import CSRF_FIELD

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
_JUST_NOW = timedelta(minutes=1)


@lru_cache(maxsize=32)
def _gettext_pair(locale: str) -> tuple[Any, Any]:
    # "New style" gettext: autoescaped, and %(name)s filled from keyword arguments.
    trans = translations(locale)
    return _make_new_gettext(trans.gettext), _make_new_ngettext(trans.ngettext)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Templates:
    def __init__(self, site_name: str, default_locale: str, clock: Any) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=select_autoescape(["html", "xml"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # Per-request gettext comes from the render context (see context()).
        self.env.install_null_translations(newstyle=True)
        self.env.globals["site_name"] = site_name
        self.default_locale = default_locale
        self.clock = clock

    def locale_for(self, request: Request) -> str:
        user = getattr(request, "user", None) if "user" in request.scope else None
        preferred = getattr(user, "locale", None) if user is not None else None
        return negotiate(preferred, request.headers.get("accept-language"), self.default_locale)

    def context(self, request: Request, extra: dict[str, Any]) -> dict[str, Any]:
        locale = self.locale_for(request)
        gettext, ngettext = _gettext_pair(locale)
        user = request.scope.get("user")
        viewer = user if getattr(user, "is_authenticated", False) else None
        zone = _zone(getattr(viewer, "timezone", None))
        csrf = request.scope.get("state", {}).get("csrf_token", "")
        now = self.clock.now()

        def when(value: datetime | None, fmt: str = "medium") -> str:
            if value is None:
                return ""
            return format_datetime(value.astimezone(zone), fmt, locale=locale)

        def ago(value: datetime | None) -> str:
            if value is None:
                return ""
            delta = value - now
            if -_JUST_NOW < delta < _JUST_NOW:
                # Under a minute either way (a moment ahead of our clock too): not "in 0 seconds".
                # Further ahead is a real future ("closes in 3 days").
                return translations(locale).gettext("just now")
            return format_timedelta(delta, add_direction=True, locale=locale)

        ctx: dict[str, Any] = {
            "request": request,
            "viewer": viewer,
            "lang": locale,
            "dir": text_direction(locale),
            "csrf_token": csrf,
            "csrf_field": Markup(  # noqa: S704  the token is escaped
                f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'
            ),
            "gettext": gettext,
            "ngettext": ngettext,
            "when": when,
            "ago": ago,
            "now": now,
        }
        ctx.update(extra)
        return ctx

    def render(
        self,
        request: Request,
        name: str,
        extra: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        template = self.env.get_template(name)
        html = template.render(self.context(request, extra or {}))
        return HTMLResponse(html, status_code=status_code, headers=headers)

    def render_string(self, name: str, context: dict[str, Any], locale: str = "en") -> str:
        """For email and feeds: no request, an explicit locale."""
        gettext, ngettext = _gettext_pair(locale)
        return self.env.get_template(name).render(
            {"gettext": gettext, "ngettext": ngettext, "lang": locale, **context}
        )
