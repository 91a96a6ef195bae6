"""convene.markup.render_markdown is the only sanitiser: hostile Markdown and HTML must come out inert.

Every output is parsed the way a browser parses it (the WHATWG HTML parser that bleach ships) and
checked strictly: only allowed elements, no comments, no event handlers or style attributes, and
every link and image address is http(s), mailto or relative (images: only our own paths).
"""

from __future__ import annotations

import re

import pytest
from bleach._vendor import html5lib

from convene.markup import ALLOWED_TAGS, plain_text, render_markdown

ALLOWED_ATTRS = {"href", "title", "rel", "src", "alt", "start", "align", "class"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see (WHATWG URL parsing: surrounding C0 controls and spaces are
    stripped, tabs and newlines inside are removed), or None for a relative URL."""
    cleaned = re.sub(r"[\t\n\r]", "", value.strip("".join(chr(c) for c in range(0x21))))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def local_name(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def assert_inert(html: str) -> None:
    fragment = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=True)
    for element in fragment.iter():
        if element is fragment:
            continue
        assert isinstance(element.tag, str), f"comment or processing instruction survived: {html!r}"
        namespace = element.tag.partition("}")[0].lstrip("{")
        assert namespace == "http://www.w3.org/1999/xhtml", f"foreign (SVG/MathML) content: {html!r}"
        name = local_name(element.tag)
        assert name in ALLOWED_TAGS, f"<{name}> is not allowed: {html!r}"
        for attr, value in element.attrib.items():
            attr_name = local_name(attr)
            assert not attr_name.startswith("on"), f"event handler {attr_name}: {html!r}"
            assert attr_name in ALLOWED_ATTRS, f"attribute {attr_name} is not allowed: {html!r}"
            if attr_name == "href":
                scheme = url_scheme(value)
                assert scheme is None or scheme in SAFE_SCHEMES, f"unsafe link {value!r}: {html!r}"
            if attr_name == "src":
                cleaned = re.sub(r"[\t\n\r]", "", value.strip())
                assert url_scheme(value) is None, f"image with a scheme {value!r}: {html!r}"
                assert cleaned.startswith("/") and not cleaned.startswith(("//", "/\\")), value
                assert "\\" not in cleaned
            if attr_name == "class":
                assert re.fullmatch(r"mention|language-[A-Za-z0-9_+-]{1,30}", value), value


HOSTILE = [
    # script and event handlers, as raw HTML in Markdown
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<a href='#' onclick='alert(1)'>x</a>",
    # javascript:, vbscript:, data: in links, mixed case, entities, whitespace and newlines
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](&#0000106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](<java\nscript:alert(1)>)",
    "[x](<javascript:alert(1)>)",
    "[x](  javascript:alert(1)  )",
    "[x](\x01javascript:alert(1))",
    "[x](%6A%61vascript:alert(1))",
    "[x](javascript%3Aalert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    "[x](file:///etc/passwd)",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    '[x](https://ok.example "\\" onmouseover=\\"alert(1)")',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    # images
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](https://tracker.example/pixel.gif)",
    "![x](//evil.example/x.png)",
    "![x](/\\evil.example/x.png)",
    '![x](/ok.png "t" onerror="alert(1)")',
    "<img src=/ok.png onerror=alert(1)>",
    # Markdown autolinks and reference-style links
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[a][r]\n\n[r]: javascript:alert(1)",
    '[a][r]\n\n[r]: <javascript:alert(1)> "title"',
    "[a]\n\n[a]: &#106;avascript:alert(1)",
    "![a][img]\n\n[img]: javascript:alert(1)",
    "[a][R]\n\n[r]: data:text/html,x",
    # CSS and style
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width:expression(alert(1))">x</div>',
    "<link rel=stylesheet href=//evil.example/x.css>",
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    # frames, objects, forms, meta
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<button formaction=javascript:alert(1)>go</button>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    '<base href="javascript:/">',
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea></textarea><script>alert(1)</script>",
    # comments, unclosed tags, nesting
    "<!--<script>alert(1)</script>-->",
    "<!-- --!><script>alert(1)</script> -->",
    '<img src="x',
    '<a href="javascript:alert(1)',
    "<div><p><b><i>unclosed",
    "> > > <script>alert(1)</script>\n> > [x](javascript:alert(1))\n> <!-- c -->",
    "> quote\n>> <img src=x onerror=alert(1)>\n>>> ![y](javascript:alert(1))",
    "- item\n  > <svg onload=alert(1)>\n  - [x](vbscript:x)",
    # code: shown as text, and the info string must not escape its class attribute
    "```html\n<script>alert(1)</script>\n```",
    '```"><img src=x onerror=alert(1)>\ncode\n```',
    "```javascript onload=alert(1)\nx\n```",
    "`<img src=x onerror=alert(1)>`",
    # tables with HTML in cells
    "| a | b |\n| - | - |\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    # entity and encoding tricks
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    "<scr\u0000ipt>alert(1)</scr\u0000ipt>",
    "[x](ｊａｖａｓｃｒｉｐｔ:alert(1))",
    "[x](java\u200bscript:alert(1))",
    "\u202e[x](javascript:alert(1))",
    # bare URLs get linked; a javascript: one must not be
    "javascript:alert(1) and www.example.org",
    "see https://www.example.org/a?b=1&c=<script>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_renders_inert(source: str) -> None:
    assert_inert(render_markdown(source))


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_is_inert_even_when_it_is_html_already(source: str) -> None:
    # Someone may paste rendered HTML, or HTML may be rendered twice: still inert.
    assert_inert(render_markdown(render_markdown(source)))


def test_script_text_is_shown_not_run() -> None:
    html = render_markdown("<script>alert(1)</script>")
    assert "&lt;script&gt;" in html
    assert "<script" not in html.lower()


def test_javascript_link_is_not_a_link() -> None:
    for source in ("[x](javascript:alert(1))", "<javascript:alert(1)>", "[a][r]\n\n[r]: javascript:alert(1)"):
        assert "<a " not in render_markdown(source)


def test_remote_images_are_dropped_but_alt_text_stays() -> None:
    html = render_markdown("![a chart](https://tracker.example/pixel.gif)")
    assert "tracker.example" not in html
    assert 'alt="a chart"' in html


def test_benign_markdown_keeps_its_meaning() -> None:
    html = render_markdown(
        "# Housing\n\n"
        "**Bold**, *italic*, ~~gone~~ and `code`.\n\n"
        "1. first\n2. second\n\n"
        "> a quote\n\n"
        "[our guide](https://www.example.org/guide) and [a page here](/groups) "
        "and [mail us](mailto:team@example.org)\n\n"
        "![diagram](/static/diagram.png)\n\n"
        "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n"
        "```python\nprint('hi')\n```\n\n"
        "Bare link: https://www.example.org/faq"
    )
    assert_inert(html)
    for fragment in (
        "<h1>Housing</h1>",
        "<strong>Bold</strong>",
        "<em>italic</em>",
        "<s>gone</s>",
        "<code>code</code>",
        "<ol>",
        "<blockquote>",
        '<a href="https://www.example.org/guide" rel="nofollow noopener noreferrer ugc">our guide</a>',
        '<a href="/groups">a page here</a>',
        'href="mailto:team@example.org"',
        '<img src="/static/diagram.png" alt="diagram">',
        "<table>",
        '<code class="language-python">',
        '<a href="https://www.example.org/faq" rel="nofollow noopener noreferrer ugc">',
    ):
        assert fragment in html, fragment


def test_code_blocks_are_not_linkified() -> None:
    html = render_markdown("```\nhttps://www.example.org/\n```")
    assert "<a " not in html


def test_empty_and_whitespace() -> None:
    assert render_markdown("") == ""
    assert_inert(render_markdown("   \n\n  "))


def test_plain_text_is_one_line_and_limited() -> None:
    assert plain_text("a\n\nb\tc") == "a b c"
    assert plain_text("x" * 50, limit=10) == "x" * 9 + "…"


@pytest.mark.parametrize(
    "raw",
    [
        "<script>alert(1)</script>",
        "<p onclick=alert(1)>x</p>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="VBSCRIPT:x">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<img src="//evil.example/x.png">',
        "<svg><a>x</a></svg>",
        "<p style=color:red>x</p>",
        "<!-- hidden -->",
        "<iframe></iframe>",
    ],
)
def test_the_checker_itself_catches_executable_content(raw: str) -> None:
    # The strict check above is only worth something if it fails on what it looks for.
    with pytest.raises(AssertionError):
        assert_inert(raw)
