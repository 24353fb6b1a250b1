"""The history: every job, scoped to an account key, on any SQLAlchemy URL.

- schema.py: the tables, the one record type (JobRecord), kinds and states
- engine.py: engines, and the tables of this version on a new or older database
- queries.py: filters, orders and paging of the store's SELECTs
- store.py: HistoryStore, its reads and writes (the one door to the database)
- leases.py: which app process follows an in-flight row
- budget.py: full images within a budget per account key
- frames.py: the History table as a DataFrame
- sync.py: merging the account's picture list
- transfer.py: export and import, and the CSV a spreadsheet opens as text
"""

from kontextlab.history.budget import FULL_IMAGE_DROPPED
from kontextlab.history.engine import normalize_url
from kontextlab.history.frames import DATAFRAME_COLUMNS
from kontextlab.history.queries import Order
from kontextlab.history.schema import (
    ACTIVE_STATUSES,
    DEFAULT_PROVIDER,
    FINAL_STATUSES,
    FOLLOWED_STATES,
    KINDS,
    STATUSES,
    JobRecord,
    UtcDateTime,
    blobs,
    jobs,
)
from kontextlab.history.store import HistoryStore
from kontextlab.history.transfer import (
    EXPORT_FORMAT,
    IMPORTED_RUNNING,
    IMPORTED_UNSENT,
    ImportResult,
    ImportRules,
    NotAnExport,
)
from kontextlab.providers.base import RemoteAsset, RemoteItem

__all__ = [
    "ACTIVE_STATUSES",
    "DATAFRAME_COLUMNS",
    "DEFAULT_PROVIDER",
    "EXPORT_FORMAT",
    "FINAL_STATUSES",
    "FOLLOWED_STATES",
    "FULL_IMAGE_DROPPED",
    "IMPORTED_RUNNING",
    "IMPORTED_UNSENT",
    "KINDS",
    "STATUSES",
    "HistoryStore",
    "ImportResult",
    "ImportRules",
    "JobRecord",
    "NotAnExport",
    "Order",
    "RemoteAsset",
    "RemoteItem",
    "UtcDateTime",
    "blobs",
    "jobs",
    "normalize_url",
]
