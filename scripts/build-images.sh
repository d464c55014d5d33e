#!/usr/bin/env bash
# Build the systemd test images (Debian 12 "bookworm", Debian 13 "trixie") with debootstrap + podman import.
# An image is rebuilt only when its recipe changes: this script, the package list, the extra CA certificates or
# the module bytecode cache (tests/images/hybridops_module_cache.py).
# Usage: scripts/build-images.sh [bookworm] [trixie]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SUITES=("$@")
((${#SUITES[@]})) || SUITES=(bookworm trixie)
MIRROR="${HYBRIDOPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,iputils-ping,procps,ca-certificates,gnupg,curl,netcat-openbsd,less"
EXTRA_CA_DIR=/usr/local/share/ca-certificates
MODULE_CACHE=tests/images/hybridops_module_cache.py

recipe_sum() {
  { cat "$0" "$MODULE_CACHE"; echo "$1 $MIRROR $PACKAGES"; find "$EXTRA_CA_DIR" -type f -name '*.crt' -print0 2>/dev/null | sort -z | xargs -0r cat; } \
    | sha256sum | cut -c1-16
}

for suite in "${SUITES[@]}"; do
  image="localhost/hybridops-lab:$suite"
  sum=$(recipe_sum "$suite")
  have=$(podman image inspect --format '{{ index .Labels "io.hybridops.recipe" }}' "$image" 2>/dev/null || true)
  if [[ "$have" == "$sum" ]]; then
    log "image $image is current ($sum)"
    continue
  fi
  log "building $image (recipe $sum)"
  root=$(mktemp -d /var/tmp/hybridops-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$root" "$MIRROR" >/dev/null
  # Trust the build host's extra CAs (TLS-inspecting proxies) inside the image too.
  if compgen -G "$EXTRA_CA_DIR/*.crt" >/dev/null; then
    cp "$EXTRA_CA_DIR"/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
  fi
  # Ansible's zipped modules are compiled once per container, not on every task (see the module's docstring).
  cp "$MODULE_CACHE" "$root/usr/lib/python3/dist-packages/hybridops_module_cache.py"
  echo 'import hybridops_module_cache; hybridops_module_cache.install()' \
    > "$root/usr/lib/python3/dist-packages/hybridops-module-cache.pth"
  install -d -m 0755 "$root/var/cache/hybridops-module-cache"
  # Match the host's mirror and enable the non-free components that the GPU roles need.
  printf 'deb %s %s main contrib non-free non-free-firmware\ndeb %s %s-updates main contrib non-free non-free-firmware\n' \
    "$MIRROR" "$suite" "$MIRROR" "$suite" > "$root/etc/apt/sources.list"
  # Containers have no console login and no kernel to tune: mask what cannot start.
  for unit in getty.target systemd-remount-fs.service sys-kernel-config.mount systemd-firstboot.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  : > "$root/etc/machine-id"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import --change 'CMD ["/lib/systemd/systemd"]' \
    --change "LABEL io.hybridops.recipe=$sum" - "$image" >/dev/null
  rm -rf "$root"; trap - EXIT
  log "built $image"
done
