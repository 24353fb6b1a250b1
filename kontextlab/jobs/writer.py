"""Writing a job's state into the history store, patiently, and keeping its picture.

The runner's workers inherit this: a database that is briefly unavailable is waited out, and
a finished picture is read once into a thumbnail (and, within budget, a full copy).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from kontextlab.history import HistoryStore
from kontextlab.images import BadImage, display_copy, thumbnail
from kontextlab.jobs.words import RunnerSettings, StoreUnavailable
from kontextlab.providers import Picture, Provider, ProviderError
from kontextlab.vocabulary import JobState

log = logging.getLogger(__name__)

IMAGE_BUDGET_BYTES = 6 * 1024 * 1024  # one full image larger than this is not kept
T = TypeVar("T")
# Database errors that pass (a restart, a lock, a dropped connection): worth waiting out.
STORE_TROUBLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


class LeaseLost(Exception):
    """Another process follows this row now: this worker stops without writing."""


class StoreWriter:
    """The store, the settings and the clock a runner's workers write with."""

    def __init__(
        self,
        store: HistoryStore,
        settings: RunnerSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.settings = settings or RunnerSettings()
        self.sleep = sleep

    def _save(self, row_id: str, **changes: Any) -> None:
        """Write a job's new state, waiting out a database that is briefly unavailable."""
        self._patiently(row_id, lambda: self.store.update_job(row_id, **changes))

    def _keep_image(self, row_id: str, image: bytes) -> list[str]:
        """Keep a full image within its visitor's budget; the ids whose copy was dropped."""
        budget = self.settings.image_budget_bytes
        return self._patiently(row_id, lambda: self.store.keep_image(row_id, image, budget))

    def _check_lease(self, row_id: str) -> None:
        """Raise LeaseLost when this worker may no longer write the row (see JobRunner)."""

    def _patiently(self, row_id: str, write: Callable[[], T]) -> T:
        """Run a database write, waiting out a database that is briefly unavailable."""
        waited, attempt = 0.0, 0
        while True:
            self._check_lease(row_id)
            try:
                return write()
            except STORE_TROUBLE as exc:
                delay = min(10.0, 0.5 * 2**attempt)
                if waited + delay > self.settings.store_patience:
                    raise StoreUnavailable(str(exc)) from exc
                log.warning("job %s: database write failed, retrying in %.1f s", row_id, delay)
                self.sleep(delay)
                waited, attempt = waited + delay, attempt + 1

    def _fail(self, row_id: str, message: str, kind: str) -> None:
        self._save(
            row_id,
            status=JobState.FAILED,
            message=message,
            error_kind=kind,
            completed_at=datetime.now(UTC),
        )

    def _pictures(self, provider: Provider, picture: Picture) -> dict[str, Any]:
        """A thumbnail, a display-sized copy for the result card (and the full image, when
        not too large for one copy) to keep, so history outlives the URL; the full image is
        kept within the visitor's budget."""
        try:
            data, content_type = provider.download(picture.url or "")
            thumb, width, height = thumbnail(data)
            preview = display_copy(data)
        except ProviderError:
            return {"message": "The image is ready, but the app could not save a copy of it."}
        except BadImage:  # not a picture, broken, or too many pixels to decode safely
            return {"message": "The image is ready, but the app could not read it."}
        image = data if len(data) <= IMAGE_BUDGET_BYTES else None
        mime = picture.mime_type or content_type.split(";")[0] or None
        return {
            "thumbnail": thumb,
            "preview": preview,
            "image": image,
            "width": width,
            "height": height,
            "mime_type": mime,
        }
