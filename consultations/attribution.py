"""Attribution: how a respondent is named on pages, in exports and in the report.

The facilitator sets a level per consultation; a respondent may choose a MORE private one, never a
less private one. The effective level is the more private of the two, and every place that shows a
respondent goes through `describe()`, so no page, export or report can show more than it allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consultations.models import Attribution
from members.choices import N_, ORGANISATION_TYPES

PRIVACY = {Attribution.BY_NAME: 0, Attribution.ORG_TYPE: 1, Attribution.ANONYMOUS: 2}

ATTRIBUTION_LABELS = {
    Attribution.BY_NAME: N_("By name: your name and organisation type are shown"),
    Attribution.ORG_TYPE: N_("By organisation type only: for example “an NGO or civil society respondent”"),
    Attribution.ANONYMOUS: N_("Anonymous: you are shown as “Respondent” and a number"),
}

# "An NGO or civil society respondent": the organisation type speaks, the person does not.
RESPONDENT_BY_TYPE = {
    "national_government": N_("A national government respondent"),
    "regional_government": N_("A regional government respondent"),
    "local_government": N_("A local government respondent"),
    "international_organisation": N_("An international organisation respondent"),
    "ngo": N_("An NGO or civil society respondent"),
    "volunteer": N_("A volunteer respondent"),
    "academic": N_("An academic respondent"),
    "refugee_led": N_("A respondent from a refugee-led organisation or a formerly resettled person"),
}
UNKNOWN_TYPE = N_("A respondent who gave no organisation type")


def _identity(text: str) -> str:
    return text


def coerce(value: Any) -> Attribution:
    return value if isinstance(value, Attribution) else Attribution(value)


def effective_level(consultation_level: Any, chosen: Any) -> Attribution:
    """The more private of the facilitator's level and the respondent's own choice."""
    a, b = coerce(consultation_level), coerce(chosen or consultation_level)
    return a if PRIVACY[a] >= PRIVACY[b] else b


def allowed_choices(consultation_level: Any) -> list[Attribution]:
    """The levels a respondent may pick: the facilitator's own, or any more private one."""
    floor = PRIVACY[coerce(consultation_level)]
    return [level for level, rank in PRIVACY.items() if rank >= floor]


@dataclass(frozen=True)
class Shown:
    """What may be shown of one respondent at their effective level."""

    label: str
    level: Attribution
    organisation_type: str  # a code from members.choices.ORGANISATION_TYPES, or ""
    country: str  # ISO 3166-1 alpha-2, or ""
    user_id: int | None  # only for by-name (a link to the profile); never shown otherwise


def describe(
    *,
    consultation_level: Any,
    chosen: Any,
    pseudonym: int,
    name: str | None,
    organisation_type: str,
    country: str,
    user_id: int | None,
    gettext: Callable[[str], str] = _identity,
) -> Shown:
    level = effective_level(consultation_level, chosen)
    if level == Attribution.ANONYMOUS:
        return Shown(gettext("Respondent %(n)s") % {"n": pseudonym}, level, "", "", None)
    org_label = (
        gettext(ORGANISATION_TYPES[organisation_type]) if organisation_type in ORGANISATION_TYPES else ""
    )
    if level == Attribution.ORG_TYPE:
        phrase = RESPONDENT_BY_TYPE.get(organisation_type, UNKNOWN_TYPE)
        return Shown(gettext(phrase), level, organisation_type, country, None)
    label = name or gettext("Former member")
    if org_label:
        label = f"{label} ({org_label})"
    return Shown(label, level, organisation_type, country, user_id)


def describe_respondent(
    consultation: Any, respondent: Any, user: Any, gettext: Callable[[str], str] = _identity
) -> Shown:
    """`respondent` is a Respondent row; `user` its member (or None if the account is gone)."""
    return describe(
        consultation_level=consultation.attribution,
        chosen=respondent.attribution,
        pseudonym=respondent.pseudonym,
        name=getattr(user, "name", None),
        organisation_type=getattr(user, "organisation_type", "") or "",
        country=getattr(user, "country", "") or "",
        user_id=getattr(user, "id", None),
        gettext=gettext,
    )
