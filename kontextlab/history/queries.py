"""The pieces of the store's SELECTs: filters, orders, paging, and look-ups by many ids."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kontextlab.history.schema import jobs
from kontextlab.vocabulary import NO_STYLE

Order = Literal["newest", "oldest", "prompt", "status", "expires"]
# A filter's "no look": NO_STYLE, and "none", which the History filter has always accepted too.
NO_STYLE_NAMES = (NO_STYLE, "none", "")
CHUNK = 500  # ids in one IN (...): far below every backend's limit on parameters


def conditions(
    dialect: str,
    account_key: str,
    *,
    search: str | None = None,
    kinds: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    styles: Sequence[str] | None = None,
    providers: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: str | None = None,
) -> list[sa.ColumnElement[bool]]:
    """The WHERE of a filtered History view: one account, every search word, the chosen
    kinds, states, looks and providers, a creation window, and one batch (the jobs one
    click sent together)."""
    found: list[sa.ColumnElement[bool]] = [jobs.c.account_key == account_key]
    for term in (search or "").split():
        found.append(_matches(dialect, term))
    if kinds:
        found.append(jobs.c.kind.in_(list(kinds)))
    if statuses:
        found.append(jobs.c.status.in_(list(statuses)))
    if styles:
        found.append(_style_condition(styles))
    if providers:
        found.append(jobs.c.provider.in_(list(providers)))
    if since is not None:
        found.append(jobs.c.created_at >= since)
    if until is not None:
        found.append(jobs.c.created_at < until)
    if batch:
        found.append(jobs.c.batch_id == batch)
    return found


def _matches(dialect: str, term: str) -> sa.ColumnElement[bool]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    if dialect == "sqlite":
        # SQLite's LIKE ignores ASCII case already, and lower() would defeat the index.
        return jobs.c.prompt.like(pattern, escape="\\")
    return jobs.c.prompt.ilike(pattern, escape="\\")


def _style_condition(styles: Sequence[str]) -> sa.ColumnElement[bool]:
    named = [s for s in styles if s not in NO_STYLE_NAMES]
    parts: list[sa.ColumnElement[bool]] = []
    if named:
        parts.append(jobs.c.style.in_(named))
    if len(named) < len(styles):
        parts.append(jobs.c.style.is_(None))
    return sa.or_(*parts)


def ordering(order: str) -> list[sa.ColumnElement[Any]]:
    newest = [jobs.c.created_at.desc(), jobs.c.id.desc()]
    options: dict[str, list[Any]] = {
        "newest": newest,
        "oldest": [jobs.c.created_at.asc(), jobs.c.id.asc()],
        "prompt": [sa.func.lower(jobs.c.prompt).asc(), *newest],
        "status": [jobs.c.status.asc(), *newest],
        "expires": [jobs.c.url_expires_at.asc().nulls_last(), *newest],
    }
    if order not in options:
        raise ValueError(f"Unknown order {order!r}; expected one of {sorted(options)}.")
    return options[order]


def page(query: sa.Select[Any], limit: int | None, offset: int) -> sa.Select[Any]:
    if limit is not None:
        query = query.limit(limit)
    return query.offset(offset) if offset else query


def existing(
    conn: Connection, column: sa.Column[Any], values: list[str], account_key: str | None
) -> set[str]:
    """Which of `values` the column holds (in one account's rows, or in any)."""
    found: set[str] = set()
    for start in range(0, len(values), CHUNK):
        query = sa.select(column).where(column.in_(values[start : start + CHUNK]))
        if account_key is not None:
            query = query.where(jobs.c.account_key == account_key)
        found.update(conn.execute(query).scalars())
    return found


def known_job_ids(conn: Connection, account_key: str, job_ids: list[str]) -> set[str]:
    """The upstream job ids that one account's rows already follow."""
    return existing(conn, jobs.c.job_id, job_ids, account_key)


RECENT_PROMPT_ROWS = 200  # newest rows read to find the distinct recent prompts


def recent_prompts(
    conn: Connection, account_key: str, kinds: Sequence[str], limit: int
) -> list[str]:
    """One account's last `limit` distinct prompts of `kinds`, newest first. Reads only the
    prompt column of its newest rows (an index walk), so a long history costs no more."""
    query = (
        sa.select(jobs.c.prompt)
        .where(jobs.c.account_key == account_key, jobs.c.kind.in_(list(kinds)))
        .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
        .limit(RECENT_PROMPT_ROWS)
    )
    found: dict[str, None] = {}
    for prompt in conn.execute(query).scalars():
        text = (prompt or "").strip()
        if text and text not in found:
            found[text] = None
            if len(found) >= limit:
                break
    return list(found)
