"""digest/mime.py builds email bytes by hand for speed: the standard parser must read back exactly
what convene.mail.OutgoingEmail (the standard library's builder) would have sent."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from html import unescape

import pytest

from convene.mail import OutgoingEmail
from digest.mime import wire_message

WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CASES = [
    (
        "ascii",
        "Convene <convene@localhost>",
        "Your weekly digest",
        "Hello,\n\nNothing much.\n",
        "<p>Hello</p>",
    ),
    (
        "latin",
        "Réseau Européen <reseau@example.org>",
        "Résumé de la semaine : 3 fils",
        "Bonjour Zoë,\n\nVoici les nouveautés…\n" + "é" * 200 + "\n",
        "<p>Bonjour Zoë · café</p>\n" + "<p>x</p>" * 300,
    ),
    (
        "arabic",
        "Convene <convene@localhost>",
        "ملخص الأسبوع: ٣ مواضيع جديدة",
        "مرحبا،\n\n" + "هذا نص عربي طويل " * 80 + "\n",
        '<p dir="rtl">مرحبا</p>',
    ),
    (
        "long lines",
        "Convene <convene@localhost>",
        "A " * 70 + "very long subject",
        "x" * 1500 + "\n. a line starting with a dot\nFrom the start\n",
        "<p>" + "y" * 3000 + "</p>",
    ),
    ("text only", "Convene <convene@localhost>", "Plain", "Just text.\r\nWith CRLF.\r\n", None),
    ("injection", "Convene <convene@localhost>", "Hi\r\nBcc: victim@example.org", "Body\n", "<p>Body</p>"),
]


@pytest.mark.parametrize(("label", "sender", "subject", "text", "html"), CASES, ids=[c[0] for c in CASES])
def test_the_parser_reads_back_what_the_standard_library_would_send(label, sender, subject, text, html):
    headers = {
        "List-Id": '"Réseau digest" <digest.example.org>'
        if label == "latin"
        else '"Convene digest" <digest.example.org>',
        "List-Unsubscribe": "<https://example.org/email/unsubscribe/" + "t" * 90 + ">",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    ours = email.message_from_bytes(
        wire_message(
            sender=sender,
            to="a@example.org",
            subject=subject,
            text=text,
            html=html,
            headers=headers,
            message_id="<abc@example.org>",
            date=WHEN,
        ),
        policy=email.policy.default,
    )
    theirs = OutgoingEmail("a@example.org", subject, text, html, headers).build(
        sender, "example.org", message_id="<abc@example.org>", date=WHEN
    )
    theirs = email.message_from_bytes(
        theirs.as_bytes(policy=email.policy.SMTPUTF8), policy=email.policy.default
    )
    for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert str(ours[name]) == str(theirs[name]), name
    # The list's name is encoded on its own, so its id stays plain ASCII for filters.
    assert str(ours["List-Id"]).replace('"', "") == str(theirs["List-Id"]).replace('"', "")
    assert str(ours["List-Id"]).endswith(" <digest.example.org>")
    assert ours["Bcc"] is None
    # Base64 text keeps canonical CRLF line ends (RFC 2045), which readers show as line breaks.
    plain = ours.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain == theirs.get_body(("plain",)).get_content().replace("\r\n", "\n")
    if html is None:
        assert not ours.is_multipart() and ours.get_content_type() == "text/plain"
    else:
        assert ours.get_content_type() == "multipart/alternative"
        # Characters outside ASCII arrive as character references: the same HTML to any reader.
        assert unescape(ours.get_body(("html",)).get_content()) == unescape(
            theirs.get_body(("html",)).get_content()
        )
    raw = wire_message(
        sender=sender,
        to="a@example.org",
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        message_id="<abc@example.org>",
        date=WHEN,
    )
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_an_address_outside_ascii_travels_as_utf8():
    raw = wire_message(
        sender="Convene <convene@localhost>",
        to="zoë@example.org",
        subject="Salut",
        text="Hé",
        html="<p>Hé</p>",
        headers={},
        message_id="<a@b>",
        date=WHEN,
    )
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["To"]) == "zoë@example.org"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Hé\n"
