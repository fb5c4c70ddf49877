"""Values kept in memory for a short, configured time (per execution environment).

The authorizer keeps each API's rules, the metadata the list of scopes, for RULES_CACHE_SECONDS:
a change shows within that. `clear_all` empties every cache (a new execution environment).
"""

import time
from collections.abc import Callable, Hashable

_caches: list["Expiring"] = []


class _Miss:
    """What `fresh` answers for a key that must be loaded (a cached None is a value)."""

    def __repr__(self) -> str:
        return "MISS"


MISS = _Miss()


class Expiring[V]:
    """A mapping whose entries expire `seconds()` after they were loaded."""

    def __init__(self, seconds: Callable[[], int]):
        self._seconds = seconds
        self._entries: dict[Hashable, tuple[float, V]] = {}
        _caches.append(self)

    def fresh(self, key: Hashable) -> V | _Miss:
        """The value, while it is fresh (None too, when None was loaded); MISS when it must be loaded."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else MISS

    def put(self, key: Hashable, value: V) -> V:
        self._entries[key] = (time.monotonic() + self._seconds(), value)
        return value

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        cached = self.fresh(key)
        return self.put(key, load()) if cached is MISS else cached


def clear_all() -> None:
    for cache in _caches:
        cache._entries.clear()
