"""The caller as the domain's visibility rules see it (domain/viewers.py)."""

from __future__ import annotations

from api.auth.principal import Kind, Principal
from domain.viewers import Audience, Viewer

_AUDIENCES = {
    Kind.ANONYMOUS: Audience.PUBLIC,
    Kind.PUBLISHABLE_KEY: Audience.PUBLIC,
    Kind.MEMBER: Audience.MEMBER,
    Kind.SECRET_KEY: Audience.STAFF,
    Kind.OPERATOR: Audience.STAFF,
}


def viewer_of(principal: Principal) -> Viewer:
    return Viewer(_AUDIENCES[principal.kind], principal.member_id)
