"""Member-written HTML (already sanitised by convene.markup.render_markdown) made fit for email:
inline styles on each tag, because mail clients ignore style sheets; links made absolute; and no
remote images, which would tell the sender who opened the email and when (a tracking pixel by
another name), so each image becomes a link to it."""

from __future__ import annotations

import re

from markupsafe import Markup

STYLES = {
    "p": "margin:0 0 14px;",
    "h1": "margin:18px 0 8px;font-size:22px;line-height:1.3;",
    "h2": "margin:18px 0 8px;font-size:19px;line-height:1.3;",
    "h3": "margin:16px 0 6px;font-size:17px;line-height:1.3;",
    "h4": "margin:14px 0 6px;font-size:16px;",
    "ul": "margin:0 0 14px;padding-left:22px;",
    "ol": "margin:0 0 14px;padding-left:22px;",
    "li": "margin:0 0 4px;",
    "blockquote": "margin:0 0 14px;padding:4px 12px;border-left:3px solid #c9d3dc;color:#3b4652;",
    "pre": "margin:0 0 14px;padding:10px;background-color:#f3f5f7;border-radius:4px;font-size:14px;"
    "white-space:pre-wrap;word-break:break-word;",
    "code": "font-family:Menlo,Consolas,monospace;font-size:14px;",
    "table": "border-collapse:collapse;margin:0 0 14px;",
    "th": "border:1px solid #dde3e8;padding:4px 8px;text-align:left;",
    "td": "border:1px solid #dde3e8;padding:4px 8px;",
    "hr": "border:0;border-top:1px solid #dde3e8;margin:18px 0;",
    "a": "color:#0b5c8c;",
}
_OPEN_TAG = re.compile(r"<(" + "|".join(STYLES) + r")(?=[\s>/])")
_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def _image_as_link(match: re.Match[str]) -> str:
    attrs = dict(_ATTR.findall(match.group(1)))
    src, alt = attrs.get("src", ""), attrs.get("alt", "") or "image"
    if not src:
        return ""
    # Values come from the sanitiser, already escaped for an attribute: safe to reuse as they are.
    return f'<a href="{src}" style="color:#0b5c8c;">[{alt}]</a>'


def for_email(sanitised_html: str, base_url: str) -> Markup:
    html = _IMG.sub(_image_as_link, sanitised_html or "")
    # Links within the site (mentions: /u/name) must work from a mail client too.
    html = html.replace('href="/', f'href="{base_url}/')
    return Markup(_OPEN_TAG.sub(lambda m: f'<{m.group(1)} style="{STYLES[m.group(1)]}"', html))  # noqa: S704
