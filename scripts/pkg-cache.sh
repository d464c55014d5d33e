#!/usr/bin/env bash
# The host-side package caches shared by the lab and every Molecule scenario, kept OUTSIDE the checkout (so they
# outlive clones) under $HYBRIDOPS_CACHE_DIR (scripts/lib.sh: /var/cache/hybridops for root, else ~/.cache/hybridops):
#   apt/     apt-cacher-ng's cache of Debian packages and indexes (a caching proxy on port 3142)
#   pip/     pip's HTTP cache, mounted into the test containers as /root/.cache/pip
#   wheels/  pinned wheelhouses (scripts/fetch-wheels.sh), mounted into the test containers
# Containers find the proxy on their default gateway through /usr/local/sbin/hybridops-apt-proxy (written by
# `tests/molecule/prepare.yml` and scripts/lab.sh): apt asks it before every download and goes DIRECT when the
# proxy does not answer, so a host without the cache (or with a cold one) still works, only slower.
# The machines have no systemd as PID 1, so the proxy runs as a plain daemon with a pid file.
# Usage: scripts/pkg-cache.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

CACHE_DIR=$HYBRIDOPS_CACHE_DIR
# The containers' helper (scripts/container-apt-proxy.sh) looks for the cache on this port.
PORT=3142
PIDFILE=$CACHE_DIR/apt-cacher-ng.pid

running() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

start() {
  $SUDO mkdir -p "$CACHE_DIR"/{apt,apt-log,pip,wheels}
  if ! command -v apt-cacher-ng >/dev/null && [[ ! -x /usr/sbin/apt-cacher-ng ]]; then
    log "installing apt-cacher-ng"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends apt-cacher-ng >/dev/null \
      || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
             --no-install-recommends apt-cacher-ng >/dev/null; }
  fi
  if running; then
    log "Debian package cache answers on port $PORT ($(du -sh "$CACHE_DIR/apt" 2>/dev/null | cut -f1) cached)"
    return 0
  fi
  $SUDO chown -R apt-cacher-ng: "$CACHE_DIR/apt" "$CACHE_DIR/apt-log" 2>/dev/null || true
  # A private configuration without the package's mirror remapping (its default backends name mirrors that
  # need not answer here): every file is cached under the host name of the URL the container asked for.
  $SUDO mkdir -p "$CACHE_DIR/acng-conf"
  printf '%s\n' '# Written by scripts/pkg-cache.sh' 'SupportDir: /usr/lib/apt-cacher-ng' \
    'ReportPage: acng-report.html' | $SUDO tee "$CACHE_DIR/acng-conf/acng.conf" >/dev/null
  # Packages are cached by URL, so a new version of a package is a new file: the cache never serves stale debs.
  # Index files (InRelease) are revalidated against the mirror when older than FreshIndexMaxAge; the lists they
  # name are fetched by hash. 300 s instead of the default 27: two scenarios refreshing the same InRelease in the
  # same second made apt-cacher-ng fail one ("Failure to move file ... out of the way", its error log) and that
  # container's apt-get update hung with the connection closed (seen once in a whole `make test`, 2026-12-07).
  $SUDO /usr/sbin/apt-cacher-ng -c "$CACHE_DIR/acng-conf" \
    ForeGround=0 Port="$PORT" BindAddress=0.0.0.0 \
    CacheDir="$CACHE_DIR/apt" LogDir="$CACHE_DIR/apt-log" PidFile="$PIDFILE" \
    SocketPath="$CACHE_DIR/apt-cacher-ng.socket" ExThreshold=14 PassThroughPattern='.*:443$' \
    FreshIndexMaxAge=300
  for _ in $(seq 50); do
    if running && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      log "Debian package cache started on port $PORT (cache: $CACHE_DIR/apt)"
      return 0
    fi
    sleep 0.2
  done
  log "the Debian package cache did not start (see $CACHE_DIR/apt-log); containers download directly"
}

stop() {
  if running; then
    $SUDO kill "$(cat "$PIDFILE")"
    for _ in $(seq 50); do running || break; sleep 0.1; done
    log "Debian package cache stopped (the cache itself stays in $CACHE_DIR/apt)"
  fi
  $SUDO rm -f "$PIDFILE"
}

case "${1:-status}" in
  start) start ;;
  stop) stop ;;
  status)
    if running; then echo "running (pid $(cat "$PIDFILE"), port $PORT, $(du -sh "$CACHE_DIR/apt" | cut -f1))"
    else echo "stopped"; exit 3; fi ;;
  *) die "usage: $0 start|stop|status" ;;
esac
