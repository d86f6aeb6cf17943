# The field rules of docs/config-format.md, as predicates and as a check over a whole rendered
# document. vm-control's ConfigParser and ConfigValidator apply the same rules to the same
# file, and the messages here are theirs, word for word ("<JSON path>: <value>, the rule, the
# fix"), so a bad option fails `nixos-rebuild` with the text `vmctl` would print at start-up.
# The Java cross-test (java-test/NixConfigTest.java) compares the two lists.
#
# The modules turn `errors` into NixOS assertions and `warnings` into NixOS warnings.
let
  cpus = import ./cpus.nix;
  inherit (builtins) match elem length all any filter concatLists concatStringsSep genList
    elemAt isInt isString isList toJSON foldl' attrNames;

  indexed = list: genList (i: { index = i; value = elemAt list i; }) (length list);
  optional = cond: item: if cond then [ item ] else [ ];

  # Java's List.toString: [2, 3].
  showList = list: "[" + concatStringsSep ", " (map toString list) + "]";
  quoteAll = values: concatStringsSep ", " (map (v: "\"${v}\"") values);

  problem = path: message: "${path}: ${message}";

  intRange = path: lo: hi: value:
    if value == null then [ ]
    else if !isInt value then [ (problem path "${toJSON value} is not an integer; write a whole number from ${toString lo} to ${toString hi}") ]
    else if value < lo || value > hi then [ (problem path "${toString value} is out of range; use a whole number from ${toString lo} to ${toString hi}") ]
    else [ ];

  matching = path: regex: rule: value:
    if value == null then [ ]
    else if !isString value then [ (problem path "${toJSON value} is not a string; write it in double quotes") ]
    else if match regex value == null then [ (problem path "${toJSON value} is not valid; ${rule}") ]
    else [ ];

  choice = path: allowed: value:
    if value == null || elem value allowed then [ ]
    else [ (problem path "${toJSON value} is not allowed; use one of ${quoteAll allowed}") ];

  # For each element that is a repeat of an earlier one: f element.
  forRepeats = f: list:
    (foldl'
      (acc: x: if elem x acc.seen then acc // { out = acc.out ++ f x; } else acc // { seen = acc.seen ++ [ x ]; })
      { seen = [ ]; out = [ ]; }
      list).out;
in
rec {
  # POSIX ERE, whole string (builtins.match); the same patterns as vm-control's ConfigParser
  # and the NixOS option types (types.strMatching).
  patterns = {
    name = "[a-z][a-z0-9-]{0,31}";
    pciBdf = "[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}[.][0-7]";
    usbId = "[0-9a-f]{4}:[0-9a-f]{4}";
    size = "[1-9][0-9]*[MG]";
    mac = "[0-9a-f]{2}(:[0-9a-f]{2}){5}";
    ifname = "[A-Za-z0-9_.-]{1,15}";
    ipv4 = "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])[.]){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    # Absolute, and free of what QEMU's option syntax or quickemu's word splitting would misread.
    safePath = "/[A-Za-z0-9_./+@-]*";
  };

  rules = {
    name = "use 1 to 32 characters: a lower-case letter, then lower-case letters, digits or '-'";
    path = "use an absolute path of letters, digits and _ . / + @ - (no spaces, commas or quotes)";
    ifname = "use an interface name of 1 to 15 letters, digits, _ . -";
    pci = "write a PCI address as dddd:bb:ss.f in lower-case hex, such as 0000:00:1f.3";
    usb = "write vendor:product as 4 + 4 lower-case hex digits, such as 1235:8210";
    size = "write a whole number followed by M or G, such as 4G or 512M";
    mac = "write a MAC address in lower-case hex, such as 52:54:00:d5:00:01";
  };

  maxCpu = 8191;
  # The sessions one bridge runs at once (BridgeConfig.MAX_SESSIONS; one set of ports each).
  maxSessions = 8;
  maxSessionsRule = "use 1 to ${toString maxSessions} (the slaves served at once; 1, the default, refuses another slave while one plays)";
  midiLongEvents = [ "drop" "send" ];
  sendPaths = [ "auto" "period" "sender" ];
  maxInt = 2147483647;
  sampleRates = [ 44100 48000 88200 96000 176400 192000 ];
  bufferSizes = [ 16 32 64 128 256 512 1024 2048 4096 ];
  pageSizesKB = [ 2048 1048576 ];
  guestOses = [ "arch" "debian" "fedora" "kali" "ubuntu" "openwrt" ];
  guestNetworkTypes = [ "nat" "bridge" "host" ];
  dspNetworkTypes = [ "tap" "bridge" ];
  firmwares = [ "bios" "uefi" ];
  encoders = [ "float" "int16" ];
  waitStrategies = [ "busy-spin" "yielding" "sleeping" "blocking" ];
  protocols = [ "tcp" "udp" ];
  cpuVendors = [ "amd" "intel" ];

  matches = regex: value: isString value && match regex value != null;
  between = lo: hi: value: isInt value && value >= lo && value <= hi;
  isName = matches patterns.name;
  isPciBdf = matches patterns.pciBdf;
  isUsbId = matches patterns.usbId;
  isSize = matches patterns.size;
  isMac = matches patterns.mac;
  isIfname = matches patterns.ifname;
  isIpv4 = matches patterns.ipv4;
  isSafePath = matches patterns.safePath;
  isPort = between 1 65535;
  isCpu = between 0 maxCpu;
  isBufferSize = value: elem value bufferSizes;
  isSampleRate = value: elem value sampleRates;

  # Field rules of the dsp object (vm-control ConfigParser.parseDsp).
  dspFieldErrors = dsp:
    let nj = dsp.netjack; hp = dsp.hugepages; ad = dsp.audioDevice; net = dsp.network; in
    matching "dsp.name" patterns.name rules.name dsp.name
    ++ (if dsp.isolatedCores == null
        then [ (problem "dsp.isolatedCores" "is missing; add the host CPUs for the vCPUs, one per vCPU, such as [2, 3]") ]
        else concatLists (map (c: intRange "dsp.isolatedCores[${toString c.index}]" 0 maxCpu c.value) (indexed dsp.isolatedCores)))
    ++ concatLists (map (c: intRange "dsp.housekeepingCores[${toString c.index}]" 0 maxCpu c.value)
        (indexed (if dsp.housekeepingCores == null then [ ] else dsp.housekeepingCores)))
    ++ intRange "dsp.memoryMB" 256 1048576 dsp.memoryMB
    ++ (let r = intRange "dsp.hugepages.pageSizeKB" 2048 1048576 hp.pageSizeKB; in
        if r != [ ] then r
        else optional (!elem hp.pageSizeKB pageSizesKB)
          (problem "dsp.hugepages.pageSizeKB" "${toString hp.pageSizeKB} is not a hugepage size; use 2048 (2 MiB) or 1048576 (1 GiB)"))
    ++ intRange "dsp.hugepages.count" 0 maxInt hp.count
    ++ matching "dsp.diskImage" patterns.safePath rules.path dsp.diskImage
    ++ choice "dsp.firmware" firmwares dsp.firmware
    ++ matching "dsp.ovmfCode" patterns.safePath rules.path dsp.ovmfCode
    ++ matching "dsp.stateDir" patterns.safePath rules.path dsp.stateDir
    ++ intRange "dsp.netjack.sourcePort" 1 65535 nj.sourcePort
    ++ (let r = intRange "dsp.netjack.bufferSize" 16 4096 nj.bufferSize; in
        if r != [ ] then r
        else optional (!isBufferSize nj.bufferSize)
          (problem "dsp.netjack.bufferSize" "${toString nj.bufferSize} is not a power of two; use one of 16, 32, 64, 128, 256, 512, 1024, 2048, 4096"))
    ++ (let r = intRange "dsp.netjack.sampleRate" 1 maxInt nj.sampleRate; in
        if r != [ ] then r
        else optional (!isSampleRate nj.sampleRate)
          (problem "dsp.netjack.sampleRate" "${toString nj.sampleRate} is not a supported sample rate; use one of 44100, 48000, 88200, 96000, 176400, 192000"))
    ++ intRange "dsp.netjack.channels" 1 64 nj.channels
    ++ intRange "dsp.netjack.latency" 0 10 nj.latency
    ++ matching "dsp.netjack.vmAddress" patterns.ipv4 "write an IPv4 address such as 10.77.0.2" nj.vmAddress
    ++ matching "dsp.netjack.hostAddress" patterns.ipv4 "write an IPv4 address such as 10.77.0.1" nj.hostAddress
    ++ concatLists (map (d: matching "dsp.audioDevice.pci[${toString d.index}]" patterns.pciBdf rules.pci d.value) (indexed ad.pci))
    ++ concatLists (map (d: matching "dsp.audioDevice.usb[${toString d.index}]" patterns.usbId rules.usb d.value) (indexed ad.usb))
    ++ (if net == null then [ ] else
        choice "dsp.network.type" dspNetworkTypes net.type
        ++ optional (net.type == null)
          (problem "dsp.network.type" "is missing; add \"tap\" or \"bridge\" (NetJack2 never runs over slirp)")
        ++ matching "dsp.network.tap" patterns.ifname rules.ifname net.tap
        ++ matching "dsp.network.bridge" patterns.ifname rules.ifname net.bridge
        ++ matching "dsp.network.mac" patterns.mac rules.mac net.mac);

  # Cross-field and host rules of the dsp object (vm-control ConfigValidator.validateDsp).
  # ctx.hostCpuCount: the host's CPUs 0..n-1 (the NixOS option hostCpus); null when unknown,
  # and then the rules that need the host are left to vmctl on the host.
  dspRuleErrors = ctx: dsp:
    let
      iso = dsp.isolatedCores;
      hkGiven = if dsp.housekeepingCores == null then [ ] else dsp.housekeepingCores;
      online = if (ctx.hostCpuCount or null) == null then null else genList (i: i) ctx.hostCpuCount;
      onlineText = if online == null then "" else cpus.format online;
      isOnline = cpu: online == null || elem cpu online;
      notOnline = path: cpu:
        problem path "CPU ${toString cpu} is not online on this host (online: ${onlineText}); use CPUs from ${onlineText}";
      housekeeping =
        if hkGiven != [ ] then hkGiven
        else if online == null then [ ]
        else filter (c: !elem c iso) online;
      hp = dsp.hugepages;
      totalMiB = hp.count * hp.pageSizeKB / 1024;
      net = dsp.network;
      ad = dsp.audioDevice;
    in
    if iso == [ ] then [ (problem "dsp.isolatedCores" "[] is empty; list at least one host CPU, one per vCPU, such as [2, 3]") ]
    else
      (foldl'
        (acc: cpu:
          if elem cpu acc.seen then acc // { out = acc.out ++ [ (problem "dsp.isolatedCores" "${showList iso} names CPU ${toString cpu} twice; list each CPU once (each vCPU gets a CPU of its own)") ]; }
          else acc // { seen = acc.seen ++ [ cpu ]; out = acc.out ++ optional (!isOnline cpu) (notOnline "dsp.isolatedCores" cpu); })
        { seen = [ ]; out = [ ]; }
        iso).out
      ++ concatLists (map
        (cpu:
          if elem cpu iso then [ (problem "dsp.housekeepingCores" "${showList hkGiven} shares CPU ${toString cpu} with dsp.isolatedCores; remove it from one of the two lists") ]
          else optional (!isOnline cpu) (notOnline "dsp.housekeepingCores" cpu))
        hkGiven)
      ++ optional ((online != null || hkGiven != [ ]) && !any (c: isOnline c && !elem c iso) housekeeping)
        (problem "dsp.isolatedCores" "${showList iso} leaves no housekeeping CPU (online: ${onlineText}); keep at least one online CPU out of the list for QEMU's emulator threads, IRQs and the host")
      ++ optional (hp.enable && totalMiB < dsp.memoryMB)
        (problem "dsp.hugepages.count" "${toString hp.count} pages of ${toString hp.pageSizeKB} KiB = ${toString totalMiB} MiB is less than dsp.memoryMB = ${toString dsp.memoryMB}; set count to at least ${toString (pagesNeeded dsp)}")
      ++ optional (hugepagesPastHost ctx dsp)
        (problem "dsp.hugepages.count" "${toString hp.count} pages of ${toString hp.pageSizeKB} KiB = ${toString totalMiB} MiB is more than this host's memory (${toString ctx.hostMemoryMB} MiB); set count to ${toString (pagesNeeded dsp)}, what dsp.memoryMB = ${toString dsp.memoryMB} needs")
      ++ optional (dsp.firmware == "uefi" && dsp.ovmfCode == null)
        (problem "dsp.ovmfCode" "is missing but dsp.firmware is \"uefi\"; set it to the OVMF code file (OVMF_CODE.fd), or use \"bios\" for MBR images such as ArchibaldOS")
      ++ (if net != null then
          optional (net.type == "tap" && net.tap == null)
            (problem "dsp.network.tap" "is missing but dsp.network.type is \"tap\"; name the tap interface, such as \"dsp0\"")
          ++ optional (net.type == "bridge" && net.bridge == null)
            (problem "dsp.network.bridge" "is missing but dsp.network.type is \"bridge\"; name the host bridge, such as \"br0\"")
        else optional dsp.netjack.enable
          (problem "dsp.network" "is missing but dsp.netjack.enable is true; add a \"tap\" or \"bridge\" network (NetJack2 never runs over slirp)"))
      ++ forRepeats (bdf: [ (problem "dsp.audioDevice.pci" "\"${bdf}\" is listed twice; list each PCI function once") ]) ad.pci;

  # Field rules of one guest (vm-control ConfigParser.parseGuest).
  guestFieldErrorsNamed = names: index: guest:
    let p = names.guest index guest.name; in
    matching "${p}.name" patterns.name rules.name guest.name
    ++ choice "${p}.os" guestOses guest.os
    ++ intRange "${p}.cores" 1 256 guest.cores
    ++ matching "${p}.memory" patterns.size rules.size guest.memory
    ++ matching "${p}.diskSize" patterns.size rules.size guest.diskSize
    ++ choice "${p}.network.type" guestNetworkTypes guest.network.type
    ++ matching "${p}.network.bridge" patterns.ifname rules.ifname guest.network.bridge
    ++ matching "${p}.pciDevice" patterns.pciBdf rules.pci guest.pciDevice
    ++ matching "${p}.usbDevice" patterns.usbId rules.usb guest.usbDevice
    ++ matching "${p}.iso" patterns.safePath rules.path (guest.iso or null)
    ++ matching "${p}.img" patterns.safePath rules.path (guest.img or null)
    ++ choice "${p}.firmware" [ "bios" "uefi" ] (guest.firmware or null)
    ++ matching "${p}.publicDir" patterns.safePath rules.path (guest.publicDir or null)
    ++ intRange "${p}.spicePort" 1024 65535 (guest.spicePort or null)
    ++ concatLists (map
      (f:
        let q = names.forwardField index guest.name f.index; in
        intRange (q "host") 1 65535 f.value.host
        ++ intRange (q "guest") 1 65535 f.value.guest
        ++ choice (q "protocol") protocols f.value.protocol
        ++ matching (q "address") patterns.ipv4 "write an IPv4 address; 127.0.0.1 keeps the port on this host" f.value.address)
      (indexed guest.portForwards));

  # Cross-field rules of the guests (vm-control ConfigValidator.validateGuest and the name and
  # host-port uniqueness across the file).
  guestRuleErrorsNamed = names: doc:
    let
      guests = indexed doc.guests;
      free = freeHostPort doc;
      start = {
        names = if doc.dsp != null then [ { name = doc.dsp.name; path = names.dspName; } ] else [ ];
        ports = [ ];
        out = [ ];
      };
      step = acc: g:
        let
          guest = g.value;
          p = names.guest g.index guest.name;
          previousName = filter (n: n.name == guest.name) acc.names;
          bridged = guest.network.type == "bridge";
          forwards = indexed guest.portForwards;
          portStep = pacc: f:
            let
              previous = filter (x: x.port == f.value.host) pacc.ports;
            in
            if previous != [ ]
            then pacc // { out = pacc.out ++ [ (problem (names.forwardField g.index guest.name f.index "host") "${toString f.value.host} is already forwarded by ${(elemAt previous 0).path}; pick another host port, such as ${toString (free (f.value.host + 1))}") ]; }
            else pacc // { ports = pacc.ports ++ [ { port = f.value.host; path = names.forward g.index guest.name f.index; } ]; };
          ports = foldl' portStep { ports = acc.ports; out = [ ]; } forwards;
          sshReached = any (f: f.guest == 22 && f.protocol == "tcp") guest.portForwards;
        in
        {
          names = if previousName != [ ] then acc.names else acc.names ++ [ { name = guest.name; path = p; } ];
          ports = ports.ports;
          out = acc.out
            ++ optional (previousName != [ ])
              (problem (names.guestName g.index guest.name) "\"${guest.name}\" is already used by ${(elemAt previousName 0).path}; give each VM its own name")
            ++ optional (bridged && guest.network.bridge == null)
              (problem "${p}.network.bridge" "is missing but ${p}.network.type is \"bridge\"; name the host bridge, such as \"br0\"")
            ++ optional (bridged && guest.portForwards != [ ])
              (problem (names.forwards g.index guest.name) "has ${toString (length guest.portForwards)} forwards but a bridged guest has its own address; remove them or use \"nat\" or \"host\"")
            ++ ports.out
            ++ optional ((guest.iso or null) != null && (guest.img or null) != null)
              (problem "${p}.img" "is set beside ${p}.iso; a guest boots one install source: keep \"iso\" for an installer ISO or \"img\" for a ready disk image, not both")
            ++ optional ((guest.spicePort or null) != null && !guest.spice)
              (problem "${p}.spicePort" "${toString guest.spicePort} is set but ${p}.spice is false; set spice to true for a SPICE display on that port, or remove spicePort")
            ++ optional (guest.ssh && !bridged && !sshReached)
              (problem "${p}.ssh" "is true but no tcp port forward reaches guest port 22; add ${names.sshForward (free 2222)} to ${names.forwards g.index guest.name} or set ssh to false");
        };
    in
    (foldl' step start guests).out;

  # The bridge object belongs to the audio bridge (netjack-bridge run --config); its rules are
  # the format's table, in the same wording style.
  bridgeErrors = bridge:
    let p = "bridge"; in
    intRange "${p}.port" 1 65535 bridge.port
    ++ intRange "${p}.latencyPeriods" 0 10 bridge.latencyPeriods
    ++ choice "${p}.encoder" encoders bridge.encoder
    ++ intRange "${p}.mtu" 576 9000 bridge.mtu
    ++ intRange "${p}.dscp" 0 63 (bridge.dscp or null)
    ++ intRange "${p}.sessionPort" 1 65535 (bridge.sessionPort or null)
    ++ optional ((bridge.sessionPort or null) != null && bridge.sessionPort == bridge.port)
      (problem "${p}.sessionPort" "${toString bridge.sessionPort} is also bridge.port; use another port, or null for an ephemeral port per session (a session socket on the announce port would take the slave's re-announces)")
    ++ (let v = bridge.maxSessions or null; in
      if v == null then [ ]
      else if !isInt v then [ (problem "${p}.maxSessions" "${toJSON v} is not a whole number; ${maxSessionsRule}") ]
      else if v < 1 || v > maxSessions then [ (problem "${p}.maxSessions" "${toString v} is out of range; ${maxSessionsRule}") ]
      else [ ])
    ++ choice "${p}.waitStrategy" waitStrategies bridge.waitStrategy
    ++ choice "${p}.midiLongEvents" midiLongEvents (bridge.midiLongEvents or null)
    ++ choice "${p}.sendPath" sendPaths (bridge.sendPath or null)
    ++ intRange "${p}.toVmPorts" 1 64 bridge.toVmPorts
    ++ intRange "${p}.fromVmPorts" 1 64 bridge.fromVmPorts
    ++ intRange "${p}.midiToVmPorts" 0 64 bridge.midiToVmPorts
    ++ intRange "${p}.midiFromVmPorts" 0 64 bridge.midiFromVmPorts
    ++ optional (bridge.peerAddresses == [ ])
      (problem "${p}.peerAddresses" "[] is empty; list the VM's IPv4 address, such as [\"10.77.0.2\"]; packets from anyone else are dropped")
    ++ concatLists (map (a: matching "${p}.peerAddresses[${toString a.index}]" patterns.ipv4 "write an IPv4 address such as 10.77.0.2" a.value) (indexed bridge.peerAddresses))
    ++ matching "${p}.listenAddress" patterns.ipv4 "write an IPv4 address such as 0.0.0.0" bridge.listenAddress
    ++ concatLists (map (t: intRange "${p}.cpus.${t}" 0 maxCpu bridge.cpus.${t}) [ "jack" "sender" "receiver" ])
    ++ concatLists (map (t: intRange "${p}.priorities.${t}" 1 98 bridge.priorities.${t}) [ "sender" "receiver" ]);

  # Every error of a rendered document, [ ] when it is valid. vm-control reports field errors
  # and stops before the cross-field rules; here both are always computed.
  errorsNamed = names: ctx: doc:
    (let v = doc.version; in optional (v != 1) (problem "version"
      (if isInt v then "${toString v} is out of range; use a whole number from 1 to 1" else "${toJSON v} is not an integer; write a whole number from 1 to 1")))
    ++ map names.dspText (if doc.dsp != null then dspFieldErrors doc.dsp ++ dspRuleErrors ctx doc.dsp else [ ])
    ++ concatLists (genList (i: guestFieldErrorsNamed names i (elemAt doc.guests i)) (length doc.guests))
    ++ guestRuleErrorsNamed names doc
    ++ map names.dspText (if doc.bridge != null then bridgeErrors doc.bridge else [ ]);

  # vm-control's messages, with the JSON file's paths.
  errors = errorsNamed jsonNames;
  guestFieldErrors = guestFieldErrorsNamed jsonNames;
  guestRuleErrors = guestRuleErrorsNamed jsonNames;

  # The vm-control part only (what ConfigParser + ConfigValidator report), for the cross-test.
  vmControlErrors = ctx: doc: errors ctx (doc // { bridge = null; });

  vmControlWarnings = ctx: doc: warnings ctx (doc // { bridge = null; });

  warningsNamed = names: ctx: doc:
    let
      dsp = doc.dsp;
      forwardWarnings = concatLists (map
        (g: concatLists (map
          (f: optional (f.value.address != "127.0.0.1")
            (problem (names.forwardField g.index g.value.name f.index "address")
              "\"${f.value.address}\" exposes guest port ${toString f.value.guest} beyond this host; use \"127.0.0.1\" unless that is intended"))
          (indexed g.value.portForwards)))
        (indexed doc.guests));
    in
    map names.dspText (if dsp == null then [ ] else
      optional (elem 0 dsp.isolatedCores)
        (problem "dsp.isolatedCores" "${showList dsp.isolatedCores} contains CPU 0, the boot CPU, where nohz_full is only half-working; prefer other CPUs")
      ++ optional (!dsp.hugepages.enable)
        (problem "dsp.hugepages.enable" "false; guest RAM uses ordinary pages, which adds TLB misses and page faults to the DSP path; enable hugepages for real-time use")
      ++ optional (dsp.audioDevice.enable && dsp.audioDevice.pci == [ ] && dsp.audioDevice.usb == [ ])
        (problem "dsp.audioDevice" "is enabled but lists no pci or usb device; add the devices or set enable to false")
      ++ (let hp = dsp.hugepages; totalMiB = hp.count * hp.pageSizeKB / 1024; in
        optional (hp.enable && hp.count > pagesNeeded dsp && !hugepagesPastHost ctx dsp)
          (problem "dsp.hugepages.count" "${toString hp.count} pages of ${toString hp.pageSizeKB} KiB = ${toString totalMiB} MiB is more than dsp.memoryMB = ${toString dsp.memoryMB} needs; the other ${toString (totalMiB - pagesNeeded dsp * hp.pageSizeKB / 1024)} MiB stay reserved and the host cannot use them; set count to ${toString (pagesNeeded dsp)}")))
    ++ forwardWarnings
    ++ map names.dspText (if dsp == null || doc.bridge == null then [ ] else
      optional (any (t: elem doc.bridge.cpus.${t} dsp.isolatedCores) [ "jack" "sender" "receiver" ])
        (problem "bridge.cpus" "${toJSON doc.bridge.cpus} puts a bridge thread on a CPU of dsp.isolatedCores, where it competes with a vCPU; use housekeeping or other isolated CPUs")
      ++ optional (doc.bridge.latencyPeriods != dsp.netjack.latency)
        (problem "bridge.latencyPeriods" "${toString doc.bridge.latencyPeriods} differs from dsp.netjack.latency = ${toString dsp.netjack.latency}; set both to the same number of periods"));

  warnings = warningsNamed jsonNames;

  # What the NixOS modules show: the same rules, naming the options the user wrote
  # (custom.vm.quickemu.<name>.portForwards, custom.vm.dsp.archibaldOS.netjack.channels)
  # instead of the JSON file's paths (guests[1].portForwards[0].host, dsp.netjack.channels).
  nixosErrors = errorsNamed nixosNames;
  nixosWarnings = warningsNamed nixosNames;

  # Pages of dsp.hugepages.pageSizeKB that hold dsp.memoryMB, rounded up.
  pagesNeeded = dsp: (dsp.memoryMB * 1024 + dsp.hugepages.pageSizeKB - 1) / dsp.hugepages.pageSizeKB;

  # ctx.hostMemoryMB: the host's RAM in MiB (vmctl: MemTotal of /proc/meminfo; the NixOS
  # option hostMemoryMB), null when unknown.
  hugepagesPastHost = ctx: dsp:
    let hp = dsp.hugepages; in
    hp.enable && (ctx.hostMemoryMB or null) != null && hp.count * hp.pageSizeKB / 1024 > ctx.hostMemoryMB;

  # The lowest host port from `from` on that no forward of the document uses.
  freeHostPort = doc:
    let
      used = concatLists (map (g: map (f: f.host) g.portForwards) doc.guests);
      go = port: if elem port used then go (port + 1) else port;
    in
    go;

  jsonNames = {
    guest = index: name: "guests[${toString index}]";
    guestName = index: name: "guests[${toString index}].name";
    dspName = "dsp";
    forwards = index: name: "guests[${toString index}].portForwards";
    forward = index: name: j: "guests[${toString index}].portForwards[${toString j}]";
    forwardField = index: name: j: field: "guests[${toString index}].portForwards[${toString j}].${field}";
    sshForward = port: "{ \"host\": ${toString port}, \"guest\": 22 }";
    dspText = text: text;
  };

  nixosNames = {
    guest = index: name: "custom.vm.quickemu.${name}";
    # A guest's name is its attribute name; the DSP VM's is an option.
    guestName = index: name: "custom.vm.quickemu.${name}";
    dspName = "custom.vm.dsp.name";
    forwards = index: name: "custom.vm.quickemu.${name}.portForwards";
    forward = index: name: j: "custom.vm.quickemu.${name}.portForwards";
    forwardField = index: name: j: field: "custom.vm.quickemu.${name}.portForwards";
    sshForward = port: "\"${toString port}:22\"";
    # The JSON paths of the dsp and bridge objects, as the options of custom.vm.dsp that
    # render them (lib/render.nix). One left-to-right pass: replaced text is not rescanned.
    dspText = builtins.replaceStrings
      [ "dsp.netjack." "dsp.diskImage" "dsp." "bridge.port" "bridge.latencyPeriods" "bridge.toVmPorts" "bridge.fromVmPorts" "bridge.peerAddresses" "bridge." ]
      [ "custom.vm.dsp.archibaldOS.netjack." "custom.vm.dsp.archibaldOS.diskImage" "custom.vm.dsp."
        "custom.vm.dsp.archibaldOS.netjack.sourcePort" "custom.vm.dsp.archibaldOS.netjack.latency"
        "custom.vm.dsp.archibaldOS.netjack.channels" "custom.vm.dsp.archibaldOS.netjack.channels"
        "custom.vm.dsp.archibaldOS.netjack.vmAddress" "custom.vm.dsp.bridge." ];
  };
}
