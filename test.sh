#!/usr/bin/env bash
# Runs every test of the project: unit, golden-file, and integration tests against real
# JACK2 servers, real NetJack2 peers, real QEMU and a real nix-instantiate.
#
# As root it installs what the tests need with apt-get (non-interactively); as another user
# it names the packages to install and stops.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
while read -r what pkg; do
  case "$what" in ''|'#'*) continue ;; esac
  if [ "${what#/}" != "$what" ]; then
    [ -e "$what" ] || missing+=("$pkg")
  else
    command -v "$what" >/dev/null 2>&1 || missing+=("$pkg")
  fi
done < test-deps.txt
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # jackd2 asks whether to enable realtime limits; answer it up front.
    echo "jackd2 jackd/tweak_rt_limits boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing system packages: ${missing[*]}" >&2
    echo "         install them with: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi

# jackd on machines without a D-Bus audio reservation service (CI, containers).
export JACK_NO_AUDIO_RESERVATION=1

# A test JVM that surefire kills at its fork time-out (a native call that never returned) leaves
# the JACK servers it started; they registered their PIDs, and are stopped here, by PID.
stop_leftover_servers() {
  local f pid
  for f in */target/test-processes/*; do
    [ -e "$f" ] || continue
    pid=${f##*/}
    if [ -r "/proc/$pid/comm" ] && grep -q '^jackd' "/proc/$pid/comm"; then
      echo "test.sh: stopping leftover test server $(cat "$f" 2>/dev/null) (PID $pid)" >&2
      kill "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}
trap stop_leftover_servers EXIT

# --fail-at-end: every module's tests run and report, not only those before the first failure.
status=0
mvn -B -ntp --fail-at-end verify "$@" || status=$?

# The Nix package's Maven lock (native-config/maven/deps.json): a local repository made of the
# locked files alone builds the package offline; fails when a dependency changed and the lock
# did not.
native-config/maven/verify-lock.sh || status=$?

# The JMH quick profile: proves the benchmarks run and that every data-path benchmark allocates
# less than 0.5 B/op. Never a speed threshold (these are shared 2-core machines).
if [ "$status" -eq 0 ] && [ "${SKIP_JMH:-0}" != 1 ]; then
  bench/run-jmh.sh --quick || status=$?
fi

# One closing line over every module's Surefire reports.
STATUS="$status" python3 - <<'PY' 2>/dev/null || true
import glob, os, xml.etree.ElementTree as ET
tests = failed = skipped = 0
for f in glob.glob('*/target/surefire-reports/TEST-*.xml'):
    r = ET.parse(f).getroot()
    tests += int(r.get('tests', 0)); skipped += int(r.get('skipped', 0))
    failed += int(r.get('failures', 0)) + int(r.get('errors', 0))
if os.environ.get('STATUS', '0') != '0' and failed == 0:
    # No report says why (a killed test JVM writes none, or a step after the tests failed).
    print("test.sh: the build failed outside the test reports; see the output above")
    failed = 1
print(f"{tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
