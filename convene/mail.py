"""Mailer interface with three versions chosen by URL: smtp:// (aiosmtplib), file:// (.eml files), memory://."""

from __future__ import annotations

import asyncio
import email.utils
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from convene.errors import ConfigError


def _clean_header(value: str) -> str:
    # Names and subjects come from members: never let a newline start a new header.
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] | None = None

    def build(self, sender: str, domain: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = _clean_header(self.to)
        msg["Subject"] = _clean_header(self.subject)
        msg["Date"] = email.utils.formatdate(localtime=False)
        msg["Message-ID"] = email.utils.make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
        for name, value in (self.headers or {}).items():
            msg[name] = _clean_header(value)
        msg.set_content(self.text)
        if self.html:
            msg.add_alternative(self.html, subtype="html")
        return msg


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    async def close(self) -> None: ...


class MemoryMailer:
    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.outbox.append(message)

    async def close(self) -> None:
        return None


class FolderMailer:
    """Writes one .eml file per message: the embedded default when no SMTP server is set."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def send(self, message: EmailMessage) -> None:
        name = f"{uuid.uuid4().hex}.eml"
        tmp = self.folder / f".{name}.tmp"
        data = message.as_bytes()

        def write() -> None:
            tmp.write_bytes(data)
            tmp.replace(self.folder / name)  # atomic: a reader never sees half a message

        await asyncio.to_thread(write)

    async def close(self) -> None:
        return None


class SMTPMailer:
    """smtp://user:pass@host:port (plain, or STARTTLS when offered), smtps:// for TLS."""

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

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )

    async def close(self) -> None:
        return None


def mailer_from_url(url: str) -> Mailer:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryMailer()
    if scheme == "file":
        return FolderMailer(Path(unquote(urlsplit(url).path)))
    if scheme in ("smtp", "smtps"):
        return SMTPMailer(url)
    raise ConfigError(f"Unknown mail URL scheme {scheme!r}: use smtp://, smtps://, file:// or memory://")
