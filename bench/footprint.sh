#!/usr/bin/env bash
# footprint.sh: the bridge's own memory and its start-up, per JVM flag variant (issue 16).
#
#   flock /tmp/vmm-build.lock bench/footprint.sh [--variant "SPEC"]... [--rounds N] [--session S]
#       [--latency L] [--slave-first] [--nmt] [--out DIR] [--summary-only]
#
# A variant SPEC is "default" or a list of words: NAME=VALUE words go to the bridge's environment
# (NETJACK_BRIDGE_HEAP=12m, MALLOC_ARENA_MAX=2, NETJACK_BRIDGE_JIT=c1 ...), all others are JVM
# flags appended through NETJACK_BRIDGE_JAVA_OPTS (e.g. "-XX:TieredStopAtLevel=1
# -XX:CICompilerCount=1"). Without --variant: "default".
#
# Runs in a private network namespace (unshare -n, only lo up), as root. Per case: a fresh host
# `jackd -d dummy -r 96000 -p 128` (unique name), `bin/netjack-bridge run` (blocking wait, sender
# and receiver at SCHED_FIFO 70, as bench/e2e.sh runs it) with $NOTIFY_SOCKET pointing at
# startup_probe (e2e/startup_probe.c), which takes the READY=1 the bridge sends to systemd and
# polls the bridge's counters file every millisecond; once the bridge is ready, a JACK2
# `jackd -d net` slave (unique name) announces to it (--slave-first: the slave is started, and
# announces, before the bridge). SESSION seconds (default 10) after the bridge's first played
# block: RSS and PSS (smaps_rollup), the PSS of JACK's shared memory (/dev/shm/jack* mappings in
# smaps) and own PSS = PSS - JACK's share, as bench/e2e.sh reports them. Reported per case:
#   ready_ms         `netjack-bridge run` started -> READY=1 (JACK client and ports up)
#   announce_ms      the slave's first announce counted by the bridge -> first block played into JACK
#   slave_ms         the slave process started -> first block played
#   run_ms           `netjack-bridge run` started -> first block played
#   gc_start         collections before first block + 1 s; gc_after: after it (the gc counter)
#   gc_log_*         the same from -Xlog:gc (time stamped) and the JVM uptime of the first played
#                    block; startup_cpu_ms: CPU the bridge used until its first played block;
#                    session_cpu_pct: its CPU from first block + 1 s to the end, % of one core
# Rounds alternate the variants' order (forward in odd rounds, backward in even ones); summary.txt
# has the median per variant. --nmt adds, after the rounds, one case per variant with
# -XX:NativeMemoryTracking=summary and -Xlog:class+load: `jcmd PID VM.native_memory summary`
# (nmt.txt) and the classes the JVM loaded, by where from (classes.txt); NMT costs memory of its
# own, so those cases are left out of the medians.
#
# Writes DIR (default bench/results/<UTC date>-footprint[-HHMM]): raw/<round>/<n>-<variant>/
# (case.properties, bridge.log, gc.log, probe.txt), summary.txt, machine.txt. --summary-only
# writes summary.txt again from DIR's raw/ (give the same --variant list). Needs jackd2,
# libjack-jackd2-dev (jack_lsp), gcc, a JDK (jcmd). Stops only the processes it started, by PID.
set -euo pipefail
bench=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(dirname "$bench")
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"
helpers="$bench/target/e2e-bin"

rounds=3
session=10
latency=1
slave_first=0
nmt=0
out=""
inside=0
summary_only=0
variants=()
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variants+=("$2"); shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --session) session=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    --slave-first) slave_first=1; shift ;;
    --nmt) nmt=1; shift ;;
    --out) out=$2; shift 2 ;;
    --inside-netns) inside=1; shift ;;
    --summary-only) summary_only=1; shift ;;
    -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
    *) echo "footprint: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#variants[@]} -eq 0 ] && variants=(default)

prop() { # FILE KEY: the value, or empty
  awk -F= -v k="$2" '$1 == k {sub(/^[^=]*=/, ""); print; exit}' "$1" 2>/dev/null || true
}
now_us() { date +%s%6N; }

# ------------------------------------------------------------------------------------------
# Outside the namespace: prerequisites, build, output folder, then re-enter under unshare -n.
if [ "$inside" = 0 ] && [ "$summary_only" = 0 ]; then
  require_root footprint
  for tool in jackd jack_lsp gcc jcmd; do
    command -v "$tool" >/dev/null || { echo "footprint: $tool is missing (jackd2, libjack-jackd2-dev, gcc, a JDK)" >&2; exit 2; }
  done
  build_bridge
  compile_helper startup_probe "$bench/e2e/startup_probe.c"
  make_out_dir -footprint
  {
    machine_facts date_utc kernel cpus loadavg_before jackd java git_commit
    echo "rounds=$rounds"
    echo "session_seconds=$session"
    echo "latency=$latency"
    echo "slave_first=$slave_first"
    for v in "${variants[@]}"; do echo "variant=$v"; done
  } > "$out/machine.txt"
  say "results in $out"
  args=(--inside-netns --out "$out" --rounds "$rounds" --session "$session" --latency "$latency")
  [ "$slave_first" = 1 ] && args+=(--slave-first)
  [ "$nmt" = 1 ] && args+=(--nmt)
  for v in "${variants[@]}"; do args+=(--variant "$v"); done
  run_in_netns "${args[@]}"
  cat "$out/summary.txt" 2>/dev/null || true
  exit "$rc"
fi

# ------------------------------------------------------------------------------------------
# Inside the namespace (or --summary-only: summary.txt again from DIR's raw/, same --variant list).
if [ "$summary_only" = 1 ]; then
  if [ -z "$out" ] || [ ! -d "$out/raw" ]; then echo "footprint: --summary-only needs --out DIR of an earlier run" >&2; exit 2; fi
else
enter_netns          # lo up; started=(): every PID this script started, stopped on exit
tag="fp$$"           # JACK server names are global (sockets in /dev/shm): keep ours unique
work=$(mktemp -d "/dev/shm/footprint.$$.XXXXXX")   # counters files (on tmpfs, as in production), not kept
sockets=$(mktemp -d "/tmp/footprint.$$.XXXXXX")   # control and notify sockets (not allowed under /dev)
case_number=0
port=19000           # a private namespace: nobody else listens here
trap 'kill_started; rm -rf "$work" "$sockets"' EXIT

wait_for_file() { # FILE SECONDS [PID that must stay alive meanwhile]
  for _ in $(seq $(($2 * 100))); do
    [ -e "$1" ] && return 0
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then return 1; fi
    sleep 0.01
  done
  return 1
}
# memory PID: rss_kib, pss_kib (smaps_rollup), jack_pss_kib (PSS of /dev/shm/jack* mappings, as
# bench/e2e.sh), own_pss_kib, and the process's RssAnon/RssFile/RssShmem.
memory() {
  [ -r "/proc/$1/smaps_rollup" ] || return 0
  local rss pss jack
  rss=$(rollup_kib "$1" Rss)
  pss=$(rollup_kib "$1" Pss)
  jack=$(jack_pss_kib "$1")
  echo "rss_kib=$rss"
  echo "pss_kib=$pss"
  echo "jack_pss_kib=$jack"
  echo "own_pss_kib=$((pss - jack))"
  awk '/^(RssAnon|RssFile|RssShmem):/ {sub(":", "", $1); print tolower($1) "_kib=" $2}' "/proc/$1/status"
  # the biggest file-backed and anonymous PSS by mapping, for the record
  awk '/^[0-9a-f]+-[0-9a-f]+ / {name = ($6 == "" ? "[anon]" : $6)} /^Pss:/ {pss[name] += $2}
    END {for (n in pss) if (pss[n] >= 1024) printf "pss_of %s=%d\n", n, pss[n]}' "/proc/$1/smaps" | sort -t= -k2 -nr
}

# one_case VARIANT DIR NMT: one measured case
one_case() {
  local spec=$1 dir=$2 with_nmt=$3
  local master="${tag}m$case_number" slave="${tag}s$case_number"
  case_number=$((case_number + 1))
  local cwork="$work/$case_number"
  mkdir -p "$dir" "$cwork"
  local envs=() opts=""
  if [ "$spec" != default ]; then
    for word in $spec; do
      if [[ "$word" =~ ^[A-Z_][A-Z0-9_]*= ]]; then envs+=("$word"); else opts="$opts $word"; fi
    done
  fi
  opts="$opts -Xlog:gc:file=$dir/gc.log:timemillis,uptimemillis"
  if [ "$with_nmt" = 1 ]; then
    opts="$opts -XX:NativeMemoryTracking=summary -Xlog:class+load=info:file=$cwork/classes.log"
  fi
  stdbuf -oL -eL jackd -n "$master" -d dummy -r 96000 -p 128 -C 0 -P 0 >> "$dir/jackd_master.log" 2>&1 &
  local master_pid=$! slave_pid="" bridge_pid="" probe_pid=""
  started+=("$master_pid")
  wait_for_server "$master" || { echo "failed=master" > "$dir/case.properties"; stop "$master_pid"; return 0; }
  cat > "$cwork/bridge.json" <<JSON
{
  "version": 1,
  "bridge": {
    "clientName": "nj",
    "toVmPorts": 2,
    "fromVmPorts": 2,
    "listenAddress": "127.0.0.1",
    "port": $port,
    "latencyPeriods": $latency,
    "jackServer": "$master",
    "waitStrategy": "blocking",
    "priorities": { "sender": 70, "receiver": 70 },
    "countersFile": "$cwork/counters.dat",
    "controlSocket": "$sockets/control$case_number.sock",
    "peerAddresses": ["127.0.0.1"]
  }
}
JSON
  "$helpers/startup_probe" "$cwork/counters.dat" "$sockets/notify$case_number.sock" "$dir/probe.txt" 30 "$session" \
    2>> "$dir/probe.log" &
  probe_pid=$!; started+=("$probe_pid")
  wait_for_file "$dir/probe.txt.listening" 5 "$probe_pid" || true
  local t_slave="" t_run
  start_slave() {
    t_slave=$(now_us)
    stdbuf -oL -eL jackd -n "$slave" -d net -a 127.0.0.1 -p "$port" -C 2 -P 2 -i 0 -o 0 -n slave1 -l "$latency" \
      >> "$dir/jackd_slave.log" 2>&1 &
    slave_pid=$!; started+=("$slave_pid")
  }
  if [ "$slave_first" = 1 ]; then
    start_slave
    sleep 1.5 # it announces (about once a second) into the void before the bridge starts
  fi
  t_run=$(now_us)
  env ${envs[@]+"${envs[@]}"} NETJACK_BRIDGE_JAVA_OPTS="${opts# }" NOTIFY_SOCKET="$sockets/notify$case_number.sock" \
    "$root/bin/netjack-bridge" run --config "$cwork/bridge.json" >> "$dir/bridge.log" 2>&1 &
  bridge_pid=$!; started+=("$bridge_pid")
  if [ "$slave_first" = 0 ]; then
    wait_for_file "$dir/probe.txt.ready" 30 "$bridge_pid" && start_slave
  fi
  while kill -0 "$probe_pid" 2>/dev/null; do # it ends on its own; early if the bridge exits
    kill -0 "$bridge_pid" 2>/dev/null || kill -TERM "$probe_pid" 2>/dev/null || true
    sleep 0.1
  done
  wait "$probe_pid" 2>/dev/null || true
  forget "$probe_pid"
  {
    echo "variant=$spec"
    echo "nmt=$with_nmt"
    echo "run_us=$t_run"
    echo "slave_us=$t_slave"
    echo "bridge_pid=$bridge_pid"
    cat "$dir/probe.txt" 2>/dev/null
    if kill -0 "$bridge_pid" 2>/dev/null; then
      memory "$bridge_pid"
      echo "threads=$(awk '/^Threads:/ {print $2}' "/proc/$bridge_pid/status")"
    else
      echo "failed=bridge exited"
    fi
  } > "$dir/case.properties"
  rm -f "$dir/probe.txt.listening" "$dir/probe.txt.ready"
  if [ "$with_nmt" = 1 ] && kill -0 "$bridge_pid" 2>/dev/null; then
    jcmd "$bridge_pid" VM.native_memory summary scale=KB > "$dir/nmt.txt" 2>&1 || true
    # classes by source: the CDS archive ("shared objects file"), the JDK's modules (jrt:/), each jar
    awk '{ if ($0 ~ /source: shared objects file/) s = "CDS archive (JDK)";
           else if (match($0, /source: jrt:\/[^ ]*/)) s = "jrt:/" substr($0, RSTART + 13, RLENGTH - 13);
           else if (match($0, /source: file:[^ ]*/)) { s = substr($0, RSTART + 13, RLENGTH - 13); sub(/.*\//, "", s) }
           else s = "other (generated, lambda forms, ...)";
           n[s]++; total++ }
         END { printf "%6d total\n", total; for (k in n) printf "%6d %s\n", n[k], k }' "$cwork/classes.log" |
      sort -nr > "$dir/classes.txt"
    awk '/source: file:/ {print $2}' "$cwork/classes.log" |
      awk -F. '{p = $1; for (i = 2; i < NF && i <= 4; i++) p = p "." $i; n[p]++} END {for (k in n) printf "%6d %s\n", n[k], k}' |
      sort -nr > "$dir/classes_by_package.txt"
  fi
  stop "$bridge_pid" "$slave_pid" "$master_pid"
  rm -rf "$cwork"
}

fi # not --summary-only

# ------------------------------------------------------------------------------------------
n_variants=${#variants[@]}
measured_rounds=$rounds
if [ "$summary_only" = 1 ]; then
  measured_rounds=0 nmt=0
  rounds=$(find "$out/raw" -maxdepth 1 -name 'round*' | wc -l)
fi
for round in $(seq 1 "$measured_rounds"); do
  order=()
  if [ $((round % 2)) = 1 ]; then order=("${variants[@]}")
  else for ((i = n_variants - 1; i >= 0; i--)); do order+=("${variants[$i]}"); done; fi
  for v in "${order[@]}"; do
    index=0
    for ((i = 0; i < n_variants; i++)); do [ "${variants[$i]}" = "$v" ] && index=$i; done
    say "round $round: $v"
    one_case "$v" "$out/raw/round$round/v$index" 0
  done
done
if [ "$nmt" = 1 ]; then
  for ((i = 0; i < n_variants; i++)); do
    say "NMT: ${variants[$i]}"
    one_case "${variants[$i]}" "$out/raw/nmt/v$i" 1
  done
fi

# ------------------------------------------------------------------------------------------
# summary.txt: per variant, the median over the rounds of each figure.
derive() { # DIR: the derived figures of one case, KEY=VALUE
  local f="$1/case.properties" gc="$1/gc.log"
  [ -f "$f" ] || return 0
  local run ready announce slave played t1s end tf t1 te
  run=$(prop "$f" run_us); ready=$(prop "$f" ready_us); announce=$(prop "$f" announce_us)
  slave=$(prop "$f" slave_us); played=$(prop "$f" first_played_us)
  t1s=$(prop "$f" t_1s_us); end=$(prop "$f" end_us)
  tf=$(prop "$f" ticks_first_played); t1=$(prop "$f" ticks_1s); te=$(prop "$f" ticks_end)
  local hz
  hz=$(getconf CLK_TCK)
  [ -n "$ready" ] && echo "ready_ms=$(( (ready - run) / 1000 ))"
  if [ -n "$played" ]; then
    [ -n "$announce" ] && echo "announce_ms=$(( (played - announce) / 1000 ))"
    [ -n "$slave" ] && echo "slave_ms=$(( (played - slave) / 1000 ))"
    echo "run_ms=$(( (played - run) / 1000 ))"
    [ -n "$tf" ] && echo "startup_cpu_ms=$(( tf * 1000 / hz ))"
    [ -n "$t1" ] && [ -n "$te" ] && [ "$end" -gt "$t1s" ] &&
      echo "session_cpu_pct=$(awk -v a="$t1" -v b="$te" -v hz="$hz" -v us="$((end - t1s))" 'BEGIN {printf "%.1f", (b - a) / hz * 1e8 / us}')"
    local g1 ge
    g1=$(prop "$f" gc_at_1s); ge=$(prop "$f" gc_end)
    [ -n "$g1" ] && echo "gc_start=$g1" && echo "gc_after=$((ge - g1))"
    if [ -f "$gc" ]; then
      # [1764780000123ms][0.456s] GC(0) Pause Young ...: wall clock ms, and the pause's ms at the end
      # (up to the probe's end: the collections of the shutdown after it are not the session's)
      awk -v cut="$(( played / 1000 + 1000 ))" -v end="$(( end / 1000 ))" -F'[][]' '/GC\([0-9]+\) Pause/ {
          t = $2; sub(/ms$/, "", t); if (t + 0 < cut) before++; else if (t + 0 <= end) after++ }
        END { printf "gc_log_start=%d\ngc_log_after=%d\n", before, after }' "$gc"
      awk -v p="$(( played / 1000 ))" -F'[][]' 'NR == 1 {t = $2; sub(/ms$/, "", t); u = $4; sub(/ms$/, "", u);
          printf "jvm_uptime_at_first_block_ms=%d\n", p - t + u; exit}' "$gc"
    fi
  fi
  for k in rss_kib pss_kib jack_pss_kib own_pss_kib rssanon_kib rssfile_kib threads; do
    local v
    v=$(prop "$f" "$k")
    [ -n "$v" ] && echo "$k=$v"
  done
  return 0
}
median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2];
  else printf "%g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
keys="ready_ms announce_ms slave_ms run_ms startup_cpu_ms jvm_uptime_at_first_block_ms gc_start gc_after
  gc_log_start gc_log_after session_cpu_pct rss_kib pss_kib jack_pss_kib own_pss_kib rssanon_kib rssfile_kib threads"
{
  echo "# footprint.sh: medians over $rounds round(s); session $session s, L = $latency, slave first: $slave_first"
  for ((i = 0; i < n_variants; i++)); do
    echo
    echo "variant v$i: ${variants[$i]}"
    for r in $(seq 1 "$rounds"); do derive "$out/raw/round$r/v$i" > "$out/raw/round$r/v$i/derived.properties"; done
    for k in $keys; do
      vals=$(for r in $(seq 1 "$rounds"); do prop "$out/raw/round$r/v$i/derived.properties" "$k"; done | tr '\n' ' ')
      printf '  %-30s %-10s (%s)\n' "$k" "$(echo "$vals" | tr ' ' '\n' | grep -v '^$' | median)" "${vals% }"
    done
    if [ -f "$out/raw/nmt/v$i/nmt.txt" ]; then
      derive "$out/raw/nmt/v$i" > "$out/raw/nmt/v$i/derived.properties"
      echo "  NMT case: own_pss_kib=$(prop "$out/raw/nmt/v$i/derived.properties" own_pss_kib)," \
        "classes loaded: $(head -1 "$out/raw/nmt/v$i/classes.txt" | awk '{print $1}')"
      grep -E '^(Total:|-) ' "$out/raw/nmt/v$i/nmt.txt" | sed 's/^/    /' |
        awk '{line = $0; sub(/ *\(reserved=/, " reserved=", line); print line}'
    fi
  done
} > "$out/summary.txt"
say "summary: $out/summary.txt"
