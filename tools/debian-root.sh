#!/bin/sh
# Builds (once) and caches a minimal Debian root with the given packages installed, and prints
# its path. Tests use it to run programs from a newer Debian than the host's (quickemu 4.9.7
# from Debian 13, PipeWire from trixie-backports) without installing them on the host.
#
#   tools/debian-root.sh [--suite SUITE] [--backports] PACKAGE...
#
#   --suite SUITE   Debian suite of the root (default: trixie).
#   --backports     also enable SUITE-backports and install with `apt-get -t SUITE-backports`:
#                   every package and dependency that backports has comes from there (PipeWire
#                   1.6 for issue 19). Naming one package as PACKAGE/SUITE-backports without this
#                   flag's -t fails when its dependencies must come from backports too.
#
# The root is `debootstrap --variant=minbase` plus the packages (apt-get, no recommends), built
# under $VMM_TEST_CACHE (default /var/cache/vmm-test) in a directory named after the suite and a
# hash of the sorted package list and flags, so a second run with the same list reuses it (it
# prints the same path and downloads nothing). The mirror is the one the host's apt sources use
# ($DEBIAN_MIRROR overrides it). Needs root and debootstrap.
#
# Exit codes: 0 root ready (path on stdout), 2 usage error, 3 missing prerequisite (not root,
# no debootstrap, no mirror), 4 the build failed (the partial root is removed).
set -eu

suite=trixie
backports=0
usage() {
  echo "usage: $0 [--suite SUITE] [--backports] PACKAGE..." >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
    --backports) backports=1; shift ;;
    --help|-h) sed -n '2,21p' "$0" >&2; exit 0 ;;
    --) shift; break ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || usage
for p in "$@"; do
  case "$p" in
    *[!A-Za-z0-9.+:/~-]*|-*)
      echo "$0: '$p' is not a Debian package name (letters, digits, . + - and an optional /suite)" >&2
      exit 2 ;;
  esac
done
case "$suite" in
  *[!a-z0-9-]*|'') echo "$0: '$suite' is not a Debian suite name" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "$0: needs root (debootstrap and chroot); run it as root or with sudo" >&2
  exit 3
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "$0: debootstrap is not installed; install it with: apt-get install debootstrap" >&2
  exit 3
fi

# The mirror the host's apt already uses: the first http(s) URI of a Debian archive (deb822
# .sources files first, then one-line lists), so a machine behind a local mirror keeps using it.
find_mirror() {
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' "$f"
  done | head -n 1
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' "$f"
  done | head -n 1
}
mirror=${DEBIAN_MIRROR:-$(find_mirror | head -n 1)}
if [ -z "$mirror" ]; then
  echo "$0: no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR=http://.../debian" >&2
  exit 3
fi

cache=${VMM_TEST_CACHE:-/var/cache/vmm-test}
# The key: suite, backports flag, and the sorted, de-duplicated package list. The mirror is not
# part of it (the same packages from another mirror are the same root).
key=$( { echo "suite=$suite backports=$backports format=1"; printf '%s\n' "$@" | LC_ALL=C sort -u; } \
  | sha256sum | cut -c1-16)
root="$cache/debian-root/$suite-$key"
mkdir -p "$cache/debian-root"

# One builder at a time per key; a second caller waits and then finds the finished root.
lock="$cache/debian-root/$suite-$key.lock"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if [ -f "$root/.vmm-root-complete" ]; then
  echo "$root"
  exit 0
fi

work="$root.partial"
proc_mounted=0
cleanup() {
  if [ "$proc_mounted" = 1 ]; then umount "$work/proc" 2>/dev/null || true; fi
  rm -rf "$work"
}
fail() {
  echo "$0: $1 (log: $log)" >&2
  cleanup
  exit 4
}
trap cleanup INT TERM HUP
rm -rf "$work"
log="$cache/debian-root/$suite-$key.log"
: >"$log"

echo "$0: building $suite root for: $* (mirror $mirror, first run only)" >&2
# The base system's .debs are kept, so a root with another package list downloads only its own.
mkdir -p "$cache/debootstrap-debs"
debootstrap --variant=minbase --cache-dir="$cache/debootstrap-debs" "$suite" "$work" "$mirror" >>"$log" 2>&1 \
  || fail "debootstrap $suite from $mirror failed"

if [ "$backports" = 1 ]; then
  cat >"$work/etc/apt/sources.list.d/backports.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi
# No daemon starts inside the root while packages are installed.
printf '#!/bin/sh\nexit 101\n' >"$work/usr/sbin/policy-rc.d"
chmod 755 "$work/usr/sbin/policy-rc.d"

mount -t proc proc "$work/proc" || fail "cannot mount /proc in the root"
proc_mounted=1
target=
if [ "$backports" = 1 ]; then
  target="$suite-backports"
fi
# shellcheck disable=SC2016
chroot "$work" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive TARGET="$target" \
  sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends ${TARGET:+-t "$TARGET"} "$@" &&
    apt-get clean' apt-install "$@" >>"$log" 2>&1 || fail "apt-get install $* in the $suite root failed"
umount "$work/proc"
proc_mounted=0
rm -f "$work/usr/sbin/policy-rc.d"
rm -rf "$work/var/lib/apt/lists"/*_dists_* 2>/dev/null || true

printf '%s\n' "$@" | LC_ALL=C sort -u >"$work/.vmm-root-packages"
date -u +%Y-%m-%dT%H:%M:%SZ >"$work/.vmm-root-complete"
rm -rf "$root"
mv "$work" "$root"
echo "$root"
