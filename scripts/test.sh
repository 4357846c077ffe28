#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
echo "Linting (ruff)…"
.venv/bin/python -m ruff check .
echo "Type-checking (mypy)…"
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest "$@"
