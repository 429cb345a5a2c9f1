"""Which member an externalId names, shared by every process through Redis, read in the
same round trip as the member's cached balance.

A process remembers names for a few seconds (persistence/member_ids.py); a read of a member
it has not seen lately would cost a PostgreSQL statement before the balance read. Here:

- `{t:<tenant id>}:xid:<externalId>` holds the member's id (NAME_SECONDS), written when a
  member is enrolled and after a lookup in PostgreSQL found it;
- `{t:<tenant id>}:xmoved:<member id>` marks a member whose externalId was changed or
  cleared (MOVED_SECONDS, longer than a name lives). updateMember and eraseMember write it
  before their transaction and again after it commits: a name pointing at a marked member
  is not believed, and a name is only written for a member not marked, so a lookup that
  read the old name before the change and writes it late cannot bring it back (its name
  expires before the mark does).

One script reads the name, the mark and the balance (`{t:…}:bal:<member id>:<wallet>`,
persistence/balance_cache.py): every key starts with the tenant's hash tag, so they live in
one slot of a Redis Cluster. Redis failing falls back to PostgreSQL through the balance
cache's breaker.
"""

from __future__ import annotations

from uuid import UUID

NAME_SECONDS = 600
MOVED_SECONDS = 2 * NAME_SECONDS

# KEYS[1]: the name; ARGV[1]: the tenant prefix, ARGV[2]: the wallet. Nothing when the name
# is unknown or its member marked; else the member's id and its balance hash (empty when
# the balance is not cached).
READ = """
local id = redis.call('GET', KEYS[1])
if not id then return false end
if redis.call('EXISTS', ARGV[1] .. ':xmoved:' .. id) == 1 then return false end
return {id, redis.call('HGETALL', ARGV[1] .. ':bal:' .. id .. ':' .. ARGV[2])}
"""
# KEYS[1]: the name, KEYS[2]: its member's mark; ARGV[1]: the member id, ARGV[2]: seconds.
WRITE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


def name_key(prefix: str, external_id: str) -> str:
    return f"{prefix}:xid:{external_id}"


def moved_key(prefix: str, member_id: UUID) -> str:
    return f"{prefix}:xmoved:{member_id}"
