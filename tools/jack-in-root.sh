#!/bin/sh
# Runs one JACK2 program (jackd, jack_lsp, jack_connect, jack_load, ...) of a Debian root built by
#   tools/debian-root.sh jackd2 jack-example-tools
# (JACK2 1.9.22 from Debian 13) as if that JACK2 were installed on this host:
#
#   JACK_ROOT=/var/cache/vmm-test/debian-root/trixie-... JACK_DIR=/tmp/abs/dir \
#     tools/jack-in-root.sh jackd -n NAME -d dummy -r 96000 -p 128
#   JACK_ROOT=... JACK_DIR=/tmp/abs/dir tools/jack-in-root.sh jack_lsp -s NAME
#
# The program runs chrooted in the root, in a new mount namespace, with a new /proc and the
# host's /dev, except /dev/shm: JACK2 keeps its server sockets and shared memory there, and
# JACK_DIR/shm is mounted in its place, so every program started this way with the same
# JACK_DIR meets the same servers and no other, and the host's libjack (1.9.21 on Debian 12)
# never meets a 1.9.22 server. JACK_DIR itself is at the same path inside the root (logs). The
# cached root is not modified: a tmpfs is laid over its /tmp inside the namespace. The network
# namespace is the caller's (tests give NetJack2 127.0.0.1 addresses only).
#
# The script execs the program: the PID the caller started is the program's, so stopping it by
# PID stops it.
#
# Exit codes: the program's; 2 usage error; 3 missing prerequisite (not root, no such root).
set -eu
# shellcheck source-path=SCRIPTDIR source=in-root-lib.sh
. "$(dirname "$(readlink -f "$0")")/in-root-lib.sh"

root=${JACK_ROOT:?set JACK_ROOT to a root built by tools/debian-root.sh jackd2 jack-example-tools}
dir=${JACK_DIR:?set JACK_DIR to an absolute directory under /tmp for the servers (shm, logs)}
if [ $# -eq 0 ]; then
  echo "usage: JACK_ROOT=... JACK_DIR=... $0 PROGRAM [ARG...]" >&2
  exit 2
fi
in_root_check_dir "$0" JACK_DIR "$dir"
in_root_require "$0" "$root" jackd "tools/debian-root.sh jackd2 jack-example-tools"
mkdir -p "$dir/shm"
chmod 1777 "$dir/shm"

in_root_exec jack-in-root "$root" "$dir" 1 JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1 "$@"
