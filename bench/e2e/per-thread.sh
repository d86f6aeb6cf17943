#!/usr/bin/env bash
# per-thread.sh RESULT_DIR: per case of an e2e.sh run, each thread's context switches (voluntary /
# involuntary) and system calls per period over the measured window, for the bridge process (ours)
# and the host jackd (JACK2's netmanager runs inside it). Threads below 0.05 per period are left
# out. Reads raw/round*/<case>/{case.properties, threads_{start,end}_*.txt, syscalls_*.csv}.
# Where the case has them (e2e.sh since issue 16's CPU measurement), also each thread's µs of CPU
# per period from cpu_per_period_*.txt (bench/e2e/cpu-per-period.sh, made here when missing),
# with its role (jack, data, other; server, client) and full name; threads below 0.05 µs are left out.
set -euo pipefail
dir=${1:?usage: per-thread.sh RESULT_DIR}
for case_dir in "$dir"/raw/round*/*/; do
  case_dir=${case_dir%/}
  props="$case_dir/case.properties"
  [ -f "$props" ] || continue
  periods=$(awk -F= '/^window_start_ms=/ {s = $2} /^window_end_ms=/ {e = $2} /^rate=/ {r = $2}
    /^period_frames=/ {p = $2} END {if (e > s && p > 0) printf "%.0f", (e - s) / 1000 * r / p}' "$props")
  syscall_periods=$(awk -F= '/^syscall_seconds=/ {t = $2} /^rate=/ {r = $2} /^period_frames=/ {p = $2}
    END {if (p > 0) printf "%.0f", t * r / p}' "$props")
  [ -n "$periods" ] || continue
  echo "== ${case_dir#"$dir"/raw/} ($periods periods in the window)"
  for who in bridge master; do
    [ -f "$case_dir/threads_start_$who.txt" ] && [ -f "$case_dir/threads_end_$who.txt" ] || continue
    join <(sort -k1,1 "$case_dir/threads_start_$who.txt") <(sort -k1,1 "$case_dir/threads_end_$who.txt") |
      awk -v who="$who" -v n="$periods" '{v = ($6 - $3) / n; i = ($7 - $4) / n;
        if (v + i >= 0.05) printf "  %-6s %-14s tid %-7s switches/period %.2f voluntary, %.2f involuntary\n", who, $2, $1, v, i}'
    [ -f "$case_dir/syscalls_$who.csv" ] && awk -F, -v who="$who" -v n="$syscall_periods" '
      /raw_syscalls:sys_enter/ && $2 ~ /^[0-9]+$/ && $2 / n >= 0.05 {
        printf "  %-6s %-22s system calls/period %.2f\n", who, $1, $2 / n}' "$case_dir/syscalls_$who.csv"
    [ -f "$case_dir/cpu_start_$who.txt" ] && [ ! -f "$case_dir/cpu_per_period_$who.txt" ] &&
      "$(dirname "$(readlink -f "$0")")/cpu-per-period.sh" "$case_dir"
    [ -f "$case_dir/cpu_per_period_$who.txt" ] && awk -v who="$who" '
      /^#/ {next}
      $2 == "-" || $2 >= 0.05 { name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", name)
        printf "  %-6s %-16s tid %-7s CPU/period %8s us  (%s, %s%s)\n", who, name, $1, $2, $5,
          $3 == 1 ? "FIFO " $4 : $3 == 2 ? "RR " $4 : "not real-time", $6 == "-" ? "" : ", " $6 }' \
      "$case_dir/cpu_per_period_$who.txt"
  done
done
