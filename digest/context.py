"""What digest services need from the running site, gathered once: settings, clock, templates and
the outbox. The web app, the scheduler job and the `convene digest` commands each build one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from convene.clock import Clock
from convene.settings import Settings


@dataclass(frozen=True)
class Mailroom:
    settings: Settings
    clock: Clock
    templates: Any  # convene.templating.Templates: render_string(name, context, locale)
    outbox: Any  # digest.outbox.Outbox

    @classmethod
    def of_app(cls, app: Any) -> Mailroom:
        state = app.state
        return cls(state.settings, state.clock, state.templates, state.outbox)

    @property
    def host(self) -> str:
        return urlsplit(self.settings.base_url).hostname or "localhost"

    def url(self, path: str) -> str:
        return self.settings.base_url + path

    def locale_of(self, member_locale: str | None) -> str:
        from convene.i18n import available_locales

        if member_locale and member_locale in available_locales():
            return member_locale
        return self.settings.default_locale
