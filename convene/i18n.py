"""Internationalisation: Babel catalogues, locale negotiation and text direction."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache(maxsize=1)
def available_locales() -> tuple[str, ...]:
    found = {"en"}
    if LOCALE_DIR.is_dir():
        found.update(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.mo"))
    return tuple(sorted(found))


@lru_cache(maxsize=32)
def translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


@lru_cache(maxsize=64)
def text_direction(locale: str) -> str:
    try:
        return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"
    except (UnknownLocaleError, ValueError):
        return "ltr"


def negotiate(preferred: str | None, accept_language: str | None, default: str) -> str:
    """The member's own choice first, then the browser's languages, then the site default."""
    available = available_locales()
    if preferred and preferred in available:
        return preferred
    candidates: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        if not tag:
            continue
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        candidates.append((weight, tag.replace("_", "-").lower()))
    for _, tag in sorted(candidates, key=lambda c: -c[0]):
        for option in (tag, tag.split("-")[0]):
            if option in available:
                return option
    return default if default in available else "en"
