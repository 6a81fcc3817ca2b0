#!/usr/bin/env bash
# Runs a Hearth node on this machine: SQLite in ./data, http://127.0.0.1:8080, no other service.
# Settings come from HEARTH_* environment variables (see docs/operations.md).
# The web client is built first (clients/crypto, then clients/web) and served by the node at
# its own address, so opening http://127.0.0.1:8080/ is all a newcomer needs.
source "$(dirname -- "${BASH_SOURCE[0]}")/python-env.sh"
python_env --no-dev
cd "$ROOT"
for package in clients/crypto clients/web; do
  (cd "$package" && npm ci --no-audit --no-fund --loglevel=error && npm run build) >&2
done
exec "$ROOT/.venv/bin/hearth" serve "$@"
