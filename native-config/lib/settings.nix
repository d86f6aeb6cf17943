# Defaults and value conversions shared by the NixOS modules (option defaults and
# `types.coercedTo` conversions) and by the tests, which apply them to presets without the
# module system. One table, so what the tests render is what the modules render.
let
  inherit (builtins) isAttrs mapAttrs match elemAt fromJSON hasAttr attrNames foldl';

  # Recursive `//`: nested attribute sets are merged, everything else is replaced.
  deepMerge = base: over:
    base // mapAttrs
      (name: value:
        if isAttrs value && hasAttr name base && isAttrs base.${name}
        then deepMerge base.${name} value
        else value)
      over;
in
rec {
  inherit deepMerge;

  # NetJack2's registered UDP port (docs/protocol.md §10), not PulseAudio's 4713 that
  # the original used.
  netjackPort = 19000;

  # Where the rendered file lives, and the runtime/state paths the units create for the
  # programs that read it (docs/config-format.md).
  configFile = "/etc/dsp-vm/config.json";
  dspStateDir = "/run/dsp-vm";
  bridgePaths = {
    countersFile = "/dev/shm/netjack-bridge/counters.dat";
    histogramLog = "/var/lib/netjack-bridge/latency.hlog";
    controlSocket = "/run/netjack-bridge/control.sock";
  };

  dspDefaults = {
    enable = false;
    autoStart = true;
    name = "dsp";
    hostCpus = null;
    hostMemoryMB = null;
    isolatedCores = [ ];
    housekeepingCores = null;
    cpuVendor = null;
    isolation.enable = true;
    memoryMB = 2048;
    hugepages = { enable = true; pageSizeKB = 2048; count = null; };
    archibaldOS = {
      enable = true;
      diskImage = "/var/lib/dsp-vm/archibaldos.qcow2";
      netjack = {
        enable = true;
        sourcePort = netjackPort;
        bufferSize = 128;
        sampleRate = 96000;
        channels = 2;
        latency = 1;
        vmAddress = "10.77.0.2";
        hostAddress = "10.77.0.1";
        prefixLength = 24;
      };
    };
    # null: "bios" when the guest is ArchibaldOS (its image is BIOS/MBR, docs/vm-tuning.md §1.7),
    # else "uefi".
    firmware = null;
    ovmfCode = null;
    audioDevice = { enable = false; pci = [ ]; usb = [ ]; };
    network = { type = "tap"; tap = "dsp0"; bridge = null; mac = "52:54:00:d5:00:01"; };
    bridge = {
      clientName = "dsp";
      midiToVmPorts = 0;
      midiFromVmPorts = 0;
      listenAddress = "0.0.0.0";
      encoder = "float";
      mtu = 1500;
      # DSCP class of every datagram (AF41, as PipeWire's netjack2 modules; JACK2 marks EF, 46).
      dscp = 34;
      # null: each session's data socket gets an ephemeral port, as JACK2's master.
      sessionPort = null;
      jackServer = null;
      # null: not rendered, the bridge's default of 1 (one slave per bridge; another slave that
      # announces while it plays is refused and counted).
      maxSessions = null;
      # null: not rendered, the bridge's default "drop" (MIDI events over 4 bytes are dropped and
      # counted lost: JACK2 1.9.21/1.9.22 slaves corrupt them). "send": for a PipeWire or
      # netjack-bridge slave that carries them.
      midiLongEvents = null;
      # null: not rendered, the bridge's default "auto" (the JACK thread sends each period's
      # datagrams at L = 0, the nj-sender thread at L >= 1, as measured in bench/README.md).
      sendPath = null;
      # null: unicast only. An interface name: the bridge also hears slaves that announce on the
      # multicast group (JACK2 without -a, PipeWire's driver by default) on that interface.
      multicastInterface = null;
      multicastGroup = "225.3.19.154";
      # null: the first housekeeping CPU for the JACK thread, the last for the network threads.
      cpus = { jack = null; sender = null; receiver = null; };
      priorities = { sender = 70; receiver = 70; };
      waitStrategy = "blocking";
      mlockall = true;
      # Unit settings only (not in the JSON file).
      rtprioLimit = 95;
      user = "netjack-bridge";
      environment = { };
    };
  };

  guestDefaults = {
    enable = true;
    autoStart = true;
    os = "arch";
    release = null;
    cores = 1;
    memory = "2G";
    diskSize = "32G";
    network = { type = "nat"; bridge = null; };
    pciDevice = null;
    usbDevice = null;
    portForwards = [ ];
    spice = false;
    vnc = false;
    ssh = false;
    iso = null;
    img = null;
    firmware = null;
    publicDir = null;
    spicePort = null;
    openFirewall = false;
  };

  portForwardDefaults = { protocol = "tcp"; address = "127.0.0.1"; };

  # The original's forms, still accepted: memory in MiB as an integer, forwards as "host:guest".
  memoryFromMiB = mib: "${toString mib}M";
  portForwardPattern = "([0-9]{1,5}):([0-9]{1,5})";
  portForwardFromString = text:
    let m = match portForwardPattern text; in
    if m == null then throw "settings.portForwardFromString: expected \"host:guest\", got \"${text}\""
    else { host = fromJSON (elemAt m 0); guest = fromJSON (elemAt m 1); };
  # The original's `hugepages = 1024;` (a count of 2 MiB pages).
  hugepagesFromCount = count: { inherit count; };

  # The same conversions the modules' coercedTo types apply, for values given as plain Nix.
  normalizeGuest = guest:
    guest
    // (if guest ? memory && builtins.isInt guest.memory then { memory = memoryFromMiB guest.memory; } else { })
    // (if guest ? portForwards then {
      portForwards = map
        (fwd: portForwardDefaults // (if builtins.isString fwd then portForwardFromString fwd else fwd))
        guest.portForwards;
    } else { });

  normalizeDsp = dsp:
    dsp // (if dsp ? hugepages && builtins.isInt dsp.hugepages then { hugepages = hugepagesFromCount dsp.hugepages; } else { });

  withGuestDefaults = guest: deepMerge guestDefaults (normalizeGuest guest);
  withDspDefaults = dsp: deepMerge dspDefaults (normalizeDsp dsp);
}
