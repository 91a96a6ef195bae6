"""Build an outgoing email straight to wire format (bytes with CRLF line ends), for the outbox.

The standard library's EmailMessage parses every header it is given, picks an encoding by trying
several, then flattens the whole tree again when it is sent: about 7 ms for a 30 KB digest here,
more than sending it. This builds the same message (RFC 5322 headers, RFC 2047 encoded words for
anything not ASCII, multipart/alternative with a text and an HTML part) in a fraction of that, with
the C encoders of binascii. tests/digest/test_mime.py checks that the standard parser reads back
exactly what convene.mail.OutgoingEmail would have built.

Choices that keep digests small: the HTML part is made pure ASCII (characters outside ASCII become
numeric character references, which every HTML reader understands) so it travels as 7bit, without
quoted-printable turning each `=` of the inline styles into `=3D`; the text part is 7bit when it is
ASCII, quoted-printable when mostly Latin, base64 when mostly another script.
"""

from __future__ import annotations

import binascii
import email.utils
import secrets
from datetime import datetime
from email.header import Header
from functools import lru_cache

CRLF = "\r\n"
MAX_LINE = 998  # RFC 5322: a line may not be longer, whatever the encoding


def clean_header(value: str) -> str:
    """One line, single spaces: a newline in a member's name or a subject never starts a header
    (the same rule as convene.mail)."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def _fold(name: str, value: str) -> str:
    """An ASCII header folded at spaces into lines of about 78 characters; a long word (a link)
    stays whole on its line, which is allowed up to 998."""
    lines, line = [], f"{name}:"
    for word in value.split(" "):
        if len(line) + 1 + len(word) > 78 and line.strip() and not line.endswith(":"):
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return CRLF.join(lines)


def _header(name: str, value: str) -> str:
    value = clean_header(value)
    if value.isascii():
        return f"{name}: {value}" if len(name) + 2 + len(value) <= 78 else _fold(name, value)
    # RFC 2047 encoded words, folded into lines of at most 78 characters.
    return f"{name}: " + Header(value, "utf-8", header_name=name).encode(linesep=CRLF)


@lru_cache(maxsize=64)
def _address(value: str) -> str:
    """A mailbox ("Name <addr@host>") with its display name quoted or encoded as needed."""
    name, addr = email.utils.parseaddr(clean_header(value))
    if not addr:
        return clean_header(value)
    if not addr.isascii():  # an internationalised address (SMTPUTF8): the name is encoded alone
        return f"{Header(name, 'utf-8').encode()} <{addr}>" if name else addr
    return email.utils.formataddr((name, addr), charset="utf-8")


def _phrase_id(value: str) -> str:
    """A List-Id value: `"Site digest" <digest.host>`, the phrase encoded when not ASCII."""
    value = clean_header(value)
    phrase, sep, rest = value.rpartition("<")
    if not sep or phrase.isascii():
        return value
    return Header(phrase.strip().strip('"'), "utf-8").encode() + " <" + rest


def _lines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", CRLF)


def _body(text: str, *, html: bool) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, encoded body with CRLF line ends)."""
    text = _lines(text)
    if not text.endswith(CRLF):
        text += CRLF  # as the standard library does: a text part ends with a line end
    if html and not text.isascii():
        text = text.encode("ascii", "xmlcharrefreplace").decode("ascii")
    if text.isascii() and max(map(len, text.split(CRLF))) <= MAX_LINE:
        return "7bit", text.encode("ascii")
    data = text.encode("utf-8")
    non_ascii = len(data) - len(text.encode("ascii", "ignore"))
    if non_ascii * 3 > len(data):
        encoded = binascii.b2a_base64(data, newline=False)
        return "base64", CRLF.encode().join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    # b2a_qp keeps the input's line ends, and uses LF for its own soft breaks when there are none.
    encoded = binascii.b2a_qp(data, istext=True).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return "quoted-printable", encoded


def _part_headers(subtype: str, text: str) -> tuple[str, bytes]:
    cte, body = _body(text, html=subtype == "html")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"  # base64 lines: the last one still ends before the next delimiter
    return f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: {cte}', body


def wire_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    headers: dict[str, str] | None,
    message_id: str,
    date: datetime,
) -> bytes:
    """The whole message as bytes, ready for SMTP DATA (the client does the dot-stuffing)."""
    lines = [
        f"From: {_address(sender)}",
        f"To: {_address(to)}",
        _header("Subject", subject),
        f"Date: {email.utils.format_datetime(date)}",
        f"Message-ID: {clean_header(message_id)}",
    ]
    for name, value in (headers or {}).items():
        name = clean_header(name).replace(":", "").replace(" ", "-")
        lines.append(f"{name}: {_phrase_id(value)}" if name.lower() == "list-id" else _header(name, value))
    lines.append("MIME-Version: 1.0")
    # An address with a non-ASCII local part can only travel as UTF-8 (SMTPUTF8); all else is ASCII.
    charset = "ascii" if to.isascii() and sender.isascii() else "utf-8"
    if html is None:
        head, body = _part_headers("plain", text)
        return (CRLF.join([*lines, head]) + CRLF + CRLF).encode(charset) + body
    boundary = "===============" + secrets.token_hex(10) + "=="
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    out = [(CRLF.join(lines) + CRLF + CRLF).encode(charset)]
    for subtype, content in (("plain", text), ("html", html)):
        head, body = _part_headers(subtype, content)
        # The line end before a delimiter belongs to the delimiter (RFC 2046): hence the extra one.
        out += [f"--{boundary}{CRLF}{head}{CRLF}{CRLF}".encode("ascii"), body, b"\r\n"]
    out.append(f"--{boundary}--{CRLF}".encode("ascii"))
    return b"".join(out)


def envelope_sender(sender: str) -> str:
    """The bare address for MAIL FROM."""
    return email.utils.parseaddr(sender)[1] or sender
