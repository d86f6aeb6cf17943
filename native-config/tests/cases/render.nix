# Rendered documents: each preset, the presets together, the README's DSP example and a full
# host, compared with the golden files in tests/golden/, plus the exact shape of
# docs/config-format.md.
let
  vmlib = import ../../lib;
  fixtures = import ../fixtures.nix;
  golden = name: builtins.fromJSON (builtins.readFile (../golden + "/${name}.json"));
  goldenCase = name: {
    name = "rendered ${name} equals tests/golden/${name}.json";
    actual = fixtures.valid.${name}.doc;
    expected = golden name;
  };
  full = fixtures.valid.full-host.doc;
  keys = builtins.attrNames;
  # The bridge section rendered for the README's DSP example with these bridge settings.
  renderBridge = bridge: (vmlib.render.document {
    dsp = vmlib.settings.withDspDefaults (fixtures.readmeDsp // { enable = true; hostCpus = 8; inherit bridge; });
    guests = { };
  }).bridge;
in
map goldenCase [ "coding-sandbox" "kali-linux" "openwrt-router" "all-presets" "readme-dsp" "full-host" "uefi-guest" ]
++ [
  {
    name = "a directly booted dsp renders kernel, initrd and kernelParams instead of diskImage";
    actual =
      let
        dsp = (vmlib.render.document {
          dsp = vmlib.settings.withDspDefaults (fixtures.readmeDsp // {
            enable = true; hostCpus = 8; kernel = "/var/lib/dsp-vm/vmlinuz"; initrd = "/var/lib/dsp-vm/initrd.img";
            kernelParams = [ "console=ttyS0" ];
          });
          guests = { };
        }).dsp;
      in { inherit (dsp) diskImage kernel initrd kernelParams; };
    expected = { diskImage = null; kernel = "/var/lib/dsp-vm/vmlinuz"; initrd = "/var/lib/dsp-vm/initrd.img";
                 kernelParams = [ "console=ttyS0" ]; };
  }
  {
    name = "top level is exactly version, dsp, guests, bridge";
    actual = keys full;
    expected = [ "bridge" "dsp" "guests" "version" ];
  }
  {
    name = "dsp object has exactly the format's keys";
    actual = keys full.dsp;
    expected = [ "audioDevice" "diskImage" "enable" "firmware" "housekeepingCores" "hugepages" "isolatedCores"
                 "memoryMB" "name" "netjack" "network" "ovmfCode" "stateDir" ];
  }
  {
    name = "dsp.netjack, hugepages, audioDevice and network have exactly the format's keys";
    actual = map keys [ full.dsp.netjack full.dsp.hugepages full.dsp.audioDevice full.dsp.network ];
    expected = [
      [ "bufferSize" "channels" "enable" "hostAddress" "latency" "sampleRate" "sourcePort" "vmAddress" ]
      [ "count" "enable" "pageSizeKB" ]
      [ "enable" "pci" "usb" ]
      [ "bridge" "mac" "tap" "type" ]
    ];
  }
  {
    name = "guest objects have exactly the format's keys";
    actual = map keys full.guests;
    expected = builtins.genList (i: [ "cores" "diskSize" "memory" "name" "network" "os" "pciDevice" "portForwards"
                                      "release" "spice" "ssh" "usbDevice" "vnc" ]) 3;
  }
  {
    name = "a bridge with multicastInterface renders it and the group (absent: unicast only)";
    actual =
      let
        on = renderBridge { multicastInterface = "dsp0"; };
      in { inherit (on) multicastInterface multicastGroup; unicast = (renderBridge { }) ? multicastInterface; };
    expected = { multicastInterface = "dsp0"; multicastGroup = "225.3.19.154"; unicast = false; };
  }
  {
    name = "a bridge with midiLongEvents renders it (absent: not rendered, the bridge's default drop); others are refused";
    actual =
      {
        send = (renderBridge { midiLongEvents = "send"; }).midiLongEvents;
        absent = (renderBridge { }) ? midiLongEvents;
        bad = vmlib.validate.bridgeErrors (renderBridge { midiLongEvents = "keep"; });
      };
    expected = { send = "send"; absent = false;
                 bad = [ "bridge.midiLongEvents: \"keep\" is not allowed; use one of \"drop\", \"send\"" ]; };
  }
  {
    name = "a bridge with sendPath renders it (absent: not rendered, the bridge's default auto); others are refused";
    actual =
      {
        period = (renderBridge { sendPath = "period"; }).sendPath;
        absent = (renderBridge { }) ? sendPath;
        bad = vmlib.validate.bridgeErrors (renderBridge { sendPath = "jack"; });
      };
    expected = { period = "period"; absent = false;
                 bad = [ "bridge.sendPath: \"jack\" is not allowed; use one of \"auto\", \"period\", \"sender\"" ]; };
  }
  {
    name = "a bridge with maxSessions renders it (absent: not rendered, the bridge's default of 1)";
    actual =
      { set = (renderBridge { maxSessions = 2; }).maxSessions; unset = (renderBridge { }) ? maxSessions; };
    expected = { set = 2; unset = false; };
  }
  {
    name = "bridge.maxSessions outside 1 … 8 is refused with the bridge's own words";
    actual = map (v: vmlib.validate.bridgeErrors (renderBridge { maxSessions = v; })) [ 0 9 ];
    expected = map (v: [ "bridge.maxSessions: ${toString v} is out of range; use 1 to 8 (the slaves served at once; 1, the default, refuses another slave while one plays)" ]) [ 0 9 ];
  }
  {
    name = "bridge object has exactly the format's keys";
    actual = keys full.bridge;
    expected = [ "clientName" "controlSocket" "countersFile" "cpus" "dscp" "encoder" "fromVmPorts" "histogramLog"
                 "jackServer" "latencyPeriods" "listenAddress" "midiFromVmPorts" "midiToVmPorts" "mlockall"
                 "mtu" "peerAddresses" "port" "priorities" "sessionPort" "toVmPorts" "waitStrategy" ];
  }
  {
    name = "the three presets imported together keep three guests, sorted by name";
    actual = map (g: g.name) fixtures.valid.all-presets.doc.guests;
    expected = [ "coding-sandbox" "kali-linux" "openwrt-router" ];
  }
  {
    name = "hugepages = 2048 (the original integer form) means 2048 pages of 2 MiB";
    actual = fixtures.valid.readme-dsp.doc.dsp.hugepages;
    expected = { enable = true; pageSizeKB = 2048; count = 2048; };
  }
  {
    name = "hugepage count defaults to exactly cover memoryMB";
    actual = full.dsp.hugepages.count;
    expected = 8;
  }
  {
    name = "bridge threads default to housekeeping CPUs: JACK on the first, network on the last";
    actual = fixtures.valid.readme-dsp.doc.bridge.cpus;
    expected = { jack = 0; sender = 7; receiver = 7; };
  }
  {
    name = "the bridge follows dsp.netjack: port, peer, channels, latency";
    actual = with fixtures.valid.readme-dsp.doc.bridge; [ port peerAddresses toVmPorts fromVmPorts latencyPeriods ];
    expected = [ 19000 [ "10.77.0.2" ] 2 2 1 ];
  }
  {
    name = "ArchibaldOS boots by BIOS; another image defaults to UEFI";
    actual = [ fixtures.valid.readme-dsp.doc.dsp.firmware fixtures.valid.uefi-guest.doc.dsp.firmware ];
    expected = [ "bios" "uefi" ];
  }
  {
    name = "a bridged DSP VM renders no tap name";
    actual = fixtures.valid.uefi-guest.doc.dsp.network;
    expected = { type = "bridge"; tap = null; bridge = "br0"; mac = "52:54:00:d5:00:01"; };
  }
  {
    name = "memory in MiB and \"host:guest\" forwards are converted as the original wrote them";
    actual = vmlib.settings.withGuestDefaults { memory = 3072; portForwards = [ "2222:22" { host = 8053; guest = 53; protocol = "udp"; } ]; };
    expected = vmlib.settings.guestDefaults // {
      memory = "3072M";
      portForwards = [
        { host = 2222; guest = 22; protocol = "tcp"; address = "127.0.0.1"; }
        { host = 8053; guest = 53; protocol = "udp"; address = "127.0.0.1"; }
      ];
    };
  }
  {
    name = "no DSP VM and no guests render an empty file";
    actual = vmlib.render.document { };
    expected = { version = 1; dsp = null; guests = [ ]; bridge = null; };
  }
  {
    name = "a disabled guest is left out";
    actual = (vmlib.render.document { guests = { a = vmlib.settings.withGuestDefaults { enable = false; }; }; }).guests;
    expected = [ ];
  }
  {
    name = "kernel parameters of the README's DSP example on an 8-CPU host";
    actual = let d = vmlib.settings.withDspDefaults (fixtures.readmeDsp // { hostCpus = 8; }); in
      vmlib.kernel.params {
        isolatedCores = d.isolatedCores;
        hostCpuCount = d.hostCpus;
        hugepages = { pageSizeKB = d.hugepages.pageSizeKB; count = vmlib.render.hugepageCount d; };
      };
    expected = [ "isolcpus=managed_irq,domain,2-3" "nohz_full=2-3" "rcu_nocbs=2-3" "irqaffinity=0-1,4-7" "hugepagesz=2M" "hugepages=2048" ];
  }
  {
    name = "a guest's install source, firmware, shared folder and SPICE port are rendered only when set";
    actual = map (g: vmlib.render.guestSection "g" (vmlib.settings.withGuestDefaults g)) [
      { os = "debian"; iso = "/var/lib/quickemu/isos/debian.iso"; firmware = "bios"; publicDir = "/srv/share"; spice = true; spicePort = 5931; }
      { os = "openwrt"; img = "/var/lib/quickemu/isos/openwrt.img"; }
    ];
    expected = [
      { name = "g"; os = "debian"; release = null; cores = 1; memory = "2G"; diskSize = "32G"; pciDevice = null; usbDevice = null;
        spice = true; vnc = false; ssh = false; network = { type = "nat"; bridge = null; }; portForwards = [ ];
        iso = "/var/lib/quickemu/isos/debian.iso"; firmware = "bios"; publicDir = "/srv/share"; spicePort = 5931; }
      { name = "g"; os = "openwrt"; release = null; cores = 1; memory = "2G"; diskSize = "32G"; pciDevice = null; usbDevice = null;
        spice = false; vnc = false; ssh = false; network = { type = "nat"; bridge = null; }; portForwards = [ ];
        img = "/var/lib/quickemu/isos/openwrt.img"; }
    ];
  }
]
