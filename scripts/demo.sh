#!/usr/bin/env bash
# Run the app on the built-in demo city (builds the demo database on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if [ ! -f "${RISKMAP_DATA_DIR:-var}/riskmap.duckdb" ]; then
  .venv/bin/python -m riskmap demo
fi
exec .venv/bin/python -m riskmap.serve "$@"
