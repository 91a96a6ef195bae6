"""The `convene` command, run as a real subprocess with its own data folder, the way an operator runs it."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Browserish, free_port, start_server

CONVENE = Path(sys.executable).parent / "convene"
ADMIN = "admin@demo.convene.local"
MEMBER = "member@demo.convene.local"


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    env.update(
        CONVENE_DATA_DIR=str(data_dir),
        # The same Argon2id algorithm with a cheaper cost, as the test server uses.
        CONVENE_ARGON2_TIME_COST="1",
        CONVENE_ARGON2_MEMORY_KIB="8192",
        CONVENE_MAIL_URL="memory://",
    )
    return env


def convene(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert CONVENE.exists(), "the console script is missing: pip install -e '.[test]'"
    return subprocess.run(
        [str(CONVENE), *args],
        env=cli_env(data_dir),
        cwd=data_dir.parent,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data folder migrated once by `convene migrate`; tests start from a copy of it, so the
    (CPU-heavy) first migration runs once per module rather than once per command."""
    data = tmp_path_factory.mktemp("template") / "data"
    result = convene(data, "migrate")
    assert result.returncode == 0, result.stderr
    return data


@pytest.fixture
def data(tmp_path, migrated) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(migrated, folder)
    return folder


def database(data_dir: Path) -> str:
    return f"sqlite://{data_dir / 'convene.sqlite3'}"


async def sign_in(url: str, email: str, password: str) -> dict:
    """Sign in through the real form and return what /api/v1/me says about the session."""
    async with Browserish(url) as browser:
        login = await browser.get("/login")
        assert login.status_code == 200
        r = await browser.post_form("/login", {"email": email, "password": password})
        assert r.status_code == 303, r.text
        assert browser.http.cookies.get("convene_session")
        me = await browser.get("/api/v1/me")
        assert me.status_code == 200
        return me.json()


def test_migrate_creates_the_database_and_is_idempotent(tmp_path):
    data = tmp_path / "data"
    first = convene(data, "migrate")
    assert first.returncode == 0, first.stderr
    assert "The database is up to date" in first.stdout
    assert (data / "convene.sqlite3").exists()
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
    again = convene(data, "migrate")
    assert again.returncode == 0, again.stderr


async def test_user_create_then_sign_in_over_http(data):
    created = convene(
        data, "user", "create", "--email", "Lead@Example.org", "--name", "Rosa  Lindqvist", "--role", "admin",
        "--password-stdin", stdin="a long enough passphrase\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "Created admin Rosa Lindqvist <lead@example.org>" in created.stdout
    server = start_server(data, database_url=database(data))
    try:
        me = await sign_in(server.url, "lead@example.org", "a long enough passphrase")
    finally:
        server.stop()
    assert me["name"] == "Rosa Lindqvist"
    assert me["role"] == "admin"


def test_user_create_refuses_a_duplicate_email(data):
    args = ("user", "create", "--email", "sam@example.org", "--name", "Sam Okafor", "--password-stdin")
    assert convene(data, *args, stdin="first password here\n").returncode == 0
    again = convene(data, *args, stdin="second password here\n")
    assert again.returncode == 1
    assert "An account with that email address already exists." in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (("--role", "emperor"), "a long enough passphrase\n", 2, "invalid choice: 'emperor'"),
        ((), "short\n", 1, "--password: Use at least"),
        ((), "", 1, "nothing was read from standard input"),
        (("--name", "   "), "a long enough passphrase\n", 1, "Please enter your name."),
        (("--username", "No Spaces!"), "a long enough passphrase\n", 1, "--username:"),
        (
            ("--email", "not-an-address"),
            "a long enough passphrase\n",
            1,
            "--email: Enter a valid email address",
        ),
    ],
)
def test_user_create_explains_bad_input(data, args, stdin, code, message):
    base = {"--email": "kim@example.org", "--name": "Kim Andersen"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    extra = [x for flag, value in base.items() for x in (flag, value)]
    result = convene(data, "user", "create", *extra, "--password-stdin", stdin=stdin)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_user_create_without_a_terminal_asks_for_password_stdin(tmp_path):
    result = convene(tmp_path / "data", "user", "create", "--email", "a@example.org", "--name", "Ana Silva")
    assert result.returncode == 1
    assert "--password-stdin" in result.stderr


async def test_demo_seeds_and_the_demo_admin_signs_in(data):
    seeded = convene(data, "demo")
    assert seeded.returncode == 0, seeded.stderr
    logins = data / "demo-logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    password = next(
        line.split(":", 1)[1].strip()
        for line in logins.read_text().splitlines()
        if line.startswith("password:")
    )
    assert len(password) >= 12
    assert password in seeded.stdout and ADMIN in seeded.stdout and MEMBER in seeded.stdout

    again = convene(data, "demo")
    assert again.returncode == 1
    assert "already has accounts" in again.stderr

    server = start_server(data, database_url=database(data))
    try:
        admin = await sign_in(server.url, ADMIN, password)
        member = await sign_in(server.url, MEMBER, password)
        async with httpx.AsyncClient(base_url=server.url) as anonymous:
            groups = (await anonymous.get("/api/v1/groups")).json()
            home = await anonymous.get("/")
    finally:
        server.stop()
    assert admin["role"] == "admin"
    assert member["role"] == "member"
    assert {g["name"] for g in groups} == {"Pre-departure orientation", "Reception and integration"}
    assert "Finding housing in a tight rental market" in home.text


def test_a_second_demo_seed_has_a_new_password(tmp_path, migrated):
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(migrated, one)
    shutil.copytree(migrated, two)
    assert convene(one, "demo").returncode == 0
    assert convene(two, "demo").returncode == 0
    assert (one / "demo-logins.txt").read_text() != (two / "demo-logins.txt").read_text()


async def ws_extensions(url: str, password: str) -> str:
    """Sign in as the demo member and open /ws offering permessage-deflate, as browsers do: the
    extensions header of the server's answer says whether compression was accepted."""
    import websockets

    async with Browserish(url) as browser:
        await browser.get("/login")
        r = await browser.post_form("/login", {"email": MEMBER, "password": password})
        assert r.status_code == 303, r.text
        cookie = f"convene_session={browser.http.cookies['convene_session']}"
    ws_url = url.replace("http://", "ws://") + "/ws"
    async with websockets.connect(
        ws_url, origin=url, additional_headers={"Cookie": cookie}, compression="deflate"
    ) as ws:
        return ws.response.headers.get("Sec-WebSocket-Extensions", "")


@pytest.mark.parametrize(("workers", "compression"), [(1, ""), (2, "on")])
def test_serve_with_demo_runs_the_site(tmp_path, data, workers, compression):
    port = free_port()
    env = cli_env(data)
    if compression:
        env["CONVENE_WS_COMPRESSION"] = compression
    process = subprocess.Popen(
        [
            str(CONVENE),
            "serve",
            "--port",
            str(port),
            "--demo",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                pass
            try:  # not listening yet (the demo is being seeded): wait a moment for it, or its exit
                process.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                continue
        assert health is not None and health.status_code == 200, process.poll()
        page = httpx.get(f"{url}/g/reception-and-integration", timeout=10)
        assert page.status_code == 200
        assert "Language course waiting times" in page.text
        password = next(
            line.split(":", 1)[1].strip()
            for line in (data / "demo-logins.txt").read_text().splitlines()
            if line.startswith("password:")
        )
        # WebSocket compression is off unless CONVENE_WS_COMPRESSION turns it on.
        extensions = asyncio.run(ws_extensions(url, password))
        assert ("permessage-deflate" in extensions) == bool(compression), extensions
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert f"Convene is serving {url}/" in out
    assert ADMIN in out and "password:" in out


def interactive(data_dir: Path, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the command on a pseudo-terminal and answer each password prompt as a person would."""
    import pty
    import select

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(CONVENE), *args],
        env=cli_env(data_dir),
        cwd=data_dir.parent,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    seen = b""
    pending = list(answers)
    answered = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # the terminal closed: the command has finished
                    break
                if not chunk:
                    break
                seen += chunk
                # Answer each prompt once it is shown: getpass discards what was typed before it.
                prompts = seen.count(b"Password: ") + seen.count(b"(again): ")
                if pending and prompts > answered:
                    os.write(controller, pending.pop(0).encode() + b"\n")
                    answered += 1
            elif process.poll() is not None:
                break
        code = process.wait(timeout=30)
    finally:
        os.close(controller)
    return code, seen.decode(errors="replace")


def test_user_create_asks_twice_on_a_terminal(data):
    args = ["user", "create", "--email", "tty@example.org", "--name", "Terry Tanaka"]
    code, output = interactive(data, args, ["first passphrase here", "another passphrase"])
    assert code == 1
    assert "Password (again):" in output
    assert "The two passwords do not match; nothing was created." in output
    code, output = interactive(data, args, ["same passphrase here", "same passphrase here"])
    assert code == 0, output
    assert "same passphrase" not in output  # typing is not echoed
    assert "Created member Terry Tanaka <tty@example.org>" in output
