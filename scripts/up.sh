#!/usr/bin/env bash
# Set up and run the all-in-one data centre on embedded SQLite with sample documents:
# `bash scripts/up.sh [ledgerlink up options]`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/ledgerlink up --demo "$@"
