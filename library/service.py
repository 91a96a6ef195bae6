"""The library service: add, change and remove resources, discuss them, and read one resource.

Permission rules are in library/access.py; browsing and search in library/browse.py. Each change
writes the resource, its facet rows and its search entry in one transaction. A file is moved to
its content-addressed place just before that transaction and removed again if it fails (or when
the last resource using it goes), so the upload folder holds exactly the files in use.

Discussion: a resource shared in a group gets a thread in that group (its members discuss it
where they already talk); a network-wide resource has its own comments below it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from convene.clock import Clock
from convene.errors import ConveneError, Forbidden, Invalid, NotFound
from convene.markup import plain_text, render_markdown
from forum.access import effective_actor
from forum.models import Group
from library.access import (
    can_edit_resource,
    check_can_add_resource,
    check_can_edit_resource,
    check_signed_in_member,
    get_readable_resource,
    visible_resources,
)
from library.browse import Family, facet_values, families
from library.files import FILE_TYPES, FileStore, FileType, ReceivedFile
from library.models import Audience, Resource, ResourceComment, ResourceFacet, ResourceKind
from library.schemas import ResourceIn, ResourcePatch
from library.search import index_resource, unindex_resource
from members.models import Role

log = logging.getLogger(__name__)

COMMENTS_SHOWN = 200


@dataclass
class ResourceView:
    """One resource as one viewer sees it."""

    resource: Resource
    family: Family
    can_edit: bool
    comments: list[ResourceComment] | None  # None for a group's resource: it has a thread
    can_comment: bool


async def get_resource(viewer: Any, resource_id: int) -> ResourceView:
    resource = await get_readable_resource(viewer, resource_id)
    await resource.fetch_related("group", "created_by")
    comments = None
    if resource.group_id is None:  # type: ignore[attr-defined]
        comments = list(
            await ResourceComment.filter(resource_id=resource.id)
            .order_by("created_at", "id")
            .limit(COMMENTS_SHOWN)
            .prefetch_related("author")
        )
    family = (await families(viewer, [resource]))[resource.id]
    return ResourceView(
        resource=resource,
        family=family,
        can_edit=await can_edit_resource(viewer, resource),
        comments=comments,
        can_comment=comments is not None and effective_actor(viewer) is not None,
    )


async def _translation_target(viewer: Any, resource_id: int | None, own_id: int | None = None) -> int | None:
    """The original a resource is a language version of. It must exist and be readable by the
    member linking to it; a translation of a translation is linked to the original instead."""
    if resource_id is None:
        return None
    if resource_id == own_id:
        raise Invalid(fields={"translation_of": "A resource cannot be a translation of itself."})
    target = await (await visible_resources(viewer)).filter(id=resource_id).first()
    if target is None:
        raise Invalid(fields={"translation_of": "There is no resource with that number that you can see."})
    root = target.translation_of_id or target.id  # type: ignore[attr-defined]
    if root == own_id:
        raise Invalid(fields={"translation_of": "That resource is already a translation of this one."})
    return root


async def _write_facets(resource: Resource, conn: Any) -> None:
    await ResourceFacet.filter(resource_id=resource.id).using_db(conn).delete()
    rows = [ResourceFacet(resource_id=resource.id, facet=f, value=v) for f, v in facet_values(resource)]
    if rows:
        await ResourceFacet.bulk_create(rows, using_db=conn)


async def _file_in_use(sha256: str) -> bool:
    return bool(sha256) and await Resource.filter(file_sha256=sha256).exists()


async def _forget_file(store: FileStore, sha256: str) -> None:
    if sha256 and not await _file_in_use(sha256):
        store.remove(sha256)


async def _open_thread(actor: Any, resource: Resource, group: Group, clock: Clock) -> None:
    """The group's discussion of a new resource. Best effort: the resource is saved already."""
    from forum.threads import do_create_thread

    body = f"[{resource.title}](/library/{resource.id})"
    if resource.description:
        body += "\n\n" + resource.description
    try:
        thread = await do_create_thread(
            actor, group, title=plain_text(f"Resource: {resource.title}", 200), body=body[:20000], clock=clock
        )
    except ConveneError:
        log.exception("could not open the discussion thread of resource %s", resource.id)
        return
    await Resource.filter(id=resource.id).update(thread_id=thread.id)
    resource.thread_id = thread.id  # type: ignore[attr-defined]


async def do_create_resource(
    viewer: Any, data: ResourceIn, *, upload: ReceivedFile | None, store: FileStore, clock: Clock
) -> Resource:
    """Add a resource: an uploaded file (already received and checked) or a link."""
    group = None
    if data.group:
        group = await Group.get_or_none(slug=data.group)
        if group is None:
            raise Invalid(fields={"group": "There is no group with that address."})
    actor = await check_can_add_resource(viewer, group)
    url = data.url or ""
    if upload is None and not url:
        raise Invalid(fields={"file": "Choose a file to upload, or give the web address of the resource."})
    if upload is not None and url:
        raise Invalid(fields={"url": "Give either a file or a web address, not both."})
    translation_of = await _translation_target(actor, data.translation_of)
    now = clock.now()
    description = data.description or ""
    if upload is not None:
        store.keep(upload)
    try:
        async with in_transaction() as conn:
            resource = await Resource.create(
                title=data.title,
                description=description,
                description_html=render_markdown(description),
                kind=ResourceKind.FILE if upload is not None else ResourceKind.LINK,
                url=url,
                file_sha256=upload.sha256 if upload else "",
                file_name=upload.file_name if upload else "",
                file_type=upload.file_type.key if upload else "",
                file_size=upload.size if upload else 0,
                languages=data.languages or [],
                country=data.country or "",
                stages=data.stages or [],
                tags=data.tags or [],
                publisher=data.publisher or "",
                year=data.year,
                last_reviewed=data.last_reviewed,
                group=group,
                audience=Audience(data.audience or "members"),
                translation_of_id=translation_of,
                created_by=actor,
                created_at=now,
                updated_at=now,
                using_db=conn,
            )
            await _write_facets(resource, conn)
            await index_resource(resource, using_db=conn)
    except BaseException:
        if upload is not None:
            await _forget_file(store, upload.sha256)
        raise
    if group is not None:
        await _open_thread(actor, resource, group, clock)
    return resource


async def do_update_resource(
    viewer: Any,
    resource_id: int,
    changes: ResourcePatch,
    *,
    upload: ReceivedFile | None,
    store: FileStore,
    clock: Clock,
) -> Resource:
    """Change what was sent (and, for a file resource, replace the file if a new one came)."""
    resource = await Resource.get_or_none(id=resource_id)
    if resource is None:
        raise NotFound("There is no such resource.")
    actor = await check_can_edit_resource(viewer, resource)
    sent = changes.model_fields_set
    is_link = resource.kind == ResourceKind.LINK
    if upload is not None and is_link:
        raise Invalid(fields={"file": "This resource is a link; add the file as a new resource instead."})
    if "url" in sent and not is_link and changes.url:
        raise Invalid(fields={"url": "This resource is a file; it has no web address to change."})
    if "url" in sent and is_link and not changes.url:
        raise Invalid(fields={"url": "Give the web address of the resource."})
    if "translation_of" in sent:
        resource.translation_of_id = await _translation_target(actor, changes.translation_of, resource.id)  # type: ignore[attr-defined]
        if resource.translation_of_id and await Resource.filter(translation_of_id=resource.id).exists():  # type: ignore[attr-defined]
            raise Invalid(
                fields={"translation_of": "Other resources are translations of this one: it is an original."}
            )
    for name in (
        "title",
        "url",
        "languages",
        "country",
        "stages",
        "tags",
        "publisher",
        "year",
        "last_reviewed",
    ):
        if name in sent and (getattr(changes, name) is not None or name in ("year", "last_reviewed")):
            setattr(resource, name, getattr(changes, name))
    if "description" in sent:
        resource.description = changes.description or ""
        resource.description_html = render_markdown(resource.description)
    if "audience" in sent and changes.audience:
        resource.audience = Audience(changes.audience)
    old_sha = resource.file_sha256
    if upload is not None:
        store.keep(upload)
        resource.file_sha256, resource.file_name = upload.sha256, upload.file_name
        resource.file_type, resource.file_size = upload.file_type.key, upload.size
    resource.updated_at = clock.now()
    try:
        async with in_transaction() as conn:
            await resource.save(using_db=conn)
            await _write_facets(resource, conn)
            await index_resource(resource, using_db=conn)
    except BaseException:
        if upload is not None:
            await _forget_file(store, upload.sha256)
        raise
    if upload is not None and old_sha != upload.sha256:
        await _forget_file(store, old_sha)
    await _record_if_moderating(actor, resource, "library.edit", clock)
    return resource


async def _record_if_moderating(actor: Any, resource: Resource, action: str, clock: Clock) -> None:
    """A moderator acting on someone else's resource leaves an audit entry (members/audit.py)."""
    if actor.id == resource.created_by_id:  # type: ignore[attr-defined]
        return
    from members.audit import do_record_audit

    await do_record_audit(
        actor,
        action,
        target_type="resource",
        target_id=resource.id,
        group_id=resource.group_id,  # type: ignore[attr-defined]
        data={"title": resource.title},
        clock=clock,
    )


async def do_delete_resource(viewer: Any, resource_id: int, *, store: FileStore, clock: Clock) -> None:
    """Remove a resource, its comments and (if nothing else uses it) its file. A group thread
    about it stays: it is the group's conversation."""
    resource = await Resource.get_or_none(id=resource_id)
    if resource is None:
        raise NotFound("There is no such resource.")
    actor = await check_can_edit_resource(viewer, resource)
    async with in_transaction() as conn:
        await Resource.filter(translation_of_id=resource.id).using_db(conn).update(translation_of_id=None)
        await resource.delete(using_db=conn)
        await unindex_resource(resource.id, using_db=conn)
    await _forget_file(store, resource.file_sha256)
    await _record_if_moderating(actor, resource, "library.delete", clock)


async def delete_resources_of(user_id: int, store: FileStore) -> int:
    """Account erasure (members/erasure.py): remove every resource a member added. No permission
    check: the caller has checked who may erase the account."""
    resources = await Resource.filter(created_by_id=user_id)
    for resource in resources:
        async with in_transaction() as conn:
            await Resource.filter(translation_of_id=resource.id).using_db(conn).update(translation_of_id=None)
            await resource.delete(using_db=conn)
            await unindex_resource(resource.id, using_db=conn)
        await _forget_file(store, resource.file_sha256)
    return len(resources)


async def get_file(viewer: Any, resource_id: int, store: FileStore) -> tuple[Path, FileType, str]:
    """The stored file of a resource the viewer may read: its path, type and download name."""
    resource = await get_readable_resource(viewer, resource_id)
    file_type = FILE_TYPES.get(resource.file_type)
    if resource.kind != ResourceKind.FILE or file_type is None:
        raise NotFound("This resource is a link, not a file.")
    path = store.path_for(resource.file_sha256)
    if not path.is_file():
        log.error("the file of resource %s (%s) is missing", resource.id, resource.file_sha256)
        raise NotFound("The file of this resource is missing. Please tell the site's administrators.")
    return path, file_type, resource.file_name


# ---- Comments (network-wide resources) ----


async def list_comments(viewer: Any, resource_id: int) -> list[ResourceComment]:
    resource = await get_readable_resource(viewer, resource_id)
    return list(
        await ResourceComment.filter(resource_id=resource.id)
        .order_by("created_at", "id")
        .limit(COMMENTS_SHOWN)
        .prefetch_related("author")
    )


async def do_add_comment(viewer: Any, resource_id: int, *, body: str, clock: Clock) -> ResourceComment:
    actor = check_signed_in_member(viewer, "Please sign in to comment.")
    resource = await get_readable_resource(actor, resource_id)
    if resource.group_id is not None:  # type: ignore[attr-defined]
        raise Invalid(fields={"body": "This resource is discussed in its group's thread."})
    comment = await ResourceComment.create(
        resource=resource, author=actor, body=body, body_html=render_markdown(body), created_at=clock.now()
    )
    comment.author = actor
    return comment


async def do_delete_comment(viewer: Any, comment_id: int, *, clock: Clock) -> int:
    """The comment's author or a site moderator removes a comment. Returns the resource's id."""
    actor = check_signed_in_member(viewer)
    comment = await ResourceComment.get_or_none(id=comment_id)
    if comment is None:
        raise NotFound("That comment does not exist.")
    resource = await get_readable_resource(actor, comment.resource_id)  # type: ignore[attr-defined]
    if comment.author_id != actor.id and not actor.has_role(Role.MODERATOR):  # type: ignore[attr-defined]
        raise Forbidden("Only the comment's author and the site's moderators can remove it.")
    await comment.delete()
    if comment.author_id != actor.id:  # type: ignore[attr-defined]
        from members.audit import do_record_audit

        await do_record_audit(
            actor, "library.comment_delete", target_type="resource", target_id=resource.id, clock=clock
        )
    return resource.id
