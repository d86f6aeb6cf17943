#!/usr/bin/env bash
# client-floor.sh: what being an external JACK client costs before any network work (issue 16).
#
#   flock /tmp/vmm-build.lock bench/client-floor.sh [--rounds N] [--seconds S] [--settle S] [--out DIR]
#
# JACK2's netmanager runs inside jackd; the bridge is a client in another process, so every period
# the server wakes the client's thread and waits for it to answer (two futex wake-ups and two
# context switches on top of the work). This measures that floor, per round on a fresh host
# `jackd -d dummy -r 96000 -p 128` (unique name, private network namespace), with S seconds
# (default 15) measured after SETTLE seconds (default 5) of each case:
#   baseline     jackd alone
#   thru         jackd + `jack_thru` (JACK2's example client in C: 2 in, 2 out, a copy; the cheapest
#                external client there is), its ports connected to the server's physical ones
#   bridge-idle  jackd + `netjack-bridge run` with no slave, ports connected the same way: the JACK
#                thread's callback (JNA upcall, ports, silence out), the idle agents and the JVM, no
#                datagrams
# For each: the CPU of jackd and of the client over the window (sum over threads of
# /proc/PID/task/*/schedstat, exact nanoseconds), per period and as % of one core; the client's
# context switches per period (voluntary + involuntary, /proc/PID/task/*/status); the extra over the
# round's baseline. Compare with bench/e2e.sh's "extra host CPU" of JACK2's netmanager and ours:
# ours minus bridge-idle is what the bridge's network work costs beside JACK2's whole netmanager.
#
# Writes DIR (default bench/results/<UTC date>-client-floor[-HHMM]): raw/<round>/<case>.properties,
# summary.txt (medians over rounds), machine.txt. Needs root (the namespace), jackd2 with its example
# clients (jack_thru, jack_lsp, jack_connect). Stops only the processes it started, by PID.
set -euo pipefail
bench=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(dirname "$bench")
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"

rounds=3
seconds=15
settle=5
out=""
inside=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --inside-netns) inside=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "client-floor: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
cases=(baseline thru bridge-idle)

if [ "$inside" = 0 ]; then
  require_root client-floor
  for tool in jackd jack_lsp jack_connect jack_thru; do
    command -v "$tool" >/dev/null || { echo "client-floor: $tool is missing (Debian: jackd2)" >&2; exit 2; }
  done
  build_bridge
  make_out_dir -client-floor
  {
    machine_facts date_utc kernel cpus loadavg_before jackd java git_commit
    echo "rounds=$rounds"
    echo "seconds=$seconds"
    echo "settle_seconds=$settle"
  } > "$out/machine.txt"
  say "results in $out"
  run_in_netns --inside-netns --out "$out" --rounds "$rounds" --seconds "$seconds" --settle "$settle"
  cat "$out/summary.txt" 2>/dev/null || true
  exit "$rc"
fi

enter_netns
tag="cf$$"
work=$(mktemp -d "/dev/shm/client-floor.$$.XXXXXX")     # counters files (tmpfs, as in production)
sockets=$(mktemp -d "/tmp/client-floor.$$.XXXXXX")      # control sockets (not allowed under /dev)
trap 'kill_started; rm -rf "$work" "$sockets"' EXIT
case_number=0

# cpu_ns PID: nanoseconds on CPU, summed over the process's threads (schedstat)
cpu_ns() {
  local sum=0 ns t
  for t in /proc/"$1"/task/*; do
    read -r ns _ 2>/dev/null < "$t/schedstat" || continue
    sum=$((sum + ns))
  done
  echo "$sum"
}
# switches PID: voluntary + involuntary context switches, summed over the process's threads
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {s += $2} END {print s + 0}'
}

one_case() { # CASE FILE
  local name=$1 file=$2 server="${tag}h$case_number" client_pid="" jack_pid
  case_number=$((case_number + 1))
  stdbuf -oL -eL jackd -n "$server" -d dummy -r 96000 -p 128 -C 2 -P 2 >> "$file.jackd.log" 2>&1 &
  jack_pid=$!; started+=("$jack_pid")
  wait_for_server "$server" || { echo "failed=server" > "$file"; stop "$jack_pid"; return 0; }
  case "$name" in
    thru)
      # jack_thru CLIENT SERVER: it connects its ports to the server's physical ones itself
      JACK_NO_START_SERVER=1 jack_thru thru "$server" >> "$file.client.log" 2>&1 &
      client_pid=$!; started+=("$client_pid")
      wait_for_port "$server" "thru:output_2" 10 "$client_pid" || { echo "failed=client" > "$file"; stop "$client_pid"; stop "$jack_pid"; return 0; }
      ;;
    bridge-idle)
      cat > "$work/bridge$case_number.json" <<JSON
{
  "version": 1,
  "bridge": {
    "clientName": "nj",
    "toVmPorts": 2,
    "fromVmPorts": 2,
    "listenAddress": "127.0.0.1",
    "port": 19000,
    "latencyPeriods": 0,
    "jackServer": "$server",
    "waitStrategy": "blocking",
    "countersFile": "$work/counters$case_number.dat",
    "controlSocket": "$sockets/control$case_number.sock",
    "peerAddresses": ["127.0.0.1"]
  }
}
JSON
      "$root/bin/netjack-bridge" run --config "$work/bridge$case_number.json" >> "$file.client.log" 2>&1 &
      client_pid=$!; started+=("$client_pid")
      wait_for_port "$server" "nj:from_vm_2" 30 "$client_pid" || { echo "failed=client" > "$file"; stop "$client_pid"; stop "$jack_pid"; return 0; }
      # connected to the physical ports, as jack_thru connects its own
      for ch in 1 2; do
        jack_connect -s "$server" "system:capture_$ch" "nj:to_vm_$ch" >/dev/null 2>&1 || true
        jack_connect -s "$server" "nj:from_vm_$ch" "system:playback_$ch" >/dev/null 2>&1 || true
      done
      ;;
  esac
  sleep "$settle"
  local j0 c0=0 s0=0 t0 j1 c1=0 s1=0 t1
  t0=$(date +%s%N); j0=$(cpu_ns "$jack_pid")
  if [ -n "$client_pid" ]; then c0=$(cpu_ns "$client_pid"); s0=$(switches "$client_pid"); thread_cpu "$client_pid" > "$file.threads0"; fi
  sleep "$seconds"
  t1=$(date +%s%N); j1=$(cpu_ns "$jack_pid")
  if [ -n "$client_pid" ]; then c1=$(cpu_ns "$client_pid"); s1=$(switches "$client_pid"); thread_cpu "$client_pid" > "$file.threads1"; fi
  local wall=$((t1 - t0)) periods
  periods=$((wall * 96000 / 128 / 1000000000))
  {
    echo "case=$name"
    echo "wall_ns=$wall"
    echo "periods=$periods"
    echo "jackd_cpu_ns=$((j1 - j0))"
    echo "client_cpu_ns=$((c1 - c0))"
    echo "client_switches=$((s1 - s0))"
    echo "xruns=$(grep -c -i xrun "$file.jackd.log" 2>/dev/null || true)"
    # the client's threads that ran in the window: thread_<name>_us_per_period (summed by name)
    if [ -f "$file.threads1" ]; then
      awk -v p="$periods" 'NR == FNR {start[$1] = $2; next}
        ($1 in start) {name = $5; for (i = 6; i <= NF; i++) name = name "_" $i; used[name] += $2 - start[$1]}
        END {for (n in used) if (used[n] > 0) printf "thread_%s_us_per_period=%.2f\n", n, used[n] / p / 1000}' \
        "$file.threads0" "$file.threads1" | sort -t= -k2 -nr
    fi
  } > "$file"
  rm -f "$file.threads0" "$file.threads1"
  # the client first: jackd asked to stop with jack_thru still attached did not always exit within
  # 5 s, and a jackd killed then leaves its entry in JACK2's server registry (8 entries, reclaimed only
  # under the same name: unique names fill it, and every later jackd fails "Too many servers")
  if [ -n "$client_pid" ]; then stop "$client_pid"; fi
  stop "$jack_pid"
}

for round in $(seq "$rounds"); do
  mkdir -p "$out/raw/$round"
  order=("${cases[@]}")
  if [ $((round % 2)) = 0 ]; then order=(bridge-idle thru baseline); fi
  for c in "${order[@]}"; do
    say "round $round: $c"
    one_case "$c" "$out/raw/$round/$c.properties"
  done
done

# summary: per case, medians over rounds; extra = (jackd + client) - the same round's baseline jackd
prop() { awk -F= -v k="$2" '$1 == k {print $2; exit}' "$1" 2>/dev/null; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
{
  echo "# client-floor: $(prop "$out/machine.txt" date_utc), $rounds round(s) of $seconds s, 96 kHz / 128 (750 periods/s)"
  printf '%-12s %14s %14s %14s %12s %12s %10s\n' case jackd_us/period client_us/period extra_us/period extra_%core switches/per xruns
  for c in "${cases[@]}"; do
    jv=(); cv=(); ev=(); pv=(); sv=(); xv=()
    for round in $(seq "$rounds"); do
      pf="$out/raw/$round/$c.properties"; bf="$out/raw/$round/baseline.properties"
      if [ ! -f "$pf" ] || [ -n "$(prop "$pf" failed)" ]; then continue; fi
      p=$(prop "$pf" periods); w=$(prop "$pf" wall_ns)
      jn=$(prop "$pf" jackd_cpu_ns); cn=$(prop "$pf" client_cpu_ns); bn=$(prop "$bf" jackd_cpu_ns); bw=$(prop "$bf" wall_ns)
      jv+=("$(awk -v n="$jn" -v p="$p" 'BEGIN {printf "%.2f", n / p / 1000}')")
      cv+=("$(awk -v n="$cn" -v p="$p" 'BEGIN {printf "%.2f", n / p / 1000}')")
      ev+=("$(awk -v j="$jn" -v c="$cn" -v w="$w" -v b="$bn" -v bw="$bw" -v p="$p" 'BEGIN {printf "%.2f", (j + c - b * w / bw) / p / 1000}')")
      pv+=("$(awk -v j="$jn" -v c="$cn" -v w="$w" -v b="$bn" -v bw="$bw" 'BEGIN {printf "%.2f", (j + c - b * w / bw) / w * 100}')")
      sv+=("$(awk -v s="$(prop "$pf" client_switches)" -v p="$p" 'BEGIN {printf "%.2f", s / p}')")
      xv+=("$(prop "$pf" xruns)")
    done
    printf '%-12s %14s %14s %14s %12s %12s %10s\n' "$c" \
      "$(printf '%s\n' "${jv[@]}" | median)" "$(printf '%s\n' "${cv[@]}" | median)" \
      "$(printf '%s\n' "${ev[@]}" | median)" "$(printf '%s\n' "${pv[@]}" | median)" \
      "$(printf '%s\n' "${sv[@]}" | median)" "$(printf '%s\n' "${xv[@]}" | median)"
  done
} > "$out/summary.txt"
