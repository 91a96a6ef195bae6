"""The member directory and per-field profile visibility.

Each profile detail (organisation, kind of organisation, country, city, stages of work, working
languages, expertise, introduction) has its own visibility: "everyone" (anyone on the web),
"members" (signed-in members) or "nobody" (only the member and the site's administrators). A new
member shows nothing beyond their name until they choose otherwise.

The directory is for signed-in members. Its search and filters only ever look at details the
viewer may see: filtering on a country a member keeps hidden does not find that member, so a
filter cannot be used to learn a hidden detail. Administrators see and filter on everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from tortoise.expressions import Q

from convene.errors import NotAuthenticated
from members.choices import RESETTLEMENT_STAGES, spoken_language_codes
from members.models import Role, User, UserStatus
from members.outputs import ProfileOut
from members.permissions import check_signed_in

EVERYONE, MEMBERS, NOBODY = "everyone", "members", "nobody"
LEVELS: tuple[str, ...] = (EVERYONE, MEMBERS, NOBODY)
Level = Literal["everyone", "members", "nobody"]
PROFILE_FIELDS: tuple[str, ...] = (
    "organisation", "organisation_type", "country", "city", "stages", "languages", "expertise", "bio",
)  # fmt: skip
LIST_FIELDS = ("stages", "languages")
PER_PAGE = 30


def split_list(value: str) -> list[str]:
    """ ",ar,fr," -> ["ar", "fr"] (lists are stored so a filter is a plain `contains ",ar,"`)."""
    return [item for item in (value or "").strip(",").split(",") if item]


def join_list(values: list[str]) -> str:
    return "," + ",".join(values) + "," if values else ""


def _active(viewer: Any) -> User | None:
    return viewer if isinstance(viewer, User) and viewer.status == UserStatus.ACTIVE else None


def levels_seen_by(viewer: Any) -> tuple[str, ...] | None:
    """The visibility levels a viewer passes; None means every field (administrators)."""
    actor = _active(viewer)
    if actor is None:
        return (EVERYONE,)
    if actor.role == Role.ADMIN:
        return None
    return (EVERYONE, MEMBERS)


def visible_fields(viewer: Any, user: User) -> frozenset[str]:
    """The profile details of `user` that `viewer` may see."""
    actor = _active(viewer)
    levels = levels_seen_by(viewer)
    if levels is None or (actor is not None and actor.id == user.id):
        return frozenset(PROFILE_FIELDS)
    return frozenset(f for f in PROFILE_FIELDS if getattr(user, f"{f}_visibility") in levels)


def visibility_of(user: User) -> dict[str, str]:
    return {f: getattr(user, f"{f}_visibility") for f in PROFILE_FIELDS}


def fill_profile(out: ProfileOut, user: User, fields: frozenset[str]) -> ProfileOut:
    """Put the details `fields` allows into a ProfileOut; the others stay null."""
    for name in fields:
        if name == "bio":
            out.bio_html = user.bio_html
        elif name in LIST_FIELDS:
            setattr(out, name, split_list(getattr(user, name)))
        else:
            setattr(out, name, getattr(user, name))
    return out


# ---- Changing one's directory profile ----


def _level(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text not in LEVELS:
        raise ValueError("Choose who sees it: everyone, signed-in members, or only you.")
    return text


def _list_of(value: Any, allowed: frozenset[str] | dict[str, str], what: str) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    out: list[str] = []
    for item in items:
        item = str(item).strip().lower()
        if not item or item in out:
            continue
        if item not in allowed:
            raise ValueError(f"Choose {what} from the list.")
        out.append(item)
    return out


class DirectoryProfileIn(BaseModel):
    """The directory details and who sees each profile detail. Send only what changes."""

    model_config = ConfigDict(extra="ignore")

    city: str | None = None
    stages: list[str] | None = None
    languages: list[str] | None = None
    expertise: str | None = None
    organisation_visibility: Level | None = None
    organisation_type_visibility: Level | None = None
    country_visibility: Level | None = None
    city_visibility: Level | None = None
    stages_visibility: Level | None = None
    languages_visibility: Level | None = None
    expertise_visibility: Level | None = None
    bio_visibility: Level | None = None

    @field_validator("city", mode="before")
    @classmethod
    def _city(cls, value: Any) -> str:
        text = " ".join(str(value or "").split())
        if len(text) > 120:
            raise ValueError("Keep the city under 120 characters.")
        return text

    @field_validator("expertise", mode="before")
    @classmethod
    def _expertise(cls, value: Any) -> str:
        text = " ".join(str(value or "").split())
        if len(text) > 500:
            raise ValueError("Keep your expertise under 500 characters.")
        return text

    @field_validator("stages", mode="before")
    @classmethod
    def _stages(cls, value: Any) -> list[str]:
        chosen = _list_of(value, RESETTLEMENT_STAGES, "stages")
        return [s for s in RESETTLEMENT_STAGES if s in chosen]

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> list[str]:
        return _list_of(value, spoken_language_codes(), "languages")[:20]

    @field_validator(*(f"{f}_visibility" for f in PROFILE_FIELDS), mode="before")
    @classmethod
    def _visibility(cls, value: Any) -> str | None:
        return _level(value)


class DirectoryProfileOut(BaseModel):
    city: str
    stages: list[str]
    languages: list[str]
    expertise: str
    visibility: dict[str, Level]

    @classmethod
    def of(cls, user: User) -> DirectoryProfileOut:
        return cls(
            city=user.city,
            stages=split_list(user.stages),
            languages=split_list(user.languages),
            expertise=user.expertise,
            visibility=visibility_of(user),  # type: ignore[arg-type]
        )


async def do_update_directory_profile(actor: object, changes: DirectoryProfileIn) -> User:
    user = check_signed_in(actor)
    values = {k: v for k, v in changes.model_dump(exclude_unset=True).items() if v is not None}
    for name in LIST_FIELDS:
        if name in values:
            values[name] = join_list(values[name])
    if values:
        for name, value in values.items():
            setattr(user, name, value)
        await user.save(update_fields=list(values))
    return user


# ---- The directory ----


class DirectoryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: str = ""
    country: str = ""
    organisation_type: str = ""
    stage: str = ""
    language: str = ""
    expertise: str = ""
    page: int = 1

    @field_validator("q", "expertise", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return " ".join(str(value or "").split())[:100]

    @field_validator("country", "organisation_type", "stage", "language", mode="before")
    @classmethod
    def _choice(cls, value: Any) -> str:
        return str(value or "").strip()[:60]

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, value: Any) -> int:
        text = str(value or "").strip()
        return int(text) if text.isdigit() and len(text) < 7 and int(text) > 0 else 1

    def params(self, **changes: Any) -> dict[str, str]:
        values = {k: str(v) for k, v in self.model_dump().items()}
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}


@dataclass
class MemberCard:
    user: User
    fields: frozenset[str]

    def shows(self, name: str) -> bool:
        return name in self.fields and bool(getattr(self.user, name))

    def list_of(self, name: str) -> list[str]:
        return split_list(getattr(self.user, name)) if name in self.fields else []

    def out(self) -> ProfileOut:
        return fill_profile(
            ProfileOut(username=self.user.username, name=self.user.name), self.user, self.fields
        )


@dataclass
class DirectoryPage:
    query: DirectoryQuery
    cards: list[MemberCard]
    page: int
    pages: int
    total: int


def _seen(field: str, levels: tuple[str, ...] | None) -> Q:
    """ "This member shows `field` to the viewer": every filter on a detail goes through this."""
    return Q() if levels is None else Q(**{f"{field}_visibility__in": list(levels)})


async def list_directory(viewer: Any, query: DirectoryQuery) -> DirectoryPage:
    """Active members, by name, filtered on what the viewer may see of them."""
    if _active(viewer) is None:
        raise NotAuthenticated("Please sign in to see the directory of members.")
    levels = levels_seen_by(viewer)
    qs = User.filter(status=UserStatus.ACTIVE)
    if query.country:
        qs = qs.filter(_seen("country", levels), country=query.country.upper())
    if query.organisation_type:
        qs = qs.filter(_seen("organisation_type", levels), organisation_type=query.organisation_type)
    if query.stage:
        qs = qs.filter(_seen("stages", levels), stages__contains=f",{query.stage.lower()},")
    if query.language:
        qs = qs.filter(_seen("languages", levels), languages__contains=f",{query.language.lower()},")
    if query.expertise:
        qs = qs.filter(_seen("expertise", levels), expertise__icontains=query.expertise)
    if query.q:
        words = Q(name__icontains=query.q) | Q(username__icontains=query.q)
        for field in ("organisation", "city", "expertise", "bio"):
            words |= _seen(field, levels) & Q(**{f"{field}__icontains": query.q})
        qs = qs.filter(words)
    total = await qs.count()
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(query.page, pages)
    users = await qs.order_by("name", "id").offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    cards = [MemberCard(u, visible_fields(viewer, u)) for u in users]
    return DirectoryPage(query=query, cards=cards, page=page, pages=pages, total=total)


async def profile_extras(viewer: Any, user: User, fields: frozenset[str], locale: str) -> dict[str, Any]:
    """What the profile page shows besides the basics: the visible lists in the reader's language,
    and whether the viewer can write to this member (through Convene, never by email)."""
    from convene.i18n import translations
    from members.choices import spoken_language_name

    gettext = translations(locale).gettext
    actor = _active(viewer)
    blocking = False
    if actor is not None and actor.id != user.id:
        try:
            from messages.service import is_blocking
        except ImportError:  # a site without direct messages
            is_blocking = None
        blocking = bool(is_blocking and await is_blocking(actor, user.id))
    return {
        "stage_names": [
            gettext(RESETTLEMENT_STAGES[s]) for s in split_list(user.stages) if s in RESETTLEMENT_STAGES
        ]
        if "stages" in fields
        else [],
        "language_names": [spoken_language_name(c, locale) for c in split_list(user.languages)]
        if "languages" in fields
        else [],
        "can_contact": actor is not None and actor.id != user.id and user.status == UserStatus.ACTIVE,
        "blocking": blocking,
    }
