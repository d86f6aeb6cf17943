#!/bin/sh
# Runs the quickemu of a Debian root (tools/debian-root.sh quickemu ...) as if it were installed
# on this host: `vmctl start NAME --quickemu` finds it on PATH under the name quickemu (make a
# symlink named quickemu to this script, or call it directly with quickemu's arguments).
#
#   QUICKEMU_ROOT=/var/cache/vmm-test/debian-root/trixie-... tools/quickemu-in-root.sh --vm X.conf ...
#
# quickemu and the QEMU it starts run chrooted in the root, in a new mount namespace and a new
# network namespace (only its loopback is up, so the guests' forwards on 127.0.0.1 meet no other
# service of the host, and nothing leaves the host). Shared with the root, at the same paths:
# the directory of the .conf (the guest directory: disk, sockets, pid file), the conf's iso and
# img files, the --public-dir directory if one is named, /dev, /sys and a new /proc.
#
# Environment:
#   QUICKEMU_ROOT    the root (required).
#   QUICKEMU_BRIDGE  create a bridge of this name in the namespace and allow it in the root's
#                    /etc/qemu/bridge.conf, for bridged guests (qemu-bridge-helper).
#
# Without /dev/kvm quickemu 4.9.7 refuses to start ("AMD SVM support is required", or VT-x) unless
# /sys/class/dmi/id/sys_vendor names a hypervisor (QEMU, VirtualBox); then it uses TCG. When this
# host has no KVM, /sys/class in the root is replaced by a tmpfs holding only that file, saying
# QEMU (this host is itself a VM, which is what quickemu wants to know); /sys/devices, which
# lscpu reads for quickemu's CPU topology, stays the host's.
set -eu
# shellcheck source-path=SCRIPTDIR source=in-root-lib.sh
. "$(dirname "$(readlink -f "$0")")/in-root-lib.sh"

root=${QUICKEMU_ROOT:?set QUICKEMU_ROOT to a root built by tools/debian-root.sh quickemu}
in_root_require "$0" "$root" quickemu "tools/debian-root.sh quickemu qemu-system-modules-spice ovmf"

conf=
public=
prev=
for arg in "$@"; do
  case "$prev" in
    --vm) conf=$arg ;;
    --public-dir) public=$arg ;;
  esac
  prev=$arg
done
if [ -z "$conf" ] || [ ! -f "$conf" ]; then
  # --version, --help: nothing to share.
  exec chroot "$root" /usr/bin/quickemu "$@"
fi
vmdir=$(cd "$(dirname "$conf")" && pwd -P)
if [ -n "$public" ] && [ "$public" != none ] && [ -d "$public" ]; then
  public=$(cd "$public" && pwd -P)
else
  public=
fi
# The install media the conf names (vmctl writes iso="..." and img="..." lines, one path each).
media=
for key in iso img; do
  file=$(sed -n "s/^$key=\"\(.*\)\"\$/\1/p" "$conf" | head -n 1)
  if [ -n "$file" ] && [ -f "$file" ]; then
    media="$media $file"
  fi
done
fake_vendor=0
if [ ! -c /dev/kvm ]; then
  fake_vendor=1
fi

export QUICKEMU_MEDIA="$media"
export QUICKEMU_ROOT_DIR="$root" QUICKEMU_VMDIR="$vmdir" QUICKEMU_PUBLIC="$public" QUICKEMU_FAKE_VENDOR="$fake_vendor"
export QUICKEMU_BRIDGE="${QUICKEMU_BRIDGE:-}"
# shellcheck disable=SC2016
exec unshare --mount --net --propagation private -- sh -euc '
  r=$QUICKEMU_ROOT_DIR
  ip link set lo up
  if [ -n "$QUICKEMU_BRIDGE" ]; then
    ip link add "$QUICKEMU_BRIDGE" type bridge
    ip link set "$QUICKEMU_BRIDGE" up
    mount -t tmpfs -o mode=0755 tmpfs "$r/etc/qemu" 2>/dev/null || { mkdir -p "$r/etc/qemu"; mount -t tmpfs -o mode=0755 tmpfs "$r/etc/qemu"; }
    echo "allow $QUICKEMU_BRIDGE" >"$r/etc/qemu/bridge.conf"
  fi
  mount -t proc proc "$r/proc"
  mount --rbind /dev "$r/dev"
  mkdir -p "$r$QUICKEMU_VMDIR"
  mount --bind "$QUICKEMU_VMDIR" "$r$QUICKEMU_VMDIR"
  if [ -n "$QUICKEMU_PUBLIC" ]; then
    mkdir -p "$r$QUICKEMU_PUBLIC"
    mount --bind "$QUICKEMU_PUBLIC" "$r$QUICKEMU_PUBLIC"
  fi
  for file in $QUICKEMU_MEDIA; do
    mkdir -p "$r$(dirname "$file")"
    [ -e "$r$file" ] || : >"$r$file"
    mount --bind "$file" "$r$file"
  done
  mount --rbind /sys "$r/sys"
  if [ "$QUICKEMU_FAKE_VENDOR" = 1 ]; then
    mount -t tmpfs -o mode=0755 tmpfs "$r/sys/class"
    mkdir -p "$r/sys/class/dmi/id"
    echo QEMU >"$r/sys/class/dmi/id/sys_vendor"
  fi
  exec chroot "$r" /usr/bin/quickemu "$@"
' quickemu-in-root "$@"
