"""The files the emulator holds (uploads, renders, thumbnails), within a byte budget.

A public demo is one emulator shared by strangers, so its files cannot pile up: past the
budget the least recently used go first. A dropped file keeps its id and type, so the job
that made it still answers its status with a signed URL, but it loses its bytes: the URL
answers 404, and the file can no longer be used as a reference or upscaled.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(eq=False)
class StoredFile:
    file_id: str
    key: str  # the id in the signed URL path
    data: bytes
    mime_type: str
    type: str  # "artifact", "reference-image", "thumbnail"
    thumbnail: StoredFile | None = None
    dropped: bool = False
    # The tenant's files by file id, where this one is usable as a reference (None: nowhere).
    index: dict[str, StoredFile] | None = None


def new_file(data: bytes, mime: str, kind: str) -> StoredFile:
    key = uuid.uuid4().hex
    suffix = mime if kind != "thumbnail" else f"thumbnail/{mime.split('/')[-1]}"
    return StoredFile(f"asset:{key}-type:{suffix}", key, data, mime, kind)


class FileShelf:
    """Stored files by URL key, least recently used first, within `budget` bytes. Not
    thread-safe on its own: the emulator's world holds its lock around every call."""

    def __init__(self, budget: int):
        self.budget = budget
        self.bytes = 0
        self._files: OrderedDict[str, StoredFile] = OrderedDict()

    def __len__(self) -> int:
        return len(self._files)

    def add(self, stored: StoredFile, index: dict[str, StoredFile] | None = None) -> None:
        """Hold a new file (and list it in `index` by file id); drop the least recently used
        others while the shelf is over budget. The newest file is kept even when it alone is
        larger than the budget."""
        if index is not None:
            stored.index = index
            index[stored.file_id] = stored
        self._files[stored.key] = stored
        self.bytes += len(stored.data)
        while self.bytes > self.budget and len(self._files) > 1:
            _, oldest = self._files.popitem(last=False)
            self._drop(oldest)

    def get(self, key: str) -> StoredFile | None:
        """The file at a URL key, marked as just used; None when dropped or unknown."""
        stored = self._files.get(key)
        if stored is not None:
            self._files.move_to_end(key)
        return stored

    def use(self, stored: StoredFile) -> bool:
        """Mark a file as just used; False when it is no longer held."""
        return self.get(stored.key) is stored

    def discard(self, stored: StoredFile | None) -> None:
        """Forget a file now (its job expired)."""
        if stored is not None and self._files.get(stored.key) is stored:
            del self._files[stored.key]
            self._drop(stored)

    def _drop(self, stored: StoredFile) -> None:
        self.bytes -= len(stored.data)
        stored.data = b""
        stored.dropped = True
        if stored.index is not None and stored.index.get(stored.file_id) is stored:
            del stored.index[stored.file_id]
