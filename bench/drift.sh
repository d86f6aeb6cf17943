#!/usr/bin/env bash
# drift.sh: issue 17's side-by-side benchmark of three ways across two JACK clocks, on the same
# drifting pair of dummy servers: a host `jackd -d dummy -r RATE -p PERIOD` and a guest `jackd -d
# dummy -r GUEST_RATE -p GUEST_PERIOD` (96,010 against 96,000 Hz: about +104 ppm nominal).
#
#   flock /tmp/vmm-build.lock bench/drift.sh [--rounds N] [--seconds S] [--exclude N]
#       [--guest-rate HZ] [--guest-period FRAMES] [--rate HZ] [--period FRAMES] [--latency L]
#       [--setups "ours jack2 zita"] [--resample-margin FRAMES] [--zita-buff MS]
#       [--netadapter-quality Q] [--bridge-priority N] [--out DIR]
#   bench/drift.sh --report DIR      (re-write report.md and summary.json from DIR/raw)
#
# The setups, one after another, the order reversed every other round, each with fresh servers:
#   ours   the host bridge (`bin/netjack-bridge run`, as bench/e2e.sh starts it) on the host, and
#          `bin/netjack-bridge slave --master` as a JACK client of the guest (resampling both
#          ways), its from_master_1 looped to its to_master_1 on the guest;
#   jack2  JACK2's `jack_load netmanager` on the host and `jack_load netadapter` on the guest,
#          looped on the guest through JACK2's example in-process client `inprocess` (a port of
#          netadapter connected straight to its own other port carries zeros: NetadapterJackTest);
#   zita   zita-njbridge: `zita-j2n` on the host sends to `zita-n2j` on the guest, which is looped
#          to a second `zita-j2n` there, back to a `zita-n2j` on the host (each receiver resamples).
# One channel each way, L = --latency periods for NetJack2 (ours and jack2). For --seconds the
# round trip is measured on the HOST server by `jack_delay` through the setup's host-side ports,
# every line of its output time-stamped. Beside it a small client on each server
# (bench/drift/clock_monitor.c) records the graph's frame counter against the monotonic clock and
# every xrun: the dummy driver does not keep time on a loaded machine, so each server's measured
# rate is reported next to the results. Also CPU (utime + stime from /proc/PID/stat over the
# window) of each side's server and client processes, and re-syncs: ours from the slave's log
# (resampler re-sync lines; docs/resampling.md, docs/counters.md 90-98), netadapter's ring-buffer
# resets from the guest jackd's log, zita's restarts ("Waiting for 10.0 seconds") from zita-n2j.
# A baseline (jack_delay looped on one host server) is measured once first; "added" is the
# setup's median round trip minus it.
#
# Defaults: 2 rounds x 30 s, --exclude 10 (stability also reported without the first 10 s of
# each window), guest 96,010 Hz / 128, host 96,000 Hz / 128, L = 1, zita-n2j's own --buff (10 ms),
# netadapter's own quality, the slave's own --resample-margin. About 5 minutes with start-up.
#
# Runs in a private network namespace (unshare -n, only lo up), as root: every datagram stays on
# that namespace's 127.0.0.1. JACK servers get unique names; only the PIDs this script started
# are stopped. Writes bench/results/<UTC date>-drift[-HHMM]/: raw/ (every log), machine.txt,
# report.md, summary.json.
# Needs: jackd2 (jackd, jack_load, netmanager, netadapter, inprocess), jack-delay,
# libjack-jackd2-dev, gcc, and for the zita setup zita-njbridge (`apt-get install -y
# zita-njbridge`); missing packages are installed with apt-get when possible.
set -euo pipefail
bench=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(dirname "$bench")
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"
helpers="$bench/target/drift-bin"

rounds=2
seconds=30
exclude=10
rate=96000
period=128
guest_rate=96010
guest_period=128
latency=1
setups="ours jack2 zita"
margin=""
zita_buff=""
na_quality=""
bridge_priority=70
baseline_seconds=5
out=""
inside=0
report_only=""
usage() { sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --exclude) exclude=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --period) period=$2; shift 2 ;;
    --guest-rate) guest_rate=$2; shift 2 ;;
    --guest-period) guest_period=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    --setups) setups=$2; shift 2 ;;
    --resample-margin) margin=$2; shift 2 ;;
    --zita-buff) zita_buff=$2; shift 2 ;;
    --netadapter-quality) na_quality=$2; shift 2 ;;
    --bridge-priority) bridge_priority=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --report) report_only=$2; shift 2 ;;
    --inside-netns) inside=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "drift: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

for pair in "rounds:$rounds" "seconds:$seconds" "exclude:$exclude" "rate:$rate" "period:$period" \
  "guest-rate:$guest_rate" "guest-period:$guest_period" "latency:$latency" "bridge-priority:$bridge_priority"; do
  case "${pair#*:}" in
    ''|*[!0-9]*) echo "drift: --${pair%%:*} must be a whole number, got '${pair#*:}'" >&2; exit 2 ;;
  esac
done
for s in $setups; do
  case "$s" in ours|jack2|zita) ;; *) echo "drift: --setups takes ours, jack2 and zita, got '$s'" >&2; exit 2 ;; esac
done
if [ "$exclude" -ge "$seconds" ]; then
  echo "drift: --exclude ($exclude s) must be shorter than --seconds ($seconds s)" >&2; exit 2
fi

# stamp: prefix every line of stdin with the wall clock (epoch seconds, microseconds), no fork per line
stamp() { local line; while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }

# ------------------------------------------------------------------------------------------
# The report: from DIR/raw to DIR/report.md and DIR/summary.json (awk and sort only).

# stats: numbers on stdin, one a line -> "n min max median mean stddev" (n = 0: "0 - - - - -")
stats() {
  sort -g | awk '{v[NR] = $1; s += $1; q += $1 * $1}
    END {
      if (NR == 0) { print "0 - - - - -"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      mean = s / NR; var = q / NR - mean * mean; if (var < 0) var = 0
      printf "%d %.3f %.3f %.3f %.3f %.3f\n", NR, v[1], v[NR], m, mean, sqrt(var)
    }'
}
prop() { # FILE KEY: the value of KEY=... in FILE, or empty
  if [ -f "$1" ]; then awk -v k="$2" 'index($0, k "=") == 1 {print substr($0, length(k) + 2); exit}' "$1"; fi
}
# delay_values LOG FROM_S TO_S: jack_delay's round trips (frames) stamped within [FROM, TO] (epoch s)
delay_values() {
  awk -v a="$2" -v b="$3" '$3 == "frames" && $1 >= a && $1 <= b {print $2}' "$1"
}
# clock_rate LOG FROM_MS TO_MS: "rate processed_rate xruns" of one clock_monitor log over the window
clock_rate() {
  [ -f "$1" ] || { echo "- - -"; return 0; }
  awk -v a="$2" -v b="$3" -v p="$4" '
    $1 == "tick" && $2 >= a && $2 <= b {
      split($3, m, "="); split($4, f, "="); split($5, n, "=")
      if (!have) { m0 = m[2]; f0 = f[2]; n0 = n[2]; have = 1 }
      m1 = m[2]; f1 = f[2]; n1 = n[2]
    }
    $1 == "xrun" && $2 >= a && $2 <= b { x++ }
    END {
      if (have && m1 > m0) printf "%.1f %.1f %d\n", (f1 - f0) / ((m1 - m0) / 1e9), (n1 - n0) * p / ((m1 - m0) / 1e9), x
      else printf "- - %d\n", x
    }' "$1"
}
pct_of_core() { # TICKS CLK_TCK SECONDS
  if [ -z "$1" ] || [ -z "$2" ]; then echo "-"; return 0; fi
  awk -v t="$1" -v c="$2" -v s="$3" 'BEGIN {printf "%.1f", 100 * t / c / s}'
}
# count_in REGEX FROM_S TO_S LOG...: stamped lines matching REGEX within the window (TO empty: to the
# end) in the LOGs that exist
count_in() {
  local r=$1 a=$2 b=${3:-1e18} logs=()
  shift 3
  for f in "$@"; do [ -f "$f" ] && logs+=("$f"); done
  [ ${#logs[@]} -gt 0 ] || { echo 0; return 0; }
  awk -v a="$a" -v b="$b" -v r="$r" '$1 >= a && $1 <= b && $0 ~ r {n++} END {print n + 0}' "${logs[@]}"
}
# resync_events LOG FROM TO: ours: re-sync events in the slave's log ("re-sync ... (N, M in all)")
resync_events() {
  [ -f "$1" ] || { echo 0; return 0; }
  awk -v a="$2" -v b="${3:-1e18}" '$1 >= a && $1 <= b && /resampler re-sync/ {
      s = $0; sub(/.*re-sync [a-z>-]+ \(/, "", s); sub(/,.*/, "", s); n += s }
    END {print n + 0}' "$1"
}

analyse_case() { # DIR: writes DIR/analysis.properties
  local dir=$1 props="$1/case.properties"
  local setup t0 t1 t0s t1s tx clk window
  setup=$(prop "$props" setup)
  if [ -n "$(prop "$props" failed)" ]; then
    { echo "setup=$setup"; echo "round=$(prop "$props" round)"; echo "failed=$(prop "$props" failed)"; } \
      > "$dir/analysis.properties"
    return 0
  fi
  t0=$(prop "$props" window_start_ms); t1=$(prop "$props" window_end_ms)
  clk=$(prop "$props" clk_tck)
  t0s=$(awk -v t="$t0" 'BEGIN {printf "%.3f", t / 1000}')
  t1s=$(awk -v t="$t1" 'BEGIN {printf "%.3f", t / 1000}')
  tx=$(awk -v t="$t0" -v e="$exclude" 'BEGIN {printf "%.3f", t / 1000 + e}')
  window=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1000}')
  local first lock_s
  first=$(awk -v a="$t0s" '$3 == "frames" && $1 >= a {print $1; exit}' "$dir/jack_delay.log")
  lock_s=$( [ -n "$first" ] && awk -v f="$first" -v a="$t0s" 'BEGIN {printf "%.2f", f - a}' || echo "-")
  local all excl lost
  all=$( [ -n "$first" ] && delay_values "$dir/jack_delay.log" "$first" "$t1s" | stats || echo "0 - - - - -")
  excl=$(delay_values "$dir/jack_delay.log" "$tx" "$t1s" | stats)
  lost=$( [ -n "$first" ] && awk -v a="$first" -v b="$t1s" '$1 >= a && $1 <= b && $3 != "frames" {n++} END {print n + 0}' \
    "$dir/jack_delay.log" || echo 0)
  local hr gr
  hr=$(clock_rate "$dir/clock_host.txt" "$t0" "$t1" "$(prop "$props" period)")
  gr=$(clock_rate "$dir/clock_guest.txt" "$t0" "$t1" "$(prop "$props" guest_period)")
  local resyncs_window resyncs_total resync_what locks=""
  case "$setup" in
    ours)
      resyncs_window=$(resync_events "$dir/slave.log" "$t0s" "$t1s")
      resyncs_total=$(resync_events "$dir/slave.log" 0 "")
      locks="both loops locked $(count_in "resampler locked" 0 "" "$dir/slave.log") time(s), $(count_in "resampler lost its lock" "$t0s" "$t1s" "$dir/slave.log") lock losses (either loop) in the window"
      resync_what="resampler re-syncs (slave log)" ;;
    jack2)
      resyncs_window=$(count_in "ringbuffer failure" "$t0s" "$t1s" "$dir/guest_jackd.log")
      resyncs_total=$(count_in "ringbuffer failure" 0 "" "$dir/guest_jackd.log")
      locks="$(count_in "producer too slow|consumer too slow" "$t0s" "$t1s" "$dir/guest_jackd.log") ring misses (frames skipped or missing) in the window"
      resync_what="ring-buffer resets (guest jackd log)" ;;
    zita)
      # A receiver restarts when its loop gives up ("Waiting for 10.0 seconds...", silence meanwhile)
      # or when it hears its transmitter stop ("Transmitter terminated."); either is one interruption.
      local zr="Waiting for [0-9.]+ seconds|Transmitter terminated"
      resyncs_window=$(count_in "$zr" "$t0s" "$t1s" "$dir"/zita_*n2j.log)
      resyncs_total=$(count_in "$zr" 0 "" "$dir"/zita_*n2j.log)
      locks="host receiver $(count_in "$zr" "$t0s" "$t1s" "$dir/zita_host_n2j.log"), guest $(count_in "$zr" "$t0s" "$t1s" "$dir/zita_guest_n2j.log") in the window, of which $(count_in "Transmitter terminated" "$t0s" "$t1s" "$dir"/zita_*n2j.log) 'Transmitter terminated'"
      resync_what="restarts of zita-n2j (both receivers)" ;;
  esac
  local base_median
  base_median=$(prop "$(dirname "$dir")/../baseline/analysis.properties" median_frames)
  {
    echo "setup=$setup"
    echo "round=$(prop "$props" round)"
    echo "failed=$(prop "$props" failed)"
    echo "window_s=$window"
    echo "first_measurement_s=$lock_s"
    local n mn mx md mean sd
    read -r n mn mx md mean sd <<< "$all"
    echo "samples=$n"; echo "min_frames=$mn"; echo "max_frames=$mx"; echo "median_frames=$md"; echo "mean_frames=$mean"
    echo "stddev_frames=$sd"
    echo "spread_frames=$( [ "$n" -gt 0 ] && awk -v a="$mn" -v b="$mx" 'BEGIN {printf "%.3f", b - a}' || echo -)"
    echo "median_ms=$( [ "$n" -gt 0 ] && awk -v m="$md" -v r="$rate" 'BEGIN {printf "%.3f", m * 1000 / r}' || echo -)"
    echo "added_frames=$( [ "$n" -gt 0 ] && [ -n "$base_median" ] && [ "$base_median" != - ] &&
      awk -v m="$md" -v b="$base_median" 'BEGIN {printf "%.3f", m - b}' || echo -)"
    echo "lost_lines=$lost"
    read -r n mn mx md mean sd <<< "$excl"
    echo "excl_samples=$n"; echo "excl_min_frames=$mn"; echo "excl_max_frames=$mx"; echo "excl_median_frames=$md"
    echo "excl_stddev_frames=$sd"
    echo "excl_spread_frames=$( [ "$n" -gt 0 ] && awk -v a="$mn" -v b="$mx" 'BEGIN {printf "%.3f", b - a}' || echo -)"
    local r1 r2 x
    read -r r1 r2 x <<< "$hr"
    echo "host_rate_hz=$r1"; echo "host_processed_hz=$r2"; echo "host_xruns=$x"
    read -r r1 r2 x <<< "$gr"
    echo "guest_rate_hz=$r1"; echo "guest_processed_hz=$r2"; echo "guest_xruns=$x"
    echo "drift_ppm=$(awk -v h="${hr%% *}" -v g="${gr%% *}" 'BEGIN {if (h + 0 > 0 && g + 0 > 0) printf "%.1f", (g / h - 1) * 1e6; else print "-"}')"
    echo "resyncs_window=$resyncs_window"
    echo "resyncs_total=$resyncs_total"
    echo "resync_what=$resync_what"
    echo "resync_notes=$locks"
    echo "cpu_host_server_pct=$(pct_of_core "$(prop "$props" host_jackd_ticks)" "$clk" "$window")"
    echo "cpu_host_clients_pct=$(pct_of_core "$(prop "$props" host_clients_ticks)" "$clk" "$window")"
    echo "cpu_guest_server_pct=$(pct_of_core "$(prop "$props" guest_jackd_ticks)" "$clk" "$window")"
    echo "cpu_guest_clients_pct=$(pct_of_core "$(prop "$props" guest_clients_ticks)" "$clk" "$window")"
  } > "$dir/analysis.properties"
}

analyse_baseline() { # DIR
  local dir=$1 t0 t1 s
  t0=$(prop "$dir/case.properties" window_start_ms); t1=$(prop "$dir/case.properties" window_end_ms)
  s=$(delay_values "$dir/jack_delay.log" "$(awk -v t="$t0" 'BEGIN {printf "%.3f", t / 1000}')" \
    "$(awk -v t="$t1" 'BEGIN {printf "%.3f", t / 1000}')" | stats)
  local n mn mx md r1 r2 x
  read -r n mn mx md _ <<< "$s"
  read -r r1 r2 x <<< "$(clock_rate "$dir/clock_host.txt" "$t0" "$t1" "$period")"
  { echo "samples=$n"; echo "min_frames=$mn"; echo "max_frames=$mx"; echo "median_frames=$md"; echo "host_rate_hz=$r1"
    echo "host_processed_hz=$r2"; echo "host_xruns=$x"
    echo "window_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1000}')"; } > "$dir/analysis.properties"
}

median_of() { # values on stdin ("-" and empty skipped) -> median (trailing zeros dropped) or "-"
  { grep -v -e '^-$' -e '^$' || true; } | stats |
    awk '{ if ($1 == 0) { print "-"; exit } v = $4; sub(/0+$/, "", v); sub(/\.$/, "", v); print v }'
}

write_report() { # OUT
  local o=$1 raw="$1/raw" d
  rate=$(prop "$o/machine.txt" rate); period=$(prop "$o/machine.txt" period)
  guest_rate=$(prop "$o/machine.txt" guest_rate); guest_period=$(prop "$o/machine.txt" guest_period)
  exclude=$(prop "$o/machine.txt" exclude); latency=$(prop "$o/machine.txt" latency)
  [ -d "$raw/baseline" ] && analyse_baseline "$raw/baseline"
  local cases=()
  for d in "$raw"/round*/*/; do
    d=${d%/}
    [ -f "$d/case.properties" ] || continue
    analyse_case "$d"
    cases+=("$d")
  done
  local nominal_ppm
  nominal_ppm=$(awk -v g="$guest_rate" -v h="$rate" 'BEGIN {printf "%+.1f", (g / h - 1) * 1e6}')
  {
    echo "# Issue 17 drift benchmark: ours, JACK2 netadapter, zita-njbridge"
    echo
    echo "Host \`jackd -d dummy -r $rate -p $period\`, guest \`-r $guest_rate -p $guest_period\` ($nominal_ppm ppm nominal);"
    echo "L = $latency for NetJack2; $(prop "$o/machine.txt" rounds) rounds of $(prop "$o/machine.txt" seconds) s per setup;"
    echo "stability also without the first $exclude s. Machine: $(prop "$o/machine.txt" cpus) CPUs, load before"
    echo "$(prop "$o/machine.txt" loadavg_before), after $(prop "$o/machine.txt" loadavg_after); commit $(prop "$o/machine.txt" git_commit)."
    local b="$raw/baseline/analysis.properties"
    echo "Baseline (jack_delay looped on the host server alone, $(prop "$b" window_s) s): $(prop "$b" median_frames) frames;"
    echo "that lone server ran at $(prop "$b" host_rate_hz) Hz (processed $(prop "$b" host_processed_hz)) with $(prop "$b" host_xruns) xruns."
    echo
    echo "## Per setup (median over rounds)"
    echo
    echo "| Setup | Round trip median (frames / ms) | Added | After first measurement: min / max / stddev / max−min | Without first ${exclude} s: stddev / max−min | Re-syncs in window (total) | CPU host server + clients, guest server + clients (% of a core) | Host rate (Hz) | Guest rate (Hz) | Measured drift (ppm) | Xruns host / guest |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    local s
    for s in ours jack2 zita; do
      local mine=()
      for d in "${cases[@]}"; do [ "$(prop "$d/analysis.properties" setup)" = "$s" ] && mine+=("$d"); done
      [ ${#mine[@]} -gt 0 ] || continue
      med() { for d in "${mine[@]}"; do prop "$d/analysis.properties" "$1"; done | median_of; }
      local ms
      ms=$(med median_frames); ms=$( [ "$ms" != - ] && awk -v m="$ms" -v r="$rate" 'BEGIN {printf "%.2f", m * 1000 / r}' || echo -)
      echo "| $s | $(med median_frames) / $ms | $(med added_frames) | $(med min_frames) / $(med max_frames) / $(med stddev_frames) / $(med spread_frames) | $(med excl_stddev_frames) / $(med excl_spread_frames) | $(med resyncs_window) ($(med resyncs_total)) | $(med cpu_host_server_pct) + $(med cpu_host_clients_pct), $(med cpu_guest_server_pct) + $(med cpu_guest_clients_pct) | $(med host_rate_hz) | $(med guest_rate_hz) | $(med drift_ppm) | $(med host_xruns) / $(med guest_xruns) |"
    done
    echo
    echo "## Every case"
    echo
    echo "| Setup | Round | First jack_delay value (s) | Samples (lost lines) | Median | Min | Max | Stddev | Max−min | Without first ${exclude} s: min / max / stddev / max−min | Re-syncs window / total | Notes | Host rate / processed (Hz) | Guest rate / processed (Hz) | Drift (ppm) | Xruns host / guest | CPU host srv+cl / guest srv+cl (%) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for d in "${cases[@]}"; do
      local a="$d/analysis.properties"
      if [ -n "$(prop "$a" failed)" ]; then
        echo "| $(prop "$a" setup) | $(prop "$a" round) | failed: $(prop "$a" failed) (see raw/${d#"$raw"/}) |||||||||||||||"
        continue
      fi
      echo "| $(prop "$a" setup) | $(prop "$a" round) | $(prop "$a" first_measurement_s) | $(prop "$a" samples) ($(prop "$a" lost_lines)) | $(prop "$a" median_frames) | $(prop "$a" min_frames) | $(prop "$a" max_frames) | $(prop "$a" stddev_frames) | $(prop "$a" spread_frames) | $(prop "$a" excl_min_frames) / $(prop "$a" excl_max_frames) / $(prop "$a" excl_stddev_frames) / $(prop "$a" excl_spread_frames) | $(prop "$a" resyncs_window) / $(prop "$a" resyncs_total) | $(prop "$a" resync_what); $(prop "$a" resync_notes) | $(prop "$a" host_rate_hz) / $(prop "$a" host_processed_hz) | $(prop "$a" guest_rate_hz) / $(prop "$a" guest_processed_hz) | $(prop "$a" drift_ppm) | $(prop "$a" host_xruns) / $(prop "$a" guest_xruns) | $(prop "$a" cpu_host_server_pct)+$(prop "$a" cpu_host_clients_pct) / $(prop "$a" cpu_guest_server_pct)+$(prop "$a" cpu_guest_clients_pct) |"
    done
    echo
    echo "Round trips in frames at the host's nominal $rate Hz, measured by jack_delay on the host server"
    echo "through the setup's host-side ports. \"Lost lines\": jack_delay lines without a value after its"
    echo "first one (\"Signal below threshold\": silence came back). Host and guest rates: the graph's frame"
    echo "counter per second of the monotonic clock over the window (processed: periods run × period);"
    echo "the drift is guest / host − 1 of the measured rates, against $nominal_ppm ppm nominal."
    echo "CPU: utime + stime over the window; JACK2's netmanager and netadapter run inside the jackd"
    echo "processes (their CPU is the server's), ours and zita's as separate clients."
  } > "$o/report.md"
  {
    echo "{"
    echo "  \"rate\": $rate, \"period\": $period, \"guestRate\": $guest_rate, \"guestPeriod\": $guest_period,"
    echo "  \"latencyPeriods\": $latency, \"excludeSeconds\": $exclude,"
    echo "  \"baselineMedianFrames\": \"$(prop "$raw/baseline/analysis.properties" median_frames)\","
    echo "  \"cases\": ["
    local first=1
    for d in "${cases[@]}"; do
      [ "$first" = 1 ] || echo ","
      first=0
      printf '    {'
      awk -F= 'BEGIN {sep = ""} {
          k = $1; v = substr($0, length($1) + 2)
          n = split(k, parts, "_"); key = parts[1]
          for (i = 2; i <= n; i++) key = key toupper(substr(parts[i], 1, 1)) substr(parts[i], 2)
          if (v ~ /^-?[0-9]+(\.[0-9]+)?$/) printf "%s\"%s\": %s", sep, key, v
          else { gsub(/"/, "\\\"", v); printf "%s\"%s\": \"%s\"", sep, key, v }
          sep = ", " }' "$d/analysis.properties"
      printf '}'
    done
    echo
    echo "  ]"
    echo "}"
  } > "$o/summary.json"
}

if [ -n "$report_only" ]; then
  write_report "$(cd "$report_only" && pwd)"
  say "report: $report_only/report.md"
  exit 0
fi

# ------------------------------------------------------------------------------------------
# Outside the namespace: prerequisites, build, output folder, then re-enter under unshare -n.
if [ "$inside" = 0 ]; then
  require_root drift
  missing=()
  check_jack_tools
  command -v jack_load >/dev/null || missing+=(jackd2)
  case " $setups " in
    *" zita "*)
      if ! command -v zita-j2n >/dev/null || ! command -v zita-n2j >/dev/null; then
        say "zita-njbridge is not installed (zita-j2n, zita-n2j): installing it with" \
          "'apt-get install -y zita-njbridge'; without it, run with --setups \"ours jack2\""
        missing+=(zita-njbridge)
      fi ;;
  esac
  install_packages ${missing[@]+"${missing[@]}"} ||
    { echo "drift: could not install ${missing[*]}; install them (apt-get install -y ${missing[*]})" \
        "or leave the zita setup out (--setups \"ours jack2\")" >&2; exit 2; }
  build_bridge
  compile_helper clock_monitor "$bench/drift/clock_monitor.c" -ljack
  make_out_dir -drift
  {
    machine_facts date_utc host kernel cpus cpu_model loadavg_before jackd
    echo "zita_njbridge=$(dpkg-query -W -f '${Version}' zita-njbridge 2>/dev/null || echo none)"
    echo "jack_delay=$(jack_delay -h 2>&1 | head -1)"
    machine_facts java git_commit
    echo "rounds=$rounds"
    echo "seconds=$seconds"
    echo "exclude=$exclude"
    echo "rate=$rate"
    echo "period=$period"
    echo "guest_rate=$guest_rate"
    echo "guest_period=$guest_period"
    echo "latency=$latency"
    echo "setups=$setups"
    echo "resample_margin=${margin:-slave default}"
    echo "zita_buff_ms=${zita_buff:-zita default (10)}"
    echo "netadapter_quality=${na_quality:-netadapter default}"
    echo "bridge_priority=$bridge_priority"
    machine_facts top_processes_before
  } > "$out/machine.txt"
  say "results in $out"
  args=(--inside-netns --out "$out" --rounds "$rounds" --seconds "$seconds" --exclude "$exclude"
    --rate "$rate" --period "$period" --guest-rate "$guest_rate" --guest-period "$guest_period"
    --latency "$latency" --setups "$setups" --bridge-priority "$bridge_priority")
  [ -n "$margin" ] && args+=(--resample-margin "$margin")
  [ -n "$zita_buff" ] && args+=(--zita-buff "$zita_buff")
  [ -n "$na_quality" ] && args+=(--netadapter-quality "$na_quality")
  run_in_netns "${args[@]}"
  say "writing the report"
  write_report "$out"
  say "report: $out/report.md"
  exit "$rc"
fi

# ------------------------------------------------------------------------------------------
# Inside the namespace.
enter_netns          # lo up; started=(): every PID this script started, stopped on exit
raw="$out/raw"
tag="drift$$"        # server names are global (sockets in /dev/shm): keep ours unique
case_number=0

sum_ticks() { # PID...: summed utime + stime (processes gone count 0)
  local sum=0 t
  for pid in "$@"; do t=$(cpu_ticks "$pid"); sum=$((sum + ${t:-0})); done
  echo "$sum"
}

connect_retrying() { # SERVER FROM TO: JACK2 connects only an active client's ports; retry 10 s
  for _ in $(seq 100); do
    jack_connect -s "$1" "$2" "$3" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  say "could not connect $2 to $3 on $1"; return 1
}

start_server() { # NAME RATE PERIOD LOG -> server_pid
  jackd -n "$1" -d dummy -r "$2" -p "$3" -C 1 -P 1 > >(stamp >> "$4") 2>&1 &
  server_pid=$!; started+=("$server_pid")
  wait_for_server "$1"
}

# set_up SETUP DIR: both servers, the setup's processes and the guest's loop; sets host_out, host_in,
# host_pid, guest_pid, host_clients, guest_clients
set_up() {
  local setup=$1 dir=$2
  case_number=$((case_number + 1))
  host="${tag}h$case_number"; guest="${tag}g$case_number"; udp_port=$((19000 + 2 * case_number))
  host_pid=""; guest_pid=""; host_clients=(); guest_clients=()
  start_server "$host" "$rate" "$period" "$dir/host_jackd.log" || return 1
  host_pid=$server_pid
  start_server "$guest" "$guest_rate" "$guest_period" "$dir/guest_jackd.log" || return 1
  guest_pid=$server_pid
  case "$setup" in
    ours)
      cat > "$dir/bridge.json" <<JSON
{
  "version": 1,
  "bridge": {
    "clientName": "nj",
    "toVmPorts": 1,
    "fromVmPorts": 1,
    "listenAddress": "127.0.0.1",
    "port": $udp_port,
    "latencyPeriods": $latency,
    "jackServer": "$host",
    "waitStrategy": "blocking",
    "priorities": { "sender": $bridge_priority, "receiver": $bridge_priority },
    "countersFile": "$dir/counters.dat",
    "peerAddresses": ["127.0.0.1"]
  }
}
JSON
      "$root/bin/netjack-bridge" run --config "$dir/bridge.json" > >(stamp >> "$dir/bridge.log") 2>&1 &
      host_clients+=($!); started+=($!)
      wait_for_port "$host" nj:from_vm_1 30 "${host_clients[0]}" || return 1
      local slave_args=(slave --master "127.0.0.1:$udp_port" --name guest --channels 1 --latency "$latency"
        --jack "$guest" --counters "$dir/slave-counters.dat")
      [ -n "$margin" ] && slave_args+=(--resample-margin "$margin")
      "$root/bin/netjack-bridge" "${slave_args[@]}" > >(stamp >> "$dir/slave.log") 2>&1 &
      guest_clients+=($!); started+=($!)
      wait_for_port "$guest" netjack-slave:to_master_1 30 "${guest_clients[0]}" || return 1
      connect_retrying "$guest" netjack-slave:from_master_1 netjack-slave:to_master_1 || return 1
      for _ in $(seq 400); do grep -q "session .* running" "$dir/bridge.log" && break; sleep 0.05; done
      grep -q "session .* running" "$dir/bridge.log" || { say "no session in 20 s"; return 1; }
      host_out=nj:to_vm_1; host_in=nj:from_vm_1 ;;
    jack2)
      jack_load -s "$host" netmanager -i "-a 127.0.0.1 -p $udp_port" > "$dir/jack_load.log" 2>&1 || return 1
      local na="-a 127.0.0.1 -p $udp_port -C 1 -P 1 -l $latency -n guestad"
      [ -n "$na_quality" ] && na="$na -q $na_quality"
      jack_load -s "$guest" netadapter -i "$na" >> "$dir/jack_load.log" 2>&1 || return 1
      wait_for_port "$guest" netadapter:capture_1 15 || return 1
      # The guest's loop: JACK2's example in-process client copies its input to its output; it
      # connects itself to the system ports, its input is moved to netadapter.
      jack_load -s "$guest" inprocess >> "$dir/jack_load.log" 2>&1 || return 1
      wait_for_port "$guest" inprocess:input 15 || return 1
      jack_disconnect -s "$guest" system:capture_1 inprocess:input >/dev/null 2>&1 || true
      connect_retrying "$guest" netadapter:capture_1 inprocess:input || return 1
      connect_retrying "$guest" inprocess:output netadapter:playback_1 || return 1
      wait_for_port "$host" guestad:from_slave_1 20 || return 1
      host_out=guestad:to_slave_1; host_in=guestad:from_slave_1 ;;
    zita)
      local buff=()
      [ -n "$zita_buff" ] && buff=(--buff "$zita_buff")
      # guest: receive from the host on udp_port, send back on udp_port + 1
      stdbuf -oL -eL zita-n2j --jserv "$guest" --jname zn2j --chan 1 --info ${buff[@]+"${buff[@]}"} --ipv4 \
        127.0.0.1 "$udp_port" > >(stamp >> "$dir/zita_guest_n2j.log") 2>&1 &
      guest_clients+=($!); started+=($!)
      stdbuf -oL -eL zita-j2n --jserv "$guest" --jname zj2n --chan 1 --float --ipv4 127.0.0.1 $((udp_port + 1)) \
        > >(stamp >> "$dir/zita_guest_j2n.log") 2>&1 &
      guest_clients+=($!); started+=($!)
      stdbuf -oL -eL zita-n2j --jserv "$host" --jname zn2j --chan 1 --info ${buff[@]+"${buff[@]}"} --ipv4 \
        127.0.0.1 $((udp_port + 1)) > >(stamp >> "$dir/zita_host_n2j.log") 2>&1 &
      host_clients+=($!); started+=($!)
      stdbuf -oL -eL zita-j2n --jserv "$host" --jname zj2n --chan 1 --float --ipv4 127.0.0.1 "$udp_port" \
        > >(stamp >> "$dir/zita_host_j2n.log") 2>&1 &
      host_clients+=($!); started+=($!)
      wait_for_port "$guest" zn2j:out_1 15 || return 1
      wait_for_port "$guest" zj2n:in_1 15 || return 1
      wait_for_port "$host" zn2j:out_1 15 || return 1
      wait_for_port "$host" zj2n:in_1 15 || return 1
      connect_retrying "$guest" zn2j:out_1 zj2n:in_1 || return 1
      host_out=zj2n:in_1; host_in=zn2j:out_1 ;;
  esac
}

tear_down() {
  stop ${monitor_pids[@]+"${monitor_pids[@]}"}
  stop ${host_clients[@]+"${host_clients[@]}"} ${guest_clients[@]+"${guest_clients[@]}"}
  stop "$guest_pid" "$host_pid"
  monitor_pids=(); host_clients=(); guest_clients=()
}

# run_delay SERVER DIR OUT [IN]: jack_delay on SERVER for --seconds (or $2 seconds), output stamped
run_delay() {
  local server=$1 dir=$2 secs=$3 out_port=$4 in_port=${5:-}
  local delay_args=(-O "$out_port")
  [ -n "$in_port" ] && delay_args+=(-I "$in_port")
  JACK_DEFAULT_SERVER="$server" timeout "$secs" stdbuf -oL jack_delay "${delay_args[@]}" \
    > >(stamp >> "$dir/jack_delay.log") 2>&1 || true
  sleep 0.2 # the stamping reader drains the last lines
}

baseline() {
  local dir="$raw/baseline"
  mkdir -p "$dir"
  say "baseline: jack_delay looped on the host server alone"
  case_number=$((case_number + 1))
  host="${tag}b$case_number"; host_clients=(); guest_clients=(); monitor_pids=(); guest_pid=""
  start_server "$host" "$rate" "$period" "$dir/host_jackd.log" || { echo "failed=set-up" > "$dir/case.properties"; return 0; }
  host_pid=$server_pid
  "$helpers/clock_monitor" "$host" "$dir/clock_host.txt" 2>> "$dir/monitor.log" &
  monitor_pids+=($!); started+=($!)
  sleep 0.3
  local t0 t1
  t0=$(now_ms)
  run_delay "$host" "$dir" "$baseline_seconds" jack_delay:in
  t1=$(now_ms)
  { echo "window_start_ms=$t0"; echo "window_end_ms=$t1"; echo "period=$period"; } > "$dir/case.properties"
  tear_down
}

measure() { # SETUP ROUND
  local setup=$1 round=$2
  local dir="$raw/round$round/$setup"
  mkdir -p "$dir"
  say "round $round: $setup"
  monitor_pids=()
  if ! set_up "$setup" "$dir"; then
    { echo "setup=$setup"; echo "round=$round"; echo "failed=set-up"; } > "$dir/case.properties"
    tear_down; return 0
  fi
  "$helpers/clock_monitor" "$host" "$dir/clock_host.txt" 2>> "$dir/monitor.log" &
  monitor_pids+=($!); started+=($!)
  sleep 0.3 # two clients opening at the same instant sometimes fail
  "$helpers/clock_monitor" "$guest" "$dir/clock_guest.txt" 2>> "$dir/monitor.log" &
  monitor_pids+=($!); started+=($!)
  sleep 0.3
  local t0 t1 h0 hc0 g0 gc0
  h0=$(sum_ticks "$host_pid"); hc0=$(sum_ticks ${host_clients[@]+"${host_clients[@]}"})
  g0=$(sum_ticks "$guest_pid"); gc0=$(sum_ticks ${guest_clients[@]+"${guest_clients[@]}"})
  t0=$(now_ms)
  run_delay "$host" "$dir" "$seconds" "$host_out" "$host_in"
  t1=$(now_ms)
  local h1 hc1 g1 gc1 alive=""
  h1=$(sum_ticks "$host_pid"); hc1=$(sum_ticks ${host_clients[@]+"${host_clients[@]}"})
  g1=$(sum_ticks "$guest_pid"); gc1=$(sum_ticks ${guest_clients[@]+"${guest_clients[@]}"})
  for pid in "$host_pid" "$guest_pid" ${host_clients[@]+"${host_clients[@]}"} ${guest_clients[@]+"${guest_clients[@]}"}; do
    kill -0 "$pid" 2>/dev/null || alive="$alive $pid"
  done
  if [ "$setup" = ours ] && [ -f "$dir/slave-counters.dat" ]; then
    "$root/bin/netjack-bridge" status --counters "$dir/slave-counters.dat" --json > "$dir/slave-status.json" 2>&1 || true
  fi
  {
    echo "setup=$setup"
    echo "round=$round"
    echo "rate=$rate"
    echo "period=$period"
    echo "guest_rate=$guest_rate"
    echo "guest_period=$guest_period"
    echo "latency_periods=$latency"
    echo "host_server=$host"
    echo "guest_server=$guest"
    echo "host_ports=$host_out $host_in"
    echo "window_start_ms=$t0"
    echo "window_end_ms=$t1"
    echo "clk_tck=$(getconf CLK_TCK)"
    echo "host_jackd_ticks=$((h1 - h0))"
    echo "host_clients_ticks=$((hc1 - hc0))"
    echo "guest_jackd_ticks=$((g1 - g0))"
    echo "guest_clients_ticks=$((gc1 - gc0))"
    [ -n "$alive" ] && echo "exited_during_window=$alive"
    echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
  } > "$dir/case.properties"
  tear_down
}

monitor_pids=(); host_clients=(); guest_clients=(); host_pid=""; guest_pid=""
baseline
for round in $(seq 1 "$rounds"); do
  order=$setups
  [ $((round % 2)) = 0 ] && order=$(echo "$setups" | tr ' ' '\n' | tac | tr '\n' ' ')
  for setup in $order; do
    measure "$setup" "$round"
  done
done
say "all cases done"
