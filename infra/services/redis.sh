#!/usr/bin/env bash
# A private Redis for tests and benchmarks, listening on 127.0.0.1:PORT only.
#
#   redis.sh start DIR PORT   install Debian's redis-server if missing, start it and print
#                             redis://127.0.0.1:PORT/0
#   redis.sh stop DIR         clean shutdown (the append-only file is flushed first)
#
# DIR holds redis.conf, redis.pid, redis.log and the append-only file, so a restart keeps the data.
set -euo pipefail
SERVICE_NAME=redis
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() { die "usage: redis.sh start DIR PORT | stop DIR"; }

ensure_installed() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  apt_install redis-server
  command -v redis-server >/dev/null || die "redis-server not found after installing it"
}

# Rewritten on every start, so the same data can be served on another port.
write_config() {
  cat >"$DIR/redis.conf" <<EOF
bind 127.0.0.1
port $PORT
# Protected mode only turns away clients from other hosts; bound to loopback there are none.
protected-mode yes
daemonize yes
pidfile $DIR/redis.pid
logfile $DIR/redis.log
dir $DIR
# Keys written before a restart of Redis are there after it, as in a production deployment.
appendonly yes
appendfsync everysec
save ""
EOF
}

url() { printf 'redis://127.0.0.1:%s/0\n' "$PORT"; }

answers_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null) == PONG ]]; }

start() {
  ensure_installed
  if pid_alive "$DIR/redis.pid"; then
    url
    return 0
  fi
  refuse_busy_port "$PORT"
  write_config
  redis-server "$DIR/redis.conf" >/dev/null || die "redis-server refused to start (log: $DIR/redis.log)"
  # PING answers PONG only once the append-only file has been loaded.
  wait_for 30 "redis on port $PORT" "$DIR/redis.log" answers_ping
  url
}

stop() {
  # SIGTERM makes Redis fsync the append-only file and exit cleanly.
  stop_pidfile "$DIR/redis.pid" 30
}

dispatch 0 "" "$@"
