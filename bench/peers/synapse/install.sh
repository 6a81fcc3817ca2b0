#!/usr/bin/env bash
# Installs Matrix Synapse from PyPI into a virtualenv of its own, outside the project's, and prints
# that virtualenv's python. A second call finds it installed and only prints the path.
#
#   install.sh [VERSION]    default 1.163.2; the virtualenv is $HEARTH_CACHE_DIR/synapse-VERSION
#                           (HEARTH_CACHE_DIR defaults to ~/.cache/hearth)
#
# The `postgres` extra brings psycopg2, built from source against libpq: its headers and a C compiler
# come from Debian's packages when missing. The project's uv (deploy/python-env.sh puts it in
# .cache/uv) installs when present, pip otherwise; either way modules are compiled at install, as a
# packaged Synapse's are.
set -euo pipefail
SERVICE_NAME=synapse
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd -P)
# shellcheck source=../../../infra/services/lib.sh
source "$ROOT/infra/services/lib.sh"

VERSION=${1:-1.163.2}
[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version must look like 1.163.2, got '$VERSION'"
VENV="$(cache_root)/synapse-$VERSION"

install() {
  [[ -f $VENV/.installed ]] && return 0
  command -v pg_config >/dev/null && command -v gcc >/dev/null || apt_install libpq-dev gcc
  rm -rf -- "$VENV"
  local uv=$ROOT/.cache/uv/bin/uv log
  log=$(mktemp)
  say "installing matrix-synapse $VERSION into $VENV"
  if ! {
    if [[ -x $uv ]]; then
      "$uv" venv --quiet --python "$(command -v python3)" "$VENV" &&
        "$uv" pip install --quiet --compile-bytecode --python "$VENV/bin/python" \
          "matrix-synapse[postgres]==$VERSION"
    else
      python3 -m venv "$VENV" && "$VENV/bin/pip" install --quiet "matrix-synapse[postgres]==$VERSION"
    fi
  } >"$log" 2>&1; then
    tail -n 20 -- "$log" >&2
    rm -f -- "$log"
    die "installing matrix-synapse $VERSION failed"
  fi
  rm -f -- "$log"
  touch -- "$VENV/.installed"
}

with_cache_lock "$(cache_root)" install
printf '%s\n' "$VENV/bin/python"
