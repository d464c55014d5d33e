#!/usr/bin/env bash
# The test harness behind `make test`. Stages: lint (yamllint, ansible-lint), sanity (ansible-test for the
# plugins), unit (pytest), molecule (every scenario, through pytest). Prints a timing table and ends with one
# summary line over every pytest stage.
# Usage: scripts/test.sh all|lint|sanity|galaxy|unit|molecule
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
# The checkout is the collection under test; never a copy another tool left in ~/.ansible/collections.
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
export PIP_CERT="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
OUTPUT=tests/output
mkdir -p "$OUTPUT"
rm -rf "$OUTPUT"/junit-*.xml "$OUTPUT/timings" "$OUTPUT/timings.json" "$OUTPUT/stages.tsv"
failed=0
T_START=$(date +%s)
# The suite's deadline (epoch seconds): CI gives `make test` 90 minutes, so a scenario still running 80 minutes
# after make started is stopped there, with its process tree in its log (tests/molecule/test_scenarios.py), and
# the suite still ends with its summary. HYBRIDOPS_TEST_DEADLINE overrides it; 0 means none.
export HYBRIDOPS_TEST_DEADLINE="${HYBRIDOPS_TEST_DEADLINE:-$((${HYBRIDOPS_TEST_STARTED:-$T_START} + 80 * 60))}"

run_stage() {
  local name=$1; shift
  local t0; t0=$(date +%s.%N)
  stage_start "$name"
  "$@"; local rc=$?
  stage_end "$name" "$rc"
  printf '%s\t%s\t%s\n' "$name" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')" "$rc" \
    >>"$OUTPUT/stages.tsv"
  ((rc == 0)) || failed=1
}

lint() {
  yamllint -s . && ansible-lint --offline -q && shellcheck -S warning scripts/*.sh tests/*/*.sh
}

sanity() {
  # ansible-test needs the collection under ansible_collections/<namespace>/<name>, with real files.
  # (outside the checkout: inside it, ansible-test would ask git and find only ignored files)
  local dest="${TMPDIR:-/tmp}/hybridops-sanity/ansible_collections/hybridops/platform"
  rm -rf "$dest"; mkdir -p "$dest"
  git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$dest/"
  # ansible-test fetches a pip bootstrap script from a host outside the reachable registries: give it an
  # equivalent one (scripts/ansible-test-get-pip.py) in a private HOME so the user's ~/.ansible stays untouched.
  # That HOME lives in the package cache, keyed by the ansible-core release, so the venvs ansible-test makes for
  # its tests (pylint and the rest: about 70 package installs) outlive the clone and a warm run reuses them.
  local core; core=$(python3 -c 'from ansible.release import __version__; print(__version__)')
  local home="$HYBRIDOPS_CACHE_DIR/ansible-test-home/$core"
  local pyver; pyver=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  mkdir -p "$home/.ansible/test/cache"
  for v in 24_2 25_0 25_1 25_2 25_3; do cp scripts/ansible-test-get-pip.py "$home/.ansible/test/cache/get_pip_$v.py"; done
  (cd "$dest" && HOME="$home" ansible-test sanity --venv --python "$pyver" \
     plugins/ tests/ 2>&1 | { grep -v "^Running sanity test" || true; } | tail -n 150)
}

# Galaxy's importer on the built tarball (scripts/galaxy-import.sh): no ERROR or WARNING.
galaxy() {
  bash scripts/galaxy-import.sh
}

unit() {
  # Two workers: most unit tests run ansible-playbook or a simulator in a subprocess.
  pytest -q -p no:cacheprovider -n "${UNIT_WORKERS:-2}" --junitxml="$OUTPUT/junit-unit.xml" tests/unit tests/integration
}

# The vllm scenario installs the real pinned vLLM from the host's wheelhouse ($HYBRIDOPS_CACHE_DIR/wheels, about
# 3.7 GB when full). `all` fills it in the background while lint, sanity and unit run; the molecule stage waits.
WHEELS_PID=""
start_wheels() {
  bash scripts/fetch-wheels.sh >"$OUTPUT/fetch-wheels.log" 2>&1 &
  WHEELS_PID=$!
}

# Gitea and its runner for the gitea scenario and Alertmanager for the monitoring one, built from the Go module proxy
# (about 12 + 2 CPU-minutes cold, nothing when cached): started in the background with the first stages, so a cold
# machine builds while lint and the unit tests run. The scenario's prepare runs the same script, which waits on the build lock and then finds the cache.
# Keep the versions in step with molecule/gitea/prepare.yml and molecule/monitoring/molecule.yml.
start_go_builds() {
  command -v go >/dev/null || return 0
  nice bash scripts/build-go.sh gitea@1.26.0 gitea@1.26.1 runner@1.0.8 alertmanager@0.35.0 >"$OUTPUT/build-go.log" 2>&1 &
}

wait_wheels() {
  if [[ -z "$WHEELS_PID" ]]; then
    [[ -z "${SCENARIOS:-}" || " $SCENARIOS " == *" vllm "* ]] || return 0
    start_wheels
  fi
  wait "$WHEELS_PID" || log "filling the wheel cache failed (see $OUTPUT/fetch-wheels.log); the vllm role downloads what is missing itself"
  tail -n 1 "$OUTPUT/fetch-wheels.log" >&2
}

# The Debian package cache (apt-cacher-ng) for the containers: started for the molecule stage and stopped
# again afterwards unless it was already running (the lab keeps it running).
PKG_CACHE_STARTED=""
start_pkg_cache() {
  bash scripts/pkg-cache.sh status >/dev/null 2>&1 && return 0
  bash scripts/pkg-cache.sh start && PKG_CACHE_STARTED=1
}
stop_pkg_cache() {
  [[ -z "$PKG_CACHE_STARTED" ]] || bash scripts/pkg-cache.sh stop
}
trap stop_pkg_cache EXIT

molecule_all() {
  start_pkg_cache
  wait_wheels
  local sel=()
  [[ -n "${SCENARIOS:-}" ]] && sel=(-k "$(sed 's/ / or /g' <<<"$SCENARIOS")")
  # Two scenarios at a time (MOLECULE_WORKERS): much of a scenario is waiting (package downloads, services
  # starting, failover timers), so two share the machine's cores well. Each scenario has its own network.
  local workers=${MOLECULE_WORKERS:-2}
  pytest -v -p no:cacheprovider --durations=0 -n "$workers" --dist worksteal \
    --junitxml="$OUTPUT/junit-molecule.xml" tests/molecule "${sel[@]}"
}

# tests/output/timings.json: every stage's and every scenario's time (with its Molecule actions), printed as a
# table; then one line over every pytest test of every stage, the verify tests of each scenario included.
summary() {
  python3 - "$OUTPUT" <<'PY'
import glob, json, pathlib, sys, xml.etree.ElementTree as ET
out = pathlib.Path(sys.argv[1])
stages = [dict(zip(("stage", "seconds", "rc"), line.split("\t"))) for line in
          (out / "stages.tsv").read_text().splitlines()] if (out / "stages.tsv").exists() else []
for stage in stages:
    stage["seconds"], stage["rc"] = float(stage["seconds"]), int(stage["rc"])
scenarios = sorted((json.loads(p.read_text()) for p in (out / "timings").glob("*.json")),
                   key=lambda t: -t["seconds"])
(out / "timings.json").write_text(json.dumps({"stages": stages, "scenarios": scenarios}, indent=2) + "\n")
if scenarios:
    print("\n---- scenario timings (tests/output/timings.json) ----")
    for t in scenarios:
        acts = " ".join(f"{k} {v:.0f}" for k, v in t["actions"].items())
        print(f"{t['scenario']:<12} {t['seconds']:>7.1f}s  rc={t['rc']}  {acts}")
p = f = s = 0
for path in glob.glob(f"{out}/junit-*.xml"):
    for suite in ET.parse(path).getroot().iter("testsuite"):
        t, fl, er, sk = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        p += t - fl - er - sk; f += fl + er; s += sk
print(f"suite: {p} passed, {f} failed, {s} skipped")
PY
}

what=${1:-all}
case $what in
  lint) run_stage lint lint ;;
  sanity) run_stage sanity sanity ;;
  galaxy) run_stage galaxy galaxy ;;
  unit) run_stage unit unit ;;
  molecule) run_stage molecule molecule_all ;;
  all)
    # the lint stage runs ansible-lint (production profile); the importer need not run the same release again
    export HYBRIDOPS_IMPORTER_LINT="${HYBRIDOPS_IMPORTER_LINT:-0}"
    start_wheels
    start_go_builds
    # The static stages run beside the Molecule stage, one after the other, each into tests/output/<stage>.log
    # (printed when it ends): the scenarios spend much of their time waiting on services and timers, and the two
    # cores are not busy enough to make both take longer than one after the other (HYBRIDOPS_TEST_SERIAL=1: the
    # old order). The summary table and the last line count every stage either way.
    if [[ -n "${HYBRIDOPS_TEST_SERIAL:-}" ]]; then
      for stage in lint sanity galaxy unit; do run_stage "$stage" "$stage"; done
      run_stage molecule molecule_all
    else
      # The unit tests first, at normal priority (some wait on simulators with short timeouts); then lint, sanity and
      # Galaxy's importer at the lowest priority: nothing in them waits on a clock, and the scenarios leave the
      # cores idle for minutes at a time (failover timers, alert waits: 1.81 of 2 cores busy on average in the
      # rehearsal of 2026-12-07), which is when these run.
      (
        for stage in unit lint sanity galaxy; do
          [[ $stage == lint ]] && renice -n 19 -p "$BASHPID" >/dev/null
          run_stage "$stage" "$stage" >"$OUTPUT/$stage.log" 2>&1
          { printf '\n---- %s (%s) ----\n' "$stage" "$OUTPUT/$stage.log"; tail -n 60 "$OUTPUT/$stage.log"; } >&2
        done
      ) &
      static_pid=$!
      run_stage molecule molecule_all
      wait "$static_pid"
      # the static stages ran in a subshell: take their results from the table they appended to
      while IFS=$'\t' read -r name seconds rc; do
        [[ "$name" == molecule ]] && continue
        __STAGES+=("$(printf '%-28s %8ss  %s' "$name" "$seconds" "$([[ $rc -eq 0 ]] && echo ok || echo "FAILED (rc=$rc)")")")
        ((rc == 0)) || failed=1
      done <"$OUTPUT/stages.tsv"
    fi
    ;;
  *) die "unknown stage: $what" ;;
esac
stage_summary
printf 'wall time: %ss\n' "$(($(date +%s) - T_START))"
summary
exit $failed
