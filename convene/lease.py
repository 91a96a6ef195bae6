"""One scheduler at a time: a lease kept in the database.

`convene serve --workers N` starts N processes, each with its own scheduler. Every job is already
safe to run twice at once (claims and unique keys), but running all of them in every process
repeats the work: N processes composing the same 10,000 digests, N-1 of them only to find the
periods taken. The lease makes one process the runner; the others check it each pass and take over
when it expires (its holder stopped or died) or is released (its holder shut down cleanly).

The lease is one row in site_settings, `scheduler.lease`, whose value is
"<expiry, unix seconds, 12 digits>|<holder>". Taking it is a single conditional UPDATE (expired, or
already ours), so two processes can never both win it; the first ever is an INSERT that only one
can make. Time comes from the injectable clock.
"""

from __future__ import annotations

import os
import secrets
import socket

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from convene.clock import Clock

KEY = "scheduler.lease"


def _stamp(seconds: float) -> str:
    return f"{int(seconds):012d}|"


class JobLease:
    def __init__(self, clock: Clock, seconds: float, holder: str | None = None) -> None:
        self.clock = clock
        self.seconds = seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    async def acquire(self) -> bool:
        """Take or renew the lease; False while another holder's lease runs."""
        from members.models import SiteSetting

        now = self.clock.now().timestamp()
        value = _stamp(now + self.seconds) + self.holder
        taken = await SiteSetting.filter(
            Q(key=KEY) & (Q(value__lt=_stamp(now)) | Q(value__endswith=f"|{self.holder}"))
        ).update(value=value)
        if taken:
            return True
        try:
            await SiteSetting.create(key=KEY, value=value)
        except IntegrityError:  # the row exists, held by another process
            return False
        return True

    async def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so another process need not wait it out."""
        from members.models import SiteSetting

        await SiteSetting.filter(key=KEY, value__endswith=f"|{self.holder}").update(value=_stamp(0))

    async def holder_now(self) -> str | None:
        """Who holds the lease at the clock's now, or None."""
        from members.models import SiteSetting

        row = await SiteSetting.get_or_none(key=KEY)
        if row is None or row.value < _stamp(self.clock.now().timestamp()):
            return None
        return row.value.split("|", 1)[1]
