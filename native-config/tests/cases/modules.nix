# The modules' glue, evaluated by nixpkgs' module system through the flake's nixosModules
# (tests/nixos.nix): kernel parameters, units, commands, the installed JSON file, the network
# link, and the guest's slave.
let
  nixos = import ../nixos.nix;
  m = nixos.modules;
  fixtures = import ../fixtures.nix;
  presets = [ m.coding-sandbox m.kali-linux m.openwrt-router ];
  configOf = modules: (nixos.host modules).config;

  readme = configOf ([ m.dsp-vm { custom.vm.dsp = fixtures.readmeDsp // { enable = true; hostCpus = 8; }; } ] ++ presets);
  passthrough = configOf [ m.dsp-vm {
    custom.vm.dsp = fixtures.readmeDsp // {
      enable = true;
      hostCpus = 8;
      cpuVendor = "amd";
      audioDevice = { enable = true; pci = [ "0000:00:1f.3" ]; };
    };
  } ];
  guestsOnly = configOf presets;
  units = readme.systemd.services;
  vmm = "${nixos.flake.packages.x86_64-linux.default}/bin";
  failing = config: map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
in
[
  {
    name = "module: kernel parameters of the README example";
    actual = readme.boot.kernelParams;
    expected = [ "isolcpus=managed_irq,domain,2-3" "nohz_full=2-3" "rcu_nocbs=2-3" "irqaffinity=0-1,4-7" "hugepagesz=2M" "hugepages=2048" ];
  }
  {
    name = "module: PCI passthrough on AMD adds iommu=pt and loads vfio-pci without binding by ID";
    actual = { params = builtins.filter (p: builtins.match ".*iommu.*" p != null) passthrough.boot.kernelParams; modules = passthrough.boot.kernelModules; };
    expected = { params = [ "iommu=pt" ]; modules = [ "vfio_pci" "vfio_iommu_type1" ]; };
  }
  {
    name = "module: the installed /etc/dsp-vm/config.json is the rendered document";
    actual = builtins.fromJSON readme.environment.etc."dsp-vm/config.json".text;
    expected = (fixtures.valid.readme-dsp.doc // { guests = fixtures.valid.all-presets.doc.guests; });
  }
  {
    name = "module: a valid host with all presets has no failing assertion and no warning";
    actual = { assertions = failing readme; warnings = readme.warnings; };
    expected = { assertions = [ ]; warnings = [ ]; };
  }
  {
    name = "module: dsp-vm unit runs vmctl in the foreground on housekeeping CPUs and stops it gracefully";
    actual = {
      inherit (units.dsp-vm.serviceConfig) Type ExecStart ExecStop CPUAffinity LimitMEMLOCK RuntimeDirectory RuntimeDirectoryMode Group Restart;
      inherit (units.dsp-vm) wantedBy restartIfChanged;
    };
    expected = {
      Type = "simple";
      ExecStart = "${vmm}/vmctl start dsp";
      ExecStop = "${vmm}/vmctl stop dsp";
      CPUAffinity = "0-1,4-7";
      LimitMEMLOCK = "infinity";
      RuntimeDirectory = "dsp-vm";
      RuntimeDirectoryMode = "0750";
      Group = "audio";
      Restart = "on-failure";
      wantedBy = [ "multi-user.target" ];
      restartIfChanged = false;
    };
  }
  {
    name = "module: netjack-bridge is Type=notify with RT and memlock limits on housekeeping CPUs";
    actual = {
      inherit (units.netjack-bridge.serviceConfig) Type NotifyAccess ExecStart LimitRTPRIO LimitMEMLOCK CPUAffinity User Group UMask WatchdogSec SuccessExitStatus;
      inherit (units.netjack-bridge) after;
    };
    expected = {
      Type = "notify";
      NotifyAccess = "main";
      ExecStart = "${vmm}/netjack-bridge run --config /etc/dsp-vm/config.json";
      LimitRTPRIO = "95";
      LimitMEMLOCK = "infinity";
      CPUAffinity = "0-1,4-7";
      User = "netjack-bridge";
      Group = "audio";
      UMask = "0007";
      WatchdogSec = "10s";
      SuccessExitStatus = "143";
      after = [ "network.target" "dsp-vm.service" ];
    };
  }
  {
    name = "module: one quickemu unit per guest, each supervised by vmctl";
    actual = builtins.mapAttrs (name: unit: unit.serviceConfig.ExecStart)
      (builtins.removeAttrs units [ "dsp-vm" "netjack-bridge" ]);
    expected = {
      quickemu-coding-sandbox = "${vmm}/vmctl start coding-sandbox";
      quickemu-kali-linux = "${vmm}/vmctl start kali-linux";
      quickemu-openwrt-router = "${vmm}/vmctl start openwrt-router";
    };
  }
  {
    name = "module: the operator commands come from the package on PATH";
    actual = map toString readme.environment.systemPackages;
    expected = [ "${nixos.flake.packages.x86_64-linux.default}" ];
  }
  {
    name = "module: the host-only tap link gets hostAddress and opens only the NetJack2 port on it";
    actual = { iface = readme.networking.interfaces.dsp0; fw = readme.networking.firewall.interfaces.dsp0; };
    expected = {
      iface = { virtual = true; virtualType = "tap"; ipv4.addresses = [ { address = "10.77.0.1"; prefixLength = 24; } ]; };
      fw = { allowedTCPPorts = [ ]; allowedUDPPorts = [ 19000 ]; };
    };
  }
  {
    name = "module: a bridged guest gets the setuid bridge helper and an allow line";
    actual = { helper = guestsOnly.security.wrappers.qemu-bridge-helper.source; conf = guestsOnly.environment.etc."qemu/bridge.conf".text; };
    expected = { helper = "/nix/store/stub-qemu/libexec/qemu-bridge-helper"; conf = "allow br0\n"; };
  }
  {
    name = "module: guests only install the file without dsp and bridge, and no DSP units";
    actual = {
      doc = builtins.fromJSON guestsOnly.environment.etc."dsp-vm/config.json".text;
      units = builtins.attrNames guestsOnly.systemd.services;
      kernelParams = guestsOnly.boot.kernelParams or [ ];
    };
    expected = {
      doc = fixtures.valid.all-presets.doc;
      units = [ "quickemu-coding-sandbox" "quickemu-kali-linux" "quickemu-openwrt-router" ];
      kernelParams = [ ];
    };
  }
  {
    name = "guest module: netjack-slave runs jackd -d net toward the host through the kernel command line's words";
    actual = let u = (configOf [ m.archibaldos-dsp-audio { custom.archibaldos.dspAudio.enable = true; } ]).systemd.services.netjack-slave; in {
      inherit (u.serviceConfig) ExecStart;
      inherit (u) after bindsTo path;
      pre = u.serviceConfig ? ExecStartPre;
    };
    expected = {
      ExecStart = "/nix/store/stub-netjack-cmdline jackd /nix/store/stub-jack2/bin/jackd --name default --realtime --realtime-priority 70 --sync -d net -a 10.77.0.1 -p 19000 -M 1500 -C 2 -P 2 -i 0 -o 0 -n dsp-vm -l 1";
      after = [ "network-online.target" ];
      bindsTo = [ ];
      path = [ ];
      pre = false;
    };
  }
  {
    name = "guest module: with an interface, a root ExecStartPre gives it netjack.ip or vmAddress; networking.interfaces stays empty";
    actual = let
      c = configOf [ m.archibaldos-dsp-audio {
        custom.archibaldos.dspAudio = { enable = true; network = { interface = "dsp-link"; vmAddress = "10.77.0.5"; prefixLength = 24; }; };
      } ];
      u = c.systemd.services.netjack-slave;
    in {
      inherit (u.serviceConfig) ExecStartPre User;
      inherit (u) after bindsTo;
      path = map (d: d.name) u.path;
      interfaces = c.networking.interfaces;
    };
    expected = {
      ExecStartPre = "+/nix/store/stub-netjack-cmdline address dsp-link 10.77.0.5 24 10.77.0.1";
      User = "dsp-audio";
      after = [ "network-online.target" "sys-subsystem-net-devices-dsp\\x2dlink.device" ];
      bindsTo = [ "sys-subsystem-net-devices-dsp\\x2dlink.device" ];
      path = [ "iproute2" ];
      interfaces = { };
    };
  }
  {
    name = "guest module: fromKernelCommandLine = false runs the static argv and sets the address through networking.interfaces";
    actual = let
      c = configOf [ m.archibaldos-dsp-audio ../../examples/dsp-guest.nix { custom.archibaldos.dspAudio.fromKernelCommandLine = false; } ];
      u = c.systemd.services.netjack-slave;
    in {
      inherit (u.serviceConfig) ExecStart;
      inherit (u) bindsTo path;
      pre = u.serviceConfig ? ExecStartPre;
      interfaces = c.networking.interfaces;
    };
    expected = {
      ExecStart = "/nix/store/stub-jack2/bin/jackd --name default --realtime --realtime-priority 70 --sync -d net -a 10.77.0.1 -p 19000 -M 1500 -C 2 -P 2 -i 0 -o 0 -n dsp-vm -l 1";
      bindsTo = [ ];
      path = [ ];
      pre = false;
      interfaces.ens3.ipv4.addresses = [ { address = "10.77.0.2"; prefixLength = 24; } ];
    };
  }
]
