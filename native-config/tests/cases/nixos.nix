# What a user's `nixos-rebuild` sees, through nixpkgs' module system and the flake's
# nixosModules (tests/nixos.nix): the defects of issue 15, each as written by a user, and the
# seed document's own examples.
let
  nixos = import ../nixos.nix;
  m = nixos.modules;
  fixtures = import ../fixtures.nix;

  # The seed document's quick-start DSP VM, exactly as written there (no hostCpus).
  seedDsp = {
    custom.vm.dsp = {
      enable = true;
      isolatedCores = [ 0 1 ];
      memoryMB = 4096;
      archibaldOS = {
        enable = true;
        netjack.enable = true;
      };
    };
  };

  # The seed document's quickemu examples: the original module's one-guest form.
  seedSandbox = {
    custom.vm.quickemu = {
      enable = true;
      name = "coding-sandbox";
      cores = 1;
      memory = 3072;
      diskSize = "64G";
      ssh = true;
      portForwards = [ "2222:22" ];
    };
  };
  seedKali = {
    custom.vm.quickemu = {
      enable = true;
      name = "kali-linux";
      cores = 1;
      memory = 4096;
      diskSize = "80G";
      spice = true;
      ssh = true;
    };
  };

  dsp = settings: { custom.vm.dsp = { enable = true; hostCpus = 8; isolatedCores = [ 2 3 ]; } // settings; };
  outcome = modules: let h = nixos.host modules; in { inherit (h) failed warnings forced; };
  singletonWarning = name: file:
    "custom.vm.quickemu = { name = \"${name}\"; … } (in ${file}) is the original module's one-guest form; it is read as custom.vm.quickemu.${name} = { … }. Write it that way, without `name`: each guest is an entry of custom.vm.quickemu.<name>, so several can exist.";
in
[
  {
    name = "nixos: a DSP VM on a bridge without a bridge name shows the assertion, and the build does not crash";
    actual = outcome [ m.dsp-vm (dsp { network.type = "bridge"; }) ];
    expected = {
      failed = [ "custom.vm.dsp.network.bridge: is missing but custom.vm.dsp.network.type is \"bridge\"; name the host bridge, such as \"br0\"" ];
      warnings = [ ];
      forced = true;
    };
  }
  {
    name = "nixos: a bridged DSP VM opens the NetJack2 port on that bridge only, and allows QEMU on it";
    actual = let c = (nixos.host [ m.dsp-vm (dsp { network = { type = "bridge"; bridge = "br0"; }; }) ]).config; in {
      fw = c.networking.firewall.interfaces;
      global = c.networking.firewall.allowedUDPPorts;
      conf = c.environment.etc."qemu/bridge.conf".text;
      tap = c.networking.interfaces;
    };
    expected = {
      fw = { br0 = { allowedTCPPorts = [ ]; allowedUDPPorts = [ 19000 ]; }; };
      global = [ ];
      conf = "allow br0\n";
      tap = { };
    };
  }
  {
    name = "nixos: 100000 hugepages for a 4 GiB VM are a warning with the right count";
    actual = let h = nixos.host [ m.dsp-vm (dsp { memoryMB = 4096; hugepages = 100000; }) ]; in {
      inherit (h) failed warnings;
      params = builtins.filter (p: builtins.match "hugepages=.*" p != null) h.config.boot.kernelParams;
    };
    expected = {
      failed = [ ];
      warnings = [ "custom.vm.dsp.hugepages.count: 100000 pages of 2048 KiB = 200000 MiB is more than custom.vm.dsp.memoryMB = 4096 needs; the other 195904 MiB stay reserved and the host cannot use them; set count to 2048" ];
      params = [ "hugepages=100000" ];
    };
  }
  {
    name = "nixos: hugepages past hostMemoryMB are an error";
    actual = outcome [ m.dsp-vm (dsp { memoryMB = 4096; hugepages = 100000; hostMemoryMB = 32768; }) ];
    expected = {
      failed = [ "custom.vm.dsp.hugepages.count: 100000 pages of 2048 KiB = 200000 MiB is more than this host's memory (32768 MiB); set count to 2048, what custom.vm.dsp.memoryMB = 4096 needs" ];
      warnings = [ ];
      forced = true;
    };
  }
  {
    name = "nixos: exactly the pages memoryMB needs, and hostMemoryMB above them, give no message";
    actual = outcome [ m.dsp-vm (dsp { memoryMB = 4096; hugepages = 2048; hostMemoryMB = 16384; }) ];
    expected = { failed = [ ]; warnings = [ ]; forced = true; };
  }
  {
    name = "nixos: the seed's DSP example (no hostCpus) builds, warns what is lost, and leaves irqaffinity out";
    actual = let h = nixos.host [ m.dsp-vm seedDsp ]; in {
      inherit (h) failed warnings forced;
      params = h.config.boot.kernelParams;
      affinity = map (u: u.serviceConfig.CPUAffinity or null) [ h.config.systemd.services.dsp-vm h.config.systemd.services.netjack-bridge ];
      housekeeping = (builtins.fromJSON h.config.environment.etc."dsp-vm/config.json".text).dsp.housekeepingCores;
    };
    expected = {
      failed = [ ];
      warnings = [
        "custom.vm.dsp.isolatedCores: [0, 1] contains CPU 0, the boot CPU, where nohz_full is only half-working; prefer other CPUs"
        "custom.vm.dsp.hostCpus is not set, so the kernel command line has no irqaffinity (interrupts that are not kernel-managed may land on the isolated CPUs 0-1) and the units have no CPUAffinity (isolcpus keeps them off the isolated CPUs; vmctl computes the housekeeping CPUs and checks isolatedCores on the running host at start); set hostCpus to this host's `nproc --all` to add irqaffinity=<the other CPUs>."
      ];
      forced = true;
      params = [ "isolcpus=managed_irq,domain,0-1" "nohz_full=0-1" "rcu_nocbs=0-1" "hugepagesz=2M" "hugepages=2048" ];
      affinity = [ null null ];
      housekeeping = [ ];
    };
  }
  {
    name = "nixos: the seed's one-guest quickemu form is read as the guest it names, with a warning";
    actual = let h = nixos.host [ m.quickemu-vm seedSandbox ]; in {
      inherit (h) failed forced;
      warnings = map (w: builtins.replaceStrings [ "<unknown-file>" ] [ "FILE" ] w) h.warnings;
      guests = builtins.attrNames h.config.custom.vm.quickemu;
      units = builtins.attrNames h.config.systemd.services;
      doc = (builtins.fromJSON h.config.environment.etc."dsp-vm/config.json".text).guests;
    };
    expected = {
      failed = [ ];
      forced = true;
      warnings = [ (singletonWarning "coding-sandbox" "FILE") ];
      guests = [ "coding-sandbox" ];
      units = [ "quickemu-coding-sandbox" ];
      doc = [ (builtins.head fixtures.valid.coding-sandbox.doc.guests // { memory = "3072M"; }) ];
    };
  }
  {
    name = "nixos: the one-guest form without a name fails with a message that shows the per-guest form";
    actual = (nixos.host [ m.quickemu-vm { custom.vm.quickemu = { enable = true; cores = 2; network.type = "nat"; }; } ]).forced;
    expectedError = "custom.vm.quickemu: cores, enable are a guest's options set without naming the guest. Each guest is an entry of custom.vm.quickemu.<name>: write custom.vm.quickemu.coding-sandbox = { cores = …; enable = …; }; (or add name = \"coding-sandbox\"; to this set, the original module's one-guest form).";
  }
  {
    name = "nixos: two one-guest definitions from two files are two guests";
    actual = let h = nixos.host [ m.quickemu-vm seedSandbox (seedKali // { custom.vm.quickemu = seedKali.custom.vm.quickemu // { portForwards = [ "2223:22" ]; }; }) ]; in {
      inherit (h) failed;
      warnings = builtins.length h.warnings;
      guests = builtins.attrNames h.config.custom.vm.quickemu;
    };
    expected = { failed = [ ]; warnings = 2; guests = [ "coding-sandbox" "kali-linux" ]; };
  }
  {
    name = "nixos: the seed's kali (ssh, no forward) beside the sandbox: the advice names a free port and the option";
    actual = outcome [ m.quickemu-vm seedSandbox { custom.vm.quickemu.kali-linux = builtins.removeAttrs seedKali.custom.vm.quickemu [ "name" ]; } ];
    expected = {
      failed = [ "custom.vm.quickemu.kali-linux.ssh: is true but no tcp port forward reaches guest port 22; add \"2223:22\" to custom.vm.quickemu.kali-linux.portForwards or set ssh to false" ];
      warnings = [ (singletonWarning "coding-sandbox" "<unknown-file>") ];
      forced = true;
    };
  }
  {
    name = "nixos: a duplicate host port names the two guests' portForwards options and a free port";
    actual = outcome [ m.coding-sandbox m.kali-linux { custom.vm.quickemu.kali-linux.portForwards = [ "2222:22" ]; } ];
    expected = {
      failed = [ "custom.vm.quickemu.kali-linux.portForwards: 2222 is already forwarded by custom.vm.quickemu.coding-sandbox.portForwards; pick another host port, such as 2223" ];
      warnings = [ ];
      forced = true;
    };
  }
  {
    name = "nixos: a guest named like the DSP VM: the message names both options";
    actual = outcome [ m.dsp-vm m.kali-linux (dsp { name = "kali-linux"; }) ];
    expected = {
      failed = [ "custom.vm.quickemu.kali-linux: \"kali-linux\" is already used by custom.vm.dsp.name; give each VM its own name" ];
      warnings = [ ];
      forced = true;
    };
  }
  {
    name = "nixos: a bridged guest without a bridge name names its options, and the build does not crash";
    actual = outcome [ m.openwrt-router { custom.vm.quickemu.openwrt-router.network.bridge = null; } ];
    expected = {
      failed = [ "custom.vm.quickemu.openwrt-router.network.bridge: is missing but custom.vm.quickemu.openwrt-router.network.type is \"bridge\"; name the host bridge, such as \"br0\"" ];
      warnings = [ ];
      forced = true;
    };
  }
  {
    name = "nixos: the README's examples and all presets with the DSP VM evaluate with no message";
    actual = outcome [
      m.dsp-vm m.quickemu-vm m.coding-sandbox m.kali-linux m.openwrt-router
      ../../examples/dsp-vm.nix
    ];
    expected = { failed = [ ]; warnings = [ ]; forced = true; };
  }
  {
    name = "nixos: the README's host flake (examples/flake.nix) evaluates through vmm.nixosModules";
    actual =
      let
        outputs = (import ../../examples/flake.nix).outputs {
          # nixosSystem evaluates the modules; the user's own configuration.nix is not here.
          nixpkgs.lib = nixos.lib // {
            nixosSystem = { system, modules }: nixos.host (builtins.filter (m: m != ../../examples/configuration.nix) modules);
          };
          vmm = nixos.flake;
        };
        h = outputs.nixosConfigurations.studio;
      in
      {
        inherit (h) failed warnings forced;
        units = builtins.attrNames h.config.systemd.services;
      };
    expected = {
      failed = [ ];
      warnings = [ ];
      forced = true;
      units = [ "dsp-vm" "netjack-bridge" "quickemu-coding-sandbox" "quickemu-kali-linux" "quickemu-openwrt-router" ];
    };
  }
  {
    name = "nixos: the README's desktop PipeWire bridge user evaluates, and no system user is made";
    actual = let h = nixos.host [ m.dsp-vm ../../examples/dsp-vm.nix {
      custom.vm.dsp.bridge = { user = "alice"; environment.XDG_RUNTIME_DIR = "/run/user/1000"; };
    } ]; in {
      inherit (h) failed warnings forced;
      user = h.config.systemd.services.netjack-bridge.serviceConfig.User;
      runtime = h.config.systemd.services.netjack-bridge.environment.XDG_RUNTIME_DIR;
      users = builtins.attrNames h.config.users.users;
    };
    expected = { failed = [ ]; warnings = [ ]; forced = true; user = "alice"; runtime = "/run/user/1000"; users = [ ]; };
  }
  {
    name = "nixos: the README's guest examples through the quickemu module evaluate with no message";
    actual = outcome [ m.quickemu-vm ../../examples/quickemu-guests.nix ];
    expected = { failed = [ ]; warnings = [ ]; forced = true; };
  }
  {
    name = "nixos: every preset alone evaluates with no message";
    actual = map (preset: outcome [ preset ]) [ m.coding-sandbox m.kali-linux m.openwrt-router ];
    expected = map (_: { failed = [ ]; warnings = [ ]; forced = true; }) [ 1 2 3 ];
  }
  {
    name = "nixos: the guest-side example evaluates with no message";
    actual = outcome [ m.archibaldos-dsp-audio ../../examples/dsp-guest.nix ];
    expected = { failed = [ ]; warnings = [ ]; forced = true; };
  }
]
