"""What a process remembers of members' externalIds and ids: only what was found, per
tenant, never a read that raced an announcement, and nothing once announcements may have
been missed."""

from __future__ import annotations

import gc
import time
import uuid

import pytest

from persistence.hearing import Hearing
from persistence.member_ids import MemberIdCache

TENANT = uuid.uuid4()
OTHER_TENANT = uuid.uuid4()


def test_a_found_member_is_remembered_by_externalid_and_id_in_its_tenant_only():
    # given a process that read a member
    cache = MemberIdCache()
    member = uuid.uuid4()

    # when it remembers it
    cache.remember(TENANT, member, "shopper-1", changes=cache.changes)

    # then its externalId and id answer in that tenant, and nowhere else
    assert cache.member_for(TENANT, "shopper-1") == member
    assert cache.exists(TENANT, member)
    assert cache.member_for(OTHER_TENANT, "shopper-1") is None
    assert not cache.exists(OTHER_TENANT, member)


def test_a_read_that_raced_an_announcement_is_not_remembered_by_externalid():
    # given a lookup that began before an announcement about the member arrived
    cache = MemberIdCache()
    member = uuid.uuid4()
    before = cache.changes
    cache.forget(member)

    # when the lookup's result comes back
    cache.remember(TENANT, member, "shopper-2", changes=before)

    # then the externalId is read again next time (the id still exists: ids never go away)
    assert cache.member_for(TENANT, "shopper-2") is None
    assert cache.exists(TENANT, member)


def test_an_announcement_forgets_every_name_remembered_for_the_member():
    # given a member remembered under its old and its new externalId (a rename whose
    # announcement has not arrived yet)
    member, bystander = uuid.uuid4(), uuid.uuid4()
    cache = _remembering((member, "old"), (member, "new"), (bystander, "someone"))

    # when the announcement arrives
    cache.on_notification(None, 0, MemberIdCache.channel, str(member))

    # then neither name answers, and other members' names still do
    assert cache.member_for(TENANT, "old") is None
    assert cache.member_for(TENANT, "new") is None
    assert cache.member_for(TENANT, "someone") == bystander


def test_a_lost_listener_forgets_every_externalid():
    # given remembered names
    cache = MemberIdCache()
    member = uuid.uuid4()
    cache.remember(TENANT, member, "shopper-3", changes=cache.changes)

    # when announcements may have been missed
    cache.forget_all()

    # then every name is read again
    assert cache.member_for(TENANT, "shopper-3") is None


def test_a_remembered_externalid_lasts_only_its_cache_time():
    # given a process that trusts a name for a moment only
    cache = MemberIdCache(external_id_seconds=0.05)
    member = uuid.uuid4()
    cache.remember(TENANT, member, "shopper-4", changes=cache.changes)
    assert cache.member_for(TENANT, "shopper-4") == member

    # when the moment passes
    time.sleep(0.06)

    # then the name is read again
    assert cache.member_for(TENANT, "shopper-4") is None


def test_a_name_read_while_announcements_are_unheard_lasts_the_short_trust(
    monkeypatch: pytest.MonkeyPatch,
):
    # given a process that trusts a name for a minute while it hears announcements, and for
    # half a second while it does not, and does not hear them now
    hearing = Hearing(unheard_seconds=0.5)
    cache = MemberIdCache(external_id_seconds=60, hearing=hearing)
    member = uuid.uuid4()
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)

    # when it reads a name
    cache.remember(TENANT, member, "shopper-5", changes=cache.changes)

    # then it trusts the name for the short time only
    monkeypatch.setattr(time, "monotonic", lambda: now + 0.4)
    assert cache.member_for(TENANT, "shopper-5") == member
    monkeypatch.setattr(time, "monotonic", lambda: now + 0.5)
    assert cache.member_for(TENANT, "shopper-5") is None


def test_a_name_read_while_announcements_are_heard_lasts_the_cache_time(
    monkeypatch: pytest.MonkeyPatch,
):
    # given a process that hears announcements and trusts a name for a minute
    hearing = Hearing(unheard_seconds=0.5)
    hearing.listening = True
    cache = MemberIdCache(external_id_seconds=60, hearing=hearing)
    member = uuid.uuid4()
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)

    # when it reads a name
    cache.remember(TENANT, member, "shopper-6", changes=cache.changes)

    # then it trusts the name for the minute
    monkeypatch.setattr(time, "monotonic", lambda: now + 59)
    assert cache.member_for(TENANT, "shopper-6") == member


def test_a_name_taken_over_by_another_member_outlives_the_first_members_announcement():
    # given a name remembered for one member, then read as another's (the first renamed,
    # the second given its old externalId) before the first's announcement arrived
    first, second = uuid.uuid4(), uuid.uuid4()
    cache = _remembering((first, "taken-over"), (first, "first-new"), (second, "taken-over"))

    # when the first member's announcement arrives
    cache.forget(first)

    # then the name answers for the second member still, and the first's names are gone
    assert cache.member_for(TENANT, "taken-over") == second
    assert cache.member_for(TENANT, "first-new") is None
    assert cache.moved_lately(first)
    assert not cache.moved_lately(second)


def test_remembered_members_add_nothing_a_full_garbage_collection_walks():
    # given ten thousand members, as a read spread over many members remembers them (a full
    # collection stops every request in flight while it walks each tracked object)
    hearing = Hearing()
    hearing.listening = True
    cache = MemberIdCache(external_id_seconds=60, hearing=hearing)
    members = [(uuid.uuid4(), f"shopper-{i}") for i in range(10_000)]
    gc.collect()
    before = len(gc.get_objects())

    # when the process remembers each of them by externalId and by id
    for member, external_id in members:
        cache.remember(TENANT, member, external_id, changes=cache.changes)
        assert cache.exists(TENANT, member)
    gc.collect()  # tuples of ints and strings are untracked once a collection has seen
    gc.collect()  # them, and a tuple of such tuples at the collection after

    # then the collector tracks no more objects than before (the cache's own containers
    # aside), and what was remembered still answers
    assert len(gc.get_objects()) - before < 10
    assert all(cache.member_for(TENANT, x) == m for m, x in members[:100])


def _remembering(*names: tuple[uuid.UUID, str]) -> MemberIdCache:
    """A cache that read each (member, externalId) in turn."""
    cache = MemberIdCache()
    for member, external_id in names:
        cache.remember(TENANT, member, external_id, changes=cache.changes)
    return cache
