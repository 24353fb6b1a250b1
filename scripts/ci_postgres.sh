#!/usr/bin/env bash
# The history store's test suite on SQLite and on a private PostgreSQL server (started by the
# fixture in tests/pgfixture.py). CI=1 turns missing PostgreSQL binaries into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=1
exec .venv/bin/python -m pytest -p no:cacheprovider tests/test_history_store.py \
  tests/test_history_sync.py "$@"
