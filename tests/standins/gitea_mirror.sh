#!/usr/bin/env bash
# Lay out a STAND-IN of a site's internal mirror for Gitea (Molecule's gitea scenario, the lab):
#   DEST/gitea/<v>/gitea-<v>-linux-amd64{,.sha256}          as dl.gitea.com serves them
#   DEST/runner/<v>/gitea-runner-<v>-linux-amd64{,.sha256}
#   DEST/actions/hello.git                                  a composite action tagged v1, a bare repository for
#                                                           dumb HTTP (what a site mirrors from GitHub)
# from the binaries scripts/build-go.sh left in ARTIFACTS (hard links: nothing is copied).
# Usage: gitea_mirror.sh DEST ARTIFACTS GITEA_VERSION... -- RUNNER_VERSION...
set -euo pipefail
dest=$1 artifacts=$2
shift 2
rm -rf "$dest" && mkdir -p "$dest/actions"
kind=gitea
for v in "$@"; do
  if [[ "$v" == -- ]]; then kind=runner; continue; fi
  name=$([[ $kind == gitea ]] && echo "gitea-$v" || echo "gitea-runner-$v")
  mkdir -p "$dest/$kind/$v"
  ln "$artifacts/$name/$name-linux-amd64"* "$dest/$kind/$v/"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q -b main .
cat > action.yml <<'YAML'
name: hello
description: Writes a greeting and a marker file (served from the local Gitea)
inputs:
  who:
    description: whom to greet
    default: world
outputs:
  greeting:
    description: the greeting
    value: ${{ steps.greet.outputs.greeting }}
runs:
  using: composite
  steps:
    - id: greet
      shell: bash
      run: echo "greeting=hello ${{ inputs.who }} from the local action" >> "$GITHUB_OUTPUT"
YAML
git add action.yml
git -c user.name=hybridops -c user.email=hybridops@example.invalid commit -q -m "hello action"
git tag v1
git clone -q --bare . "$dest/actions/hello.git"
git -C "$dest/actions/hello.git" update-server-info
