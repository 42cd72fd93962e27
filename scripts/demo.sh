#!/usr/bin/env bash
# Install, generate synthetic logs for three months, and run every asset through Dagster.
#   MONTHS (default 2023-04:2023-06), CONVERSATIONS (default 2000 per month), WILDCHAT_DATA_DIR (default ./data)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export WILDCHAT_DATA_DIR="${WILDCHAT_DATA_DIR:-$PWD/data}"
months="${MONTHS:-2023-04:2023-06}"
# `demo` generates the logs and runs every asset; it refuses a folder holding data no demo made.
.venv/bin/wildchat-dagster demo --months "$months" --conversations-per-month "${CONVERSATIONS:-2000}"
echo
echo "Open the Dagster UI over these runs: .venv/bin/wildchat-dagster ui   (then http://127.0.0.1:3000)"
echo "Read the release in a browser:       .venv/bin/wildchat-dagster explore   (then http://127.0.0.1:8765)"
