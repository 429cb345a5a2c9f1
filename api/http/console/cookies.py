"""The console's cookie credential, and the CSRF rules that let /graphql accept it.

The page never sees its session token: `POST /console/session` (api/http/console/session.py)
puts it in an HttpOnly, SameSite=Strict cookie, and beside it a CSRF token the page can read:
an HMAC of the session token under a key derived from the platform's secret, so it cannot be
made without the session and a cookie an attacker plants cannot match it (a signed double
submit). /graphql takes the cookie as the operator's bearer token only for a POST that sends
no `Authorization` (bearer clients are unaffected), carries the CSRF token in `X-CSRF-Token`,
and comes from the platform's own origin when it names one; otherwise it is refused with
FORBIDDEN. GET requests never use the cookie: a link or an image cannot act as the operator.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import Scope

from api.auth.browser import browser_call
from api.http.cors import own_origin
from api.http.errors import RequestRefused
from api.services import Services
from domain.errors import ErrorCode

SESSION_COOKIE = "lp_console_session"
CSRF_COOKIE = "lp_console_csrf"
CSRF_HEADER = "x-csrf-token"

FOREIGN_ORIGIN = "The console's session is accepted only from the platform's own origin."
CSRF_REFUSED = (
    "The console's session cookie needs the X-CSRF-Token header the console sends: "
    "reload the console, or sign in again."
)


def csrf_token(services: Services, session_token: str) -> str:
    key = hmac.new(services.settings.resolved_secret_key, b"console-csrf", hashlib.sha256)
    return hmac.new(key.digest(), session_token.encode(), hashlib.sha256).hexdigest()


def session_cookie(headers: Headers) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    return cookie_parser(raw).get(SESSION_COOKIE) or None


def refuse_foreign_origin(scope: Scope, headers: Headers, services: Services) -> None:
    """A browser call that names an origin other than the platform's own is refused."""
    call = browser_call(scope)  # made by api/http/cors.py for /graphql
    origin = headers.get("origin")
    own = (
        call.own
        if call is not None
        else origin is None or own_origin(services, scope, headers, origin)
    )
    if not own:
        raise RequestRefused(403, ErrorCode.FORBIDDEN.value, FOREIGN_ORIGIN)


def cookie_authorization(scope: Scope, headers: Headers, services: Services) -> str | None:
    """`Bearer <token>` from the console's cookie, when the request may use it; None when it
    carries no console cookie."""
    token = session_cookie(headers)
    if token is None:
        return None
    refuse_foreign_origin(scope, headers, services)
    sent = headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, csrf_token(services, token)):
        raise RequestRefused(403, ErrorCode.FORBIDDEN.value, CSRF_REFUSED)
    return f"Bearer {token}"
