#!/usr/bin/env bash
# Build the execution environment (execution-environment.yml) with ansible-builder and podman, no registry:
#   1. the base image localhost/hybridops-ee-base:bookworm from ee/Containerfile.base on top of the lab's Debian 12
#      image (scripts/build-images.sh), with ansible-core at the version requirements-dev.txt pins; rebuilt only
#      when its recipe changes (label io.hybridops.recipe, like the lab images);
#   2. the collection tarball of the checkout (ansible-galaxy collection build) into ee/collections/;
#   3. `ansible-builder build` (its own venv in the package cache: venvs/ee-<hash of requirements-ee.txt>), skipped
#      when the image already carries the recipe (what the tarball holds, the EE files, the base image).
# Usage: scripts/build-ee.sh            prints the image name (localhost/hybridops-ee:latest) on stdout
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

LAB_IMAGE=localhost/hybridops-lab:bookworm
BASE_IMAGE=localhost/hybridops-ee-base:bookworm
EE_IMAGE=localhost/hybridops-ee:latest
export PIP_CERT="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"

podman image exists "$LAB_IMAGE" || bash scripts/build-images.sh bookworm

# ansible-builder in a venv of its own, built once per set of pins.
venv=$(tool_venv ee requirements-ee.txt)

# 1. The base image.
core=$(sed -n 's/^ansible-core==//p' requirements-dev.txt)
[[ -n "$core" ]] || die "requirements-dev.txt pins no ansible-core"
lab_id=$(podman image inspect --format '{{ .Id }}' "$LAB_IMAGE")
base_sum=$({ cat ee/Containerfile.base ee/ee-pkgmgr; echo "$core $lab_id"; } | sha256sum | cut -c1-16)
have=$(podman image inspect --format '{{ index .Labels "io.hybridops.recipe" }}' "$BASE_IMAGE" 2>/dev/null || true)
if [[ "$have" != "$base_sum" ]]; then
  log "building $BASE_IMAGE (recipe $base_sum, ansible-core $core)"
  podman build --quiet --file ee/Containerfile.base --build-arg "LAB_IMAGE=$LAB_IMAGE" \
    --build-arg "ANSIBLE_CORE_VERSION=$core" --label "io.hybridops.recipe=$base_sum" \
    --volume "$HYBRIDOPS_CACHE_DIR/pip:/root/.cache/pip" --tag "$BASE_IMAGE" ee >/dev/null
else
  log "image $BASE_IMAGE is current ($base_sum)"
fi
base_id=$(podman image inspect --format '{{ .Id }}' "$BASE_IMAGE")

# 2. The collection as a user gets it (galaxy.yml's build_ignore applies), from a scratch copy of the checkout.
work=$(mktemp -d "${TMPDIR:-/tmp}/hybridops-ee.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$work/src/"
galaxy=ansible-galaxy
[[ -x .venv/bin/ansible-galaxy ]] && galaxy="$PWD/.venv/bin/ansible-galaxy"
(cd "$work/src" && "$galaxy" collection build --output-path "$work" >/dev/null 2>"$work/galaxy.err") \
  || { cat "$work/galaxy.err" >&2; die "ansible-galaxy collection build failed"; }
tarball=$(ls "$work"/hybridops-platform-*.tar.gz)
# The recipe: what the tarball holds (names and contents, not its timestamps), the EE files, the base image.
ee_sum=$({ tar -tzf "$tarball" | sort; tar -xzOf "$tarball" | sha256sum
           cat execution-environment.yml ee/requirements.yml ee/requirements.txt ee/bindep.txt; echo "$base_id"; } \
         | sha256sum | cut -c1-16)
have=$(podman image inspect --format '{{ index .Labels "io.hybridops.recipe" }}' "$EE_IMAGE" 2>/dev/null || true)
if [[ "$have" == "$ee_sum" ]]; then
  log "image $EE_IMAGE is current ($ee_sum)"
  echo "$EE_IMAGE"
  exit 0
fi
mkdir -p ee/collections
cp "$tarball" ee/collections/hybridops-platform.tar.gz

# 3. The EE. The pip cache of the host serves the builder's pip installs.
log "building $EE_IMAGE (recipe $ee_sum) with ansible-builder"
"$venv/bin/ansible-builder" build --file execution-environment.yml --context "$work/context" \
  --container-runtime podman --tag "$EE_IMAGE" \
  --extra-build-cli-args "--label io.hybridops.recipe=$ee_sum --volume $HYBRIDOPS_CACHE_DIR/pip:/root/.cache/pip" \
  >"$work/builder.log" 2>&1 || { tail -n 60 "$work/builder.log" >&2; die "ansible-builder failed"; }
log "built $EE_IMAGE"
echo "$EE_IMAGE"
