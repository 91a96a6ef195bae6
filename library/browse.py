"""Browsing the library: filter by facets, search words, count what is left, and the JSON shapes.

Every list starts from access.visible_resources(viewer), so what a viewer may not read is never
found, counted or linked to (the translation links included)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from convene.i18n import translations
from forum.models import Group
from library import search
from library.access import visible_resources
from library.files import FILE_TYPES
from library.models import Resource, ResourceFacet, ResourceKind
from library.schemas import FacetCountOut, LibraryQuery, PersonOut, ResourceOut, ResourceRef
from members.choices import RESETTLEMENT_STAGES, country_name, spoken_language_name

PER_PAGE = 20
FACETS = ("stage", "country", "language", "tag")
MAX_FACET_VALUES = 40


def facet_values(resource: Resource) -> list[tuple[str, str]]:
    """The (facet, value) rows a resource is found and counted under."""
    rows = [("stage", s) for s in resource.stages] + [("language", code) for code in resource.languages]
    rows += [("tag", t) for t in resource.tags]
    if resource.country:
        rows.append(("country", resource.country))
    return rows


def facet_label(facet: str, value: str, locale: str) -> str:
    if facet == "stage":
        return translations(locale).gettext(RESETTLEMENT_STAGES.get(value, value))
    if facet == "country":
        return country_name(value, locale)
    if facet == "language":
        return spoken_language_name(value, locale)
    return value


@dataclass
class Family:
    """The language versions a viewer may see: what a resource translates, and its translations."""

    original: Resource | None = None
    versions: list[Resource] = field(default_factory=list)


async def families(viewer: Any, resources: list[Resource]) -> dict[int, Family]:
    """For each resource, its visible language versions, in two queries whatever the page size.
    Versions hang from one original: a translation of a translation counts as the original's."""
    if not resources:
        return {}
    roots = {r.translation_of_id or r.id for r in resources}  # type: ignore[attr-defined]
    visible = await visible_resources(viewer)
    related = await visible.filter(Q(id__in=roots) | Q(translation_of_id__in=roots)).order_by("id")
    by_root: dict[int, list[Resource]] = defaultdict(list)
    for r in related:
        by_root[r.translation_of_id or r.id].append(r)  # type: ignore[attr-defined]
    out: dict[int, Family] = {}
    for resource in resources:
        root = resource.translation_of_id or resource.id  # type: ignore[attr-defined]
        members = by_root.get(root, [])
        original = next((r for r in members if r.id == resource.translation_of_id), None)  # type: ignore[attr-defined]
        versions = [r for r in members if r.id != resource.id]
        out[resource.id] = Family(original=original, versions=versions)
    return out


def _ref(resource: Resource) -> ResourceRef:
    return ResourceRef(
        id=resource.id,
        title=resource.title,
        languages=list(resource.languages),
        url=f"/library/{resource.id}",
    )


def resource_out(resource: Resource, family: Family | None = None) -> ResourceOut:
    """The JSON of a resource; `group` and `created_by` must have been fetched with it."""
    family = family or Family()
    is_file = resource.kind == ResourceKind.FILE
    file_type = FILE_TYPES.get(resource.file_type) if is_file else None
    group = resource.group if resource.group_id is not None else None  # type: ignore[attr-defined]
    creator = resource.created_by if resource.created_by_id is not None else None  # type: ignore[attr-defined]
    if group is not None:
        discussion = f"/g/{group.slug}/t/{resource.thread_id}" if resource.thread_id else ""  # type: ignore[attr-defined]
    else:
        discussion = f"/library/{resource.id}#comments"
    return ResourceOut(
        id=resource.id,
        title=resource.title,
        description_html=resource.description_html,
        kind=str(resource.kind),  # type: ignore[arg-type]
        url=resource.url or None,
        download_url=f"/library/{resource.id}/file" if is_file else None,
        file_name=resource.file_name if is_file else None,
        file_type=resource.file_type if is_file else None,
        file_size=resource.file_size if is_file else None,
        content_type=file_type.content_type if file_type else None,
        languages=list(resource.languages),
        country=resource.country,
        stages=list(resource.stages),
        tags=list(resource.tags),
        publisher=resource.publisher,
        year=resource.year,
        last_reviewed=resource.last_reviewed,
        group=group.slug if group is not None else None,
        audience=str(resource.audience) if group is None else None,  # type: ignore[arg-type]
        translation_of=_ref(family.original) if family.original is not None else None,
        translations=[_ref(r) for r in family.versions if r.id != resource.translation_of_id],  # type: ignore[attr-defined]
        discussion_url=discussion,
        created_by=PersonOut(username=creator.username, name=creator.name) if creator is not None else None,
        created_at=resource.created_at,
        updated_at=resource.updated_at,
    )


@dataclass
class LibraryPage:
    query: LibraryQuery
    items: list[Resource]
    families: dict[int, Family]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    pages: int
    total: int
    group: Group | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def facet_out(self, locale: str) -> dict[str, list[FacetCountOut]]:
        return {
            facet: [FacetCountOut(value=v, label=facet_label(facet, v, locale), count=n) for v, n in values]
            for facet, values in self.facets.items()
        }


def _words_filter(text: str) -> Q:
    """The ILIKE fallback (databases without FTS5): every word somewhere in the resource."""
    condition = Q()
    for word in text.split()[:12]:
        condition &= (
            Q(title__icontains=word)
            | Q(description__icontains=word)
            | Q(publisher__icontains=word)
            | Q(
                id__in=Subquery(
                    ResourceFacet.filter(facet="tag", value__icontains=word).values("resource_id")
                )
            )
        )
    return condition


async def list_resources(viewer: Any, query: LibraryQuery) -> LibraryPage:
    """One page of the resources `viewer` may read that match `query`, newest first (or best
    match first when searching), with the count of each facet value among all the matches."""
    qs: QuerySet[Resource] = await visible_resources(viewer)
    group = None
    if query.group:
        group = await Group.get_or_none(slug=query.group.lower())
        qs = qs.filter(group_id=group.id if group is not None else -1)
    for facet in FACETS:
        value = getattr(query, facet)
        if value:
            value = value.upper() if facet == "country" else value.lower() if facet == "language" else value
            qs = qs.filter(
                id__in=Subquery(ResourceFacet.filter(facet=facet, value=value).values("resource_id"))
            )
    ranked: list[int] | None = None
    if query.q:
        ranked = await search.matching_ids(query.q)
        qs = qs.filter(_words_filter(query.q)) if ranked is None else qs.filter(id__in=ranked or [-1])

    total = await qs.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(query.page, pages)
    if ranked:
        # Best match first: the ranking comes from the index, the permission from the query.
        allowed = set(await qs.values_list("id", flat=True))
        ids = [i for i in ranked if i in allowed][(page - 1) * PER_PAGE : page * PER_PAGE]
        rows = {r.id: r for r in await Resource.filter(id__in=ids).prefetch_related("group", "created_by")}
        items = [rows[i] for i in ids if i in rows]
    else:
        items = list(
            await qs.order_by("-created_at", "-id")
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
            .prefetch_related("group", "created_by")
        )
    counts = (
        await ResourceFacet.filter(resource_id__in=Subquery(qs.values("id")))
        .annotate(n=Count("id"))
        .group_by("facet", "value")
        .values("facet", "value", "n")
    )
    facets: dict[str, list[tuple[str, int]]] = {facet: [] for facet in FACETS}
    for row in counts:
        facets.setdefault(row["facet"], []).append((row["value"], row["n"]))
    for values in facets.values():
        values.sort(key=lambda item: (-item[1], item[0]))
        del values[MAX_FACET_VALUES:]
    return LibraryPage(
        query=query,
        items=items,
        families=await families(viewer, items),
        facets=facets,
        page=page,
        pages=pages,
        total=total,
        group=group,
    )
