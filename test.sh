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

# The Debian 13 roots that the real-quickemu tests (and the PipeWire peer tests) run their
# programs from (tools/debian-root.sh, cached under /var/cache/vmm-test): built in the background
# while Maven compiles and runs the other tests, because the first build downloads a few hundred MB
# (about 6 min here). A test that needs a root calls the same script, which waits on the root's
# lock and then finds it built. The lists must match the tests' own (each test names its list).
roots_pid=""
if [ "$(id -u)" -eq 0 ] && [ "${SKIP_DEBIAN_ROOTS:-0}" != 1 ]; then
  mkdir -p target
  {
    while read -r list; do
      case "$list" in ''|'#'*) continue ;; esac
      # shellcheck disable=SC2086 # the list is words by design
      tools/debian-root.sh $list || echo "test.sh: building the root for '$list' failed; its tests will say why"
    done < tools/debian-roots.txt
  } > target/debian-roots.log 2>&1 &
  roots_pid=$!
fi

# A test JVM that surefire kills at its fork time-out (a native call that never returned) leaves
# the JACK servers (and PipeWire daemons) it started; they registered their PIDs, and are stopped here, by PID.
stop_leftover_servers() {
  local f pid
  for f in */target/test-processes/*; do
    [ -e "$f" ] || continue
    pid=${f##*/}
    if [ -r "/proc/$pid/comm" ] && grep -qE '^(jackd|pipewire)' "/proc/$pid/comm"; then
      echo "test.sh: stopping leftover test server $(cat "$f" 2>/dev/null) (PID $pid)" >&2
      kill "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}
# Surefire ends a test JVM that outlives its fork time-out (vmm.forkTimeoutSeconds in pom.xml) by
# destroying the shell it forked it through (/bin/sh -c 'cd MODULE && java ...'), which can leave the
# JVM running; and a JVM stuck at a safepoint (one thread that never reaches it: seen with JFR under
# load) ignores SIGTERM anyway: the suite would wait forever. This watchdog sends SIGKILL
# to any test JVM of this checkout (its working directory is a module here) still alive 60 s after
# that time-out; Surefire then reports the class as crashed and the other classes run on.
fork_timeout=$(sed -n 's:.*<vmm.forkTimeoutSeconds>\([0-9]*\)</vmm.forkTimeoutSeconds>.*:\1:p' pom.xml | head -1)
for arg in "$@"; do
  case "$arg" in -Dvmm.forkTimeoutSeconds=*) fork_timeout=${arg#*=} ;; esac
done
fork_limit=$(( ${fork_timeout:-420} + 60 ))
watch_test_jvms() {
  local pid age
  while sleep 10; do
    for pid in $(pgrep -f surefirebooter || true); do
      case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$PWD"/*) ;; *) continue ;; esac
      age=$(ps -o etimes= -p "$pid" 2>/dev/null | tr -d ' ' || true)
      if [ -n "$age" ] && [ "$age" -gt "$fork_limit" ]; then
        echo "test.sh: test process $pid ($(readlink "/proc/$pid/cwd")) still alive ${age} s after it started," \
          "past the fork time-out of ${fork_timeout:-420} s: killed with SIGKILL; its class is reported as a fork time-out" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
  done
}
watchdog_pid=""
if [ "${fork_timeout:-420}" != 0 ]; then
  watch_test_jvms &
  watchdog_pid=$!
fi
finish() {
  [ -n "$watchdog_pid" ] && kill "$watchdog_pid" 2>/dev/null || true
  stop_leftover_servers
  if [ -n "$roots_pid" ] && kill -0 "$roots_pid" 2>/dev/null; then
    echo "test.sh: waiting for the Debian root build to end (target/debian-roots.log)" >&2
    wait "$roots_pid" || true
  fi
}
trap finish EXIT

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
