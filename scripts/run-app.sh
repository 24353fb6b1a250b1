#!/usr/bin/env bash
# Installs the app's requirements into .venv and starts it (demo mode when no token is set).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/python -m streamlit run streamlit_app.py "$@"
