"""Jinja2 environment: autoescaping, i18n through gettext, the CSRF field, time formatting.

Pages are rendered on every view, so the helpers templates call in loops are made cheap here
(measured with bench/pages.py): `row.field` on a `.values()` dict is one lookup; translated
strings are wrapped for autoescaping once per language and filled without Markup's per-value
wrapper; a date is formatted once per (moment, time zone, language, format) and a relative time
once per (unit, number, direction, language), for as long as they stay in bounded caches.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import TIMEDELTA_UNITS, format_datetime, format_timedelta
from babel.support import NullTranslations
from jinja2 import Environment, FileSystemLoader, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from convene.i18n import negotiate, text_direction, translations
from convene.security import CSRF_FIELD

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
_JUST_NOW = timedelta(minutes=1)
_DICT_ATTRIBUTES = frozenset(dir(dict))
# Per language. Templates translate literal strings, so this is more than they hold; it only
# bounds the memory if a template ever translates text that varies.
_KEPT_STRINGS = 4096


class _Environment(Environment):
    """Jinja's environment, with `row.field` on a plain dict (the `.values()` rows services
    return) read as the key at once. Jinja tries the attribute first and reads the key after the
    AttributeError, ten times slower, thousands of times a page. Same result: a dict's only
    attributes are its methods, and those still win."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return Environment.getattr(self, obj, attribute)


# A %r or %a conversion shows a value's repr, which Markup escapes differently: _fill leaves those
# to Markup (this matches a little more than it must, which only costs speed).
_REPR_CONVERSION = re.compile(r"%(\([^)]*\))?[#0 +-]*(\*|\d+)?(\.(\*|\d+))?[ra]")


@lru_cache(maxsize=_KEPT_STRINGS)
def _marked(translated: str) -> tuple[Markup, bool]:
    """A translated string as a Markup format, and whether _fill may format it itself."""
    return Markup(translated), _REPR_CONVERSION.search(translated) is None  # noqa: S704  our catalogue


def _fill(translated: str, variables: dict[str, Any]) -> Markup:
    """`Markup(translated) % variables`: every value escaped. The answer for plain text and
    numbers is kept ("Reply to post %(num)s" with 1 to 50 on every thread page); anything else
    is worked out each time."""
    items = tuple(variables.items())
    for _, value in items:
        if type(value) is not str and type(value) is not int:
            return _format(translated, variables)
    return _format_plain(translated, items)


@lru_cache(maxsize=16_384)
def _format_plain(translated: str, items: tuple[tuple[str, str | int], ...]) -> Markup:
    return _format(translated, dict(items))


def _format(translated: str, variables: dict[str, Any]) -> Markup:
    """`Markup(translated) % variables`. Markup wraps each value to escape it when the format
    reads it; escaping them up front (numbers need none) is five times faster. Anything else a
    format could ask of a value (%d of a string) goes Markup's way."""
    template, plain = _marked(translated)
    if plain:
        safe = {k: v if type(v) in (int, float) else escape(v) for k, v in variables.items()}
        try:
            return Markup(str.__mod__(template, safe))  # noqa: S704  every value is escaped above
        except (TypeError, ValueError):
            pass
    return template % variables


def _make_gettext(trans: NullTranslations) -> tuple[Any, Any]:
    """Jinja's "new style" gettext and ngettext: autoescaped in HTML templates, %(name)s filled
    (and escaped) from keyword arguments, every string treated as a format string. They take
    the evaluation context, not the whole context (which Jinja copies for calls inside blocks
    and loops), and a string translated without arguments is built once per language."""
    lookup, nlookup = trans.gettext, trans.ngettext
    filled: dict[str, Markup] = {}  # strings translated without arguments, ready to print

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
        if not eval_ctx.autoescape:
            return lookup(string) % variables
        if variables:
            return _fill(lookup(string), variables)
        found = filled.get(string)
        if found is None:
            found = Markup(lookup(string)) % variables  # noqa: S704  our catalogue
            if len(filled) < _KEPT_STRINGS:
                filled[string] = found
        return found

    @pass_eval_context
    def ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        rv = nlookup(singular, plural, num)
        return _fill(rv, variables) if eval_ctx.autoescape else rv % variables

    return gettext, ngettext


@lru_cache(maxsize=32)
def _gettext_pair(locale: str) -> tuple[Any, Any]:
    return _make_gettext(translations(locale))


@lru_cache(maxsize=32)
def _babel_locale(locale: str) -> Locale:
    # Babel parses a locale name on every call it is given one; a Locale object it uses as is.
    return Locale.parse(locale)


@lru_cache(maxsize=16_384)
def format_when(value: datetime, zone: ZoneInfo, locale: Locale, fmt: str = "medium") -> str:
    """A moment as the viewer reads it: in their time zone and language. Pure, so kept: the
    same posts' dates are shown again on every view of a page (about 40 µs each to format)."""
    return format_datetime(value.astimezone(zone), fmt, locale=locale)


# Babel's relative times ("3 days ago"): it picks the largest unit the delta fills to 85% and
# rounds to a whole number of it, so the words depend only on (unit, number, past or future) and
# the language. Each answer is kept: a group page asks for thirty, each about 20 µs to make.
_AGO_THRESHOLD = 0.85
_agos: dict[tuple[str, int, bool, Locale], str] = {}


def format_ago(delta: timedelta, locale: Locale) -> str:
    """format_timedelta(delta, add_direction=True, locale=locale), its answers kept."""
    seconds = delta.total_seconds()
    for unit, per_unit in TIMEDELTA_UNITS:
        value = abs(seconds) / per_unit
        if value >= _AGO_THRESHOLD or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            key = (unit, round(value), seconds >= 0, locale)
            found = _agos.get(key)
            if found is None:
                found = format_timedelta(delta, threshold=_AGO_THRESHOLD, add_direction=True, locale=locale)
                if len(_agos) < _KEPT_STRINGS:
                    _agos[key] = found
            return found
    return format_timedelta(delta, threshold=_AGO_THRESHOLD, add_direction=True, locale=locale)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Templates:
    def __init__(self, site_name: str, default_locale: str, clock: Any) -> None:
        self.env = _Environment(
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
        babel_locale = _babel_locale(locale)
        user = request.scope.get("user")
        viewer = user if getattr(user, "is_authenticated", False) else None
        zone = _zone(getattr(viewer, "timezone", None))
        csrf = request.scope.get("state", {}).get("csrf_token", "")
        now = self.clock.now()

        def when(value: datetime | None, fmt: str = "medium") -> str:
            if value is None:
                return ""
            return format_when(value, zone, babel_locale, fmt)

        def ago(value: datetime | None) -> str:
            if value is None:
                return ""
            delta = value - now
            if -_JUST_NOW < delta < _JUST_NOW:
                # Under a minute either way (a moment ahead of our clock too): not "in 0 seconds".
                # Further ahead is a real future ("closes in 3 days").
                return translations(locale).gettext("just now")
            return format_ago(delta, babel_locale)

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
            "_": gettext,  # the same function as Jinja's global `_`, without its extra call
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
            {"gettext": gettext, "ngettext": ngettext, "_": gettext, "lang": locale, **context}
        )
