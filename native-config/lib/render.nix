# Settings (the NixOS options' values, defaults applied) -> the JSON document of
# docs/config-format.md, exactly that shape: top level { version, dsp, guests, bridge }.
# Pure: the modules pass it `config.custom.vm.*`, the tests pass presets.
let
  cpus = import ./cpus.nix;
  kernel = import ./kernel.nix;
  settings = import ./settings.nix;
  inherit (builtins) head elemAt length attrNames sort lessThan filter toJSON;

  lastOf = list: elemAt list (length list - 1);
in
rec {
  firmware = dsp:
    if dsp.firmware != null then dsp.firmware
    else if dsp.archibaldOS.enable then "bios"
    else "uefi";

  # Explicit housekeeping CPUs, else every host CPU that is not isolated.
  housekeepingCores = dsp:
    if dsp.housekeepingCores != null then dsp.housekeepingCores
    else if dsp.hostCpus != null then cpus.complement dsp.hostCpus dsp.isolatedCores
    else [ ];

  hugepageCount = dsp:
    if dsp.hugepages.count != null then dsp.hugepages.count
    else kernel.hugepagesFor { inherit (dsp) memoryMB; inherit (dsp.hugepages) pageSizeKB; };

  dspSection = dsp:
    let nj = dsp.archibaldOS.netjack; in
    {
      enable = dsp.enable;
      name = dsp.name;
      isolatedCores = dsp.isolatedCores;
      housekeepingCores = housekeepingCores dsp;
      memoryMB = dsp.memoryMB;
      hugepages = {
        enable = dsp.hugepages.enable;
        pageSizeKB = dsp.hugepages.pageSizeKB;
        count = hugepageCount dsp;
      };
      diskImage = if (dsp.kernel or null) != null then null else dsp.archibaldOS.diskImage;
      firmware = firmware dsp;
      ovmfCode = dsp.ovmfCode;
      stateDir = settings.dspStateDir;
      netjack = {
        inherit (nj) enable sourcePort bufferSize sampleRate channels latency vmAddress hostAddress;
      };
      audioDevice = { inherit (dsp.audioDevice) enable pci usb; };
      network = {
        type = dsp.network.type;
        tap = if dsp.network.type == "tap" then dsp.network.tap else null;
        bridge = if dsp.network.type == "bridge" then dsp.network.bridge else null;
        mac = dsp.network.mac;
      };
    } // (if (dsp.kernel or null) == null then { } else {
      kernel = dsp.kernel;
      initrd = dsp.initrd or null;
      kernelParams = dsp.kernelParams or [ ];
    });

  # CPU for a bridge thread: the configured one, else a housekeeping CPU (the unit's
  # CPUAffinity), so nothing lands on the vCPUs' isolated cores unasked.
  bridgeCpu = dsp: which:
    let
      configured = dsp.bridge.cpus.${which};
      hk = housekeepingCores dsp;
    in
    if configured != null then configured
    else if hk == [ ] then null
    else if which == "jack" then head hk
    else lastOf hk;

  # The host bridge: a NetJack2 master that talks only to the DSP VM.
  bridgeSection = dsp:
    let nj = dsp.archibaldOS.netjack; b = dsp.bridge; in
    {
      clientName = b.clientName;
      toVmPorts = nj.channels;
      fromVmPorts = nj.channels;
      midiToVmPorts = b.midiToVmPorts;
      midiFromVmPorts = b.midiFromVmPorts;
      peerAddresses = [ nj.vmAddress ];
      listenAddress = b.listenAddress;
      port = nj.sourcePort;
      latencyPeriods = nj.latency;
      encoder = b.encoder;
      mtu = b.mtu;
      dscp = b.dscp;
      sessionPort = b.sessionPort;
      jackServer = b.jackServer;
      cpus = {
        jack = bridgeCpu dsp "jack";
        sender = bridgeCpu dsp "sender";
        receiver = bridgeCpu dsp "receiver";
      };
      priorities = { inherit (b.priorities) sender receiver; };
      waitStrategy = b.waitStrategy;
      mlockall = b.mlockall;
    } // (if b.multicastInterface != null then { inherit (b) multicastInterface multicastGroup; } else { })
    // (if b.maxSessions != null then { inherit (b) maxSessions; } else { })
    // (if b.midiLongEvents != null then { inherit (b) midiLongEvents; } else { })
    // (if b.sendPath != null then { inherit (b) sendPath; } else { })
    // settings.bridgePaths;

  guestSection = name: guest: {
    inherit name;
    inherit (guest) os release cores memory diskSize pciDevice usbDevice spice vnc ssh;
    network = {
      type = guest.network.type;
      bridge = if guest.network.type == "bridge" then guest.network.bridge else null;
    };
    portForwards = map (fwd: { inherit (fwd) host guest protocol address; }) guest.portForwards;
  }
  # Install source, firmware, shared folder and SPICE port only when set (vmctl's defaults
  # otherwise: no source, the OS's firmware, nothing shared, SPICE on a Unix socket).
  // (let optional = [ "iso" "img" "firmware" "publicDir" "spicePort" ]; in
    builtins.listToAttrs (map (key: { name = key; value = guest.${key}; })
      (filter (key: (guest.${key} or null) != null) optional)));

  # dsp:    settings of custom.vm.dsp (defaults applied), or null when no DSP VM is declared
  # guests: attribute set name -> settings of custom.vm.quickemu.<name>; disabled ones are left out
  document = { dsp ? null, guests ? { } }:
    let
      dspOn = dsp != null && dsp.enable;
      names = filter (name: guests.${name}.enable) (sort lessThan (attrNames guests));
    in
    {
      version = 1;
      dsp = if dspOn then dspSection dsp else null;
      guests = map (name: guestSection name guests.${name}) names;
      bridge = if dspOn && dsp.archibaldOS.netjack.enable then bridgeSection dsp else null;
    };

  # The file's text.
  toFile = doc: toJSON doc;
}
