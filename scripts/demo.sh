#!/usr/bin/env bash
# Run the app on the built-in demo city (builds the demo database on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Build the demo on first run, and rebuild it when it was built by an older schema.
if ! .venv/bin/python -m riskmap check-schema; then
  .venv/bin/python -m riskmap demo
fi
.venv/bin/python -m riskmap users demo  # the documented demo accounts (kept if they exist)
exec .venv/bin/python -m riskmap.serve "$@"
