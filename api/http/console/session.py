"""POST /console/session signs an operator in; POST /console/session/end signs out.

Signing in runs the public `login` mutation (graphql/operations/agency/Login.graphql) through
/graphql itself and keeps the token it answers in the cookies of api/http/console/cookies.py;
the page gets the rest of the answer, never the token. Signing out runs `logout` with the
cookie's session (under the same CSRF rules as /graphql) and clears both cookies.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.http import errors as http_errors
from api.http.console.cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    cookie_authorization,
    csrf_token,
    refuse_foreign_origin,
)
from api.http.console.documents import run_agency_document
from api.http.errors import RequestRefused
from api.http.json_body import decode_json
from api.services import Services

_MAX_BODY = 4096


def _secure(request: Request, services: Services) -> bool:
    """Secure cookies whenever the platform is reached over https (directly, or behind a
    proxy that terminates TLS for the public URL)."""
    return request.url.scheme == "https" or services.settings.public_url.startswith("https:")


def _refused(request: Request, refused: RequestRefused) -> Response:
    return refused.response(http_errors.request_id(request.scope))


async def _credentials(request: Request) -> tuple[str, str]:
    if request.headers.get("content-type", "").partition(";")[0].strip() != "application/json":
        raise RequestRefused(415, http_errors.BAD_REQUEST, "Send the sign-in as JSON.")
    raw = b""
    async for chunk in request.stream():  # read no more than a sign-in can be
        raw += chunk
        if len(raw) > _MAX_BODY:
            raise RequestRefused(413, http_errors.PAYLOAD_TOO_LARGE, "The sign-in is too large.")
    try:
        data = decode_json(raw)
    except ValueError:
        data = None
    email = data.get("email") if isinstance(data, dict) else None
    password = data.get("password") if isinstance(data, dict) else None
    if not isinstance(email, str) or not isinstance(password, str):
        raise RequestRefused(
            400, http_errors.BAD_REQUEST, 'Send {"email": "…", "password": "…"} as JSON.'
        )
    return email, password


async def open_session(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        refuse_foreign_origin(request.scope, request.headers, services)
        email, password = await _credentials(request)
    except RequestRefused as refused:
        return _refused(request, refused)
    status, answer = await run_agency_document(
        request.scope, "Login", {"input": {"email": email, "password": password}}
    )
    login: dict[str, Any] | None = (answer.get("data") or {}).get("login")
    token = login.pop("token", None) if isinstance(login, dict) else None
    response = JSONResponse(answer, status_code=status)
    if isinstance(token, str) and token:
        secure = _secure(request, services)
        max_age = _seconds_until(login.get("expiresAt") if login else None)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=max_age,
            path="/",
            secure=secure,
            httponly=True,
            samesite="strict",
        )
        response.set_cookie(
            CSRF_COOKIE,
            csrf_token(services, token),
            max_age=max_age,
            path="/",
            secure=secure,
            httponly=False,  # the page reads it and sends it back in X-CSRF-Token
            samesite="strict",
        )
    response.headers["cache-control"] = "no-store"
    return response


async def end_session(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        authorization = cookie_authorization(request.scope, Headers(scope=request.scope), services)
        if authorization is None:
            refuse_foreign_origin(request.scope, request.headers, services)
    except RequestRefused as refused:
        return _refused(request, refused)
    answer: dict[str, Any] = {"data": {"logout": {"ended": 0, "errors": []}}}
    status = 200
    if authorization is not None:
        status, answer = await run_agency_document(
            request.scope, "Logout", {"input": {"everywhere": False}}, authorization
        )
    response = JSONResponse(answer, status_code=status)
    secure = _secure(request, services)
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="strict")
    response.headers["cache-control"] = "no-store"
    return response


def _seconds_until(expires_at: object) -> int | None:
    if not isinstance(expires_at, str):
        return None
    try:
        when = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0, int((when - datetime.now(UTC)).total_seconds()))
