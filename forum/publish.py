"""After-commit effects of forum changes: a new reply goes to the thread's live room.

Called by routes only after the service's transaction has committed, so a rolled-back reply is
never announced. Without a hub (a bare app, a CLI run) there is simply nobody to tell.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from forum.models import Post, Thread

log = logging.getLogger(__name__)


async def publish_post(request: Request, thread: Thread, post: Post) -> None:
    hub = getattr(request.app.state, "hub", None)
    if hub is None:
        return
    from realtime.rooms import post_frame  # the realtime package is optional for the forum

    room = f"thread:{thread.id}"
    try:
        await hub.publish(room, post_frame(room, post))
    except Exception:  # noqa: BLE001  the reply is saved; live delivery is best effort
        log.exception("could not announce post %s to %s", post.id, room)


async def announce_membership_change(request: Request, group_id: int, user_id: int) -> None:
    """After a member left or was removed: if they can no longer read the group, every live
    subscription they hold under it (chat, thread pages) ends at once, in every process."""
    hub = getattr(request.app.state, "hub", None)
    if hub is None:
        return
    from forum.access import get_access
    from forum.models import Group
    from members.models import User

    group = await Group.get_or_none(id=group_id)
    user = await User.get_or_none(id=user_id)
    if group is not None and user is not None and (await get_access(user, group)).can_read:
        return
    try:
        await hub.revoke(user_id, f"group:{group_id}")
    except Exception:  # noqa: BLE001  the change is saved; the next frame is checked anyway
        log.exception("could not revoke live access of user %s to group %s", user_id, group_id)
