#!/bin/sh
# Runs one PipeWire program (pipewire, pw-cli, pw-link, pw-dump, ...) of a Debian root built by
#   tools/debian-root.sh --backports pipewire/trixie-backports pipewire-bin/trixie-backports \
#     libpipewire-0.3-modules/trixie-backports pipewire-jack/trixie-backports
# as if that PipeWire were installed on this host, against a daemon of the caller's own:
#
#   PIPEWIRE_ROOT=/var/cache/vmm-test/debian-root/trixie-... PIPEWIRE_DIR=/abs/dir \
#     tools/pipewire-in-root.sh pipewire -c /abs/dir/pipewire.conf
#   PIPEWIRE_ROOT=... PIPEWIRE_DIR=/abs/dir tools/pipewire-in-root.sh pw-link OUT IN
#
# The program runs chrooted in the root, in a new mount namespace, with a new /proc, the host's
# /dev, and PIPEWIRE_DIR (a directory of the caller: config, logs, and the runtime dir
# PIPEWIRE_DIR/runtime where the daemon's socket lives) at the same path inside the root, so
# every program started this way with the same PIPEWIRE_DIR meets the same daemon and no other
# (its own XDG_RUNTIME_DIR; no D-Bus, no session manager, no host configuration: the
# environment is emptied). The cached root itself is not modified: the directory is mounted on a
# tmpfs laid over the root's /tmp inside the namespace. The network namespace is the caller's
# (tests give PipeWire's netjack2 modules 127.0.0.1 addresses only, or run this script under
# `unshare -n`).
#
# The script execs the program: the PID the caller started is the program's, so stopping it by
# PID stops it.
#
# Exit codes: the program's; 2 usage error; 3 missing prerequisite (not root, no such root).
set -eu

root=${PIPEWIRE_ROOT:?set PIPEWIRE_ROOT to a root built by tools/debian-root.sh with pipewire-bin}
dir=${PIPEWIRE_DIR:?set PIPEWIRE_DIR to an absolute directory for the daemon (runtime dir, config, log)}
if [ $# -eq 0 ]; then
  echo "usage: PIPEWIRE_ROOT=... PIPEWIRE_DIR=... $0 PROGRAM [ARG...]" >&2
  exit 2
fi
case "$dir" in
  /tmp/*) ;;
  *) echo "$0: PIPEWIRE_DIR must be an absolute directory under /tmp (it is mounted at the same path in the root): $dir" >&2
     exit 2 ;;
esac
if [ ! -x "$root/usr/bin/pipewire" ]; then
  echo "$0: $root has no usr/bin/pipewire; build it with tools/debian-root.sh --backports pipewire/trixie-backports pipewire-bin/trixie-backports libpipewire-0.3-modules/trixie-backports pipewire-jack/trixie-backports" >&2
  exit 3
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$0: needs root (mount namespace and chroot)" >&2
  exit 3
fi
mkdir -p "$dir/runtime"
chmod 700 "$dir/runtime"

export PW_IN_ROOT="$root" PW_IN_DIR="$dir"
# shellcheck disable=SC2016
exec unshare --mount --propagation private -- sh -euc '
  r=$PW_IN_ROOT
  d=$PW_IN_DIR
  mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
  mkdir -p "$r$d"
  mount --bind "$d" "$r$d"
  mount --rbind /dev "$r/dev"
  mount -t proc proc "$r/proc"
  exec chroot "$r" /usr/bin/env -i PATH=/usr/bin:/bin HOME="$d" \
    XDG_RUNTIME_DIR="$d/runtime" PIPEWIRE_RUNTIME_DIR="$d/runtime" XDG_CONFIG_HOME="$d/config" \
    PIPEWIRE_DEBUG="${PIPEWIRE_DEBUG:-}" "$@"
' pipewire-in-root "$@"
