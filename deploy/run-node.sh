#!/usr/bin/env bash
# Runs a Hearth node on this machine: SQLite in ./data, http://127.0.0.1:8080, no other service.
# Settings come from HEARTH_* environment variables (see docs/operations.md).
source "$(dirname -- "${BASH_SOURCE[0]}")/python-env.sh"
python_env --no-dev
cd "$ROOT"
exec "$ROOT/.venv/bin/hearth" serve "$@"
