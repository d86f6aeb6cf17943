#!/usr/bin/env bash
# run-jmh.sh: the JMH micro-benchmarks of the audio bridge, with the allocation gate.
#
#   bench/run-jmh.sh            full run: annotation defaults (3 x 1 s warm-up, 5 x 1 s measured),
#                               AverageTime and SampleTime (percentiles), -prof gc (about 6 minutes)
#   bench/run-jmh.sh --quick    CI smoke run: AverageTime only, 1 x 1 s warm-up, 2 x 1 s measured,
#                               -prof gc (about 1 minute on 2 cores)
#   extra arguments go to JMH, e.g. a benchmark regex: bench/run-jmh.sh --quick RingHop
#
# Builds bench/target/benchmarks.jar when it is missing or older than the sources. Writes the
# JSON result to bench/target/jmh-<profile>.json and a Markdown table (with the issue's speed
# targets, for information) to jmh-<profile>.md, and then checks that every benchmark allocated
# less than 0.5 B/op (gc.alloc.rate.norm); exits non-zero otherwise. Speed is never judged.
# On the shared development machine wrap it: flock /tmp/vmm-build.lock bench/run-jmh.sh --quick
set -euo pipefail
bench=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(dirname "$bench")
jar="$bench/target/benchmarks.jar"

profile=full
jmh_args=()
for arg in "$@"; do
  case "$arg" in
    --quick) profile=quick ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) jmh_args+=("$arg") ;;
  esac
done

stale() {
  [ ! -f "$jar" ] && return 0
  [ -n "$(find "$bench/src" "$bench/pom.xml" "$root/audio-bridge/src/main" "$root/audio-bridge/pom.xml" \
    -newer "$jar" -type f -print -quit 2>/dev/null)" ]
}
if stale; then
  echo "run-jmh: building $jar" >&2
  (cd "$root" && mvn -q -B -ntp -pl bench -am -DskipTests package) >&2 || {
    echo "run-jmh: build failed; run 'mvn -B -pl bench -am -DskipTests package' in $root to see why" >&2
    exit 2
  }
fi

result="$bench/target/jmh-$profile.json"
rm -f "$result"
exports="--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"
if [ "$profile" = quick ]; then
  timing=(-f 1 -wi 1 -w 1s -i 2 -r 1s -bm avgt -tu ns)
else
  timing=()
fi
# -foe: a benchmark whose setup check fails (wrong decode, lost datagram) fails the run.
java "$exports" -jar "$jar" "${timing[@]}" -foe true -prof gc -rf json -rff "$result" \
  ${jmh_args[@]+"${jmh_args[@]}"}
echo
java "$exports" -cp "$jar" org.oligarchy.vmm.bench.gate.JmhSummary "$result" "${result%.json}.md" > /dev/null
echo "run-jmh: summary table in ${result%.json}.md"
java "$exports" -cp "$jar" org.oligarchy.vmm.bench.gate.AllocationGate "$result" 0.5
