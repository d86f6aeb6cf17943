#!/usr/bin/env bash
# cpu-per-period.sh CASE_DIR: each thread's CPU per period over a case's measured window (issue 16),
# from the schedstat snapshots e2e.sh takes at the window's start and end (lib.sh's thread_cpu:
# cpu_{start,end}_{master,bridge}.txt, "tid ns policy priority name"). Writes, per process,
# CASE_DIR/cpu_per_period_{master,bridge}.txt, busiest thread first:
#
#   tid  us_per_period  policy  priority  role  state  name
#
# us_per_period = window CPU ns / periods in the window / 1000, the periods from case.properties
# (window_{start,end}_ms, rate, period_frames). role says whose the thread is:
#   master (the host jackd): "server" for a thread that existed when the server had just started
#     (cpu_server_master.txt, taken before any bridge or netmanager), "client" for one created
#     later: in a jack2 case JACK2's netmanager's (the NetJack2 master's client thread, created when
#     the slave joins, and those jack_load started); "?" without that snapshot.
#   bridge: "jack" for a real-time thread (SCHED_FIFO or RR) not named nj-*: the JACK process
#     thread, libjack's, which jackd makes real-time; "data" for nj-sender / nj-receiver (the
#     network threads of the sender path); "other" for the rest (the JVM's, nj-conductor, stats,
#     jack-notify, control, ...).
# state: "new" when the thread started inside the window (all its CPU counted), "gone" when it
# ended inside it (its CPU in the window is unknown: us_per_period "-"), else "-".
set -euo pipefail
dir=${1:?usage: cpu-per-period.sh CASE_DIR}
props="$dir/case.properties"
[ -f "$props" ] || exit 0
periods=$(awk -F= '/^window_start_ms=/ {s = $2} /^window_end_ms=/ {e = $2} /^rate=/ {r = $2}
  /^period_frames=/ {p = $2} END {if (e > s && p > 0) printf "%.3f", (e - s) / 1000 * r / p}' "$props")
[ -n "$periods" ] || exit 0
for who in master bridge; do
  [ -f "$dir/cpu_start_$who.txt" ] && [ -f "$dir/cpu_end_$who.txt" ] || continue
  server="$dir/cpu_server_master.txt"
  [ "$who" = master ] && [ -f "$server" ] || server=/dev/null
  {
    echo "# $who: CPU per period per thread over $periods periods (schedstat; bench/e2e/cpu-per-period.sh)"
    echo "# tid us_per_period policy priority role state name"
    awk -v who="$who" -v n="$periods" -v haveserver="$([ "$server" = /dev/null ] && echo 0 || echo 1)" '
      function name_of(line) { sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", line); return line }
      function role_of(tid, policy, name) {
        if (who == "master") return !haveserver ? "?" : (tid in server) ? "server" : "client"
        if (name ~ /^nj-(sender|receiver)/) return "data"
        if (policy == 1 || policy == 2) return "jack"
        return "other"
      }
      FILENAME == ARGV[1] { server[$1] = 1; next }
      FILENAME == ARGV[2] { start[$1] = $2; sname[$1] = name_of($0); spol[$1] = $3; sprio[$1] = $4; next }
      {
        state = ($1 in start) ? "-" : "new"
        us = (($2 - (($1 in start) ? start[$1] : 0)) / n / 1000)
        printf "%s %.3f %s %s %s %s %s\n", $1, us, $3, $4, role_of($1, $3, name_of($0)), state, name_of($0)
        seen[$1] = 1
      }
      END {
        for (t in start) if (!(t in seen))
          printf "%s - %s %s %s gone %s\n", t, spol[t], sprio[t], role_of(t, spol[t], sname[t]), sname[t]
      }' "$server" "$dir/cpu_start_$who.txt" "$dir/cpu_end_$who.txt" | sort -k2,2gr
  } > "$dir/cpu_per_period_$who.txt"
done
