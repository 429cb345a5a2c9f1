"""A request sent by a browser page: its `Origin`, and what resolving its credential decided.

api/http/cors.py makes one for every /graphql request that carries an `Origin` header; resolving
the principal (api/auth/principal.py) refuses the credentials a page on that origin may not
use and says whether the tenant allows the origin, which decides whether the answer carries
`Access-Control-Allow-Origin` (and so whether the page may read it).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

SCOPE_KEY = "loyalty.browser"


@dataclass(slots=True)
class BrowserCall:
    origin: str
    # The platform's own origin (the console, GraphiQL): a same-origin call, which every
    # credential may make and which needs no CORS headers.
    own: bool
    # The resolved tenant allows the origin: the page may read the answer.
    allowed: bool = False


def browser_call(scope: Scope) -> BrowserCall | None:
    call: BrowserCall | None = scope.get(SCOPE_KEY)
    return call
