"""Settings: read once from the environment (CONVENE_*) and passed down; no other module reads os.environ."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from convene.errors import ConfigError

REGISTRATION_MODES = ("open", "approval", "invitation")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off (1/0, true/false, yes/no), not {raw!r}")


def _load_or_create_secret(data_dir: Path) -> str:
    """Generate the secret key once and keep it beside the data, readable only by us."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one Convene site. See the README's settings table."""

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    mail_url: str = ""
    mail_from: str = "Convene <convene@localhost>"
    backplane_url: str = "memory://"
    scheduler_interval: float = 30.0
    mail_concurrency: int = 4
    ws_max_frame_bytes: int = 16_384
    ws_queue_frames: int = 512
    ws_rate_per_second: float = 10.0
    ws_rate_burst: int = 30
    # permessage-deflate on /ws. Off: chat frames are small (a few hundred bytes) and compressing
    # each one for each of a room's subscribers costs most of a fan-out's CPU (bench/chat_fanout.py).
    ws_compression: bool = False
    site_name: str = "Convene"
    registration_mode: str = "approval"
    default_locale: str = "en"
    max_body_bytes: int = 1_000_000
    # Files members upload to the resource library (library/files.py); the other bodies keep the
    # small limit above.
    max_upload_bytes: int = 25 * 1024 * 1024
    session_days: int = 14
    login_max_failures: int = 5
    login_window_seconds: int = 900
    password_reset_minutes: int = 60
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.registration_mode not in REGISTRATION_MODES:
            raise ConfigError(f"CONVENE_REGISTRATION_MODE must be one of {', '.join(REGISTRATION_MODES)}")
        scheme = urlsplit(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise ConfigError("CONVENE_BASE_URL must start with http:// or https://")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("CONVENE_DATA_DIR", "var"))
        database_url = env.get("CONVENE_DATABASE_URL") or ""
        smtp = env.get("CONVENE_SMTP_URL") or ""
        mail_url = env.get("CONVENE_MAIL_URL") or smtp
        secret = env.get("CONVENE_SECRET_KEY") or ""
        settings = cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret,
            base_url=env.get("CONVENE_BASE_URL", cls.base_url).rstrip("/"),
            mail_url=mail_url,
            mail_from=env.get("CONVENE_MAIL_FROM", cls.mail_from),
            backplane_url=env.get("CONVENE_BACKPLANE_URL", cls.backplane_url),
            scheduler_interval=float(_int(env, "CONVENE_SCHEDULER_INTERVAL", int(cls.scheduler_interval))),
            mail_concurrency=_int(env, "CONVENE_MAIL_CONCURRENCY", cls.mail_concurrency),
            ws_max_frame_bytes=_int(env, "CONVENE_WS_MAX_FRAME_BYTES", cls.ws_max_frame_bytes),
            ws_queue_frames=_int(env, "CONVENE_WS_QUEUE_FRAMES", cls.ws_queue_frames),
            ws_rate_per_second=float(_int(env, "CONVENE_WS_RATE_PER_SECOND", int(cls.ws_rate_per_second))),
            ws_rate_burst=_int(env, "CONVENE_WS_RATE_BURST", cls.ws_rate_burst),
            ws_compression=_bool(env, "CONVENE_WS_COMPRESSION", cls.ws_compression),
            site_name=env.get("CONVENE_SITE_NAME", cls.site_name),
            registration_mode=env.get("CONVENE_REGISTRATION_MODE", cls.registration_mode),
            default_locale=env.get("CONVENE_DEFAULT_LOCALE", cls.default_locale),
            max_body_bytes=_int(env, "CONVENE_MAX_BODY_BYTES", cls.max_body_bytes),
            max_upload_bytes=_int(env, "CONVENE_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            session_days=_int(env, "CONVENE_SESSION_DAYS", cls.session_days),
            login_max_failures=_int(env, "CONVENE_LOGIN_MAX_FAILURES", cls.login_max_failures),
            login_window_seconds=_int(env, "CONVENE_LOGIN_WINDOW_SECONDS", 900),
            argon2_time_cost=_int(env, "CONVENE_ARGON2_TIME_COST", cls.argon2_time_cost),
            argon2_memory_kib=_int(env, "CONVENE_ARGON2_MEMORY_KIB", cls.argon2_memory_kib),
        )
        return settings.resolved()

    def resolved(self) -> Settings:
        """Fill the defaults that depend on the data folder: database file, mail folder, secret."""
        changes: dict[str, object] = {}
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            changes["database_url"] = f"sqlite://{self.data_dir / 'convene.sqlite3'}"
        if not self.mail_url:
            changes["mail_url"] = f"file://{(self.data_dir / 'mail').resolve()}"
        if not self.secret_key:
            changes["secret_key"] = _load_or_create_secret(self.data_dir)
        return replace(self, **changes) if changes else self
