"""The `convene` command: serve the site, apply migrations, seed the demo network, create accounts.

Every command reads the settings once (Settings.from_env()) and does its database work inside a
database context of its own, through the same service functions the web pages use.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, TextIO, TypeVar

from convene.clock import SystemClock
from convene.errors import ConfigError, ConveneError
from convene.settings import Settings

T = TypeVar("T")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class CommandError(Exception):
    """A problem the person at the terminal can fix; printed without a traceback."""


async def _in_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Open the database (applying pending migrations), run `work` inside its context, close it."""
    from convene.db import close_db, open_db

    ctx = await open_db(settings.database_url)
    try:
        with ctx:
            return await work()
    finally:
        await close_db(ctx)


def _run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(_in_db(settings, work))


def _describe(exc: ConveneError) -> str:
    # Field messages say exactly what to fix ("Use at least 10 characters."); name the option.
    lines = [exc.message]
    lines += [f"  --{name.replace('_', '-')}: {message}" for name, message in exc.fields.items()]
    return "\n".join(lines)


# --- migrate -------------------------------------------------------------------------------------


def cmd_migrate(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from convene.db import migrate

    asyncio.run(migrate(settings.database_url))
    print(f"The database is up to date ({_safe_url(settings.database_url)}).", file=out)
    return 0


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


# --- user create ---------------------------------------------------------------------------------


def _read_password(args: argparse.Namespace, stdin: TextIO) -> str:
    if args.password_stdin:
        line = stdin.readline()
        if not line:
            raise CommandError("--password-stdin was given but nothing was read from standard input.")
        return line.rstrip("\r\n")
    if not stdin.isatty():
        raise CommandError(
            "No terminal to ask for a password: give it on standard input with --password-stdin."
        )
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password (again): ")
    if first != second:
        raise CommandError("The two passwords do not match; nothing was created.")
    return first


def cmd_user_create(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from convene.errors import Invalid
    from convene.security import Passwords
    from members.models import Role
    from members.schemas import clean_email
    from members.service import do_create_user

    try:
        # The same address rule as the registration form, checked before asking for a password.
        email = clean_email(args.email)
    except ValueError as exc:
        raise Invalid(fields={"email": str(exc)}) from None
    password = _read_password(args, sys.stdin)
    # The same Argon2id cost as the running site, so the hash needs no upgrade at first sign-in.
    passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)

    async def create() -> Any:
        return await do_create_user(
            email=email,
            name=args.name,
            password=password,
            passwords=passwords,
            clock=SystemClock(),
            role=Role(args.role),
            username=args.username,
            terms_accepted=False,
        )

    user = _run(settings, create)
    print(f"Created {user.role} {user.name} <{user.email}> with username {user.username}.", file=out)
    return 0


# --- demo ----------------------------------------------------------------------------------------


def cmd_demo(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from convene.demo import DemoAlreadySeeded, seed_demo

    async def seed() -> Any:
        return await seed_demo(settings, seed=args.seed)

    try:
        logins = _run(settings, seed)
    except DemoAlreadySeeded as exc:
        raise CommandError(str(exc)) from None
    print(logins.summary(), file=out)
    return 0


# --- serve ---------------------------------------------------------------------------------------


def _serve_settings(settings: Settings, host: str, port: int) -> Settings:
    """Links in emails and the printed address follow --host/--port unless CONVENE_BASE_URL says
    otherwise (behind a proxy it must: the public address is not the one we listen on)."""
    if settings.base_url != Settings.base_url or (host, port) == (DEFAULT_HOST, DEFAULT_PORT):
        return settings
    shown = DEFAULT_HOST if host in ("0.0.0.0", "::", "") else host  # noqa: S104  a comparison
    shown = f"[{shown}]" if ":" in shown else shown
    return replace(settings, base_url=f"http://{shown}:{port}")


def cmd_serve(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn

    from convene.app import create_app
    from convene.demo import demo_logins_path, read_demo_logins, seed_demo_if_empty
    from realtime.backplane import backplane_from_url

    if args.workers < 1:
        raise CommandError("--workers must be 1 or more.")
    settings = _serve_settings(settings, args.host, args.port)
    # Checked before migrating: a malformed CONVENE_BACKPLANE_URL stops here with a plain message
    # rather than in each worker process's start-up.
    backplane_from_url(settings.backplane_url)

    async def prepare() -> Any:
        return await seed_demo_if_empty(settings) if args.demo else None

    # Migrations run once here, not in each worker, so workers never race to migrate.
    logins = _run(settings, prepare)
    print(f"Convene is serving {settings.base_url}/ (press Ctrl+C to stop)", file=out)
    if args.demo:
        if logins is not None:
            print(logins.summary(), file=out)
        else:
            saved = read_demo_logins(settings)
            if saved:
                print(f"Demo logins (from {demo_logins_path(settings)}):\n{saved}", file=out)
            else:
                print("The database already has accounts, so no demo data was added.", file=out)
    out.flush()

    if args.workers == 1:
        app = create_app(settings, run_migrations=False)
        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            lifespan="on",
            log_level=args.log_level,
            ws_per_message_deflate=settings.ws_compression,
        )
        uvicorn.Server(config).run()
        return 0
    # Worker processes read the settings from the environment themselves; hand them the
    # base URL this command settled on (the rest they read exactly as we did).
    os.environ["CONVENE_BASE_URL"] = settings.base_url
    uvicorn.run(
        "convene.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="on",
        log_level=args.log_level,
        ws_per_message_deflate=settings.ws_compression,
    )
    return 0


# --- the parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from members.models import Role

    parser = argparse.ArgumentParser(
        prog="convene",
        description="Convene: a server for communities of practice. Settings come from CONVENE_* "
        "environment variables (see the README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="apply migrations and run the web server")
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--demo", action="store_true", help="seed the demo network first if the database has no accounts"
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="seed the demo network into an empty database and exit")
    demo.add_argument("--seed", type=int, default=2024, help="seed for the demo content (default 2024)")
    demo.set_defaults(handler=cmd_demo)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(handler=cmd_migrate)

    user = commands.add_parser("user", help="manage accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = user_commands.add_parser("create", help="create an active account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="the person's full name, as others will see it")
    create.add_argument("--role", default=Role.MEMBER.value, choices=[r.value for r in Role])
    create.add_argument("--username", default=None, help="(default: made from the name)")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of prompting",
    )
    create.set_defaults(handler=cmd_user_create)

    from digest.commands import add_digest_commands  # `convene digest send-due | preview`

    add_digest_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        return args.handler(settings, args, sys.stdout)
    except ConfigError as exc:
        print(f"convene: configuration error: {exc}", file=sys.stderr)
        return 2
    except ConveneError as exc:
        print(f"convene: {_describe(exc)}", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"convene: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
