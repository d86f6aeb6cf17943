# The field rules: predicates accepting and rejecting, every valid fixture free of errors,
# and every invalid fixture giving exactly vm-control's messages.
let
  v = (import ../../lib).validate;
  fixtures = import ../fixtures.nix;
  ctxOf = fixture: { hostCpuCount = fixture.hostCpus; hostMemoryMB = fixture.hostMemoryMB; };
  errorsOf = name: let f = fixtures.invalid.${name}; in v.vmControlErrors (ctxOf f) f.doc;
  warningsOf = name: let f = fixtures.invalid.${name}; in v.vmControlWarnings (ctxOf f) f.doc;
  predicate = name: pred: accepted: rejected: {
    name = "${name} accepts ${builtins.toJSON accepted} and rejects ${builtins.toJSON rejected}";
    actual = { accepts = map pred accepted; rejects = map pred rejected; };
    expected = { accepts = map (_: true) accepted; rejects = map (_: false) rejected; };
  };
  invalid = name: expected: { name = "invalid ${name}: exact errors"; actual = errorsOf name; inherit expected; };
in
[
  (predicate "isPciBdf" v.isPciBdf [ "0000:00:1f.3" "0000:c7:00.4" ] [ "c7:00.3" "0000:c7:00.8" "0000:C7:00.3" "0000:00:1f.3 " "" ])
  (predicate "isUsbId" v.isUsbId [ "1235:8210" "1022:15c0" ] [ "1022:15C0" "123:8210" "12358210" "1235:82101" ])
  (predicate "isName" v.isName [ "dsp" "coding-sandbox" "a2" ] [ "Dsp" "2dsp" "-x" "" "a234567890123456789012345678901234" ])
  (predicate "isSize" v.isSize [ "512M" "4G" "64G" ] [ "0G" "4" "4T" "4 G" "04G" ])
  (predicate "isBufferSize" v.isBufferSize [ 16 128 4096 ] [ 8 100 8192 0 ])
  (predicate "isSampleRate" v.isSampleRate [ 44100 48000 96000 192000 ] [ 96001 22050 0 ])
  (predicate "isIpv4" v.isIpv4 [ "10.77.0.2" "0.0.0.0" "255.255.255.255" ] [ "10.77.0" "256.1.1.1" "10.77.0.02" "localhost" ])
  (predicate "isMac" v.isMac [ "52:54:00:d5:00:01" ] [ "52:54:00:D5:00:01" "52:54:00:d5:00" ])
  (predicate "isSafePath" v.isSafePath [ "/var/lib/dsp-vm/archibaldos.qcow2" "/nix/store/abc-OVMF-fd/FV/OVMF_CODE.fd" ]
    [ "~/vms/a.qcow2" "vms/a.qcow2" "/var/lib/my vm.qcow2" "/a,b" ])
  (predicate "isPort" v.isPort [ 1 19000 65535 ] [ 0 65536 (-1) ])
]
++ map
  (name: {
    name = "valid ${name}: no errors";
    actual = let f = fixtures.valid.${name}; in v.errors (ctxOf f) f.doc;
    expected = [ ];
  })
  (builtins.attrNames fixtures.valid)
++ [
  (invalid "fields-netjack" [
    "dsp.netjack.bufferSize: 100 is not a power of two; use one of 16, 32, 64, 128, 256, 512, 1024, 2048, 4096"
    "dsp.netjack.sampleRate: 96001 is not a supported sample rate; use one of 44100, 48000, 88200, 96000, 176400, 192000"
    "dsp.netjack.channels: 65 is out of range; use a whole number from 1 to 64"
    "dsp.netjack.latency: 11 is out of range; use a whole number from 0 to 10"
  ])
  (invalid "fields-memory-and-pages" [
    "dsp.memoryMB: 100 is out of range; use a whole number from 256 to 1048576"
    "dsp.hugepages.pageSizeKB: 4096 is not a hugepage size; use 2048 (2 MiB) or 1048576 (1 GiB)"
  ])
  (invalid "fields-devices" [
    "dsp.audioDevice.pci[0]: \"c7:00.3\" is not valid; write a PCI address as dddd:bb:ss.f in lower-case hex, such as 0000:00:1f.3"
    "dsp.audioDevice.pci[1]: \"0000:C7:00.3\" is not valid; write a PCI address as dddd:bb:ss.f in lower-case hex, such as 0000:00:1f.3"
    "dsp.audioDevice.usb[0]: \"1022:15C0\" is not valid; write vendor:product as 4 + 4 lower-case hex digits, such as 1235:8210"
  ])
  (invalid "fields-paths-and-network" [
    "dsp.diskImage: \"~/vms/archibaldos-dsp.qcow2\" is not valid; use an absolute path of letters, digits and _ . / + @ - (no spaces, commas or quotes)"
    "dsp.network.type: \"user\" is not allowed; use one of \"tap\", \"bridge\""
  ])
  (invalid "fields-guest" [
    "guests[0].name: \"Sandbox\" is not valid; use 1 to 32 characters: a lower-case letter, then lower-case letters, digits or '-'"
    "guests[0].os: \"windows\" is not allowed; use one of \"arch\", \"debian\", \"fedora\", \"kali\", \"ubuntu\", \"openwrt\""
    "guests[0].memory: \"3T\" is not valid; write a whole number followed by M or G, such as 4G or 512M"
    "guests[0].diskSize: \"64\" is not valid; write a whole number followed by M or G, such as 4G or 512M"
    "guests[0].portForwards[0].host: 70000 is out of range; use a whole number from 1 to 65535"
  ])
  (invalid "rules-guest-install-source" [
    "guests[0].img: is set beside guests[0].iso; a guest boots one install source: keep \"iso\" for an installer ISO or \"img\" for a ready disk image, not both"
    "guests[0].spicePort: 5931 is set but guests[0].spice is false; set spice to true for a SPICE display on that port, or remove spicePort"
  ])
  (invalid "rules-cpus" [
    "dsp.isolatedCores: [2, 2, 9] names CPU 2 twice; list each CPU once (each vCPU gets a CPU of its own)"
    "dsp.isolatedCores: CPU 9 is not online on this host (online: 0-3); use CPUs from 0-3"
  ])
  (invalid "rules-no-housekeeping" [
    "dsp.isolatedCores: [0, 1, 2, 3] leaves no housekeeping CPU (online: 0-3); keep at least one online CPU out of the list for QEMU's emulator threads, IRQs and the host"
  ])
  (invalid "rules-housekeeping-overlap" [
    "dsp.housekeepingCores: [0, 1, 3] shares CPU 3 with dsp.isolatedCores; remove it from one of the two lists"
  ])
  (invalid "rules-hugepages" [
    "dsp.hugepages.count: 100 pages of 2048 KiB = 200 MiB is less than dsp.memoryMB = 4096; set count to at least 2048"
  ])
  (invalid "rules-hugepages-past-host" [
    "dsp.hugepages.count: 100000 pages of 2048 KiB = 200000 MiB is more than this host's memory (32768 MiB); set count to 2048, what dsp.memoryMB = 4096 needs"
  ])
  (invalid "rules-uefi-without-ovmf" [
    "dsp.ovmfCode: is missing but dsp.firmware is \"uefi\"; set it to the OVMF code file (OVMF_CODE.fd), or use \"bios\" for MBR images such as ArchibaldOS"
  ])
  (invalid "rules-duplicate-pci" [
    "dsp.audioDevice.pci: \"0000:00:1f.3\" is listed twice; list each PCI function once"
  ])
  (invalid "rules-original-kali" [
    "guests[0].ssh: is true but no tcp port forward reaches guest port 22; add { \"host\": 2222, \"guest\": 22 } to guests[0].portForwards or set ssh to false"
  ])
  (invalid "rules-guests" [
    "guests[0].name: \"router\" is already used by dsp; give each VM its own name"
    "guests[0].network.bridge: is missing but guests[0].network.type is \"bridge\"; name the host bridge, such as \"br0\""
    "guests[0].portForwards: has 1 forwards but a bridged guest has its own address; remove them or use \"nat\" or \"host\""
    "guests[1].portForwards[0].host: 8080 is already forwarded by guests[0].portForwards[0]; pick another host port, such as 8081"
  ])
  {
    name = "CPU 0 in the isolated set is a warning";
    actual = warningsOf "rules-no-housekeeping";
    expected = [ "dsp.isolatedCores: [0, 1, 2, 3] contains CPU 0, the boot CPU, where nohz_full is only half-working; prefer other CPUs" ];
  }
  {
    name = "a forward open beyond this host is a warning";
    actual = v.vmControlWarnings { } (fixtures.valid.coding-sandbox.doc // {
      guests = map (g: g // { portForwards = [ { host = 2222; guest = 22; protocol = "tcp"; address = "0.0.0.0"; } ]; }) fixtures.valid.coding-sandbox.doc.guests;
    });
    expected = [ "guests[0].portForwards[0].address: \"0.0.0.0\" exposes guest port 22 beyond this host; use \"127.0.0.1\" unless that is intended" ];
  }
  {
    name = "bridge rules: port, mtu, wait strategy, priority";
    actual = let d = fixtures.valid.readme-dsp.doc; in v.errors { hostCpuCount = 8; } (d // {
      bridge = d.bridge // { port = 0; mtu = 9001; waitStrategy = "spin"; priorities = { sender = 99; receiver = 70; }; };
    });
    expected = [
      "bridge.port: 0 is out of range; use a whole number from 1 to 65535"
      "bridge.mtu: 9001 is out of range; use a whole number from 576 to 9000"
      "bridge.waitStrategy: \"spin\" is not allowed; use one of \"busy-spin\", \"yielding\", \"sleeping\", \"blocking\""
      "bridge.priorities.sender: 99 is out of range; use a whole number from 1 to 98"
    ];
  }
  {
    name = "a bridge thread on an isolated CPU is a warning";
    actual = builtins.length (v.warnings { } fixtures.invalid.rules-housekeeping-overlap.doc);
    expected = 1;
  }
]
