"""A small thread-safe cache, least recently used dropped first, within a count and a byte
budget: for values that are costly to make again and never change under their key."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


def _bytes_of(value: object) -> int:
    return len(value) if isinstance(value, bytes | bytearray) else 0


class LimitedCache(Generic[V]):
    def __init__(self, entries: int, max_bytes: int, size: Callable[[V], int] = _bytes_of) -> None:
        self.entries, self.max_bytes, self._size = entries, max_bytes, size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        """Keep `value`; the oldest entries go while over the count or the byte budget (the
        newest stays even when it alone is over the budget)."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > 1 and (
                len(self._items) > self.entries or self._bytes() > self.max_bytes
            ):
                self._items.popitem(last=False)

    def get_or_make(self, key: Hashable, make: Callable[[], V | None]) -> V | None:
        """The kept value, or `make()`'s (kept unless None). Two threads asking at once may
        both make it: the values are equal, so either one is kept."""
        found = self.get(key)
        if found is not None:
            return found
        value = make()
        if value is not None:
            self.put(key, value)
        return value

    def _bytes(self) -> int:
        return sum(self._size(v) for v in self._items.values())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
