#!/usr/bin/env bash
# Install everything the lab and the test suite need on a Debian 12 machine, idempotently:
# podman (configured for this kernel: runc, no default ulimits), debootstrap, the Python venv.
# Re-running it changes nothing once everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

APT_PACKAGES=(podman runc debootstrap uidmap slirp4netns fuse-overlayfs python3-venv python3-dev
  nftables openssh-client git make rsync shellcheck apt-cacher-ng)

need=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  log "installing apt packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
  # scripts/pkg-cache.sh runs apt-cacher-ng with its own configuration and cache directory; the package's own
  # service (started by its postinst where systemd runs) would hold the same port.
  if [[ " ${need[*]} " == *" apt-cacher-ng "* && -d /run/systemd/system ]]; then
    $SUDO systemctl disable --now apt-cacher-ng >/dev/null 2>&1 || true
  fi
fi

# podman on this kernel (cgroup v1 hybrid): crun refuses to start, the default ulimits fail.
conf=/etc/containers/containers.conf
want=$'# Managed by hybridops scripts/lab-deps.sh\n[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n'
if [[ "$(cat "$conf" 2>/dev/null)" != "${want%$'\n'}" ]]; then
  log "configuring $conf (runc, no default ulimits)"
  $SUDO mkdir -p /etc/containers
  printf '%s' "$want" | $SUDO tee "$conf" >/dev/null
fi

# The Python tooling, pinned in requirements-dev.txt, built once per machine and set of pins in the package
# cache ($HYBRIDOPS_CACHE_DIR/venvs/dev-<hash of the pins>, outside the checkout so every clone reuses it);
# .venv links to it. A venv whose build was interrupted (no .complete stamp) is rebuilt.
sum=$(sha256sum requirements-dev.txt | cut -c1-16)
venv="$HYBRIDOPS_CACHE_DIR/venvs/dev-$sum"
if [[ ! -f "$venv/.complete" ]]; then
  log "building the venv $venv from requirements-dev.txt"
  $SUDO rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  export PIP_CERT="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r requirements-dev.txt
  touch "$venv/.complete"
fi
if [[ "$(readlink .venv 2>/dev/null)" != "$venv" ]]; then
  [[ -L .venv || ! -e .venv ]] || rm -rf .venv  # a venv of the older layout, built inside the checkout
  ln -sfn "$venv" .venv
fi

# Make the checkout resolvable as the collection hybridops.platform.
mkdir -p .cache/collections/ansible_collections/hybridops
ln -sfn "$PWD" .cache/collections/ansible_collections/hybridops/platform
log "lab dependencies ready"
