"""Opening an operator session: a row in the control schema and the token that names it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from api.auth.principal import operator_signing_key
from api.auth.tokens import issue_operator_session
from api.services import Services


async def open_operator_session(
    services: Services, operator_id: UUID, user_agent: str | None = None
) -> tuple[str, datetime]:
    expires = datetime.now(UTC) + timedelta(hours=services.settings.operator_session_hours)
    session_id = await services.sessions.open(operator_id, expires, user_agent)
    token = issue_operator_session(operator_id, operator_signing_key(services), expires, session_id)
    return token, expires
