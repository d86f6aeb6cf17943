# lib.sh: what bench/e2e.sh, bench/drift.sh and bench/footprint.sh share, sourced by each after it
# has set `bench` (this folder) and `root` (the project). Functions only: sourcing it runs nothing.
# Each of those scripts runs in two halves: outside, as root, it installs what is missing, builds,
# writes the results folder's machine.txt and runs itself again inside a private network namespace
# (`unshare -n`, only lo up) with --inside-netns; inside, it starts JACK servers and clients and
# stops only the processes it started, by PID.
#
# Globals the functions read or set (each script owns them):
#   bench, root   read: this folder and the project
#   out           read and set by make_out_dir / run_in_netns: the results folder
#   helpers       read by compile_helper: where the compiled C helpers go
#   missing       appended to by check_jack_tools: Debian packages to install
#   started       read and set by kill_started / forget / stop: every PID the script started and
#                 has not yet stopped; a script appends each PID it starts (`started+=($!)`)
#   rc            set by run_in_netns: the exit status of the inside half
#
# Outside the namespace:
#   say TEXT...                 TEXT on stderr behind the UTC time
#   now_ms                      the wall clock in epoch milliseconds
#   require_root NAME           exits 2 with "NAME: needs root ..." unless run as root
#   check_jack_tools            appends to `missing` the packages of jackd, jack_delay, <jack/jack.h>
#                               and gcc that are not installed
#   install_packages PKG...     apt-get install PKG... (nothing without PKG), again after apt-get
#                               update when that fails; returns apt-get's status
#   compile_helper NAME SRC [LIB...]   gcc -O2 -Wall SRC into $helpers/NAME (created), linked with LIB
#   build_bridge                builds audio-bridge (jar and lib/) when it is missing or older than
#                               its sources, so that bin/netjack-bridge runs the code checked out
#   make_out_dir SUFFIX         without --out: out=bench/results/<UTC date>SUFFIX[-HHMM]; creates
#                               $out/raw and makes `out` absolute
#   machine_facts KEY...        the lines KEY=value of machine.txt, in the given order (keys below)
#   run_in_netns ARG...         runs this script ($0) with ARG... under `unshare -n`, sets `rc` to its
#                               status and appends loadavg_after to $out/machine.txt
# Inside the namespace:
#   enter_netns                 lo up, JACK_NO_AUDIO_RESERVATION=1, started=(), kill_started on EXIT
#   kill_started                SIGTERM to every PID in `started`, 0.5 s, then SIGKILL (the EXIT trap)
#   forget PID                  takes PID out of `started` (it ended)
#   stop PID...                 SIGTERM, up to 5 s, then SIGKILL, and forget; empty PIDs are skipped
#   cpu_ticks PID               utime + stime of a process (clock ticks), or empty
#   thread_cpu PID              one line per thread: tid, nanoseconds on CPU (first field of
#                               /proc/PID/task/TID/schedstat: exact, unlike the stat ticks),
#                               scheduling policy (0 other, 1 FIFO, 2 RR), real-time priority, and
#                               the thread's name (comm, may hold spaces: always last)
#   wait_for_server NAME        until `jack_lsp -s NAME` answers, 10 s; 1 (and says so) when not
#   wait_for_port SERVER PORT SECONDS [PID]   until PORT exists on SERVER; 1 when it does not within
#                               SECONDS or when PID (if given) exits meanwhile
#   rollup_kib PID FIELD        FIELD (Rss, Pss, ...) of /proc/PID/smaps_rollup in KiB
#   jack_pss_kib PID            the PSS of the process's mappings of JACK's shared memory
#                               (/dev/shm/jack*: the engine's segments, the client tables, the
#                               registry, the semaphores), which every client of the server maps

# The globals above belong to the sourcing script: shellcheck sees them unassigned or unused here.
# shellcheck disable=SC2154,SC2034
say() { echo "[$(date -u +%T)] $*" >&2; }
now_ms() { date +%s%3N; }

# ------------------------------------------------------------------------------------------
# Outside the namespace.

require_root() { # NAME
  if [ "$(id -u)" != 0 ]; then
    echo "$1: needs root (unshare -n for a private network namespace)" >&2
    exit 2
  fi
}

check_jack_tools() {
  command -v jackd >/dev/null || missing+=(jackd2)
  command -v jack_delay >/dev/null || missing+=(jack-delay)
  [ -f /usr/include/jack/jack.h ] || missing+=(libjack-jackd2-dev)
  command -v gcc >/dev/null || missing+=(gcc)
}

install_packages() { # PKG...
  [ $# -gt 0 ] || return 0
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2; }
}

build_bridge() {
  local jar="$root/audio-bridge/target/audio-bridge.jar"
  if [ ! -f "$jar" ] || [ ! -d "$root/audio-bridge/target/lib" ] ||
     [ -n "$(find "$root/audio-bridge/src/main" "$root/audio-bridge/pom.xml" -newer "$jar" -type f -print -quit)" ]; then
    say "building audio-bridge"
    (cd "$root" && mvn -q -B -ntp -pl audio-bridge -am -DskipTests package) >&2
  fi
}

compile_helper() { # NAME SOURCE [LIB...]
  local name=$1 source=$2
  shift 2
  mkdir -p "$helpers"
  gcc -O2 -Wall -o "$helpers/$name" "$source" "$@"
}

make_out_dir() { # SUFFIX
  if [ -z "$out" ]; then
    out="$bench/results/$(date -u +%F)$1"
    [ -e "$out" ] && out="$out-$(date -u +%H%M)"
  fi
  mkdir -p "$out/raw"
  out=$(cd "$out" && pwd)
}

machine_facts() { # KEY...
  local key
  for key in "$@"; do
    case "$key" in
      date_utc) echo "date_utc=$(date -u +%FT%TZ)" ;;
      host) echo "host=$(hostname)" ;;
      kernel) echo "kernel=$(uname -r)" ;;
      cpus) echo "cpus=$(nproc)" ;;
      cpu_model) echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" ;;
      memory) echo "memory=$(free -h | awk '/^Mem:/ {print $2}')" ;;
      loadavg_before) echo "loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)" ;;
      jackd) echo "jackd=$(jackd --version 2>/dev/null | head -1 | tr -d '\n')" ;;
      java) echo "java=$(java -version 2>&1 | head -1)" ;;
      git_commit) echo "git_commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" ;;
      top_processes_before)
        echo "top_processes_before=$(ps -eo pcpu,comm --sort=-pcpu | sed -n '2,6p' | awk '{printf "%s %s%%; ", $2, $1}')" ;;
      *) echo "lib.sh: machine_facts has no key $key" >&2; return 2 ;;
    esac
  done
}

run_in_netns() { # ARG...
  rc=0
  unshare -n -- bash "$0" "$@" || rc=$?
  echo "loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
}

# ------------------------------------------------------------------------------------------
# Inside the namespace.

enter_netns() {
  ip link set lo up
  export JACK_NO_AUDIO_RESERVATION=1
  started=()
  trap kill_started EXIT
}

kill_started() {
  [ ${#started[@]} -eq 0 ] && return 0
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${started[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

forget() { # PID
  local kept=()
  for other in ${started[@]+"${started[@]}"}; do [ "$other" != "$1" ] && kept+=("$other"); done
  started=(${kept[@]+"${kept[@]}"})
}

stop() { # PID...
  for pid in "$@"; do if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi; done
  for pid in "$@"; do
    [ -z "$pid" ] && continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget "$pid"
  done
}

cpu_ticks() { # PID
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat" || echo ""
}

thread_cpu() { # PID
  [ -n "${1:-}" ] && [ -d "/proc/$1/task" ] || return 0
  local t ns comm stat f
  for t in /proc/"$1"/task/*; do
    # Builtins only: a snapshot of 30 threads takes well under a millisecond.
    read -r ns _ 2>/dev/null < "$t/schedstat" || continue
    read -r comm 2>/dev/null < "$t/comm" || continue
    read -r stat 2>/dev/null < "$t/stat" || continue
    read -ra f <<< "${stat##*) }" # f[0] is field 3 (state): rt_priority is field 40, policy 41
    echo "${t##*/} $ns ${f[38]:-} ${f[37]:-} $comm"
  done
}

wait_for_server() { # NAME
  for _ in $(seq 100); do jack_lsp -s "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  say "server $1 did not come up"; return 1
}

wait_for_port() { # SERVER PORT SECONDS [PID that must stay alive meanwhile]
  for _ in $(seq $(($3 * 20))); do
    jack_lsp -s "$1" 2>/dev/null | grep -qx "$2" && return 0
    if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then say "process $4 exited before $2 appeared"; return 1; fi
    sleep 0.05
  done
  say "port $2 did not appear on $1 within $3 s"; return 1
}

rollup_kib() { # PID FIELD
  awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/smaps_rollup"
}

jack_pss_kib() { # PID
  awk '/^[0-9a-f]+-[0-9a-f]+ / {jack = ($6 ~ /^\/dev\/shm\/jack/)}
    /^Pss:/ && jack {sum += $2} END {print sum + 0}' "/proc/$1/smaps"
}
