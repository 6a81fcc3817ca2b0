#!/usr/bin/env bash
# A private S3-compatible object store for tests: SeaweedFS (Apache-2.0) with its S3 gateway.
#
#   seaweedfs.sh build             build `weed` from the Go module proxy into the cache (once per version)
#   seaweedfs.sh start DIR PORT    build if needed, start master, volume server, filer and S3 gateway with
#                                  their data in DIR, and print the S3 endpoint http://127.0.0.1:PORT
#   seaweedfs.sh stop DIR          clean shutdown, killed if it takes longer than 30 s
#
# The S3 gateway listens on PORT and the internal servers on PORT+1..PORT+7, all on 127.0.0.1.
# Credentials: S3_ACCESS_KEY / S3_SECRET_KEY (test defaults below), given full rights on every bucket.
# Settings: SEAWEEDFS_VERSION (default below), HEARTH_CACHE_DIR.
set -euo pipefail
SERVICE_NAME=seaweedfs
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

MODULE=github.com/seaweedfs/seaweedfs
# SeaweedFS publishes no semantic-version tags, so the proxy serves it by commit (pseudo-version).
SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
CACHE=$(cache_root)/seaweedfs
WEED=$CACHE/bin/weed
S3_ACCESS_KEY=${S3_ACCESS_KEY:-hearth-test-access}
S3_SECRET_KEY=${S3_SECRET_KEY:-hearth-test-secret}

usage() { die "usage: seaweedfs.sh build | start DIR PORT | stop DIR"; }

find_go() {
  GO=$(command -v go || true)
  [[ -n $GO ]] || [[ ! -x /usr/local/go/bin/go ]] || GO=/usr/local/go/bin/go
  [[ -n $GO ]] || die "Go 1.26.6 or newer is needed to build SeaweedFS, and none is installed"
}

compile_weed() {
  [[ -x $WEED && $(cat "$WEED.version" 2>/dev/null) == "$SEAWEEDFS_VERSION" ]] && return 0
  find_go
  say "building $MODULE@$SEAWEEDFS_VERSION (several minutes on two cores)"
  local download source
  # `go install MODULE/weed@VERSION` refuses this module because its go.mod has a replace directive,
  # so the build runs inside the module's own (read-only, checksum-verified) source tree.
  download=$(cd -- "$CACHE" && "$GO" mod download -json "$MODULE@$SEAWEEDFS_VERSION" 2>&1) || {
    printf '%s\n' "$download" | tail -n 20 >&2
    die "the Go module proxy did not deliver $MODULE@$SEAWEEDFS_VERSION"
  }
  source=$(printf '%s\n' "$download" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -d $source ]] || die "no source folder for $MODULE@$SEAWEEDFS_VERSION in: $download"
  mkdir -p -- "$CACHE/bin"
  (cd -- "$source" && "$GO" build -mod=readonly -trimpath -ldflags='-s -w' -o "$WEED.partial" ./weed) \
    >"$CACHE/build.log" 2>&1 || {
    tail -n 20 "$CACHE/build.log" >&2
    die "building SeaweedFS failed (log: $CACHE/build.log)"
  }
  mv -- "$WEED.partial" "$WEED"
  printf '%s\n' "$SEAWEEDFS_VERSION" >"$WEED.version"
}

build() {
  with_cache_lock "$CACHE" compile_weed
}

write_identities() {
  local key
  for key in "$S3_ACCESS_KEY" "$S3_SECRET_KEY"; do
    [[ $key =~ ^[A-Za-z0-9+/=_.-]{8,128}$ ]] ||
      die "S3_ACCESS_KEY and S3_SECRET_KEY must be 8-128 characters of A-Z a-z 0-9 + / = _ . -"
  done
  cat >"$DIR/s3.json" <<EOF
{
  "identities": [
    {
      "name": "hearth",
      "credentials": [{ "accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY" }],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
EOF
  chmod 600 "$DIR/s3.json"
}

# http_get PORT PATH: the raw HTTP/1.0 response, without depending on curl being installed.
http_get() {
  local response
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  response=$(cat <&3)
  exec 3<&-
  printf '%s' "$response"
}

# Ready when the S3 gateway answers and a volume server has joined the master: before that, the
# first upload would fail for want of a place to store it.
ready() {
  pid_alive "$DIR/weed.pid" || {
    tail -n 20 "$DIR/weed.log" >&2
    die "SeaweedFS exited during start-up (log: $DIR/weed.log)"
  }
  [[ $(http_get "$PORT" / 2>/dev/null) == HTTP/1.?' '* ]] &&
    [[ $(http_get $((PORT + 1)) /dir/status 2>/dev/null) == *'"DataNodes"'* ]]
}

url() { printf 'http://127.0.0.1:%s\n' "$PORT"; }

start() {
  build
  if pid_alive "$DIR/weed.pid"; then
    url
    return 0
  fi
  # The master keeps its state in a folder named after its port, and a master with fresh state
  # refuses to grow volumes on the old volume server: a data folder stays on the port it began with.
  local first_port
  first_port=$(cat "$DIR/port" 2>/dev/null || echo "$PORT")
  [[ $first_port == "$PORT" ]] ||
    die "$DIR belongs to a server on port $first_port; use that port or a new folder"
  refuse_busy_port $(seq "$PORT" $((PORT + 7)))
  write_identities
  printf '%s\n' "$PORT" >"$DIR/port"
  mkdir -p -- "$DIR/data"
  # A bucket is a collection of volumes. Volumes of 256 MB, as many as the free disk holds
  # (-volume.max=0), grown one at a time rather than 7, let a test run create many buckets.
  WEED_MASTER_VOLUME_GROWTH_COPY_1=1 setsid "$WEED" server -dir="$DIR/data" \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false -volume.max=0 \
    -master.volumeSizeLimitMB=256 -master.electionTimeout=1s -volume.preStopSeconds=0 \
    -master.port=$((PORT + 1)) -master.port.grpc=$((PORT + 2)) \
    -volume.port=$((PORT + 3)) -volume.port.grpc=$((PORT + 4)) \
    -filer.port=$((PORT + 5)) -filer.port.grpc=$((PORT + 6)) -filer.localSocket="$DIR/filer.sock" \
    -s3 -s3.port="$PORT" -s3.port.grpc=$((PORT + 7)) -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.localSocket="$DIR/s3.sock" -s3.config="$DIR/s3.json" \
    >>"$DIR/weed.log" 2>&1 </dev/null &
  echo $! >"$DIR/weed.pid"
  wait_for 120 "S3 gateway on port $PORT" "$DIR/weed.log" ready
  url
}

stop() {
  stop_pidfile "$DIR/weed.pid" 30
}

dispatch 7 build "$@"
