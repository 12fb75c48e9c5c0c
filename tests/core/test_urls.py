"""``core.urls.safe_external_url`` and ``{% external_link %}``: only http(s) URLs become links."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from casebridge.core.urls import safe_external_url

SAFE = [
    "http://prometheus.example:9090/graph?g0.expr=up",
    "https://grafana.example/d/abc?orgId=1&from=now-1h",
    "HTTPS://EXAMPLE.COM/",
]
UNSAFE = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/relative/path",
    "http:/\\evil.example",
    "http://",
    "https:///nohost",
    "ftp://files.example/a",
    "http://[::1",
    "",
    "x" * 2000,
    None,
    42,
]


@pytest.mark.parametrize("url", SAFE)
def test_http_and_https_urls_are_kept(url: str) -> None:
    assert safe_external_url(url) == url


@pytest.mark.parametrize("url", UNSAFE)
def test_anything_else_is_refused(url: object) -> None:
    assert safe_external_url(url) is None


def render(url: object, text: str = "High <error> rate") -> str:
    template = Template("{% load external_links %}{% external_link url text %}")
    return template.render(Context({"url": url, "text": text}))


def test_the_tag_links_a_safe_url_and_escapes_both() -> None:
    out = render('https://grafana.example/d/a?x=1&y="2"')
    assert out == (
        '<a href="https://grafana.example/d/a?x=1&amp;y=&quot;2&quot;" '
        'rel="noopener noreferrer nofollow">High &lt;error&gt; rate</a>'
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "", None])
def test_the_tag_shows_only_the_text_for_a_refused_url(url: object) -> None:
    assert render(url) == "High &lt;error&gt; rate"
