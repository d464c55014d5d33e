#!/bin/sh
# apt's Acquire::http::Proxy-Auto-Detect helper inside lab and test containers (test tooling, not part of the
# collection): apt runs it before it downloads and uses the host's package cache (scripts/pkg-cache.sh,
# apt-cacher-ng on port 3142 of the container's default gateway) when it answers, and goes DIRECT otherwise.
gw=$(ip -4 route show default 2>/dev/null | awk '{ print $3; exit }')
if [ -n "$gw" ] && nc -z -w 1 "$gw" 3142 2>/dev/null; then
  echo "http://$gw:3142"
else
  echo DIRECT
fi
