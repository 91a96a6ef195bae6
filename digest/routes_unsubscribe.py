"""One-click unsubscribe: GET /email/unsubscribe/{token} shows a button and changes nothing; POST
(from that button, or from a mail provider's List-Unsubscribe-Post, with no cookies) unsubscribes.
This path is exempt from CSRF checks in convene/app.py: the signed token is the proof."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digest.unsubscribe import do_unsubscribe_by_link, get_unsubscribe_link
from members.responses import render

PATH_PREFIX = "/email/unsubscribe/"


def is_unsubscribe_path(path: str) -> bool:
    """For RequestGuard's csrf_exempt: this one path, nothing else."""
    return path.startswith(PATH_PREFIX) and "/" not in path[len(PATH_PREFIX) :]


async def unsubscribe(request: Request) -> Response:
    secret = request.app.state.settings.secret_key
    token = request.path_params["token"]
    if request.method == "GET":
        link = await get_unsubscribe_link(secret, token)
        return render(request, "digest/unsubscribe.html", {"link": link, "done": False})
    # The body (List-Unsubscribe=One-Click, as form-data or urlencoded) needs no reading: the
    # token says who and what, and a POST is the one-click confirmation.
    link = await do_unsubscribe_by_link(secret, token, request.app.state.clock)
    return render(request, "digest/unsubscribe.html", {"link": link, "done": True})


routes = [Route(PATH_PREFIX + "{token}", unsubscribe, methods=["GET", "POST"], name="unsubscribe")]
