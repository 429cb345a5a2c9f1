"""Given API keys kept by each process for a few seconds, when a key is revoked, then the
process that revoked it refuses it at once, every listening process as soon as the
announcement arrives, and a process that is not listening within its cache time."""

from __future__ import annotations

import asyncio
import uuid

from api.auth.keys import display_prefix, hash_key, new_key
from persistence.announcements import AnnouncementListener
from persistence.control_store import ControlStore
from persistence.hearing import Hearing

CACHE_SECONDS = 0.2


async def _new_key(store: ControlStore, tenant_id: uuid.UUID) -> tuple[bytes, uuid.UUID]:
    key = new_key("SECRET")
    key_hash = hash_key(key, b"test-pepper")
    record = await store.add_api_key(tenant_id, "SECRET", "cached", display_prefix(key), key_hash)
    return key_hash, record.id


async def test_the_revoking_process_refuses_the_key_at_once(services, tenant):
    # given a live key, looked up (and so cached) by one process
    store = ControlStore(services.pool, key_cache_seconds=60)
    key_hash, key_id = await _new_key(store, uuid.UUID(tenant.id))
    assert (await store.api_key_by_hash(key_hash)).revoked_at is None

    # when that process revokes it
    await store.revoke_api_key(uuid.UUID(tenant.id), key_id)

    # then its next lookup sees the revocation, however long keys are cached
    assert (await store.api_key_by_hash(key_hash)).revoked_at is not None


async def _refused_soon(store: ControlStore, key_hash: bytes, wait: float) -> bool:
    """Looks the key up until it is refused or `wait` seconds pass (the announcement crosses
    the database server: it is not there the instant the revocation commits)."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        found = await store.api_key_by_hash(key_hash)
        if found is not None and found.revoked_at is not None:
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)


async def test_a_listening_process_refuses_the_key_long_before_its_cache_time(services, tenant):
    # given two listening processes (replicas) that keep keys for a minute and have both
    # looked a live key up
    revoking = ControlStore(services.pool, key_cache_seconds=60)
    hearing = Hearing()
    other = ControlStore(services.pool, key_cache_seconds=60, hearing=hearing)
    listener = AnnouncementListener(services.pool, (other,), hearing)
    await listener.start()
    try:
        key_hash, key_id = await _new_key(revoking, uuid.UUID(tenant.id))
        for store in (revoking, other):
            assert (await store.api_key_by_hash(key_hash)).revoked_at is None

        # when one of them revokes it
        await revoking.revoke_api_key(uuid.UUID(tenant.id), key_id)

        # then the other refuses it as soon as the announcement arrives, not a minute later
        assert await _refused_soon(other, key_hash, wait=10)
    finally:
        await listener.stop()


async def test_a_process_not_listening_refuses_the_key_within_its_cache_time(services, tenant):
    # given two processes (replicas) that have both looked a live key up, one of which has
    # lost (here: never had) its listening connection
    revoking = ControlStore(services.pool, key_cache_seconds=CACHE_SECONDS)
    other = ControlStore(services.pool, key_cache_seconds=CACHE_SECONDS)
    key_hash, key_id = await _new_key(revoking, uuid.UUID(tenant.id))
    for store in (revoking, other):
        assert (await store.api_key_by_hash(key_hash)).revoked_at is None

    # when one of them revokes it, and the other's cache time passes
    await revoking.revoke_api_key(uuid.UUID(tenant.id), key_id)
    await asyncio.sleep(CACHE_SECONDS * 1.5)

    # then the other sees the revocation too
    assert (await other.api_key_by_hash(key_hash)).revoked_at is not None


async def test_unknown_and_revoked_keys_are_never_cached(services, tenant):
    # given a process that has looked up a key before it existed
    store = ControlStore(services.pool, key_cache_seconds=60)
    key = new_key("SECRET")
    key_hash = hash_key(key, b"test-pepper")
    assert await store.api_key_by_hash(key_hash) is None

    # when the key is then created (by another process)
    other = ControlStore(services.pool)
    await other.add_api_key(uuid.UUID(tenant.id), "SECRET", "late", display_prefix(key), key_hash)

    # then this process finds it on its next lookup
    found = await store.api_key_by_hash(key_hash)
    assert found is not None and found.revoked_at is None
