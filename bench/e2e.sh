#!/usr/bin/env bash
# e2e.sh: the side-by-side end-to-end benchmark of JACK2's NetJack2 master (netmanager) and this
# project's bridge (bin/netjack-bridge run), on one host JACK dummy server at 96 kHz / 128 frames
# with the same JACK2 `jackd -d net` slave looping its capture to its playback.
#
#   flock /tmp/vmm-build.lock bench/e2e.sh [--rounds N] [--seconds S] [--latencies "0 1 2"]
#                                          [--settle S] [--bridge-priority N] [--no-restart] [--out DIR]
#                                          [--vm] [--bridge-heap SIZE] [--bridge-java-opts "FLAGS"]
#                                          [--no-syscalls] [--bridge-send-paths "sender period"]
#                                          [--bridge-variant NAME="FLAGS"]... [--perf-record]
#
# Runs in a private network namespace (unshare -n, only lo up), as root. Per round, in turn:
# a baseline (no bridge, jack_delay looped on the host server), then for every L: JACK2, ours
# (the order of the two alternates per round). Each case gets a fresh master jackd and slave
# jackd; after --settle seconds a measured window of --seconds: jack_delay round trip, host and
# slave xruns (xrun_monitor), CPU ticks and peak RSS of every process, the bridge's counters; at
# the window's end RSS, PSS (smaps_rollup) and the PSS of JACK's shared memory (/dev/shm/jack*
# mappings in smaps) of the host jackd and the bridge; over the window their context switches
# (summed over /proc/PID/task/*/status) and, where `perf stat -e raw_syscalls:sys_enter` works,
# their system calls, counted per thread (--no-syscalls leaves perf out). --bridge-heap and --bridge-java-opts set
# NETJACK_BRIDGE_HEAP / NETJACK_BRIDGE_JAVA_OPTS of bin/netjack-bridge (JVM flag experiments).
# --bridge-send-paths runs our bridge once per listed send path in every round and L (issue 16:
# "sender" = the nj-sender thread sends, "period" = the JACK thread sends, "default" = the
# Settings default for L), through the hidden override NETJACK_BRIDGE_SEND_PATH of
# bin/netjack-bridge; the first is the case "bridge" of the report, each further one "bridge-PATH".
# A path SEND+RECEIVE also sets NETJACK_BRIDGE_RECEIVE_PATH (e.g. "period+receiver": the JACK thread
# sends, the nj-receiver thread receives, as before the JACK thread received too).
# --bridge-variant NAME="FLAGS" (repeatable; NAME of a-z and 0-9) runs our bridge once more per round
# and L as the case "bridge-NAME": the first send path, with FLAGS appended to NETJACK_BRIDGE_JAVA_OPTS
# (JVM flag experiments side by side in one run; E2eReport labels the case "send path NAME").
# Every case also keeps each thread's context switches at the window's start and end
# (raw/.../threads_{start,end}_{master,bridge}.txt: name, voluntary, involuntary), and each
# thread's CPU time from /proc/PID/task/TID/schedstat (exact ns) at the window's start and end
# (cpu_{start,end}_*.txt; cpu_server_master.txt: the host jackd's threads before any client) and
# from them its µs of CPU per period (cpu_per_period_{master,bridge}.txt, bench/e2e/cpu-per-period.sh);
# bench/e2e/cpu-report.sh adds "CPU per period per thread" to report.md and cpuPerPeriodUs to
# summary.json (our JACK thread, our other threads, JACK2's netmanager threads in the host jackd).
# --perf-record samples the host jackd and the bridge over every window (perf record -e cpu-clock
# at 4,999 Hz, all threads) and writes perf_{master,bridge}.txt per case: samples per thread, shared
# object and symbol (the bridge's JIT-compiled methods named through the JVM's perf map, written at
# its exit with -XX:+DumpPerfMapAtExit, which the option adds to the bridge's JVM flags).
# Then one slave-restart case per kind (kill -9 of the slave, restart 3 s later; audio_probe
# times when the tone flows again). Defaults: 3 rounds x 15 s, 5 s settling (JIT warm-up of the
# bridge; the same for JACK2), about 10 minutes on 2 cores. The bridge runs with the documented
# production settings minus pinning: blocking wait, sender and receiver at SCHED_FIFO
# --bridge-priority (default 70, as docs/config-format.md; 0 = no real-time priority).
# --vm adds the DSP VM case after the rounds (--rounds 0 --no-restart: the VM case alone): the
# test guest (vm-control/guest/build-test-guest.sh, built once from Debian packages) booted by
# `vmctl start` on a tap in the same private namespace, its JACK2 `jackd -d net` looping capture
# to playback, under `netjack-bridge run`; for every L the same window as above, and the bridge's
# network round trip per cycle through virtio-net and the tap as percentiles. With /dev/kvm at
# 96 kHz / 128; without it under TCG at 48 kHz / 1024 (TCG cannot hold 1.33 ms deadlines).
#
# Writes bench/results/<UTC date>[-HHMM]/: raw/ (every log), machine.txt, report.md, *.png.
# Needs: jackd2, jack-delay, libjack-jackd2-dev, gcc (installed with apt-get when missing), and jq
# for summary.json's cpuPerPeriodUs (without it report.md still gets the CPU per period).
# Stops only the processes it started, by PID.
set -euo pipefail
bench=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(dirname "$bench")
# shellcheck source=bench/lib.sh
. "$bench/lib.sh"
jar="$bench/target/benchmarks.jar"
helpers="$bench/target/e2e-bin"

rounds=3
seconds=15
settle=5
bridge_priority=70
latencies="0 1 2"
restart=1
syscalls=1
perf_record=0
send_paths="default"
variants=()          # "NAME=FLAGS" of each --bridge-variant
out=""
inside=0
vm=0
guest=""
vm_accel=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --latencies) latencies=$2; shift 2 ;;
    --bridge-priority) bridge_priority=$2; shift 2 ;;
    --no-restart) restart=0; shift ;;
    --no-syscalls) syscalls=0; shift ;;
    --perf-record) perf_record=1; shift ;;
    --bridge-send-paths) send_paths=$2; shift 2 ;;
    --bridge-variant)
      [[ "$2" =~ ^[a-z0-9]+= ]] || { echo "e2e: --bridge-variant wants NAME=\"FLAGS\" (NAME of a-z, 0-9), not $2" >&2; exit 2; }
      case "${2%%=*}" in default|period|sender|receiver) echo "e2e: variant name ${2%%=*} is a send path's" >&2; exit 2 ;; esac
      variants+=("$2"); shift 2 ;;
    --bridge-heap) export NETJACK_BRIDGE_HEAP=$2; shift 2 ;;
    --bridge-java-opts) export NETJACK_BRIDGE_JAVA_OPTS=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --inside-netns) inside=1; shift ;;
    --vm) vm=1; shift ;;
    --guest) guest=$2; shift 2 ;;
    --vm-accel) vm_accel=$2; shift 2 ;;
    -h|--help) sed -n '2,57p' "$0"; exit 0 ;;
    *) echo "e2e: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# ------------------------------------------------------------------------------------------
# Outside the namespace: prerequisites, build, output folder, then re-enter under unshare -n.
if [ "$inside" = 0 ]; then
  require_root e2e
  missing=()
  check_jack_tools
  if [ "$vm" = 1 ]; then
    command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
    command -v cpio >/dev/null || missing+=(cpio)
    command -v readelf >/dev/null || missing+=(binutils)
    command -v xz >/dev/null || missing+=(xz-utils)
  fi
  install_packages ${missing[@]+"${missing[@]}"}
  if [ ! -f "$jar" ] || [ ! -f "$root/audio-bridge/target/audio-bridge.jar" ] ||
     [ -n "$(find "$bench/src" "$bench/pom.xml" "$root/audio-bridge/src/main" -newer "$jar" -type f -print -quit)" ]; then
    say "building bench and audio-bridge"
    (cd "$root" && mvn -q -B -ntp -pl bench -am -DskipTests package) >&2
  fi
  if [ "$vm" = 1 ]; then
    # Outside the namespace: the guest's packages come from the Debian archive (cached after once).
    say "building the DSP test guest (cached after the first run)"
    guest=$("$root/vm-control/guest/build-test-guest.sh" | tail -1)
    if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then vm_accel=kvm; else vm_accel=tcg; fi
  fi
  compile_helper xrun_monitor "$bench/e2e/xrun_monitor.c" -ljack
  compile_helper audio_probe "$bench/e2e/audio_probe.c" -ljack -lm
  make_out_dir ""
  {
    machine_facts date_utc host kernel cpus cpu_model memory loadavg_before jackd java git_commit
    echo "rounds=$rounds"
    echo "seconds=$seconds"
    echo "settle=$settle"
    echo "latencies=$latencies"
    echo "bridge_priority=$bridge_priority"
    echo "bridge_heap=${NETJACK_BRIDGE_HEAP:-}"
    echo "bridge_java_opts=${NETJACK_BRIDGE_JAVA_OPTS:-}"
    echo "bridge_send_paths=$send_paths"
    [ ${#variants[@]} -gt 0 ] && echo "bridge_variants=$(printf '%s; ' "${variants[@]}")"
    if [ "$syscalls" = 1 ] && perf stat -e raw_syscalls:sys_enter -x, -o /dev/null -- true 2>/dev/null; then
      echo "syscall_counter=$(perf --version) stat -e raw_syscalls:sys_enter -p PID"
    else
      syscalls=0
    fi
    if [ "$perf_record" = 1 ]; then
      if perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
        echo "profiler=$(perf --version) record -e cpu-clock -F 4999 -p PID"
      else
        say "perf record does not work here: --perf-record left out"; perf_record=0
      fi
    fi
    if [ "$vm" = 1 ]; then
      echo "vm_accel=$vm_accel"
      if [ "$vm_accel" = kvm ]; then echo "vm_rate=96000"; echo "vm_period=128"
      else echo "vm_rate=48000"; echo "vm_period=1024"; fi
      echo "vm_guest=$guest"
      echo "qemu=$(qemu-system-x86_64 --version | head -1)"
    fi
    machine_facts top_processes_before
  } > "$out/machine.txt"
  say "results in $out"
  args=(--inside-netns --out "$out" --rounds "$rounds" --seconds "$seconds" --settle "$settle" --latencies "$latencies"
    --bridge-priority "$bridge_priority" --bridge-send-paths "$send_paths")
  [ "$restart" = 0 ] && args+=(--no-restart)
  for v in ${variants[@]+"${variants[@]}"}; do args+=(--bridge-variant "$v"); done
  [ "$syscalls" = 0 ] && args+=(--no-syscalls)
  if [ "$perf_record" = 1 ]; then
    args+=(--perf-record)
    export NETJACK_BRIDGE_JAVA_OPTS="${NETJACK_BRIDGE_JAVA_OPTS:+$NETJACK_BRIDGE_JAVA_OPTS }-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit"
  fi
  [ "$vm" = 1 ] && args+=(--vm --guest "$guest" --vm-accel "$vm_accel")
  run_in_netns "${args[@]}"
  say "writing the report"
  java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Djava.awt.headless=true -cp "$jar" \
    org.oligarchy.vmm.bench.e2e.E2eReport "$out"
  "$bench/e2e/cpu-report.sh" "$out" || say "cpu-report.sh failed: no CPU per period in the report"
  say "report: $out/report.md"
  exit "$rc"
fi

# ------------------------------------------------------------------------------------------
# Inside the namespace.
enter_netns          # lo up; started=(): every PID this script started, stopped on exit
raw="$out/raw"
tag="e2e$$"          # server names are global (sockets in /dev/shm): keep ours unique
case_number=0

cpu_delta() { # PID TICKS_AT_START: ticks used since, or empty when the process is gone
  local now
  now=$(cpu_ticks "${1:-}")
  [ -n "$now" ] && [ -n "${2:-}" ] && echo $((now - $2)) || echo ""
}
peak_rss_kib() { [ -n "${1:-}" ] && awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo ""; }
lines_of() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
# memory PID PREFIX: PREFIX_rss_kib and PREFIX_pss_kib (smaps_rollup), PREFIX_jack_pss_kib: the PSS
# of the mappings of JACK's shared memory (lib.sh's jack_pss_kib).
memory() {
  [ -n "${1:-}" ] && [ -r "/proc/$1/smaps_rollup" ] || return 0
  echo "$2_rss_kib=$(rollup_kib "$1" Rss)"
  echo "$2_pss_kib=$(rollup_kib "$1" Pss)"
  echo "$2_jack_pss_kib=$(jack_pss_kib "$1")"
}
# switches PID: "VOLUNTARY INVOLUNTARY" context switches summed over the process's threads (a thread
# that ends between two samples takes its count with it), or empty.
switches() {
  [ -n "${1:-}" ] && [ -d "/proc/$1/task" ] || { echo ""; return 0; }
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^voluntary_ctxt_switches:/ {v += $2} /^nonvoluntary_ctxt_switches:/ {n += $2} END {print v + 0, n + 0}'
}
thread_switches() { # PID: one line per thread: name voluntary involuntary (tid-ordered)
  [ -n "${1:-}" ] && [ -d "/proc/$1/task" ] || return 0
  for t in /proc/"$1"/task/*; do
    awk -v tid="${t##*/}" '/^Name:/ {n = $2} /^voluntary_ctxt_switches:/ {v = $2}
      /^nonvoluntary_ctxt_switches:/ {i = $2} END {print tid, n, v, i}' "$t/status" 2>/dev/null
  done
}
switch_delta() { # PREFIX "V N" at start, PID: PREFIX_voluntary_switches / PREFIX_involuntary_switches
  local now
  now=$(switches "${3:-}")
  [ -n "$now" ] && [ -n "$2" ] || return 0
  set -- "$1" $2 $now
  echo "$1_voluntary_switches=$(($4 - $2))"
  echo "$1_involuntary_switches=$(($5 - $3))"
}
# count_syscalls PID FILE: perf counts the process's system calls (all its threads) for --seconds,
# the length of the jack_delay window it is started beside. (perf with a workload, not stopped by
# a signal: a background job of a non-interactive shell ignores SIGINT, and SIGTERM loses the count.)
count_syscalls() {
  [ "$syscalls" = 1 ] && [ -n "${1:-}" ] || return 0
  perf stat --per-thread -e raw_syscalls:sys_enter -x, -o "$2" -p "$1" -- sleep "$seconds" >/dev/null 2>&1 &
  syscall_pids+=($!); started+=($!)
}
stop_syscall_counters() { # they end on their own with the window; stop any that does not within 3 s
  for pid in ${syscall_pids[@]+"${syscall_pids[@]}"}; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  stop ${syscall_pids[@]+"${syscall_pids[@]}"}
  syscall_pids=()
}
syscalls_of() { # FILE: the count perf wrote (summed over its per-thread lines "comm-tid,count,..."), or empty
  [ -f "$1" ] && awk -F, '/raw_syscalls:sys_enter/ {
      if ($1 ~ /^[0-9]+$/) { sum += $1; n++ } else if ($2 ~ /^[0-9]+$/) { sum += $2; n++ } }
    END { if (n) print sum }' "$1" | grep -E '^[0-9]+$' || true
}
syscall_pids=()
# record_profile PID FILE (--perf-record): cpu-clock samples of all the process's threads for the
# window; stopped with the syscall counters. 4,999 Hz: not a multiple of the 750 Hz period.
record_profile() {
  [ "$perf_record" = 1 ] && [ -n "${1:-}" ] || return 0
  perf record -q -e cpu-clock -F 4999 -o "$2" -p "$1" -- sleep "$seconds" >/dev/null 2>&1 &
  syscall_pids+=($!); started+=($!)
}
# profile_reports DIR: after the case's processes are gone (the JVM writes /tmp/perf-PID.map as it
# exits), samples per thread, shared object and symbol, busiest first.
profile_reports() {
  local data
  for data in "$1"/perf_*.data; do
    [ -f "$data" ] || continue
    perf report -i "$data" --stdio --sort pid,dso,sym --percent-limit 0.2 2>/dev/null \
      | grep -v '^$' > "${data%.data}.txt" || true
    rm -f "$data"
  done
}

loop_slave() { # SLAVE: capture -> playback on the slave, retried while it attaches
  for _ in $(seq 200); do
    jack_connect -s "$1" system:capture_1 system:playback_1 >/dev/null 2>&1 &&
      jack_connect -s "$1" system:capture_2 system:playback_2 >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  say "could not loop the slave $1"; return 1
}

rate=96000 period=128 # the loopback cases; the VM case under TCG changes them
start_master() { # NAME DIR -> master_pid
  stdbuf -oL -eL jackd -n "$1" -d dummy -r "$rate" -p "$period" -C 0 -P 0 >> "$2/jackd_master.log" 2>&1 &
  master_pid=$!; started+=("$master_pid")
  wait_for_server "$1"
}
start_slave() { # NAME DIR PORT L -> slave_pid
  stdbuf -oL -eL jackd -n "$1" -d net -a 127.0.0.1 -p "$3" -C 2 -P 2 -i 0 -o 0 -n slave1 -l "$4" \
    >> "$2/jackd_slave.log" 2>&1 &
  slave_pid=$!; started+=("$slave_pid")
}
# bridge_section MASTER DIR PORT L LISTEN PEER: the "bridge" object of the config, as every case runs it
bridge_section() {
  cat <<JSON
  "bridge": {
    "clientName": "nj",
    "toVmPorts": 2,
    "fromVmPorts": 2,
    "listenAddress": "$5",
    "port": $3,
    "latencyPeriods": $4,
    "jackServer": "$1",
    "waitStrategy": "blocking",
    "priorities": { "sender": $bridge_priority, "receiver": $bridge_priority },
    "countersFile": "$2/counters.dat",
    "histogramLog": "$2/histograms.hlog",
    "controlSocket": "$2/control.sock",
    "peerAddresses": ["$6"]
  }
JSON
}
start_bridge() { # MASTER DIR PORT L [SEND_PATH] [EXTRA_JAVA_OPTS] -> bridge_pid
  { echo '{'; echo '  "version": 1,'; bridge_section "$1" "$2" "$3" "$4" 127.0.0.1 127.0.0.1; echo '}'; } \
    > "$2/bridge.json"
  local path=${5:-default} receive=""
  # SEND+RECEIVE (e.g. period+receiver): also the hidden NETJACK_BRIDGE_RECEIVE_PATH (issue 16).
  case "$path" in *+*) receive=${path#*+}; path=${path%%+*} ;; esac
  [ "$path" = default ] && path=""
  NETJACK_BRIDGE_SEND_PATH="$path" NETJACK_BRIDGE_RECEIVE_PATH="$receive" \
    NETJACK_BRIDGE_JAVA_OPTS="${NETJACK_BRIDGE_JAVA_OPTS:-}${6:+ $6}" \
    "$root/bin/netjack-bridge" run --config "$2/bridge.json" >> "$2/bridge.log" 2>&1 &
  bridge_pid=$!; started+=("$bridge_pid")
}

# The DSP VM case: a tap in this namespace, the test guest booted by vmctl, the bridge as master.
vm_tap_ready=0
start_vm_chain() { # MASTER DIR L -> vmctl_pid, bridge_pid
  if [ "$vm_tap_ready" = 0 ]; then
    ip tuntap add dev dsptap0 mode tap
    ip addr add 10.77.0.1/24 dev dsptap0
    ip link set dsptap0 up
    vm_tap_ready=1
  fi
  local last siblings cores
  last=$(tr ',' '\n' </sys/devices/system/cpu/online | tail -1 | sed 's/.*-//')
  siblings=$(cat "/sys/devices/system/cpu/cpu$last/topology/thread_siblings_list")
  cores=$(echo "$siblings" | tr ',' '\n' | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done | paste -sd, -)
  {
    cat <<JSON
{
  "version": 1,
  "dsp": {
    "name": "dsp-bench",
    "isolatedCores": [$cores],
    "memoryMB": 256,
    "kernel": "$guest/vmlinuz",
    "initrd": "$guest/initrd.img",
    "kernelParams": ["console=ttyS0", "panic=-1", "quiet"],
    "stateDir": "$2/run",
    "netjack": { "enable": true, "sourcePort": 19000, "bufferSize": $period, "sampleRate": $rate,
      "channels": 2, "latency": $3, "vmAddress": "10.77.0.2", "hostAddress": "10.77.0.1" },
    "network": { "type": "tap", "tap": "dsptap0" }
  },
JSON
    bridge_section "$1" "$2" 19000 "$3" 10.77.0.1 10.77.0.2
    echo '}'
  } > "$2/bridge.json"
  "$root/bin/vmctl" start --config "$2/bridge.json" --accel "$vm_accel" --ignore-preflight kvm,isolcpus \
    >> "$2/vmctl.log" 2>&1 &
  vmctl_pid=$!; started+=("$vmctl_pid")
  "$root/bin/netjack-bridge" run --config "$2/bridge.json" >> "$2/bridge.log" 2>&1 &
  bridge_pid=$!; started+=("$bridge_pid")
}
stop_vm() { # DIR: vmctl stop (the guest powers off), then the vmctl process
  [ -z "${vmctl_pid:-}" ] && return 0
  "$root/bin/vmctl" stop --config "$1/bridge.json" --powerdown-timeout-seconds 20 >> "$1/vmctl.log" 2>&1 || true
  stop "$vmctl_pid"
  vmctl_pid=""
}

# variant_flags KIND: the FLAGS of --bridge-variant NAME for the kind bridge-NAME, else nothing
variant_flags() {
  local v
  for v in ${variants[@]+"${variants[@]}"}; do
    [ "$1" = "bridge-${v%%=*}" ] && { echo "${v#*=}"; return 0; }
  done
  return 0
}
is_variant() { # KIND
  local v
  for v in ${variants[@]+"${variants[@]}"}; do [ "$1" = "bridge-${v%%=*}" ] && return 0; done
  return 1
}
# send_path_of KIND: the send path of a bridge case: "bridge" and a variant's "bridge-NAME" run the
# first of --bridge-send-paths, "bridge-PATH" runs PATH
send_path_of() {
  if [ "$1" = bridge ] || is_variant "$1"; then set -- $send_paths; echo "$1"; return 0; fi
  case "$1" in
    bridge-*) echo "${1#bridge-}" ;;
  esac
}
bridge_kinds() { # bridge, then bridge-PATH for each further send path, then bridge-NAME per variant
  local first=1 v
  for p in $send_paths; do
    if [ "$first" = 1 ]; then echo bridge; first=0; else echo "bridge-$p"; fi
  done
  for v in ${variants[@]+"${variants[@]}"}; do echo "bridge-${v%%=*}"; done
}

# set_up KIND L DIR: master, bridge or netmanager, slave, loop; sets out_port / in_port
set_up() {
  local kind=$1 latency=$2 dir=$3
  case_number=$((case_number + 1))
  master="${tag}m$case_number"; slave="${tag}s$case_number"; udp_port=$((19000 + case_number))
  master_pid=""; slave_pid=""; bridge_pid=""; vmctl_pid=""; case_dir=$dir
  start_master "$master" "$dir" || return 1
  # The server's own threads, before any bridge or netmanager: cpu-per-period.sh calls every later
  # thread of the host jackd a client's (JACK2's netmanager in a jack2 case).
  thread_cpu "$master_pid" > "$dir/cpu_server_master.txt"
  case "$kind" in
    vm)
      start_vm_chain "$master" "$dir" "$latency"
      wait_for_port "$master" nj:from_vm_2 30 "$bridge_pid" || return 1
      # A TCG guest boots in about 15 s on 2 cores; its init loops capture to playback itself.
      for _ in $(seq 2400); do grep -q "session .* running" "$dir/bridge.log" && break; sleep 0.05; done
      grep -q "session .* running" "$dir/bridge.log" || { say "the guest did not join in 120 s (see $dir/run/serial.log)"; return 1; }
      for _ in $(seq 600); do grep -q "guest: loop: .* connected" "$dir/run/serial.log" 2>/dev/null && break; sleep 0.05; done
      out_port=nj:to_vm_1; in_port=nj:from_vm_1 ;;
    baseline)
      out_port=jack_delay:in; in_port="" ;;
    jack2)
      jack_load -s "$master" netmanager -i "-a 127.0.0.1 -p $udp_port" > "$dir/jack_load.log" 2>&1
      start_slave "$slave" "$dir" "$udp_port" "$latency"
      wait_for_port "$master" slave1:from_slave_2 20 || return 1
      out_port=slave1:to_slave_1; in_port=slave1:from_slave_1 ;;
    bridge|bridge-*)
      start_bridge "$master" "$dir" "$udp_port" "$latency" "$(send_path_of "$kind")" "$(variant_flags "$kind")"
      wait_for_port "$master" nj:from_vm_2 30 "$bridge_pid" || return 1
      start_slave "$slave" "$dir" "$udp_port" "$latency"
      for _ in $(seq 400); do grep -q "session .* running" "$dir/bridge.log" && break; sleep 0.05; done
      grep -q "session .* running" "$dir/bridge.log" || { say "no session in 20 s"; return 1; }
      out_port=nj:to_vm_1; in_port=nj:from_vm_1 ;;
  esac
  if [ "$kind" != baseline ] && [ "$kind" != vm ]; then
    wait_for_server "$slave" || return 1
    loop_slave "$slave" || return 1
  fi
}

tear_down() {
  stop ${monitor_pids[@]+"${monitor_pids[@]}"}
  stop_vm "$case_dir"
  stop "$bridge_pid"
  stop "$slave_pid"
  stop "$master_pid"
}

# open_case KIND L DIR: set_up, then xrun_monitor on the host server; 1 when the set-up failed
# (DIR/case.properties says so, the case is torn down)
open_case() {
  if ! set_up "$1" "$2" "$3"; then
    echo "failed=set-up" > "$3/case.properties"
    tear_down; return 1
  fi
  monitor_pids=()
  "$helpers/xrun_monitor" "$master" "$3/xruns_master.txt" 2>> "$3/monitor.log" &
  monitor_pids+=($!); started+=($!)
}

# measure KIND L ROUND: one measured case
measure() {
  local kind=$1 latency=$2 round=$3
  local dir="$raw/round$round/$kind-L$latency"
  [ "$kind" = baseline ] && dir="$raw/round$round/baseline"
  [ "$kind" = vm ] && dir="$raw/vm/vm-L$latency"
  mkdir -p "$dir"
  say "round $round: $kind L=$latency"
  open_case "$kind" "$latency" "$dir" || return 0
  if [ "$kind" != baseline ] && [ "$kind" != vm ]; then
    sleep 0.3 # two clients opening at the same instant sometimes fail
    "$helpers/xrun_monitor" "$slave" "$dir/xruns_slave.txt" 2>> "$dir/monitor.log" &
    monitor_pids+=($!); started+=($!)
  fi
  # Channel 2 carries a tone for the whole case: dropouts (silent periods) are counted from it.
  sleep 0.3
  if [ "$kind" = baseline ]; then
    "$helpers/audio_probe" "$master" audio_probe:in audio_probe:out "$dir/probe.txt" 2>> "$dir/monitor.log" &
  else
    "$helpers/audio_probe" "$master" "${out_port%_1}_2" "${in_port%_1}_2" "$dir/probe.txt" 2>> "$dir/monitor.log" &
  fi
  monitor_pids+=($!); started+=($!)
  sleep "$settle"
  [ -f "$dir/counters.dat" ] && cp "$dir/counters.dat" "$dir/counters_start.dat"
  local t0 c0m c0s c0b l0m l0b s0m s0b
  count_syscalls "$master_pid" "$dir/syscalls_master.csv"
  count_syscalls "$bridge_pid" "$dir/syscalls_bridge.csv"
  record_profile "$master_pid" "$dir/perf_master.data"
  record_profile "$bridge_pid" "$dir/perf_bridge.data"
  s0m=$(switches "$master_pid"); s0b=$(switches "$bridge_pid")
  thread_switches "$master_pid" > "$dir/threads_start_master.txt"
  [ -n "$bridge_pid" ] && thread_switches "$bridge_pid" > "$dir/threads_start_bridge.txt"
  t0=$(now_ms)
  thread_cpu "$master_pid" > "$dir/cpu_start_master.txt"
  [ -n "$bridge_pid" ] && thread_cpu "$bridge_pid" > "$dir/cpu_start_bridge.txt"
  c0m=$(cpu_ticks "$master_pid"); c0s=$(cpu_ticks "$slave_pid"); c0b=$(cpu_ticks "$bridge_pid")
  l0m=$(lines_of "$dir/jackd_master.log"); l0b=$(lines_of "$dir/bridge.log")
  local delay_args=(-O "$out_port")
  [ -n "$in_port" ] && delay_args+=(-I "$in_port")
  JACK_DEFAULT_SERVER="$master" timeout "$seconds" stdbuf -oL jack_delay "${delay_args[@]}" \
    > "$dir/jack_delay.log" 2>&1 || true
  local t1 c1m c1s c1b
  t1=$(now_ms)
  thread_cpu "$master_pid" > "$dir/cpu_end_master.txt"
  [ -n "$bridge_pid" ] && thread_cpu "$bridge_pid" > "$dir/cpu_end_bridge.txt"
  c1m=$(cpu_delta "$master_pid" "$c0m"); c1s=$(cpu_delta "$slave_pid" "$c0s"); c1b=$(cpu_delta "$bridge_pid" "$c0b")
  [ -f "$dir/counters.dat" ] && cp "$dir/counters.dat" "$dir/counters_end.dat"
  thread_switches "$master_pid" > "$dir/threads_end_master.txt"
  [ -n "$bridge_pid" ] && thread_switches "$bridge_pid" > "$dir/threads_end_bridge.txt"
  {
    [ -n "$bridge_pid" ] && echo "send_path=$(send_path_of "$kind")"
    [ -n "$bridge_pid" ] && is_variant "$kind" && echo "variant_java_opts=$(variant_flags "$kind")"
    switch_delta master "$s0m" "$master_pid"
    [ -n "$bridge_pid" ] && switch_delta bridge "$s0b" "$bridge_pid"
    stop_syscall_counters
    echo "master_syscalls=$(syscalls_of "$dir/syscalls_master.csv")"
    [ -n "$bridge_pid" ] && echo "bridge_syscalls=$(syscalls_of "$dir/syscalls_bridge.csv")"
    memory "$master_pid" master
    [ -n "$bridge_pid" ] && memory "$bridge_pid" bridge
    echo "rate=$rate"
    echo "period_frames=$period"
    echo "syscall_seconds=$seconds"
    echo "kind=$kind"
    echo "latency_periods=$latency"
    echo "round=$round"
    echo "window_start_ms=$t0"
    echo "window_end_ms=$t1"
    echo "clk_tck=$(getconf CLK_TCK)"
    echo "master_cpu_ticks=$c1m"
    [ -n "$slave_pid" ] && echo "slave_cpu_ticks=$c1s"
    [ -n "$bridge_pid" ] && echo "bridge_cpu_ticks=$c1b"
    echo "master_peak_rss_kib=$(peak_rss_kib "$master_pid")"
    [ -n "$slave_pid" ] && echo "slave_peak_rss_kib=$(peak_rss_kib "$slave_pid")"
    [ -n "$bridge_pid" ] && echo "bridge_peak_rss_kib=$(peak_rss_kib "$bridge_pid")"
    echo "reference_client_peak_rss_kib=$(peak_rss_kib "${monitor_pids[0]}")"
    [ -n "$bridge_pid" ] && echo "bridge_rss_now=$(awk '/^(VmRSS|RssAnon|RssFile|RssShmem):/ {sub(":", "", $1); printf "%s=%s ", $1, $2}' "/proc/$bridge_pid/status")"
    echo "master_log_lines_start=$l0m"
    echo "master_log_lines_end=$(lines_of "$dir/jackd_master.log")"
    echo "bridge_log_lines_start=$l0b"
    echo "bridge_log_lines_end=$(lines_of "$dir/bridge.log")"
  } > "$dir/case.properties"
  "$bench/e2e/cpu-per-period.sh" "$dir" || say "cpu-per-period.sh failed for $dir"
  tear_down
  profile_reports "$dir"
}

# restart KIND: kill -9 the slave, restart it 3 s later, time the return of the tone
restart_case() {
  local kind=$1 latency=1
  local dir="$raw/restart/$kind-L$latency"
  mkdir -p "$dir"
  say "restart: $kind L=$latency"
  open_case "$kind" "$latency" "$dir" || return 0
  sleep 0.3
  "$helpers/audio_probe" "$master" "$out_port" "$in_port" "$dir/probe.txt" 2>> "$dir/monitor.log" &
  monitor_pids+=($!); started+=($!)
  for _ in $(seq 200); do grep -q '^flowing' "$dir/probe.txt" 2>/dev/null && break; sleep 0.05; done
  sleep "$settle"
  local t_kill l_kill_m l_kill_b
  l_kill_m=$(lines_of "$dir/jackd_master.log"); l_kill_b=$(lines_of "$dir/bridge.log")
  t_kill=$(now_ms)
  kill -KILL "$slave_pid" 2>/dev/null || true; wait "$slave_pid" 2>/dev/null || true
  sleep 3
  local t_restart t_looped t_back=""
  t_restart=$(now_ms)
  start_slave "$slave" "$dir" "$udp_port" "$latency"
  wait_for_server "$slave" || true
  loop_slave "$slave" || true
  t_looped=$(now_ms)
  for _ in $(seq 1500); do
    t_back=$(awk -v t="$t_restart" '$1 == "flowing" && $2 > t {print $2; exit}' "$dir/probe.txt")
    [ -n "$t_back" ] && break
    sleep 0.01
  done
  local l_back_m l_back_b
  l_back_m=$(lines_of "$dir/jackd_master.log"); l_back_b=$(lines_of "$dir/bridge.log")
  sleep 2
  {
    echo "kind=$kind"
    echo "latency_periods=$latency"
    echo "kill_ms=$t_kill"
    echo "restart_ms=$t_restart"
    echo "slave_looped_ms=$t_looped"
    echo "audio_back_ms=$t_back"
    echo "after_ms=$(now_ms)"
    echo "master_log_lines_kill=$l_kill_m"
    echo "master_log_lines_back=$l_back_m"
    echo "bridge_log_lines_kill=$l_kill_b"
    echo "bridge_log_lines_back=$l_back_b"
  } > "$dir/case.properties"
  tear_down
}

monitor_pids=()
for round in $(seq 1 "$rounds"); do
  measure baseline 0 "$round"
  for latency in $latencies; do
    if [ $((round % 2)) = 1 ]; then
      measure jack2 "$latency" "$round"
      for k in $(bridge_kinds); do measure "$k" "$latency" "$round"; done
    else
      for k in $(bridge_kinds | tac); do measure "$k" "$latency" "$round"; done
      measure jack2 "$latency" "$round"
    fi
  done
done
if [ "$restart" = 1 ]; then
  restart_case jack2
  restart_case bridge
fi
if [ "$vm" = 1 ]; then
  if [ "$vm_accel" = tcg ]; then rate=48000 period=1024; fi
  for latency in $latencies; do
    measure vm "$latency" 1
  done
fi
say "all cases done"
