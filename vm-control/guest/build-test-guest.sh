#!/usr/bin/env bash
# Builds the DSP test guest: Debian 12's own kernel and an initramfs holding busybox, jackd with
# its NetJack2 slave backend (jack_net.so) and jack_connect, with an init that brings up the
# virtio NIC, starts `jackd -d net` with the parameters vmctl appends to the kernel command line
# (netjack.*, docs/config-format.md) and loops every capture port to its playback port.
#
# Everything it uses comes from the distribution's package archive through `apt-get download`;
# nothing else is fetched. The result is cached under
#   ${NETJACK_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netjack-bridge/test-guest}/<key>/
# where <key> hashes the package versions and this script, so a second run costs nothing.
#
# Usage: build-test-guest.sh      prints the directory holding vmlinuz and initrd.img
# Needs: apt-get (with current package lists), dpkg-deb, cpio, gzip, xz, readelf (binutils).
set -euo pipefail

say() { echo "build-test-guest: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in apt-get apt-cache dpkg-deb cpio gzip xz readelf sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing; install it (cpio: cpio, readelf: binutils, xz: xz-utils)"
done

cache_root=${NETJACK_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netjack-bridge/test-guest}

# The kernel flavour behind the metapackage, then every package whose files go into the guest:
# the NetJack2 slave (jackd, jack_net.so, jack_connect) and the shared libraries they need.
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kernel_pkg" ] || die "apt-cache knows no linux-image-amd64; run apt-get update (Debian 12 archive)"
packages=("$kernel_pkg" busybox-static jackd2 libjack-jackd2-0 libc6 libstdc++6 libgcc-s1 libcap2 libdb5.3
  libdbus-1-3 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libopus0 libsystemd0 libzstd1)

# One apt-cache call for all candidates (each call reads the whole package cache).
declare -A candidate=()
while read -r p v; do candidate[$p]=$v; done < <(apt-cache policy "${packages[@]}" 2>/dev/null |
  awk '/^[^ ].*:$/ { sub(":$", ""); p = $0 } /^  Candidate:/ { print p, $2 }')
versions=()
for p in "${packages[@]}"; do
  v=${candidate[$p]:-}
  { [ -n "$v" ] && [ "$v" != "(none)" ]; } || die "package $p has no candidate version; run apt-get update"
  versions+=("$p=$v")
done
key=$( { printf '%s\n' "${versions[@]}"; cat "$0"; } | sha256sum | cut -c1-16)
out="$cache_root/$key"
if [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
  touch "$out" 2>/dev/null || true
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
# One build at a time per cache (parallel test runs): the second waits and then finds the result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_root/.lock"
  flock 9
  if [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
    echo "$out"
    exit 0
  fi
fi
say "building into $out (packages: ${versions[*]})"
work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/tree" "$work/root"
# apt-get download writes into the current directory; as root it must be able to drop privileges
# to _apt, so the directory is made world-writable for the download only.
chmod 0777 "$work/debs"
sandbox=
[ "$(id -u)" -eq 0 ] && sandbox="-o APT::Sandbox::User=root"
(cd "$work/debs" && apt-get download -q $sandbox "${versions[@]}" >&2) || die "apt-get download failed (see above)"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/tree"
done

tree=$work/tree
root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib/modules,lib64,usr/lib/x86_64-linux-gnu/jack,var/log}

# Kernel and the modules for the virtio NIC and the ACPI power button, dependencies first.
kver=${kernel_pkg#linux-image-}
cp "$tree/boot/vmlinuz-$kver" "$work/vmlinuz"
moddir=$tree/lib/modules/$kver
[ -d "$moddir/kernel" ] || die "$kernel_pkg has no lib/modules/$kver/kernel"
# The package has no modules.dep (depmod runs at install time): dependencies are read from each
# module's .modinfo section.
declare -A seen_mod=()
load_order=()
add_module() {
  local name=$1 file plain deps dep
  file=$(find "$moddir/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) -print -quit)
  if [ -z "$file" ]; then
    grep -Eq "/($name|${name//_/-})\.ko\$" "$moddir/modules.builtin" 2>/dev/null \
      || die "module $name is neither a module nor built into $kver"
    return 0
  fi
  [ -n "${seen_mod[$name]:-}" ] && return 0
  seen_mod[$name]=1
  plain="$work/$name.ko"
  case "$file" in
    *.ko.xz) xz -dc "$file" > "$plain" ;;
    *.ko) cp "$file" "$plain" ;;
    *) die "module $file has an unsupported compression" ;;
  esac
  deps=$(readelf -p .modinfo "$plain" | sed -n 's/.*\]  *depends=//p' | tr ',' ' ')
  for dep in $deps; do add_module "$dep"; done
  load_order+=("$name")
  cp "$plain" "$root/lib/modules/$name.ko"
  echo "$name.ko" >> "$root/etc/modules"
}
: > "$root/etc/modules"
for m in virtio_pci virtio_net button evdev; do add_module "$m"; done

# busybox for the shell and tools; jackd, jack_connect, jack_lsp and the net backend.
cp "$tree/bin/busybox" "$root/bin/busybox"
for b in jackd jack_connect jack_lsp; do cp "$tree/usr/bin/$b" "$root/bin/$b"; done
cp "$tree/usr/lib/x86_64-linux-gnu/jack/jack_net.so" "$root/usr/lib/x86_64-linux-gnu/jack/"

# Shared libraries: the closure of DT_NEEDED over the binaries, looked up in the unpacked packages.
find_lib() {
  local d
  for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib; do
    if [ -e "$tree/$d/$1" ]; then echo "$d/$1"; return 0; fi
  done
  return 1
}
declare -A seen_lib=()
queue=("$root/bin/jackd" "$root/bin/jack_connect" "$root/bin/jack_lsp" "$root/usr/lib/x86_64-linux-gnu/jack/jack_net.so")
while [ "${#queue[@]}" -gt 0 ]; do
  file=${queue[0]}; queue=("${queue[@]:1}")
  for lib in $(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -n "${seen_lib[$lib]:-}" ] && continue
    seen_lib[$lib]=1
    rel=$(find_lib "$lib") || die "$lib (needed by ${file##*/}) is in none of the downloaded packages; add its package"
    mkdir -p "$root/$(dirname "$rel")"
    cp -L "$tree/$rel" "$root/$rel"
    queue+=("$root/$rel")
  done
done
interp=$(readelf -l "$root/bin/jackd" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
rel=$(find_lib "${interp##*/}") || die "dynamic loader $interp not found in libc6"
mkdir -p "$root/$(dirname "$interp")"
cp -L "$tree/$rel" "$root/$interp"

cat > "$root/init" <<'EOF'
#!/bin/busybox sh
# Test DSP guest init: NIC from the kernel command line, NetJack2 slave, capture -> playback loop.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
log() { echo "guest: $*"; }
log "init on $(uname -r)"
while read -r m; do
  insmod "/lib/modules/$m" || log "insmod $m failed"
done < /etc/modules

# netjack.* parameters written by vmctl (docs/config-format.md).
master= port=19000 capture=2 playback=2 latency=2 ip= mtu=1500 name=dsp-guest
for word in $(cat /proc/cmdline); do
  value=${word#*=}
  case "$word" in
    netjack.master=*) master=$value ;;
    netjack.port=*) port=$value ;;
    netjack.capture=*) capture=$value ;;
    netjack.playback=*) playback=$value ;;
    netjack.latency=*) latency=$value ;;
    netjack.ip=*) ip=$value ;;
    netjack.mtu=*) mtu=$value ;;
    netjack.name=*) name=$value ;;
  esac
done
log "netjack master=$master port=$port capture=$capture playback=$playback latency=$latency ip=$ip mtu=$mtu"

ip link set lo up
nic=
for path in /sys/class/net/*; do
  n=${path##*/}
  [ "$n" = lo ] || { nic=$n; break; }
done
if [ -z "$nic" ] || [ -z "$ip" ] || [ -z "$master" ]; then
  log "ERROR: no NIC ($nic) or no netjack.ip ($ip) / netjack.master ($master) on the kernel command line;" \
    "not starting jackd"
  netjack=no
else
  ip link set "$nic" mtu "$mtu" up
  ip addr add "$ip/32" dev "$nic"
  ip route add "$master/32" dev "$nic"
  log "$nic up: $ip, route to $master"
fi

# The ACPI power button (vmctl stop sends system_powerdown): any event from it powers off.
for dev in /sys/class/input/event*; do
  if [ "$(cat "$dev/device/name" 2>/dev/null)" = "Power Button" ]; then
    ( dd if="/dev/${dev##*/sys/class/}" bs=24 count=1 >/dev/null 2>&1 && log "power button: powering off" &&
      sync && poweroff -f ) &
    log "power button: ${dev##*/} powers off"
    break
  fi
done

export JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
# Loop every capture port to the playback port of the same number once the slave is up; a new
# jackd gets the loop again, and -s (auto-save) keeps it when the net driver restarts after the
# master went away (dsp-netjack-restart), since the driver then registers its ports anew.
connect_loop() {
  i=1
  while [ "$i" -le "$capture" ] && [ "$i" -le "$playback" ]; do
    until jack_connect "system:capture_$i" "system:playback_$i" 2>/dev/null; do sleep 0.2; done
    i=$((i + 1))
  done
  log "loop: system:capture_N -> system:playback_N connected"
}
[ "${netjack:-yes}" = yes ] || while :; do sleep 3600; done
while :; do
  log "starting jackd -d net (master $master:$port)"
  jackd -S -R -P 70 -p 64 -d net -a "$master" -p "$port" -M "$mtu" -C "$capture" -P "$playback" \
    -i 0 -o 0 -l "$latency" -n "$name" -s &
  jack=$!
  connect_loop &
  wait "$jack"
  log "jackd exited ($?); restarting in 1 s"
  kill $! 2>/dev/null
  sleep 1
done
EOF
chmod 0755 "$root/init"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -9 -n) > "$work/initrd.img"
mkdir -p "$out"
mv "$work/vmlinuz" "$work/initrd.img" "$out/"
printf '%s\n' "${versions[@]}" > "$out/packages.txt"
# Builds of other package versions or script versions unused for a week are removed (another
# checkout may still use a recent one).
find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name '.build.*' -mtime +7 -exec rm -rf {} +
touch "$out"
say "initramfs $(du -h "$out/initrd.img" | cut -f1), kernel $kver"
echo "$out"
