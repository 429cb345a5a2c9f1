"""The Content-Security-Policy of the GraphiQL page, read from the page itself.

The platform's GraphiQL page (api/http/graphiql_page.py) loads React, GraphiQL and its own
script from the platform, and runs no inline script. The policy allows the script and
stylesheet sources the page names (its own origin for its own paths) and any inline script
by its hash, so it follows the page and nothing else can run on it. Inline styles stay
allowed because GraphiQL's editor sets styles at run time; a style cannot run code.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from html.parser import HTMLParser

from api.http.graphiql_page import graphiql_html


class _PageSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.inline_scripts: list[str] = []
        self._inline: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script":
            src = named.get("src")
            if src:
                self.scripts.append(src)
            else:
                self._inline = []
        elif tag == "link" and (named.get("rel") or "").lower() == "stylesheet":
            href = named.get("href")
            if href:
                self.stylesheets.append(href)

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline is not None:
            self.inline_scripts.append("".join(self._inline))
            self._inline = None


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _source(url: str) -> str:
    # A path on this origin is 'self': a source expression cannot be a bare path.
    return "'self'" if url.startswith("/") and not url.startswith("//") else url


def _unique(sources: list[str]) -> list[str]:
    return list(dict.fromkeys(sources))


def policy_for_page(html: str) -> str:
    page = _PageSources()
    page.feed(html)
    page.close()
    scripts = _unique([*map(_source, page.scripts), *map(_sha256, page.inline_scripts)])
    styles = _unique([*map(_source, page.stylesheets), "'unsafe-inline'"])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(scripts),
            "style-src " + " ".join(styles),
            # GraphiQL's stylesheet carries its images and fonts as data: URLs; its queries
            # go to this same origin, over fetch and (subscriptions) a WebSocket, which
            # 'self' covers.
            "img-src data:",
            "font-src data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


@cache
def graphiql_policy() -> str:
    return policy_for_page(graphiql_html())
