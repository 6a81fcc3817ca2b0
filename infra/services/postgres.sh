#!/usr/bin/env bash
# A private PostgreSQL for tests and benchmarks: one cluster in DIR, listening on 127.0.0.1:PORT only.
#
#   postgres.sh start DIR PORT   install Debian's postgresql if missing, create the cluster on first use,
#                                start it and print postgresql://hearth@127.0.0.1:PORT/hearth
#   postgres.sh stop DIR         fast shutdown (open sessions are rolled back)
#
# DIR holds data/ (the cluster), postgres.log and the unix socket. Superuser `hearth` and database
# `hearth` are trusted on loopback: the cluster is reachable from this machine only.
set -euo pipefail
SERVICE_NAME=postgres
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() { die "usage: postgres.sh start DIR PORT | stop DIR"; }

# The newest Debian PostgreSQL's bin folder (initdb and pg_ctl are not on PATH there).
find_bindir() {
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' -printf '%h\n' 2>/dev/null |
    sort -V | tail -n 1)
  if [[ -z $dir ]] && command -v initdb >/dev/null; then
    dir=$(dirname -- "$(command -v initdb)")
  fi
  printf '%s\n' "$dir"
}

ensure_installed() {
  BINDIR=$(find_bindir)
  if [[ -z $BINDIR ]]; then
    apt_install postgresql
    BINDIR=$(find_bindir)
    [[ -n $BINDIR ]] || die "initdb not found after installing postgresql"
  fi
}

# PostgreSQL refuses to run as root, so root runs it as the `postgres` account that Debian's package
# creates (or HEARTH_PG_USER); any other user runs it as themselves.
pick_run_user() {
  RUN_AS=()
  ((EUID == 0)) || return 0
  local user=${HEARTH_PG_USER:-postgres}
  id -u "$user" >/dev/null 2>&1 || die "user $user does not exist (set HEARTH_PG_USER to another account)"
  RUN_AS=(runuser -u "$user" --)
  open_path_for "$user"
  chown "$user:" "$DIR"
}

# The server account must be able to pass through every folder above DIR. A private folder, such as
# one from `mktemp -d`, gets search permission for others, which lets them open a known path but not
# list its contents; a private home folder is left as it is and reported instead.
open_path_for() {
  local user=$1 folder=$DIR ancestors=() i
  while [[ $folder != / ]]; do
    folder=$(dirname -- "$folder")
    ancestors=("$folder" "${ancestors[@]}")
  done
  for i in "${ancestors[@]}"; do
    runuser -u "$user" -- test -x "$i" && continue
    [[ $i != "$HOME" && $i != / ]] ||
      die "user $user cannot enter $i, so it cannot reach $DIR; choose a folder outside it"
    chmod o+x -- "$i"
    say "let user $user pass through $i (search permission only)"
  done
}

as_server_user() { "${RUN_AS[@]}" "$@"; }

init_cluster() {
  [[ -f $DIR/data/PG_VERSION ]] && return 0
  say "creating a cluster in $DIR/data"
  # 1 MB WAL segments: a test that forces a WAL switch and a checkpoint can watch whole segments go away.
  as_server_user "$BINDIR/initdb" -D "$DIR/data" -U hearth --auth=trust --encoding=UTF8 --locale=C \
    --wal-segsize=1 >"$DIR/initdb.log" 2>&1 || {
    tail -n 20 "$DIR/initdb.log" >&2
    die "initdb failed (log: $DIR/initdb.log)"
  }
  echo "include 'hearth.conf'" >>"$DIR/data/postgresql.conf"
  cat >"$DIR/data/pg_hba.conf" <<'EOF'
# Trusted without a password: the server listens on loopback only and serves this machine's tests.
local all all            trust
host  all all 127.0.0.1/32 trust
EOF
}

# Rewritten on every start, so the same cluster can be started on another port.
write_settings() {
  cat >"$DIR/data/hearth.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
# Durability as in production: an acknowledged commit has reached the disk.
fsync = on
synchronous_commit = on
full_page_writes = on
# Old WAL segments are deleted rather than renamed for reuse, and few are kept, so content that
# VACUUM FULL has removed from the tables leaves the WAL after pg_switch_wal() and CHECKPOINT.
wal_recycle = off
wal_keep_size = 0
min_wal_size = 2MB
max_wal_size = 64MB
EOF
  chown --reference="$DIR/data" "$DIR/data/hearth.conf"
}

url() { printf 'postgresql://hearth@127.0.0.1:%s/hearth\n' "$PORT"; }

running() { as_server_user "$BINDIR/pg_ctl" status -D "$DIR/data" >/dev/null 2>&1; }

start() {
  ensure_installed
  pick_run_user
  # A unix socket path is limited to 107 bytes.
  ((${#DIR} + ${#PORT} + 10 <= 107)) || die "data folder path too long for a unix socket: $DIR"
  init_cluster
  if running; then
    url
    return 0
  fi
  refuse_busy_port "$PORT"
  write_settings
  as_server_user "$BINDIR/pg_ctl" start -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 >/dev/null || {
    tail -n 20 "$DIR/postgres.log" >&2
    die "server did not start (log: $DIR/postgres.log)"
  }
  local psql=("$BINDIR/psql" -X -q -h 127.0.0.1 -p "$PORT" -U hearth -d postgres -v ON_ERROR_STOP=1)
  if [[ -z $("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'hearth'") ]]; then
    "${psql[@]}" -c 'CREATE DATABASE hearth' >/dev/null
  fi
  url
}

stop() {
  [[ -f $DIR/data/PG_VERSION ]] || return 0
  ensure_installed
  pick_run_user
  running || return 0
  as_server_user "$BINDIR/pg_ctl" stop -D "$DIR/data" -m fast -w -t 60 >/dev/null ||
    die "server did not stop (log: $DIR/postgres.log)"
}

dispatch 0 "" "$@"
