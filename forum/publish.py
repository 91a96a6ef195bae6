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
