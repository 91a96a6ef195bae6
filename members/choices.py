"""Fixed lists a member chooses from: organisation types, countries, languages, time zones."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from convene.i18n import available_locales


def N_(message: str) -> str:  # noqa: N802  the gettext marker Babel's extractor looks for
    """Mark a string for translation; it is translated where it is shown, in the reader's language."""
    return message


# The network's own categories: who someone is speaks to how far their word carries.
ORGANISATION_TYPES: dict[str, str] = {
    "national_government": N_("National government"),
    "regional_government": N_("Regional government"),
    "local_government": N_("Local government"),
    "international_organisation": N_("International organisation"),
    "ngo": N_("NGO or civil society"),
    "volunteer": N_("Volunteer"),
    "academic": N_("Academic"),
    "refugee_led": N_("Refugee-led organisation or formerly resettled person"),
}

ROLE_LABELS: dict[str, str] = {
    "member": N_("Member"),
    "facilitator": N_("Facilitator"),
    "moderator": N_("Moderator"),
    "admin": N_("Administrator"),
}

STATUS_LABELS: dict[str, str] = {
    "active": N_("Active"),
    "pending": N_("Waiting for approval"),
    "suspended": N_("Suspended"),
    "deleted": N_("Deleted"),
}

REGISTRATION_MODE_LABELS: dict[str, str] = {
    "open": N_("Open: anyone can join at once"),
    "approval": N_("Approval: an administrator reviews each new account"),
    "invitation": N_("Invitation only: people join through an emailed invitation"),
}

# Babel's territory list also holds regions ("150"), groupings (EU, UN) and codes that are only
# "exceptionally reserved" in ISO 3166-1. Kosovo (XK) stays: it is in everyday use across Europe.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code or "en")
    except (UnknownLocaleError, ValueError):
        return Locale("en")


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    territories = Locale("en").territories
    return frozenset(c for c in territories if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES)


@lru_cache(maxsize=32)
def country_options(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name in the reader's language), sorted by that name."""
    names = _locale(locale).territories
    english = Locale("en").territories
    options = [(code, names.get(code) or english[code]) for code in country_codes()]
    return tuple(sorted(options, key=lambda o: o[1].casefold()))


def country_name(code: str, locale: str) -> str:
    if not code:
        return ""
    return _locale(locale).territories.get(code) or Locale("en").territories.get(code, code)


@lru_cache(maxsize=1)
def language_options() -> tuple[tuple[str, str], ...]:
    """Each interface language named in itself (a reader looks for their own language's name)."""
    return tuple((code, _locale(code).display_name or code) for code in available_locales())


@lru_cache(maxsize=1)
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def timezone_options() -> tuple[str, ...]:
    # The list offered in forms leaves out legacy aliases ("EST5EDT", "Zulu") nobody looks for;
    # the API still accepts every zone the system knows.
    return tuple(sorted(z for z in timezone_names() if "/" in z or z == "UTC"))


# The stages of resettlement, shared by members' profiles (stages of their work) and the
# resource library (what a resource is about).
RESETTLEMENT_STAGES: dict[str, str] = {
    "selection": N_("Selection and identification"),
    "pre_departure": N_("Pre-departure orientation"),
    "health": N_("Health"),
    "travel": N_("Travel"),
    "reception": N_("Reception"),
    "integration": N_("Integration"),
    "community_sponsorship": N_("Community sponsorship"),
    "complementary_pathways": N_("Complementary pathways"),
}


@lru_cache(maxsize=1)
def spoken_language_codes() -> frozenset[str]:
    """ISO 639-1 codes (two letters) Babel can name: the languages people work and publish in."""
    return frozenset(code for code in Locale("en").languages if len(code) == 2 and code.isalpha())


@lru_cache(maxsize=32)
def spoken_language_options(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name in the reader's language), sorted by that name."""
    names = _locale(locale).languages
    english = Locale("en").languages
    options = [(code, names.get(code) or english[code]) for code in spoken_language_codes()]
    return tuple(sorted(options, key=lambda o: o[1].casefold()))


def spoken_language_name(code: str, locale: str) -> str:
    if not code:
        return ""
    return _locale(locale).languages.get(code) or Locale("en").languages.get(code, code)
