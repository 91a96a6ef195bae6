"""Mailer interface with three versions chosen by URL: smtp:// (aiosmtplib), file:// (.eml files), memory://."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import email.utils
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from convene.errors import ConfigError


def _clean_header(value: str) -> str:
    # Names and subjects come from members: never let a newline start a new header.
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def new_message_id(domain: str) -> str:
    return email.utils.make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] | None = None

    def build(
        self, sender: str, domain: str, *, message_id: str | None = None, date: datetime | None = None
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = _clean_header(self.to)
        msg["Subject"] = _clean_header(self.subject)
        msg["Date"] = email.utils.format_datetime(date) if date else email.utils.formatdate(localtime=False)
        msg["Message-ID"] = message_id or new_message_id(domain)
        for name, value in (self.headers or {}).items():
            msg[name] = _clean_header(value)
        msg.set_content(self.text)
        if self.html:
            msg.add_alternative(self.html, subtype="html")
        return msg


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    # Each mailer here also has send_raw(sender, recipients, data: bytes) for a message already in
    # wire form; the outbox uses it when a mailer has it (digest/outbox.py).

    async def close(self) -> None: ...


class MemoryMailer:
    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.outbox.append(message)

    async def send_raw(self, sender: str, recipients: list[str], data: bytes) -> None:
        self.outbox.append(email.message_from_bytes(data, policy=email.policy.default))  # type: ignore[arg-type]

    async def close(self) -> None:
        return None


class FolderMailer:
    """Writes one .eml file per message: the embedded default when no SMTP server is set."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def send(self, message: EmailMessage) -> None:
        await self.send_raw("", [], message.as_bytes())

    async def send_raw(self, sender: str, recipients: list[str], data: bytes) -> None:
        name = f"{uuid.uuid4().hex}.eml"
        tmp = self.folder / f".{name}.tmp"

        def write() -> None:
            tmp.write_bytes(data)
            tmp.replace(self.folder / name)  # atomic: a reader never sees half a message

        await asyncio.to_thread(write)

    async def close(self) -> None:
        return None


class MailError(Exception):
    """Sending failed. `permanent` means retrying will not help (the server said 5xx)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _classify(exc: Exception) -> MailError:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        return MailError(str(exc), permanent=bool(codes) and all(c >= 500 for c in codes))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return MailError(f"{exc.code} {exc.message}", permanent=exc.code >= 500)
    return MailError(f"{type(exc).__name__}: {exc}", permanent=False)


class SMTPMailer:
    """smtp://user:pass@host:port (plain, or STARTTLS when offered; ?starttls=yes|no to force),
    smtps:// for TLS. Keeps up to `pool` connections open and reuses them."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.hostname = parts.hostname or "localhost"
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        starttls = query.get("starttls", ["auto"])[0]
        self.start_tls: bool | None = {"auto": None, "yes": True, "no": False}.get(starttls)
        self.timeout = float(query.get("timeout", ["30"])[0])
        self.pool_size = max(1, int(query.get("pool", ["4"])[0]))
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(self.pool_size)

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )
        await client.connect()
        return client

    async def send(self, message: EmailMessage) -> None:
        await self._with_client(lambda client: client.send_message(message))

    async def send_raw(self, sender: str, recipients: list[str], data: bytes) -> None:
        """Send a message already in wire form (the outbox builds it once, digest/mime.py): no
        parsing and no second flattening, which cost more than the sending itself."""
        await self._with_client(lambda client: client.sendmail(sender, recipients, data))

    async def _with_client(self, send: Callable[[aiosmtplib.SMTP], Awaitable[object]]) -> None:
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                await send(client)
            except aiosmtplib.SMTPServerDisconnected as exc:
                # An idle connection the server closed: one fresh attempt before giving up.
                client = None
                try:
                    client = await self._connect()
                    await send(client)
                except Exception as retry_exc:  # noqa: BLE001
                    await self._discard(client)
                    raise _classify(retry_exc) from exc
            except Exception as exc:  # noqa: BLE001  every failure is classified for the outbox
                if isinstance(exc, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPResponseException):
                    with contextlib.suppress(Exception):
                        await client.rset()  # type: ignore[union-attr]
                    self._idle.append(client)  # type: ignore[arg-type]
                else:
                    await self._discard(client)
                raise _classify(exc) from exc
            self._idle.append(client)

    @staticmethod
    async def _discard(client: aiosmtplib.SMTP | None) -> None:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(Exception):
                await client.quit()


def mailer_from_url(url: str) -> Mailer:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryMailer()
    if scheme == "file":
        return FolderMailer(Path(unquote(urlsplit(url).path)))
    if scheme in ("smtp", "smtps"):
        return SMTPMailer(url)
    raise ConfigError(f"Unknown mail URL scheme {scheme!r}: use smtp://, smtps://, file:// or memory://")
