"""create_app(settings) -> Starlette. The lifespan opens the database, mailer and templates."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from convene import __version__
from convene.clock import Clock, SystemClock
from convene.db import DBContextMiddleware, close_db, current_db, open_db
from convene.errors import (
    ConveneError,
    handle_convene_error,
    handle_http_exception,
    handle_server_error,
)
from convene.lease import JobLease
from convene.mail import mailer_from_url
from convene.scheduler import Scheduler
from convene.security import Passwords, RequestGuard, SecurityHeadersMiddleware
from convene.settings import Settings
from convene.templating import Templates
from digest.health import failure_hook
from digest.outbox import Outbox
from digest.routes_unsubscribe import is_unsubscribe_path
from forum.notifications import NotificationCountMiddleware
from library.forms import upload_body_limit
from members.sessions import ConveneAuthBackend
from realtime.backplane import backplane_from_url, site_namespace
from realtime.fastpath import RawSendMiddleware
from realtime.hub import Hub, Limits

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def collect_routes() -> list[BaseRoute]:
    from consultations.routes import routes as consultation_routes
    from convene.routes import routes as kernel_routes
    from digest.routes import routes as digest_routes
    from forum.routes import routes as forum_routes
    from library.routes import routes as library_routes
    from members.routes import routes as member_routes
    from messages.routes import routes as messages_routes
    from realtime.pages import routes as chat_page_routes
    from realtime.routes import routes as realtime_routes

    return [
        *kernel_routes,
        *member_routes,
        *forum_routes,
        *realtime_routes,
        *chat_page_routes,
        *consultation_routes,
        *library_routes,
        *messages_routes,
        *digest_routes,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def scheduled_jobs(app: Starlette) -> list[tuple[str, Any]]:
    """Every job the scheduler runs, in order. Each is idempotent (see convene/scheduler.py)."""
    from consultations.notices import run_consultation_notices
    from digest.jobs import digest_jobs
    from messages.notify import do_send_message_emails

    # Consultation notices queue email, so they run before the outbox delivers in the same pass.
    return [
        ("consultations", lambda: run_consultation_notices(app)),
        # Digests, instant notification emails and newsletters queue email too (digest/jobs.py).
        *digest_jobs(app),
        # Batched email about unread direct messages (messages/notify.py).
        ("direct_messages", lambda: do_send_message_emails(app)),
        ("outbox", app.state.outbox.deliver_due),
    ]


def create_app(settings: Settings, *, clock: Clock | None = None, run_migrations: bool = True) -> Starlette:
    settings = settings.resolved()
    clock = clock or SystemClock()
    # Built here, not at start-up: a malformed CONVENE_BACKPLANE_URL is a ConfigError before serving.
    backplane = backplane_from_url(settings.backplane_url, site_namespace(settings.database_url))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = await open_db(settings.database_url, run_migrations=run_migrations)
        app.state.loop = asyncio.get_running_loop()
        app.state.mailer = mailer_from_url(settings.mail_url)
        app.state.outbox = Outbox(
            app.state.mailer,
            clock,
            sender=settings.mail_from,
            base_url=settings.base_url,
            concurrency=settings.mail_concurrency,
        )
        # Repeated permanent refusals mark a member's address failing (digest/health.py).
        app.state.outbox.on_permanent_failure.append(failure_hook(clock))
        # Of several worker processes, one runs the scheduled jobs at a time (convene/lease.py).
        lease = JobLease(clock, max(120.0, 4 * settings.scheduler_interval))
        app.state.scheduler = Scheduler(settings.scheduler_interval, lease=lease)
        for name, job in scheduled_jobs(app):
            app.state.scheduler.add(name, job)
        limits = Limits(
            max_frame_bytes=settings.ws_max_frame_bytes,
            queue_frames=settings.ws_queue_frames,
            rate_per_second=settings.ws_rate_per_second,
            rate_burst=settings.ws_rate_burst,
        )
        app.state.hub = Hub(backplane, limits)
        await app.state.hub.start()
        # Everything loaded so far lives as long as the process: freeze it out of the garbage
        # collector's sight and collect less often. Measured (bench/chat_fanout.py): full
        # collections of 140-370 ms were the tail of chat delivery; p99 at 20 msgs/s fell from
        # 219 ms to 33 ms.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 10, 10)
        try:
            with app.state.db:
                app.state.scheduler.start()
                yield
        finally:
            with current_db(app.state.db):  # stopping gives the scheduler lease back, in the database
                await app.state.scheduler.stop()
            await app.state.outbox.wait_idle()
            await app.state.hub.stop()
            await app.state.mailer.close()
            await close_db(app.state.db)

    app = Starlette(
        routes=collect_routes(),
        middleware=[
            # Outermost: keeps the server's own send for /ws's direct fan-out (realtime/fastpath.py).
            Middleware(RawSendMiddleware),
            Middleware(DBContextMiddleware),
            Middleware(SecurityHeadersMiddleware),
            Middleware(
                RequestGuard,
                max_body_bytes=settings.max_body_bytes,
                secure_cookies=settings.secure_cookies,
                # Library uploads (library/forms.py) may be larger than any other request.
                body_limit_for=lambda path: upload_body_limit(settings, path),
                # One-click unsubscribe (RFC 8058): mail providers POST without cookies; the signed
                # token in the path is the proof (digest/routes_unsubscribe.py).
                csrf_exempt=is_unsubscribe_path,
            ),
            Middleware(AuthenticationMiddleware, backend=ConveneAuthBackend()),
            # After sign-in is known: the unread notification count base.html shows (one COUNT).
            Middleware(NotificationCountMiddleware),
        ],
        exception_handlers={
            ConveneError: handle_convene_error,
            HTTPException: handle_http_exception,
            Exception: handle_server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.version = __version__
    app.state.templates = Templates(settings.site_name, settings.default_locale, clock)
    app.state.passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
    return app


def create_app_from_env() -> Starlette:
    """Entry point for `uvicorn --factory` worker processes (the CLI has already migrated)."""
    return create_app(Settings.from_env(), run_migrations=False)
