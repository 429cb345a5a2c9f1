"""The GraphiQL page and its files, served by the platform itself.

React, react-dom and GraphiQL are the release files of their npm packages, kept with their
licences in api/http/graphiql_assets/ (its README says which versions and how to refresh
them), so the page works offline and loads nothing from another host. The page opens with
the headers editor showing a template of the Authorization header, example operations in
tabs, and a sign-in bar: a browser cannot send a bearer header when it opens a URL, so an
operator signs in on the page, which puts the session into the headers editor.

Each file is named with a digest of its content (`?v=`), so browsers may keep it for a
year and still never run a stale one; gzip is made once per file, when first asked for.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

ASSETS = Path(__file__).parent / "graphiql_assets"
PREFIX = "/graphiql/"
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "loyalty-graphiql.js",
)
STYLESHEETS = ("graphiql.min.css", "loyalty-graphiql.css")
LICENCES = ("LICENSE-graphiql", "LICENSE-react", "LICENSE-react-dom")
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
SERVED = frozenset((*SCRIPTS, *STYLESHEETS, *LICENCES))

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · Loyalty platform</title>
<link rel="icon" href="data:,">
{stylesheets}
</head>
<body>
<form id="login" class="login" autocomplete="on">
<strong>Operators</strong>
<input name="email" type="email" placeholder="email" autocomplete="username" required>
<input name="password" type="password" placeholder="password"
 autocomplete="current-password" required>
<input name="tenant" placeholder="tenant slug (X-Tenant)" autocomplete="off">
<button type="submit">Sign in</button>
<span id="login-status">API keys and member tokens go in the Authorization header
(the headers tab).</span>
</form>
<div id="graphiql">Loading…</div>
{scripts}
</body>
</html>
"""


@cache
def _content(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


@cache
def _gzipped(name: str) -> bytes:
    return gzip.compress(_content(name), compresslevel=9, mtime=0)


def asset_url(name: str) -> str:
    digest = hashlib.sha256(_content(name)).hexdigest()[:16]
    return f"{PREFIX}{name}?v={digest}"


@cache
def graphiql_html() -> str:
    return _PAGE.format(
        stylesheets="\n".join(
            f'<link rel="stylesheet" href="{asset_url(name)}">' for name in STYLESHEETS
        ),
        scripts="\n".join(f'<script src="{asset_url(name)}"></script>' for name in SCRIPTS),
    )


class GraphiQLAssets:
    """GET /graphiql/<file>: only the files the page names, and their licences."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path_params"]["name"]
        if name not in SERVED:
            await Response(status_code=404)(scope, receive, send)
            return
        headers = {
            "cache-control": "public, max-age=31536000, immutable",
            "vary": "accept-encoding",
        }
        body = _content(name)
        if "gzip" in Headers(scope=scope).get("accept-encoding", "") and len(body) > 1024:
            body = _gzipped(name)
            headers["content-encoding"] = "gzip"
        media = _TYPES.get(Path(name).suffix, "text/plain; charset=utf-8")
        await Response(body, media_type=media, headers=headers)(scope, receive, send)
