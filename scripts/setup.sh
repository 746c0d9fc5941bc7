#!/usr/bin/env bash
# Set biomap up on a fresh Debian machine: system packages (Chromium for browser tests and
# snapshots, a CJK font, PostgreSQL + PostGIS for the database store's tests, GDAL's ogrinfo
# for the GIS-client tests), a virtualenv in .venv, and biomap with its pinned dependencies.
# Idempotent: a second run installs nothing new. Set BIOMAP_SKIP_APT=1 to skip apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=(chromium fonts-noto-cjk postgresql-15-postgis-3 gdal-bin)
missing=()
for pkg in "${apt_pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)  # for the offline map assets below
if [ ${#missing[@]} -gt 0 ] && [ "${BIOMAP_SKIP_APT:-0}" != "1" ]; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.biomap-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing biomap and its dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
  touch "$stamp"
fi
# Leaflet plugins for the offline maps (geo/maps/_static/node_modules, git-ignored), from the npm
# registry as pinned in geo/maps/_static/package-lock.json. npm ci leaves node_modules/.package-lock.json.
js_stamp=geo/maps/_static/node_modules/.package-lock.json
if [ ! -f "$js_stamp" ] || [ geo/maps/_static/package-lock.json -nt "$js_stamp" ]; then
  echo "setup: installing map assets with npm ci (geo/maps/_static)" >&2
  (cd geo/maps/_static && npm ci --ignore-scripts --no-audit --no-fund --omit=peer --loglevel=error)
fi
echo "setup: ready (.venv/bin/biomap --help)" >&2
