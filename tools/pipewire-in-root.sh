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
# shellcheck source-path=SCRIPTDIR source=in-root-lib.sh
. "$(dirname "$(readlink -f "$0")")/in-root-lib.sh"

root=${PIPEWIRE_ROOT:?set PIPEWIRE_ROOT to a root built by tools/debian-root.sh with pipewire-bin}
dir=${PIPEWIRE_DIR:?set PIPEWIRE_DIR to an absolute directory for the daemon (runtime dir, config, log)}
if [ $# -eq 0 ]; then
  echo "usage: PIPEWIRE_ROOT=... PIPEWIRE_DIR=... $0 PROGRAM [ARG...]" >&2
  exit 2
fi
in_root_check_dir "$0" PIPEWIRE_DIR "$dir"
in_root_require "$0" "$root" pipewire "tools/debian-root.sh --backports pipewire/trixie-backports pipewire-bin/trixie-backports libpipewire-0.3-modules/trixie-backports pipewire-jack/trixie-backports"
mkdir -p "$dir/runtime"
chmod 700 "$dir/runtime"

in_root_exec pipewire-in-root "$root" "$dir" 0 XDG_RUNTIME_DIR="$dir/runtime" PIPEWIRE_RUNTIME_DIR="$dir/runtime" \
  XDG_CONFIG_HOME="$dir/config" PIPEWIRE_DEBUG="${PIPEWIRE_DEBUG:-}" "$@"
