# The field rules of docs/config-format.md, as predicates and as a check over a whole
# rendered document. Java's vm-control model applies the same rules to the same file; the
# modules turn `errors` into NixOS assertions and `warnings` into NixOS warnings, so a bad
# value fails `nixos-rebuild` with the message Java would print at start-up.
#
# A message is "<JSON path> = <value seen>: <what to do>".
let
  cpus = import ./cpus.nix;
  inherit (builtins) match elem length all any filter concatLists genList elemAt
    isInt isString isList isBool toJSON head tail sort lessThan foldl' attrNames;

  matches = regex: value: isString value && match regex value != null;
  between = lo: hi: value: isInt value && value >= lo && value <= hi;
  optional = cond: item: if cond then [ item ] else [ ];
  err = path: value: fix: "${path} = ${toJSON value}: ${fix}";

  # Values that occur more than once, in first-seen order.
  duplicates = list:
    (foldl'
      (acc: x:
        if elem x acc.seen then acc // { dups = if elem x acc.dups then acc.dups else acc.dups ++ [ x ]; }
        else acc // { seen = acc.seen ++ [ x ]; })
      { seen = [ ]; dups = [ ]; }
      list).dups;

  indexed = list: genList (i: { index = i; value = elemAt list i; }) (length list);
in
rec {
  # POSIX ERE, whole string (builtins.match), checked on Nix 2.8. The NixOS option types use
  # the same patterns through types.strMatching.
  patterns = {
    name = "[a-z][a-z0-9-]{0,31}";
    pciBdf = "[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}[.][0-7]";
    usbId = "[0-9a-f]{4}:[0-9a-f]{4}";
    size = "[1-9][0-9]*[MG]";
    mac = "[0-9a-f]{2}(:[0-9a-f]{2}){5}";
    # Linux interface names: at most 15 bytes, no slash or whitespace.
    ifname = "[A-Za-z0-9_.-]{1,15}";
    ipv4 = "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])[.]){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    absolutePath = "/.*";
  };

  sampleRates = [ 44100 48000 88200 96000 176400 192000 ];
  pageSizesKB = [ 2048 1048576 ];
  guestOses = [ "arch" "debian" "fedora" "kali" "ubuntu" "openwrt" ];
  guestNetworkTypes = [ "nat" "bridge" "host" ];
  dspNetworkTypes = [ "tap" "bridge" ];
  firmwares = [ "bios" "uefi" ];
  encoders = [ "float" "int16" ];
  waitStrategies = [ "busy-spin" "yielding" "sleeping" "blocking" ];
  protocols = [ "tcp" "udp" ];

  isName = matches patterns.name;
  isPciBdf = matches patterns.pciBdf;
  isUsbId = matches patterns.usbId;
  isSize = matches patterns.size;
  isMac = matches patterns.mac;
  isIfname = matches patterns.ifname;
  isIpv4 = matches patterns.ipv4;
  isAbsolutePath = matches patterns.absolutePath;
  isPort = between 1 65535;
  isCpu = value: isInt value && value >= 0;
  isPowerOfTwo = n: isInt n && n > 0 && (n == 1 || (n - (n / 2) * 2 == 0 && isPowerOfTwo (n / 2)));
  isBufferSize = n: between 16 4096 n && isPowerOfTwo n;
  isSampleRate = n: elem n sampleRates;
  isChannelCount = between 1 64;
  isLatency = between 0 10;
  isMemoryMB = between 256 1048576;
  isMtu = between 576 9000;

  # Rules for the DSP section. ctx.hostCpuCount, when known (the NixOS option hostCpus),
  # lets the check see CPUs that do not exist; Java checks the running host instead.
  dspErrors = ctx: dsp:
    let
      p = "dsp";
      iso = dsp.isolatedCores;
      hk = dsp.housekeepingCores;
      nj = dsp.netjack;
      hp = dsp.hugepages;
      hostCpus = ctx.hostCpuCount or null;
      allCpus = if hk == null then iso else iso ++ hk;
    in
    optional (!isName dsp.name)
      (err "${p}.name" dsp.name "use 1 to 32 characters: a lower-case letter, then lower-case letters, digits or '-'")
    ++ optional (!isList iso || iso == [ ])
      (err "${p}.isolatedCores" iso "list at least one CPU for the VM's vCPUs, for example [ 2 3 ]")
    ++ (if !isList iso then [ ] else
      concatLists (map
        (c: optional (!isCpu c.value)
          (err "${p}.isolatedCores[${toString c.index}]" c.value "CPU numbers are integers >= 0"))
        (indexed iso))
      ++ optional (duplicates iso != [ ])
        (err "${p}.isolatedCores" iso "list each CPU once (repeated: ${toJSON (duplicates iso)})")
      ++ optional (hostCpus != null && any (c: isInt c && c >= hostCpus) allCpus)
        (err "${p}.isolatedCores" iso "the host has CPUs 0-${toString (hostCpus - 1)}; every CPU listed must exist")
      ++ optional (hostCpus != null && all (c: elem c iso) (genList (i: i) hostCpus))
        (err "${p}.isolatedCores" iso "leave at least one CPU of the host outside the isolated set for housekeeping"))
    ++ optional (hk != null && isList iso && hk == [ ])
      (err "${p}.housekeepingCores" hk "list at least one CPU, or leave it out to use every CPU that is not isolated")
    ++ optional (hk != null && isList iso && cpus.intersection hk iso != [ ])
      (err "${p}.housekeepingCores" hk "must not share CPUs with dsp.isolatedCores (shared: ${toJSON (cpus.intersection hk iso)})")
    ++ optional (!isMemoryMB dsp.memoryMB)
      (err "${p}.memoryMB" dsp.memoryMB "use an integer from 256 to 1048576")
    ++ optional (!elem hp.pageSizeKB pageSizesKB)
      (err "${p}.hugepages.pageSizeKB" hp.pageSizeKB "use 2048 (2 MiB pages) or 1048576 (1 GiB pages)")
    ++ optional (hp.enable && elem hp.pageSizeKB pageSizesKB && isInt hp.count && isMemoryMB dsp.memoryMB
                 && hp.count * hp.pageSizeKB / 1024 < dsp.memoryMB)
      (err "${p}.hugepages.count" hp.count
        "${toString hp.count} pages of ${toString hp.pageSizeKB} KiB hold less than memoryMB = ${toString dsp.memoryMB}; reserve at least ${toString ((dsp.memoryMB * 1024 + hp.pageSizeKB - 1) / hp.pageSizeKB)}")
    ++ optional (!isAbsolutePath dsp.diskImage)
      (err "${p}.diskImage" dsp.diskImage "use an absolute path on the host, for example /var/lib/dsp-vm/archibaldos.qcow2")
    ++ optional (!elem dsp.firmware firmwares)
      (err "${p}.firmware" dsp.firmware "use \"bios\" or \"uefi\"")
    ++ optional (dsp.firmware == "uefi" && !isAbsolutePath dsp.ovmfCode)
      (err "${p}.ovmfCode" dsp.ovmfCode "firmware \"uefi\" needs the absolute path of OVMF_CODE.fd")
    ++ optional (!isSampleRate nj.sampleRate)
      (err "${p}.netjack.sampleRate" nj.sampleRate "use one of 44100, 48000, 88200, 96000, 176400, 192000")
    ++ optional (!isBufferSize nj.bufferSize)
      (err "${p}.netjack.bufferSize" nj.bufferSize "use a power of two from 16 to 4096, for example 128")
    ++ optional (!isChannelCount nj.channels)
      (err "${p}.netjack.channels" nj.channels "use 1 to 64")
    ++ optional (!isLatency nj.latency)
      (err "${p}.netjack.latency" nj.latency "use 0 to 10 periods")
    ++ optional (!isPort nj.sourcePort)
      (err "${p}.netjack.sourcePort" nj.sourcePort "use a UDP port from 1 to 65535 (NetJack2's is 19000)")
    ++ optional (!isIpv4 nj.vmAddress)
      (err "${p}.netjack.vmAddress" nj.vmAddress "use the VM's IPv4 address, for example 10.77.0.2")
    ++ optional (!isIpv4 nj.hostAddress)
      (err "${p}.netjack.hostAddress" nj.hostAddress "use the host's IPv4 address on the VM link, for example 10.77.0.1")
    ++ optional (isIpv4 nj.vmAddress && nj.vmAddress == nj.hostAddress)
      (err "${p}.netjack.vmAddress" nj.vmAddress "the VM and the host need different addresses")
    ++ concatLists (map
      (d: optional (!isPciBdf d.value)
        (err "${p}.audioDevice.pci[${toString d.index}]" d.value "use a full PCI address in lower case, for example 0000:00:1f.3 (see lspci -D)"))
      (indexed dsp.audioDevice.pci))
    ++ optional (duplicates dsp.audioDevice.pci != [ ])
      (err "${p}.audioDevice.pci" dsp.audioDevice.pci "list each device once")
    ++ concatLists (map
      (d: optional (!isUsbId d.value)
        (err "${p}.audioDevice.usb[${toString d.index}]" d.value "use vendor:product in lower-case hex, for example 1235:8210 (see lsusb)"))
      (indexed dsp.audioDevice.usb))
    ++ optional (dsp.audioDevice.enable && dsp.audioDevice.pci == [ ] && dsp.audioDevice.usb == [ ])
      (err "${p}.audioDevice" dsp.audioDevice "enable is true but no pci or usb device is listed")
    ++ optional (!elem dsp.network.type dspNetworkTypes)
      (err "${p}.network.type" dsp.network.type "use \"tap\" or \"bridge\" (NetJack2 never over slirp)")
    ++ optional (dsp.network.type == "tap" && !isIfname dsp.network.tap)
      (err "${p}.network.tap" dsp.network.tap "name the tap interface (at most 15 characters), for example dsp0")
    ++ optional (dsp.network.type == "bridge" && !isIfname dsp.network.bridge)
      (err "${p}.network.bridge" dsp.network.bridge "network.type \"bridge\" needs the host bridge's name, for example br0")
    ++ optional (!isMac dsp.network.mac)
      (err "${p}.network.mac" dsp.network.mac "use a lower-case MAC address, for example 52:54:00:d5:00:01");

  guestErrors = index: guest:
    let p = "guests[${toString index}]"; in
    optional (!isName guest.name)
      (err "${p}.name" guest.name "use 1 to 32 characters: a lower-case letter, then lower-case letters, digits or '-'")
    ++ optional (!elem guest.os guestOses)
      (err "${p}.os" guest.os "use one of arch, debian, fedora, kali, ubuntu, openwrt")
    ++ optional (!between 1 1024 guest.cores)
      (err "${p}.cores" guest.cores "use 1 or more cores")
    ++ optional (!isSize guest.memory)
      (err "${p}.memory" guest.memory "use a size like 2048M or 4G")
    ++ optional (!isSize guest.diskSize)
      (err "${p}.diskSize" guest.diskSize "use a size like 512M or 32G")
    ++ optional (!elem guest.network.type guestNetworkTypes)
      (err "${p}.network.type" guest.network.type "use \"nat\", \"bridge\" or \"host\"")
    ++ optional (guest.network.type == "bridge" && !isIfname guest.network.bridge)
      (err "${p}.network.bridge" guest.network.bridge "network.type \"bridge\" needs the host bridge's name, for example br0")
    ++ optional (guest.pciDevice != null && !isPciBdf guest.pciDevice)
      (err "${p}.pciDevice" guest.pciDevice "use a full PCI address in lower case, for example 0000:03:00.0 (see lspci -D)")
    ++ optional (guest.usbDevice != null && !isUsbId guest.usbDevice)
      (err "${p}.usbDevice" guest.usbDevice "use vendor:product in lower-case hex, for example 046d:c52b (see lsusb)")
    ++ concatLists (map
      (f:
        let q = "${p}.portForwards[${toString f.index}]"; in
        optional (!isPort f.value.host) (err "${q}.host" f.value.host "use a port from 1 to 65535")
        ++ optional (!isPort f.value.guest) (err "${q}.guest" f.value.guest "use a port from 1 to 65535")
        ++ optional (!elem f.value.protocol protocols) (err "${q}.protocol" f.value.protocol "use \"tcp\" or \"udp\"")
        ++ optional (!isIpv4 f.value.address) (err "${q}.address" f.value.address "use an IPv4 address to listen on, normally 127.0.0.1"))
      (indexed guest.portForwards));

  bridgeErrors = bridge:
    let p = "bridge"; in
    optional (!isPort bridge.port)
      (err "${p}.port" bridge.port "use a UDP port from 1 to 65535 (NetJack2's is 19000)")
    ++ optional (!isLatency bridge.latencyPeriods)
      (err "${p}.latencyPeriods" bridge.latencyPeriods "use 0 to 10 periods")
    ++ optional (!elem bridge.encoder encoders)
      (err "${p}.encoder" bridge.encoder "use \"float\" or \"int16\"")
    ++ optional (!isMtu bridge.mtu)
      (err "${p}.mtu" bridge.mtu "use 576 to 9000")
    ++ optional (!elem bridge.waitStrategy waitStrategies)
      (err "${p}.waitStrategy" bridge.waitStrategy "use busy-spin, yielding, sleeping or blocking")
    ++ optional (bridge.peerAddresses == [ ] || !all isIpv4 bridge.peerAddresses)
      (err "${p}.peerAddresses" bridge.peerAddresses "list the VM's IPv4 address(es); packets from anyone else are dropped")
    ++ optional (!between 1 64 bridge.toVmPorts)
      (err "${p}.toVmPorts" bridge.toVmPorts "use 1 to 64")
    ++ optional (!between 1 64 bridge.fromVmPorts)
      (err "${p}.fromVmPorts" bridge.fromVmPorts "use 1 to 64")
    ++ concatLists (map
      (t: optional (!isCpu bridge.cpus.${t})
        (err "${p}.cpus.${t}" bridge.cpus.${t} "use a CPU number >= 0"))
      [ "jack" "sender" "receiver" ])
    ++ concatLists (map
      (t: optional (!between 1 98 bridge.priorities.${t})
        (err "${p}.priorities.${t}" bridge.priorities.${t} "use a SCHED_FIFO priority from 1 to 98"))
      [ "sender" "receiver" ]);

  # Every error of a rendered document; [ ] when Java would accept it.
  errors = ctx: doc:
    let
      guests = doc.guests;
      names = (if doc.dsp != null then [ doc.dsp.name ] else [ ]) ++ map (g: g.name) guests;
      hostPorts = concatLists (map (g: map (f: f.host) g.portForwards) guests);
    in
    optional (doc.version != 1) (err "version" doc.version "must be 1")
    ++ (if doc.dsp != null then dspErrors ctx doc.dsp else [ ])
    ++ concatLists (genList (i: guestErrors i (elemAt guests i)) (length guests))
    ++ optional (duplicates names != [ ])
      (err "guests[].name" (duplicates names) "names must be unique across the file (the DSP VM's included)")
    ++ optional (duplicates hostPorts != [ ])
      (err "guests[].portForwards[].host" (duplicates hostPorts) "each host port can be forwarded by one guest only")
    ++ (if doc.bridge != null then bridgeErrors doc.bridge else [ ]);

  # Allowed but worth a word.
  warnings = ctx: doc:
    let dsp = doc.dsp; in
    if dsp == null then [ ] else
    optional (isList dsp.isolatedCores && elem 0 dsp.isolatedCores)
      (err "dsp.isolatedCores" dsp.isolatedCores "CPU 0 is the boot CPU; nohz_full on it is only half-supported, prefer other CPUs")
    ++ optional (doc.bridge != null && any (t: elem doc.bridge.cpus.${t} dsp.isolatedCores) [ "jack" "sender" "receiver" ])
      (err "bridge.cpus" doc.bridge.cpus "a bridge thread shares an isolated CPU with the VM's vCPUs, and at a higher priority it can starve the vCPU")
    ++ optional (doc.bridge != null && doc.bridge.latencyPeriods != dsp.netjack.latency)
      (err "bridge.latencyPeriods" doc.bridge.latencyPeriods "differs from dsp.netjack.latency = ${toString dsp.netjack.latency}");
}
