"""The History table as a pandas DataFrame: which columns, their dtypes, and the duration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

DATAFRAME_COLUMNS = (
    "id",
    "prompt",
    "kind",
    "style",
    "aspect_ratio",
    "seed",
    "model",
    "provider",
    "status",
    "progress",
    "message",
    "error_kind",
    "created_at",
    "completed_at",
    "url_expires_at",
    "asset_url",
    "link_lost",
    "duration_s",
    "cost",
    "parent_id",
    "batch_id",
    "job_id",
    "file_id",
    "mime_type",
    "width",
    "height",
    "has_thumbnail",
    "has_image",
)
# The columns a frame reads: its own, less the one it computes, and what that needs.
SELECTED = [c for c in DATAFRAME_COLUMNS if c != "duration_s"] + ["started_at"]

# Values are pandas dtype names. Any: pandas-stubs types pd.array only for a dtype written out
# as a literal, not for one looked up per column.
FRAME_DTYPES: dict[str, Any] = {
    **dict.fromkeys(
        ("created_at", "completed_at", "url_expires_at", "started_at"), "datetime64[us, UTC]"
    ),
    **dict.fromkeys(("seed", "width", "height"), "Int64"),
    **dict.fromkeys(("link_lost", "has_thumbnail", "has_image"), "bool"),
    **dict.fromkeys(("progress", "cost"), "Float64"),
}


def frame(rows: Sequence[sa.Row[Any]]) -> pd.DataFrame:
    """The frame of rows read in the order of SELECTED; columns DATAFRAME_COLUMNS.
    Each column is built once with its final dtype: astype passes cost more than the query."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(SELECTED)
    data = {}
    for name, values in zip(SELECTED, columns, strict=True):
        dtype = FRAME_DTYPES.get(name)
        data[name] = pd.array(values, dtype=dtype) if dtype else pd.array(values, dtype="str")
    shaped = pd.DataFrame(data)
    start = shaped["started_at"].fillna(shaped["created_at"])
    shaped["duration_s"] = (shaped["completed_at"] - start).dt.total_seconds().clip(lower=0)
    return shaped[list(DATAFRAME_COLUMNS)]
