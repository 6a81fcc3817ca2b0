# shellcheck shell=bash
# Helpers shared by the service scripts in this folder. Sourced, never run.
#
# Conventions every script follows:
#   - the connection URL is the only thing written to stdout, so `url=$(script start DIR PORT)` works;
#   - progress goes to stderr, and any failure is one line "NAME: reason" on stderr with exit status 1;
#   - `start` on a running service and `stop` on a stopped one succeed without doing anything.
# The calling script sets SERVICE_NAME before sourcing this file.

die() {
  printf '%s: %s\n' "${SERVICE_NAME:-service}" "$*" >&2
  exit 1
}

say() {
  printf '%s: %s\n' "${SERVICE_NAME:-service}" "$*" >&2
}

# Root of the download/build cache shared by every checkout on the machine.
cache_root() {
  printf '%s\n' "${HEARTH_CACHE_DIR:-$HOME/.cache/hearth}"
}

# check_port VALUE: a TCP port, leaving room for the companion ports a service derives from it.
check_port() {
  local port=$1 spare=${2:-0}
  [[ $port =~ ^[0-9]+$ ]] || die "port must be a number, got '$port'"
  ((port >= 1024 && port + spare <= 65535)) ||
    die "port $port out of range (1024..$((65535 - spare)))"
}

# absolute_dir PATH: create PATH if needed and print its absolute form.
absolute_dir() {
  mkdir -p -- "$1" 2>/dev/null || die "cannot create data folder $1"
  (cd -- "$1" && pwd -P)
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# refuse_busy_port PORT...: stop before starting a service on a port someone else already holds.
refuse_busy_port() {
  local port
  for port in "$@"; do
    ! port_open "$port" || die "port $port on 127.0.0.1 is already in use by another process"
  done
}

# pid_alive PIDFILE: true when PIDFILE names a running process.
pid_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# wait_for SECONDS WHAT LOG CHECK...: poll CHECK until it succeeds; on timeout show the end of LOG.
wait_for() {
  local seconds=$1 what=$2 log=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      [[ -f $log ]] && tail -n 20 -- "$log" >&2
      die "$what not ready after ${seconds}s (log: $log)"
    fi
    sleep 0.2
  done
}

# stop_pidfile PIDFILE SECONDS: TERM the process (a clean shutdown), KILL it if it outlives SECONDS.
stop_pidfile() {
  local pidfile=$1 seconds=$2 pid deadline
  if ! pid_alive "$pidfile"; then
    rm -f -- "$pidfile"
    return 0
  fi
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + seconds))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "process $pid ignored TERM for ${seconds}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f -- "$pidfile"
}

# apt_install PACKAGE...: install Debian packages; needs root (or sudo) and the package registry.
apt_install() {
  local sudo=() log
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "installing $* needs root (or sudo)"
    sudo=(sudo)
  fi
  log=$(mktemp)
  say "installing $* from Debian packages"
  # Another apt run may hold the dpkg lock (a parallel install on the same machine): wait for it.
  local wait=(-o DPkg::Lock::Timeout=600)
  if ! { "${sudo[@]}" apt-get "${wait[@]}" update -q &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${wait[@]}" install -y -q \
      --no-install-recommends "$@"; } >"$log" 2>&1; then
    tail -n 20 -- "$log" >&2
    rm -f -- "$log"
    die "apt-get install $* failed"
  fi
  rm -f -- "$log"
}

# with_cache_lock DIR COMMAND...: run COMMAND holding DIR/.lock, so parallel runs fill a cache once.
with_cache_lock() {
  local dir=$1
  shift
  mkdir -p -- "$dir"
  (
    flock 9
    "$@"
  ) 9>"$dir/.lock"
}

# dispatch SPARE_PORTS OTHER_ACTION ARGS...: check the arguments every script takes, set DIR and PORT,
# and run the script's function of that name. The forms are `start DIR PORT`, `stop DIR [PORT]` and,
# where the script has one, OTHER_ACTION alone (fetch or build, which need neither).
# shellcheck disable=SC2034 # DIR and PORT are read by the sourcing script.
dispatch() {
  local spare=$1 other=$2
  shift 2
  local action=${1:-}
  case $action in
  start)
    (($# == 3)) || usage
    check_port "$3" "$spare"
    PORT=$3
    DIR=$(absolute_dir "$2")
    ;;
  stop)
    (($# == 2 || $# == 3)) || usage
    [[ -d $2 ]] || return 0
    DIR=$(cd -- "$2" && pwd -P)
    ;;
  "$other") { [[ -n $other ]] && (($# == 1)); } || usage ;;
  *) usage ;;
  esac
  "$action"
}
