"""Whether this process hears the announcements of changes right now, and so how long its
caches may trust what they read.

API keys (persistence/control_store.py), externalIds (persistence/member_ids.py) and program
configuration (persistence/program_memory.py) are remembered for a few seconds because every
change of them is announced (PostgreSQL LISTEN/NOTIFY) and forgotten the moment the
announcement arrives. That bargain holds only while the listening connection is up: when it
is down, a change would go unannounced, so what is read then is trusted for a short time only.
"""

from __future__ import annotations

# How long a cache trusts what it read while announcements are not heard.
UNHEARD_SECONDS = 1.0


class Hearing:
    def __init__(self, *, unheard_seconds: float = UNHEARD_SECONDS) -> None:
        self._unheard_seconds = unheard_seconds
        # Deaf until a listener says otherwise: a cache without one trusts for a short time.
        self.listening = False
        # The listeners of the other clusters (one each), whose tenants' changes are
        # announced there: every one of them must hear for a change to be heard.
        self._others: list[Hearing] = []

    def include(self, other: Hearing) -> None:
        self._others.append(other)

    @property
    def everywhere(self) -> bool:
        return self.listening and all(o.listening for o in self._others)

    def trust(self, seconds: float) -> float:
        """How long to trust what was just read, for a cache that trusts `seconds` while it
        hears every change announced."""
        return seconds if self.everywhere else min(seconds, self._unheard_seconds)
