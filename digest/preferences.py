"""Members' email preferences: read them (with defaults), change them, unsubscribe from one list.

A member who never opened /settings/email has no row: DEFAULTS apply (a weekly digest on Monday at
8 in their time zone, covering every group they belong to; instant email for mentions and replies,
batched over 10 minutes; no newsletter until they opt in).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from convene.clock import Clock
from convene.errors import Invalid
from digest.models import DigestFrequency, DigestPreference, DigestRun, EmailHealth
from digest.schedule import WEEKDAYS, upcoming_digest, zone_of
from digest.schemas import EmailSettingsIn, EmailSettingsOut, GroupChoiceOut
from forum.models import Group, Membership, MembershipStatus
from members.models import User
from members.permissions import check_signed_in

LISTS: tuple[str, ...] = ("digest", "newsletter", "notifications")


@dataclass(frozen=True)
class Prefs:
    frequency: str = DigestFrequency.WEEKLY.value
    weekday: int = 0
    hour: int = 8
    all_groups: bool = True
    group_ids: tuple[int, ...] = ()
    instant_mentions: bool = True
    instant_replies: bool = True
    batch_minutes: int = 10
    newsletter: bool = False
    schedule_changed_at: datetime | None = None
    resumed_at: datetime | None = None

    @property
    def schedule(self) -> tuple[str, int, int]:
        return (self.frequency, self.weekday, self.hour)


DEFAULTS = Prefs()
PREF_COLUMNS: tuple[str, ...] = (
    "user_id", "frequency", "weekday", "hour", "all_groups", "group_ids", "instant_mentions",
    "instant_replies", "batch_minutes", "newsletter", "schedule_changed_at", "resumed_at",
)  # fmt: skip


def prefs_of(row: dict[str, Any] | None) -> Prefs:
    """Preferences from a `.values(*PREF_COLUMNS)` row, or the defaults for a member without one."""
    if row is None:
        return DEFAULTS
    return Prefs(
        frequency=str(row["frequency"]),
        weekday=int(row["weekday"]),
        hour=int(row["hour"]),
        all_groups=bool(row["all_groups"]),
        group_ids=tuple(int(g) for g in (row["group_ids"] or [])),
        instant_mentions=bool(row["instant_mentions"]),
        instant_replies=bool(row["instant_replies"]),
        batch_minutes=int(row["batch_minutes"]),
        newsletter=bool(row["newsletter"]),
        schedule_changed_at=row["schedule_changed_at"],
        resumed_at=row["resumed_at"],
    )


async def get_prefs(user_id: int) -> Prefs:
    return prefs_of(await DigestPreference.filter(user_id=user_id).first().values(*PREF_COLUMNS))


async def load_prefs(user_ids: list[int]) -> dict[int, Prefs]:
    rows = await DigestPreference.filter(user_id__in=user_ids).values(*PREF_COLUMNS)
    found = {row["user_id"]: prefs_of(row) for row in rows}
    return {uid: found.get(uid, DEFAULTS) for uid in user_ids}


async def _save(user_id: int, prefs: Prefs, now: datetime) -> None:
    values = {
        "frequency": prefs.frequency,
        "weekday": prefs.weekday,
        "hour": prefs.hour,
        "all_groups": prefs.all_groups,
        "group_ids": list(prefs.group_ids),
        "instant_mentions": prefs.instant_mentions,
        "instant_replies": prefs.instant_replies,
        "batch_minutes": prefs.batch_minutes,
        "newsletter": prefs.newsletter,
        "schedule_changed_at": prefs.schedule_changed_at,
        "resumed_at": prefs.resumed_at,
        "updated_at": now,
    }
    if await DigestPreference.filter(user_id=user_id).update(**values):
        return
    try:
        await DigestPreference.create(user_id=user_id, **values)
    except IntegrityError:  # the same member saved twice at once: the second save wins
        await DigestPreference.filter(user_id=user_id).update(**values)


def changed(old: Prefs, new: Prefs, now: datetime) -> Prefs:
    """Stamp a schedule change (the next digest is the first slot after now) and a resumption."""
    if new.schedule != old.schedule:
        new = replace(new, schedule_changed_at=now)
    if old.frequency == DigestFrequency.OFF and new.frequency != DigestFrequency.OFF:
        new = replace(new, resumed_at=now)
    return new


async def list_group_choices(user_id: int) -> list[GroupChoiceOut]:
    """The groups a member may include in their digest: those they belong to."""
    rows = (
        await Membership.filter(user_id=user_id, status=MembershipStatus.ACTIVE)
        .order_by("group__name")
        .values("group_id", "group__slug", "group__name")
    )
    return [GroupChoiceOut(id=r["group_id"], slug=r["group__slug"], name=r["group__name"]) for r in rows]


async def is_email_failing(user: User) -> bool:
    return await EmailHealth.filter(
        user_id=user.id, email=user.email, failing_since__not_isnull=True
    ).exists()


async def get_email_settings(actor: object, clock: Clock) -> EmailSettingsOut:
    user = check_signed_in(actor)
    prefs = await get_prefs(user.id)
    choices = await list_group_choices(user.id)
    last = await DigestRun.filter(user_id=user.id).order_by("-period_end").first().values("period_end")
    next_at = upcoming_digest(
        frequency=prefs.frequency,
        weekday=prefs.weekday,
        hour=prefs.hour,
        zone=zone_of(user.timezone),
        now=clock.now(),
        last_end=last["period_end"] if last else None,
        joined_at=user.created_at,
        schedule_changed_at=prefs.schedule_changed_at,
    )
    mine = {c.id for c in choices}
    return EmailSettingsOut(
        digest=prefs.frequency,  # type: ignore[arg-type]
        weekday=WEEKDAYS[prefs.weekday],
        hour=prefs.hour,
        timezone=zone_of(user.timezone).key,
        all_groups=prefs.all_groups,
        # Groups the member has left since choosing them are not shown (nor included).
        groups=[g for g in prefs.group_ids if g in mine],
        instant_mentions=prefs.instant_mentions,
        instant_replies=prefs.instant_replies,
        batch_minutes=prefs.batch_minutes,
        newsletter=prefs.newsletter,
        next_digest_at=next_at,
        email_failing=await is_email_failing(user),
        group_choices=choices,
    )


async def do_update_email_settings(actor: object, data: EmailSettingsIn, clock: Clock) -> EmailSettingsOut:
    user = check_signed_in(actor)
    old = await get_prefs(user.id)
    all_groups = old.all_groups if data.all_groups is None else data.all_groups
    group_ids = old.group_ids
    if data.groups is not None:
        allowed = {c.id for c in await list_group_choices(user.id)}
        if not set(data.groups) <= allowed:
            raise Invalid(fields={"groups": "You can only choose groups you belong to."})
        group_ids = tuple(data.groups)
    if not all_groups and not group_ids:
        message = "Choose at least one group, or include all your groups. To stop digests, turn them off."
        raise Invalid(fields={"groups": message})
    new = Prefs(
        frequency=data.digest or old.frequency,
        weekday=WEEKDAYS.index(data.weekday) if data.weekday else old.weekday,
        hour=old.hour if data.hour is None else data.hour,
        all_groups=all_groups,
        group_ids=group_ids,
        instant_mentions=old.instant_mentions if data.instant_mentions is None else data.instant_mentions,
        instant_replies=old.instant_replies if data.instant_replies is None else data.instant_replies,
        batch_minutes=old.batch_minutes if data.batch_minutes is None else data.batch_minutes,
        newsletter=old.newsletter if data.newsletter is None else data.newsletter,
        schedule_changed_at=old.schedule_changed_at,
        resumed_at=old.resumed_at,
    )
    now = clock.now()
    await _save(user.id, changed(old, new, now), now)
    return await get_email_settings(user, clock)


async def do_unsubscribe(user_id: int, list_name: str, clock: Clock) -> bool:
    """Stop one kind of email for a member (from a signed link: no session needed). Returns False
    when that member no longer exists. Doing it twice is harmless."""
    if list_name not in LISTS:
        raise Invalid("That is not a list you can unsubscribe from.")
    if not await User.exists(id=user_id):
        return False
    old = await get_prefs(user_id)
    if list_name == "digest":
        new = replace(old, frequency=DigestFrequency.OFF.value)
    elif list_name == "newsletter":
        new = replace(old, newsletter=False)
    else:
        new = replace(old, instant_mentions=False, instant_replies=False)
    now = clock.now()
    await _save(user_id, changed(old, new, now), now)
    return True


async def list_groups_named(group_ids: list[int]) -> dict[int, Group]:
    return {g.id: g for g in await Group.filter(id__in=group_ids)}
