# custom.vm.dsp: the real-time DSP coprocessor VM on isolated CPUs, and the host side of its
# audio link (netjack-bridge, a NetJack2 master). The options keep the original README's names
# (enable, isolatedCores, memoryMB, hugepages, archibaldOS.*, audioDevice.enable) and add what
# a working system needs. All logic is in ../lib (pure, tested); this file maps options to it.
{ config, lib, pkgs, ... }:
let
  vmlib = import ../lib;
  inherit (vmlib) settings validate render kernel cpus;
  d = settings.dspDefaults;
  cfg = config.custom.vm.dsp;
  vm = config.custom.vm;
  t = lib.types;
  p = validate.patterns;

  option = type: default: description: lib.mkOption { inherit type default description; };

  safePath = t.strMatching p.safePath;
  ipv4 = t.strMatching p.ipv4;
  ifname = t.strMatching p.ifname;

  hugepagesType = t.coercedTo t.ints.unsigned settings.hugepagesFromCount (t.submodule {
    options = {
      enable = option t.bool d.hugepages.enable "Back guest RAM with hugepages reserved at boot.";
      pageSizeKB = option (t.enum validate.pageSizesKB) d.hugepages.pageSizeKB
        "Hugepage size in KiB: 2048 (2 MiB) or 1048576 (1 GiB; needs pdpe1gb).";
      count = option (t.nullOr t.ints.unsigned) d.hugepages.count
        "Pages to reserve at boot; null reserves exactly enough for memoryMB.";
    };
  });

  # The programs the units run (the Java package's launchers).
  vmctl = "${vm.package}/bin/vmctl";
  netjackBridge = "${vm.package}/bin/netjack-bridge";

  housekeeping = render.housekeepingCores cfg;
  hugepageCount = render.hugepageCount cfg;
  passthroughPci = cfg.audioDevice.enable && cfg.audioDevice.pci != [ ];
  nj = cfg.archibaldOS.netjack;
  useTap = cfg.network.type == "tap";
  jackd = config.services.jack.jackd.enable or false;
  bridgeDoc = render.bridgeSection cfg;
  defaultBridgeUser = cfg.bridge.user == d.bridge.user;
  # Units start on the housekeeping CPUs (the bridge pins its real-time threads itself,
  # bridge.cpus); with hostCpus unknown and none given, they are left to isolcpus.
  pinned = lib.optionalAttrs (housekeeping != [ ]) { CPUAffinity = cpus.format housekeeping; };
in
{
  imports = [ ./common.nix ];

  options.custom.vm.dsp = {
    enable = lib.mkEnableOption "the real-time DSP coprocessor VM and its NetJack2 audio bridge";

    autoStart = option t.bool d.autoStart ''
      Start the VM at boot. With false the unit exists but starts only with
      `systemctl start dsp-vm`; kernel isolation (isolation.enable) is configured either way.
    '';

    name = option (t.strMatching p.name) d.name
      "The VM's name (QEMU process name, sockets under /run/dsp-vm, `vmctl status <name>`).";

    hostCpus = lib.mkOption {
      type = t.nullOr t.ints.positive;
      default = d.hostCpus;
      example = 8;
      description = ''
        Number of logical CPUs of this host (`nproc --all`), if you want Nix to know it. With it,
        the kernel command line gets irqaffinity (the complement of isolatedCores within CPUs
        0..hostCpus-1) and the units get the housekeeping CPUs as CPUAffinity, and CPU numbers
        are checked at build time. null (the default): irqaffinity is left out (isolcpus'
        managed_irq still keeps managed interrupts off the isolated CPUs), the units are not
        pinned (isolcpus keeps unpinned tasks off the isolated CPUs), and vmctl computes the
        housekeeping CPUs from the running host and checks the CPUs at start; a warning says so.
      '';
    };

    hostMemoryMB = lib.mkOption {
      type = t.nullOr t.ints.positive;
      default = null;
      example = 32768;
      description = ''
        This host's RAM in MiB (`free -m`), if you want hugepages checked at build time: pages
        past it are an error (the kernel would reserve them at boot). null: vmctl checks against
        /proc/meminfo when the VM starts; pages past what memoryMB needs are a warning either way.
      '';
    };

    isolatedCores = lib.mkOption {
      type = t.listOf t.ints.unsigned;
      default = d.isolatedCores;
      example = [ 2 3 ];
      description = ''
        Host CPUs for the VM's vCPUs, one per vCPU (vCPU i is pinned to the i-th CPU at
        SCHED_FIFO 1). No default: pick whole cores (SMT siblings together), not CPU 0.
      '';
    };

    housekeepingCores = lib.mkOption {
      type = t.nullOr (t.listOf t.ints.unsigned);
      default = d.housekeepingCores;
      example = [ 0 1 ];
      description = ''
        CPUs for QEMU's emulator and I/O threads, vmctl and the bridge's units (their
        CPUAffinity). null: every host CPU that is not isolated.
      '';
    };

    cpuVendor = lib.mkOption {
      type = t.nullOr (t.enum validate.cpuVendors);
      default = d.cpuVendor;
      description = ''
        The host CPU's vendor, which decides the IOMMU kernel parameters when PCI devices are
        passed through (Intel: intel_iommu=on iommu=pt; AMD: iommu=pt, its IOMMU is on by
        default). Required when audioDevice.pci is not empty.
      '';
    };

    isolation.enable = option t.bool d.isolation.enable ''
      Add isolcpus (managed_irq,domain), nohz_full, rcu_nocbs and irqaffinity to the kernel
      command line. Takes effect at the next boot; `vmctl doctor` compares the running
      command line with the configured one.
    '';

    memoryMB = option (t.ints.between 256 1048576) d.memoryMB "Guest RAM in MiB.";

    hugepages = lib.mkOption {
      type = hugepagesType;
      default = { };
      example = 2048;
      description = ''
        Hugepages reserved on the kernel command line. An integer is accepted as in the
        original module and means that many 2 MiB pages; the attribute set form also chooses
        1 GiB pages. Pages × size must cover memoryMB.
      '';
    };

    archibaldOS = {
      enable = option t.bool d.archibaldOS.enable ''
        The guest is ArchibaldOS (its dsp-vm-qcow2 image is BIOS/MBR): firmware defaults to
        "bios", and "uefi" is refused. Set false for another guest image.
      '';
      diskImage = option safePath d.archibaldOS.diskImage ''
        The guest's disk image on the host, an absolute path given as a string (a path literal
        would copy the image into the Nix store).
      '';
      netjack = {
        enable = option t.bool d.archibaldOS.netjack.enable
          "Run the host bridge (netjack-bridge.service), a NetJack2 master for the VM's slave.";
        sourcePort = option t.port d.archibaldOS.netjack.sourcePort
          "UDP port of the NetJack2 session (19000 is NetJack2's; the original's 4713 is PulseAudio's).";
        bufferSize = option (t.enum validate.bufferSizes) d.archibaldOS.netjack.bufferSize
          "Period in frames: a power of two from 16 to 4096 (128 = 1.333 ms at 96 kHz).";
        sampleRate = option (t.enum validate.sampleRates) d.archibaldOS.netjack.sampleRate
          "Sample rate in Hz.";
        channels = option (t.ints.between 1 64) d.archibaldOS.netjack.channels
          "Audio channels in each direction.";
        latency = option (t.ints.between 0 10) d.archibaldOS.netjack.latency
          "Periods of delay between sending a cycle to the VM and playing its result (0 = same cycle).";
        vmAddress = option ipv4 d.archibaldOS.netjack.vmAddress "The VM's address on the host-only link.";
        hostAddress = option ipv4 d.archibaldOS.netjack.hostAddress "The host's address on that link.";
        prefixLength = option (t.ints.between 1 30) d.archibaldOS.netjack.prefixLength
          "Prefix length of the link's subnet, for the host's tap address.";
      };
    };

    firmware = lib.mkOption {
      type = t.enum validate.firmwares;
      default = if cfg.archibaldOS.enable then "bios" else "uefi";
      defaultText = lib.literalExpression ''if archibaldOS.enable then "bios" else "uefi"'';
      description = "Guest firmware. It must match the image: ArchibaldOS's image boots by BIOS.";
    };

    ovmfCode = lib.mkOption {
      type = t.nullOr safePath;
      default = if cfg.firmware == "uefi" then "${pkgs.OVMF.fd}/FV/OVMF_CODE.fd" else null;
      defaultText = lib.literalExpression ''if firmware == "uefi" then "''${pkgs.OVMF.fd}/FV/OVMF_CODE.fd" else null'';
      description = "OVMF code file for UEFI guests.";
    };

    kernel = option (t.nullOr safePath) null ''
      Boot this kernel directly (QEMU -kernel) instead of archibaldOS.diskImage, as
      microVM-style guests do. vmctl appends the guest's NetJack2 parameters (netjack.*) to its
      command line (docs/config-format.md).
    '';
    initrd = option (t.nullOr safePath) null "The initramfs for `kernel` (QEMU -initrd), or null.";
    kernelParams = option (t.listOf (t.strMatching "[!#-&(-~]{1,256}")) [ ]
      "Kernel command line words for `kernel`, before vmctl's netjack.* words.";

    audioDevice = {
      enable = option t.bool d.audioDevice.enable ''
        Pass audio hardware through to the VM. vmctl binds each PCI function to vfio-pci with
        driver_override when the VM starts (IOMMU group checked) and gives it back on stop;
        nothing is claimed by ID at boot.
      '';
      pci = lib.mkOption {
        type = t.listOf (t.strMatching p.pciBdf);
        default = d.audioDevice.pci;
        example = [ "0000:00:1f.3" ];
        description = "PCI functions (full lower-case BDF, see `lspci -D`).";
      };
      usb = lib.mkOption {
        type = t.listOf (t.strMatching p.usbId);
        default = d.audioDevice.usb;
        example = [ "1235:8210" ];
        description = "USB devices as vendor:product in lower-case hex (see `lsusb`).";
      };
    };

    network = {
      type = option (t.enum validate.dspNetworkTypes) d.network.type ''
        "tap": a host-only link on the tap interface below, created by this module with
        hostAddress. "bridge": the VM joins an existing host bridge. NetJack2 never runs over
        slirp (no multicast, an extra copy per packet).
      '';
      tap = option ifname d.network.tap "Name of the tap interface (type \"tap\").";
      bridge = option (t.nullOr ifname) d.network.bridge "Name of the host bridge (type \"bridge\").";
      mac = option (t.strMatching p.mac) d.network.mac "The VM's MAC address.";
    };

    bridge = {
      clientName = option (t.strMatching "[A-Za-z0-9_.-]{1,63}") d.bridge.clientName
        "JACK client name of the bridge on the host (ports appear as <clientName>:…).";
      midiToVmPorts = option (t.ints.between 0 64) d.bridge.midiToVmPorts "MIDI ports to the VM.";
      midiFromVmPorts = option (t.ints.between 0 64) d.bridge.midiFromVmPorts "MIDI ports from the VM.";
      listenAddress = option ipv4 d.bridge.listenAddress
        "Address the bridge listens on; packets from anyone but vmAddress are dropped and counted.";
      encoder = option (t.enum validate.encoders) d.bridge.encoder "Sample encoding on the wire.";
      mtu = option (t.ints.between 576 9000) d.bridge.mtu "MTU of the VM link.";
      dscp = option (t.ints.between 0 63) d.bridge.dscp ''
        DSCP class of every NetJack2 datagram of the bridge (IP TOS = dscp * 4): 34 (AF41, the
        AES67 media class, as PipeWire's netjack2 modules), 46 (EF, as JACK2), 0 unmarked.
      '';
      sessionPort = option (t.nullOr (t.ints.between 1 65535)) d.bridge.sessionPort ''
        Local UDP port of the bridge's session socket, which sends and receives the audio (the
        announce port is dsp.archibaldOS.netjack.sourcePort). null: an ephemeral port per
        session, as JACK2's master; a stateful firewall passes it, as the bridge sends first.
        Set it for a firewall that needs a fixed port; this module then opens it on the VM's
        link as it opens the announce port. Must differ from the announce port.
      '';
      jackServer = option (t.nullOr t.str) d.bridge.jackServer "JACK server name; null for the default server.";
      maxSessions = option (t.nullOr (t.ints.between 1 validate.maxSessions)) d.bridge.maxSessions ''
        Slaves the bridge serves at once (1 … 8). A slave is its address and its name; the
        session's own slave announcing again (its VM rebooted) replaces its session. With 1 (the
        bridge's default) another slave is refused while the session plays: never answered, and
        counted ("announces refused (sessions in use)"). Above 1, each further slave gets its own
        JACK client named after it (clientName-<slave name>) and its own counters file beside
        countersFile (counters.session2.dat …). null: not rendered (the bridge's default, 1).
      '';
      sendPath = option (t.nullOr (t.enum validate.sendPaths)) d.bridge.sendPath ''
        Which thread encodes and sends each period's datagrams to the VM: "period" the JACK
        thread itself (fewer wake-ups and system calls), "sender" the nj-sender thread woken by
        it, "auto" the JACK thread at L = 0 and the sender thread at L >= 1 (what measured best
        side by side with JACK2's netmanager; bench/README.md). The bytes on the wire are the
        same. null: not rendered (the bridge's default, auto).
      '';
      midiLongEvents = option (t.nullOr (t.enum validate.midiLongEvents)) d.bridge.midiLongEvents ''
        MIDI events longer than 4 bytes (SysEx) on the wire: "drop" (the bridge's default) drops
        them both ways and counts them in lost events, because JACK2 1.9.21/1.9.22 slaves corrupt
        them and write them to an unrelated address; "send" carries them out of line, for a
        slave that reads them correctly (PipeWire's netjack2 driver, netjack-bridge slave with
        --midi-long-events send). NetJack2 cannot tell the two kinds of slave apart.
        null: not rendered (the bridge's default, drop).
      '';
      multicastInterface = option (t.nullOr ifname) d.bridge.multicastInterface ''
        Interface on which the bridge joins the multicast group, to hear a slave that announces
        there (JACK2's `jackd -d net` without -a, PipeWire's netjack2 driver by default); usually
        the VM's tap or bridge. Announces are still accepted only from vmAddress, and answered
        unicast. null: unicast only (the VM's slave names the host's address).
      '';
      multicastGroup = option (t.strMatching p.ipv4) d.bridge.multicastGroup
        "Multicast group slaves announce on (JACK2's and PipeWire's default 225.3.19.154).";
      cpus = lib.genAttrs [ "jack" "sender" "receiver" ] (thread: option (t.nullOr t.ints.unsigned) null
        "CPU for the bridge's ${thread} thread; null: a housekeeping CPU.");
      priorities = lib.genAttrs [ "sender" "receiver" ] (thread: option (t.ints.between 1 98) d.bridge.priorities.${thread}
        "SCHED_FIFO priority of the bridge's ${thread} thread.");
      waitStrategy = option (t.enum validate.waitStrategies) d.bridge.waitStrategy ''
        How the network threads wait. "busy-spin" only on CPUs of their own, and never at
        SCHED_FIFO (the kernel throttles real-time threads that never sleep).
      '';
      mlockall = option t.bool d.bridge.mlockall "Lock the bridge's memory (LimitMEMLOCK=infinity is set).";
      rtprioLimit = option (t.ints.between 1 99) d.bridge.rtprioLimit ''
        LimitRTPRIO of the bridge unit: the highest real-time priority it may use, for its own
        threads and the JACK process thread that libjack creates in it.
      '';
      user = option t.str d.bridge.user ''
        User of netjack-bridge.service. The default is a system user created here, in the
        audio group. To bridge into a desktop user's PipeWire, use that user and set
        environment.XDG_RUNTIME_DIR = "/run/user/<uid>".
      '';
      environment = option (t.attrsOf t.str) d.bridge.environment "Extra environment of the bridge (for example XDG_RUNTIME_DIR).";
    };
  };

  config = lib.mkIf cfg.enable (lib.mkMerge [
    {
      custom.vm.sections.dsp = cfg;

      warnings = lib.optional (cfg.hostCpus == null && cfg.housekeepingCores == null && cfg.isolation.enable)
        "custom.vm.dsp.hostCpus is not set, so the kernel command line has no irqaffinity (interrupts that are not kernel-managed may land on the isolated CPUs ${cpus.format cfg.isolatedCores}) and the units have no CPUAffinity (isolcpus keeps them off the isolated CPUs; vmctl computes the housekeeping CPUs and checks isolatedCores on the running host at start); set hostCpus to this host's `nproc --all` to add irqaffinity=<the other CPUs>.";

      assertions = [
        {
          assertion = !passthroughPci || cfg.cpuVendor != null;
          message = "custom.vm.dsp.cpuVendor is not set but audioDevice.pci passes PCI devices through: set \"intel\" or \"amd\" so the IOMMU is enabled the right way.";
        }
        {
          assertion = !(cfg.archibaldOS.enable && cfg.firmware == "uefi");
          message = "custom.vm.dsp.firmware = \"uefi\" but archibaldOS.enable = true: the ArchibaldOS image is BIOS/MBR and does not boot under OVMF; use firmware = \"bios\", or set archibaldOS.enable = false for a UEFI image.";
        }
        {
          assertion = cfg.bridge.priorities.sender <= cfg.bridge.rtprioLimit && cfg.bridge.priorities.receiver <= cfg.bridge.rtprioLimit;
          message = "custom.vm.dsp.bridge.priorities exceed bridge.rtprioLimit = ${toString cfg.bridge.rtprioLimit}; lower the priorities or raise the limit.";
        }
      ];

      # Kernel command line: isolation, IOMMU, hugepages (lib/kernel.nix).
      boot.kernelParams = kernel.params {
        isolatedCores = cfg.isolatedCores;
        hostCpuCount = cfg.hostCpus;
        isolation = cfg.isolation.enable;
        iommu = passthroughPci && cfg.cpuVendor != null;
        cpuVendor = cfg.cpuVendor;
        hugepages = if cfg.hugepages.enable then { inherit (cfg.hugepages) pageSizeKB; count = hugepageCount; } else null;
      };
      # Keep timers from migrating onto the isolated CPUs (tuned realtime profile).
      boot.kernel.sysctl."kernel.timer_migration" = lib.mkIf cfg.isolation.enable 0;
      # vfio-pci is loaded, never bound by ID: vmctl binds each listed function at VM start.
      boot.kernelModules = lib.optionals passthroughPci [ "vfio_pci" "vfio_iommu_type1" ];

      systemd.services.dsp-vm = {
        description = "DSP coprocessor VM ${cfg.name} (QEMU supervised by vmctl)";
        wantedBy = lib.optional cfg.autoStart "multi-user.target";
        after = [ "network.target" "systemd-modules-load.service" "dev-hugepages.mount" ]
          ++ lib.optional useTap "${cfg.network.tap}-netdev.service";
        path = [ vm.qemuPackage pkgs.util-linux ];
        # A rebuild must not reboot the audio VM under the operator; restart it deliberately.
        restartIfChanged = false;
        unitConfig = {
          StartLimitIntervalSec = 600;
          StartLimitBurst = 3;
        };
        serviceConfig = {
          # vmctl stays in the foreground: preflight, VFIO binding, QEMU started paused with
          # housekeeping affinity, each vCPU pinned 1:1 at SCHED_FIFO 1, then `cont`.
          Type = "simple";
          ExecStart = "${vmctl} start ${cfg.name}";
          # Graceful: QMP system_powerdown, wait for SHUTDOWN, quit; a kill only after the timeout.
          ExecStop = "${vmctl} stop ${cfg.name}";
          TimeoutStopSec = "120s";
          KillMode = "mixed";
          Restart = "on-failure";
          # Exit 4: preflight refused the launch (vmctl --help); restarting cannot fix the host.
          RestartPreventExitStatus = "4";
          RestartSec = "10s";
          LimitMEMLOCK = "infinity";
          # Root with the audio group: /run/dsp-vm and the sockets QEMU creates there belong to
          # group audio, so operators reach the tools QMP and serial console sockets (0660) while
          # the supervisor's own QMP socket stays 0600; others get nothing.
          Group = "audio";
          RuntimeDirectory = "dsp-vm";
          RuntimeDirectoryMode = "0750";
          StateDirectory = "dsp-vm";
          LogsDirectory = "dsp-vm";
          LogsDirectoryMode = "0750";
          PrivateTmp = true;
        } // pinned;
      };
    }

    (lib.mkIf useTap {
      # A host-only link for NetJack2: the host end gets hostAddress, QEMU opens the tap.
      networking.interfaces.${cfg.network.tap} = {
        virtual = true;
        virtualType = "tap";
        ipv4.addresses = [ { address = nj.hostAddress; prefixLength = nj.prefixLength; } ];
      };
      networking.firewall.interfaces.${cfg.network.tap}.allowedUDPPorts =
        lib.optionals nj.enable ([ nj.sourcePort ] ++ lib.optional (cfg.bridge.sessionPort != null) cfg.bridge.sessionPort);
    })

    # On a host bridge the VM's NetJack2 packets reach the host on that bridge: open the port
    # there only (the bridge drops senders other than vmAddress). The bridge and the host's
    # address on it (hostAddress) are the user's; this module does not create them.
    (lib.mkIf (!useTap && cfg.network.bridge != null) {
      networking.firewall.interfaces.${cfg.network.bridge}.allowedUDPPorts =
        lib.optionals nj.enable ([ nj.sourcePort ] ++ lib.optional (cfg.bridge.sessionPort != null) cfg.bridge.sessionPort);
    })

    (lib.mkIf nj.enable {
      users.users = lib.mkIf defaultBridgeUser {
        netjack-bridge = {
          isSystemUser = true;
          group = "audio";
          extraGroups = lib.optional jackd "jackaudio";
          description = "netjack-bridge service";
        };
      };

      # The live counters file, readable by the audio group (dsp-status).
      systemd.tmpfiles.rules = [ "d /dev/shm/netjack-bridge 0750 ${cfg.bridge.user} audio - -" ];

      systemd.services.netjack-bridge = {
        description = "NetJack2 master bridging the host's JACK graph to the DSP VM ${cfg.name}";
        wantedBy = [ "multi-user.target" ];
        # After, not Requires: the bridge keeps its JACK ports while the VM is down and
        # re-attaches when the VM's slave announces itself again.
        after = [ "network.target" "dsp-vm.service" ] ++ lib.optional jackd "jack.service";
        wants = lib.optional jackd "jack.service";
        restartTriggers = [ (builtins.toJSON bridgeDoc) ];
        environment = {
          JACK_NO_AUDIO_RESERVATION = "1";
        } // lib.optionalAttrs jackd {
          JACK_PROMISCUOUS_SERVER = "jackaudio";
        } // cfg.bridge.environment;
        serviceConfig = {
          Type = "notify";
          NotifyAccess = "main";
          ExecStart = "${netjackBridge} run --config ${vm.configFile}";
          User = cfg.bridge.user;
          Group = "audio";
          Restart = "on-failure";
          RestartSec = "2s";
          # The bridge sends WATCHDOG=1 from its stats thread at half this interval; a hung
          # service is restarted.
          WatchdogSec = "10s";
          # A JVM that stopped cleanly on SIGTERM exits with 128 + 15.
          SuccessExitStatus = "143";
          LimitRTPRIO = toString cfg.bridge.rtprioLimit;
          LimitMEMLOCK = "infinity";
          RuntimeDirectory = "netjack-bridge";
          RuntimeDirectoryMode = "0750";
          StateDirectory = "netjack-bridge";
          StateDirectoryMode = "0750";
          # The control socket and counters stay group-accessible: dsp-status and
          # dsp-netjack-restart work for operators in the audio group.
          UMask = "0007";
          NoNewPrivileges = true;
          ProtectSystem = "full";
          PrivateTmp = true;
        } // pinned;
      };
    })
  ]);
}
