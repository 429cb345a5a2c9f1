"""Given verified member tokens remembered by the process, when they are asked for, then only
live ones come back, and the cache stays bounded."""

from __future__ import annotations

import time
import uuid

from api.auth.token_cache import VerifiedMemberTokens

KEY = b"k" * 32


def test_a_remembered_token_comes_back_until_it_expires():
    # given one token valid for an hour and one that expired a second ago
    tokens = VerifiedMemberTokens()
    tenant, member = uuid.uuid4(), uuid.uuid4()
    tokens.put("live", tenant, member, int(time.time()) + 3600, KEY)
    tokens.put("expired", tenant, member, int(time.time()) - 1, KEY)

    # when each is looked up
    live, expired = tokens.get("live"), tokens.get("expired")

    # then only the live one is known, with what it was verified as
    assert live is not None
    assert (live.tenant_id, live.member_id, live.signing_key) == (tenant, member, KEY)
    assert expired is None
    assert tokens.get("never-seen") is None


def test_the_least_recently_used_token_is_forgotten_first():
    # given a cache of two entries holding two tokens, the first used again since
    tokens = VerifiedMemberTokens(max_entries=2)
    later = int(time.time()) + 3600
    for name in ("a", "b"):
        tokens.put(name, uuid.uuid4(), uuid.uuid4(), later, KEY)
    assert tokens.get("a") is not None

    # when a third is remembered
    tokens.put("c", uuid.uuid4(), uuid.uuid4(), later, KEY)

    # then the one unused longest is gone
    assert tokens.get("b") is None
    assert tokens.get("a") is not None
    assert tokens.get("c") is not None
