#!/bin/sh
# The NetJack2 slave of archibaldos-dsp-audio.nix takes its parameters from the words vmctl
# appends to the guest's kernel command line (docs/config-format.md, "The guest's NetJack2
# parameters"), each over the module's static value; the Debian test guest's init
# (vm-control/guest/build-test-guest.sh) reads the same words.
#
#   netjack-cmdline.sh jackd JACKD ARG...
#       Runs JACKD ARG..., the module's static argv whose `-d net` part carries -a -p -C -P -l
#       -n, with each of those values replaced by netjack.master, .port, .capture, .playback,
#       .latency, .name when that word is on the command line and valid.
#   netjack-cmdline.sh address INTERFACE ADDRESS PREFIX MASTER
#       Gives INTERFACE the address netjack.ip (else ADDRESS) with PREFIX, and a host route to
#       netjack.master (else MASTER) from that address. Needs root and iproute2's `ip`.
#
# The command line is read from $NETJACK_CMDLINE (default /proc/cmdline). A word that is not
# valid is logged with the word, what is wrong and the fix, and the static value is used.
# Which source each parameter came from is logged too; everything goes to stderr (the journal).
set -eu

me=netjack-cmdline
cmdline_file=${NETJACK_CMDLINE:-/proc/cmdline}

log() { printf '%s: %s\n' "$me" "$*" >&2; }

usage() {
  log "usage: $0 jackd JACKD ARG... | $0 address INTERFACE ADDRESS PREFIX MASTER"
  exit 2
}

# A decimal number without sign or leading zero, short enough for the shell's arithmetic.
is_uint() {
  case $1 in
    '' | *[!0-9]* | 0?*) return 1 ;;
  esac
  [ "${#1}" -le 9 ]
}

in_range() { is_uint "$1" && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# Dotted quad, each part 0-255 without leading zeros: vmctl's and the module's pattern.
is_ipv4() {
  case $1 in
    *[!0-9.]* | .* | *. | *..*) return 1 ;;
  esac
  old_ifs=$IFS
  IFS=.
  # shellcheck disable=SC2086 # splitting on the dots is the point
  set -- $1
  IFS=$old_ifs
  [ "$#" -eq 4 ] || return 1
  for part in "$@"; do
    in_range "$part" 0 255 || return 1
  done
}

# is_valid PARAM VALUE
is_valid() {
  case $1 in
    master | ip) is_ipv4 "$2" ;;
    port) in_range "$2" 1 65535 ;;
    capture | playback) in_range "$2" 1 64 ;;
    latency) in_range "$2" 0 10 ;;
    name)
      case $2 in
        '' | *[!A-Za-z0-9_.-]*) return 1 ;;
      esac
      [ "${#2}" -le 63 ]
      ;;
    rate)
      case $2 in
        44100 | 48000 | 88200 | 96000 | 176400 | 192000) ;;
        *) return 1 ;;
      esac
      ;;
    period)
      case $2 in
        16 | 32 | 64 | 128 | 256 | 512 | 1024 | 2048 | 4096) ;;
        *) return 1 ;;
      esac
      ;;
    *) return 1 ;;
  esac
}

# What a valid value is, and the field of vmctl's configuration that writes the word.
wanted() {
  case $1 in
    master | ip) echo "an IPv4 address such as 10.77.0.1" ;;
    port) echo "a UDP port 1-65535" ;;
    capture | playback) echo "a channel count 1-64" ;;
    latency) echo "a latency of 0-10 periods" ;;
    name) echo "a name of 1-63 letters, digits, _ . -" ;;
    rate) echo "one of 44100, 48000, 88200, 96000, 176400, 192000" ;;
    period) echo "a power of two 16-4096" ;;
  esac
}
field() {
  case $1 in
    master) echo dsp.netjack.hostAddress ;;
    ip) echo dsp.netjack.vmAddress ;;
    port) echo dsp.netjack.sourcePort ;;
    capture | playback) echo dsp.netjack.channels ;;
    latency) echo dsp.netjack.latency ;;
    name) echo dsp.name ;;
    rate) echo dsp.netjack.sampleRate ;;
    period) echo dsp.netjack.bufferSize ;;
  esac
}

# The netjack.* words of the command line: seen_PARAM=1 and word_PARAM=VALUE; the last of a
# repeated word counts, as with any kernel parameter.
params="master port ip capture playback latency rate period name"
for p in $params; do
  eval "seen_$p= word_$p="
done
line=
if [ -r "$cmdline_file" ]; then
  # One line; a missing final newline still yields it.
  IFS= read -r line <"$cmdline_file" || true
  set -f
  # shellcheck disable=SC2086 # the words of the line
  for word in $line; do
    case $word in
      netjack.*) ;;
      *) continue ;;
    esac
    key=${word#netjack.}
    key=${key%%=*}
    case " $params " in
      *" $key "*) ;;
      *)
        log "ignoring $word on the kernel command line: vmctl writes only netjack.{master,port,ip,capture,playback,latency,rate,period,name}; drop the word from the boot entry"
        continue
        ;;
    esac
    case $word in
      *=*) value=${word#*=} ;;
      *)
        log "ignoring $word on the kernel command line: it has no value; write netjack.$key=VALUE"
        continue
        ;;
    esac
    if eval "[ -n \"\$seen_$key\" ]"; then
      log "netjack.$key appears more than once on the kernel command line; the last one ($value) counts"
    fi
    eval "seen_$key=1 word_$key=\$value"
  done
  set +f
else
  log "cannot read $cmdline_file; every parameter is the module's"
fi

# resolve PARAM STATIC: sets value to the word's value when present and valid, else to STATIC,
# and appends "PARAM=VALUE (source)" to sources.
sources=
r_seen=
r_word=
resolve() {
  eval "r_seen=\$seen_$1 r_word=\$word_$1"
  if [ -z "$r_seen" ]; then
    value=$2
    source=module
  elif is_valid "$1" "$r_word"; then
    value=$r_word
    source="kernel command line"
  else
    value=$2
    source="module; the word is invalid"
    log "ignoring netjack.$1=$r_word on the kernel command line: it is not $(wanted "$1");" \
      "fix $(field "$1") in vmctl's configuration; using the module's $1=$2"
  fi
  sources="${sources:+$sources, }$1=$value ($source)"
  eval "static_$1=\$2 value_$1=\$value"
}
static_port=
value_port=

run_jackd() {
  [ "$#" -ge 1 ] || usage
  # Walks the argv once, rotating each argument to the end (set -- "$@" ARG), and replaces the
  # value after -a -p -C -P -l -n in the part after `-d net`.
  n=$#
  state=start
  while [ "$n" -gt 0 ]; do
    arg=$1
    shift
    n=$((n - 1))
    case $state in
      start) [ "$arg" = -d ] && state=driver ;;
      driver) if [ "$arg" = net ]; then state=net; else state=start; fi ;;
      net)
        case $arg in
          -a) state=master ;;
          -p) state=port ;;
          -C) state=capture ;;
          -P) state=playback ;;
          -l) state=latency ;;
          -n) state=name ;;
        esac
        ;;
      *)
        resolve "$state" "$arg"
        arg=$value
        state=net
        ;;
    esac
    set -- "$@" "$arg"
  done
  [ "$state" = net ] || {
    log "the jackd argv has no complete \`-d net\` part; it is the module's to give"
    exit 2
  }
  # The slave binds 0.0.0.0:port and the master's per-slave socket sends there
  # (docs/protocol.md), so the guest's firewall must admit the port actually used.
  if [ "$value_port" != "$static_port" ]; then
    log "port=$value_port is not the module's port=$static_port, the one networking.firewall opens;" \
      "open $value_port too (networking.firewall.allowedUDPPorts) or set custom.archibaldos.dspAudio.port = $value_port"
  fi
  # The master imposes rate and period (SLAVE_SETUP); the words are only shown.
  for p in rate period; do
    eval "r_seen=\$seen_$p r_word=\$word_$p"
    if [ -n "$r_seen" ]; then
      if is_valid "$p" "$r_word"; then
        sources="$sources, $p=$r_word (kernel command line; the master imposes it)"
      else
        log "ignoring netjack.$p=$r_word on the kernel command line: it is not $(wanted "$p"); fix $(field "$p") in vmctl's configuration"
      fi
    fi
  done
  log "jackd -d net: $sources"
  exec "$@"
}

run_address() {
  [ "$#" -eq 4 ] || usage
  iface=$1
  prefix=$3
  resolve ip "$2"
  address=$value
  resolve master "$4"
  master=$value
  if [ "$address" = "$master" ]; then
    log "the VM's address and the master's are both $address ($sources); the host and the VM need different addresses: fix dsp.netjack.vmAddress or dsp.netjack.hostAddress"
    exit 1
  fi
  log "$iface: $sources"
  ip link set dev "$iface" up
  ip -4 address replace "$address/$prefix" dev "$iface"
  # The slave's packets leave from this address whatever else the interface carries, and the
  # master is reachable even outside the prefix (the Debian test guest uses /32 the same way).
  ip -4 route replace "$master/32" dev "$iface" src "$address"
}

[ "$#" -ge 1 ] || usage
mode=$1
shift
case $mode in
  jackd) run_jackd "$@" ;;
  address) run_address "$@" ;;
  *) usage ;;
esac
