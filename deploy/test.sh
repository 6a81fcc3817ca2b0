#!/usr/bin/env bash
# Runs every check of the project on a fresh machine: installs what is missing (Python env from
# uv.lock, Debian's PostgreSQL and Redis, npm packages from package-lock.json), lints,
# type-checks, and runs the whole test suite on SQLite and on a private PostgreSQL (and Redis)
# that the suite starts and stops itself.
source "$(dirname -- "${BASH_SOURCE[0]}")/python-env.sh"
cd "$ROOT"
step() { printf '\n==> %s\n' "$*"; }

step "Python environment (uv.lock), Node.js packages, Chromium"
python_env
if ! command -v chromium >/dev/null; then
  # Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Debian's Redis for the scale-out tests, which start a private one on a free port.
if ! command -v redis-server >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

# SeaweedFS, the S3 server of the storage tests, compiles for minutes on a fresh machine: build
# it while linting runs. The tests' own `seaweedfs.sh start` waits on the same cache lock.
infra/services/seaweedfs.sh build >/dev/null 2>&1 &
# Kafka's jars come from Maven Central (and Java 17 and Maven from apt) on first use: fetch them
# meanwhile too. The tests' `kafka.sh start` waits on the same cache lock.
infra/services/kafka.sh fetch >/dev/null 2>&1 &

step "ruff format --check / ruff check / mypy --strict"
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy

step "pytest (SQLite and PostgreSQL)"
.venv/bin/python -m pytest -p no:cacheprovider

for package in clients/*/; do
  [[ -f $package/package.json ]] || continue
  step "$package: npm ci, build, lint, format check, tests"
  (cd "$package" && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm run lint &&
    npm run format:check && npm test)
done
step "all checks passed"
