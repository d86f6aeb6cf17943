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

root=${JACK_ROOT:?set JACK_ROOT to a root built by tools/debian-root.sh jackd2 jack-example-tools}
dir=${JACK_DIR:?set JACK_DIR to an absolute directory under /tmp for the servers (shm, logs)}
if [ $# -eq 0 ]; then
  echo "usage: JACK_ROOT=... JACK_DIR=... $0 PROGRAM [ARG...]" >&2
  exit 2
fi
case "$dir" in
  /tmp/*) ;;
  *) echo "$0: JACK_DIR must be an absolute directory under /tmp (it is mounted at the same path in the root): $dir" >&2
     exit 2 ;;
esac
if [ ! -x "$root/usr/bin/jackd" ]; then
  echo "$0: $root has no usr/bin/jackd; build it with tools/debian-root.sh jackd2 jack-example-tools" >&2
  exit 3
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$0: needs root (mount namespace and chroot)" >&2
  exit 3
fi
mkdir -p "$dir/shm"
chmod 1777 "$dir/shm"

export JACK_IN_ROOT="$root" JACK_IN_DIR="$dir"
# shellcheck disable=SC2016
exec unshare --mount --propagation private -- sh -euc '
  r=$JACK_IN_ROOT
  d=$JACK_IN_DIR
  mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
  mkdir -p "$r$d"
  mount --bind "$d" "$r$d"
  mount --rbind /dev "$r/dev"
  mount --bind "$d/shm" "$r/dev/shm"
  mount -t proc proc "$r/proc"
  exec chroot "$r" /usr/bin/env -i PATH=/usr/bin:/bin HOME="$d" JACK_NO_AUDIO_RESERVATION=1 \
    JACK_NO_START_SERVER=1 "$@"
' jack-in-root "$@"
