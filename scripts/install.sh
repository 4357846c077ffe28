#!/usr/bin/env bash
# Install what the project needs into .venv (created if missing).
#   bash scripts/install.sh          # the app (and Debian's fonts-wqy-microhei for exports)
#   bash scripts/install.sh --test   # the app, the test tools and Debian chromium
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# Debian packages: a CJK font for the PNG/PDF exports and nginx in front of several workers
# (always), Chromium for the browser tests.
need=""
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need="fonts-wqy-microhei"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need="$need nginx"
# Debian's nginx package starts its own service where it can (port 80, not ours); where that
# fails the program is still installed, which is all riskmap.serve needs.
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || need="$need chromium"
fi
if [ -n "$need" ]; then
  echo "Installing Debian packages: $need"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null \
    || [ -x /usr/sbin/nginx ] || exit 1
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# Dependencies are read from pyproject.toml so they are declared in one place.
.venv/bin/python - "$@" > .venv/requirements.txt <<'PY'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
deps = list(project["dependencies"])
if "--test" in sys.argv[1:]:
    deps += project["optional-dependencies"]["test"]
print("\n".join(deps))
PY
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r .venv/requirements.txt
