"""Translations: the browser's languages (or the member's own choice) pick the catalogue; Arabic
pages are right-to-left; the compiled catalogues match their sources."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from convene.i18n import LOCALE_DIR, available_locales
from tests.conftest import make_user, signed_in, unique


async def page(live, path: str, language: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=live.url) as client:
        return await client.get(path, headers={"accept-language": language, "accept": "text/html"})


async def test_french_from_accept_language(live):
    r = await page(live, "/", "fr-FR,fr;q=0.9,en;q=0.5")
    assert r.status_code == 200
    assert '<html lang="fr" dir="ltr">' in r.text
    for text in ("Aller au contenu", "Groupes", "Se connecter", "Rejoindre"):
        assert text in r.text
    assert ">Sign in<" not in r.text


async def test_arabic_is_right_to_left(live):
    r = await page(live, "/login", "ar")
    assert '<html lang="ar" dir="rtl">' in r.text
    assert "المجموعات" in r.text  # Groups, in the navigation
    assert "كلمة المرور" in r.text  # Password, on the sign-in form


async def test_error_pages_are_translated(live):
    r = await page(live, f"/{unique('missing-')}", "fr")
    assert r.status_code == 404
    assert "Page introuvable" in r.text and "Aller à la page d'accueil" in r.text


async def test_best_available_language_wins(live):
    regional = await page(live, "/", "fr-CA")
    weighted = await page(live, "/", "de;q=1.0, ar;q=0.8, fr;q=0.5")
    unknown = await page(live, "/", "de-DE, nl;q=0.8")
    assert '<html lang="fr"' in regional.text
    assert '<html lang="ar" dir="rtl"' in weighted.text
    assert '<html lang="en" dir="ltr"' in unknown.text
    assert "Skip to content" in unknown.text


async def test_a_members_own_language_beats_the_browser(live):
    from members.models import User

    user = await make_user(live)

    async def prefer_arabic() -> None:
        await User.filter(id=user.id).update(locale="ar")

    await asyncio.to_thread(live.run, prefer_arabic())
    client = await signed_in(live, user)
    async with client:
        r = await client.get("/", headers={"accept-language": "fr"})
    assert '<html lang="ar" dir="rtl">' in r.text


def test_french_and_arabic_are_available():
    assert {"en", "fr", "ar"} <= set(available_locales())


def test_compiled_catalogues_match_their_sources():
    # A .po edited without `bash scripts/i18n.sh compile` would silently not show up.
    for po_path in sorted(Path(LOCALE_DIR).glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as fh:
            source = read_po(fh)
        expected = io.BytesIO()
        write_mo(expected, source)
        with po_path.with_suffix(".mo").open("rb") as fh:
            compiled = read_mo(fh)
        expected.seek(0)
        rebuilt = read_mo(expected)
        pairs = {(m.id if isinstance(m.id, str) else m.id[0], str(m.string)) for m in rebuilt if m.id}
        have = {(m.id if isinstance(m.id, str) else m.id[0], str(m.string)) for m in compiled if m.id}
        assert pairs == have, f"{po_path.parent.parent.name}: run `bash scripts/i18n.sh compile`"
