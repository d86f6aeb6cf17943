# Documents rendered by the pure functions from the presets and from the README's examples,
# without nixpkgs. The preset modules are called with a two-function stand-in for nixpkgs'
# lib (they only use mapAttrs and mkDefault), and the defaults of lib/settings.nix are applied
# as the modules' option defaults would be.
#
# Used by tests/cases/render.nix (against tests/golden/*.json) and by the Java cross-test:
#   nix-instantiate --eval --strict --json tests/fixtures.nix -A valid.kali-linux.doc
let
  vmlib = import ../lib;
  inherit (vmlib) settings render;

  stubLib = { mkDefault = value: value; mapAttrs = builtins.mapAttrs; };
  presetGuests = file: (import file { lib = stubLib; }).custom.vm.quickemu;
  guestsOf = files: builtins.foldl' (acc: file: acc // presetGuests file) { } files;

  presets = {
    coding-sandbox = ../config/coding-sandbox.nix;
    kali-linux = ../config/kali-linux.nix;
    openwrt-router = ../config/openwrt-router.nix;
  };

  # dsp: plain settings (as in configuration.nix) or null; guests: name -> plain settings.
  mk = { hostCpus ? null, hostMemoryMB ? null, dsp ? null, guests ? { } }: {
    inherit hostCpus hostMemoryMB;
    doc = render.document {
      dsp = if dsp == null then null else settings.withDspDefaults ({ enable = true; inherit hostCpus; } // dsp);
      guests = builtins.mapAttrs (name: settings.withGuestDefaults) guests;
    };
  };

  # The original README's DSP example, corrected: isolated CPUs 2-3 instead of 0-1 (CPU 0 is the
  # boot CPU), the disk image as an absolute string instead of the path literal
  # ~/vms/archibaldos-dsp.qcow2, NetJack2's port 19000 instead of PulseAudio's 4713, and the
  # host's CPU count, which irqaffinity needs.
  readmeDsp = {
    isolatedCores = [ 2 3 ];
    memoryMB = 4096;
    hugepages = 2048;
    archibaldOS = {
      enable = true;
      diskImage = "/var/lib/dsp-vm/archibaldos.qcow2";
      netjack = {
        enable = true;
        sourcePort = 19000;
        bufferSize = 128;
        sampleRate = 96000;
        channels = 2;
      };
    };
  };
in
{
  inherit presets readmeDsp;

  # Documents vm-control must accept.
  valid = builtins.mapAttrs (name: file: mk { guests = guestsOf [ file ]; }) presets // {
    all-presets = mk { guests = guestsOf (builtins.attrValues presets); };
    readme-dsp = mk { hostCpus = 8; dsp = readmeDsp; };
    # The whole host: the DSP VM with a passed-through PCI sound card and a USB interface,
    # 1 GiB pages, and the three presets.
    full-host = mk {
      hostCpus = 16;
      dsp = readmeDsp // {
        isolatedCores = [ 4 5 6 7 ];
        cpuVendor = "intel";
        memoryMB = 8192;
        hugepages = { pageSizeKB = 1048576; };
        audioDevice = { enable = true; pci = [ "0000:00:1f.3" ]; usb = [ "1235:8210" ]; };
        bridge.cpus = { jack = 2; sender = 3; receiver = 3; };
      };
      guests = guestsOf (builtins.attrValues presets);
    };
    # Far more pages than the VM uses: valid, with a warning (issue 15).
    hugepages-beyond-need = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; memoryMB = 4096; hugepages = 100000; };
    };
    uefi-guest = mk {
      hostCpus = 4;
      dsp = {
        isolatedCores = [ 3 ];
        archibaldOS.enable = false;
        ovmfCode = "/run/libvirt/nix-ovmf/OVMF_CODE.fd";
        network = { type = "bridge"; bridge = "br0"; };
      };
    };
  };

  # Documents vm-control must reject, each with the exact messages both sides give. The
  # "fields" ones break single-field rules (vm-control's ConfigParser), the "rules" ones
  # cross-field or host rules (its ConfigValidator), so each side reports the same set.
  invalid = {
    fields-netjack = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; archibaldOS.netjack = { bufferSize = 100; sampleRate = 96001; channels = 65; latency = 11; }; };
    };
    fields-memory-and-pages = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; memoryMB = 100; hugepages = { pageSizeKB = 4096; count = 64; }; };
    };
    fields-devices = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; audioDevice = { enable = true; pci = [ "c7:00.3" "0000:C7:00.3" ]; usb = [ "1022:15C0" ]; }; };
    };
    fields-paths-and-network = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; archibaldOS.diskImage = "~/vms/archibaldos-dsp.qcow2"; network.type = "user"; };
    };
    fields-guest = mk {
      guests.Sandbox = { os = "windows"; memory = "3T"; diskSize = "64"; portForwards = [ "70000:22" ]; };
    };
    rules-cpus = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 2 9 ]; };
    };
    rules-no-housekeeping = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 0 1 2 3 ]; };
    };
    rules-housekeeping-overlap = mk {
      hostCpus = 8;
      dsp = { isolatedCores = [ 2 3 ]; housekeepingCores = [ 0 1 3 ]; };
    };
    rules-hugepages = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; memoryMB = 4096; hugepages = 100; };
    };
    rules-hugepages-past-host = mk {
      hostCpus = 4;
      hostMemoryMB = 32768;
      dsp = { isolatedCores = [ 2 3 ]; memoryMB = 4096; hugepages = 100000; };
    };
    rules-uefi-without-ovmf = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; archibaldOS.enable = false; };
    };
    rules-duplicate-pci = mk {
      hostCpus = 4;
      dsp = { isolatedCores = [ 2 3 ]; audioDevice = { enable = true; pci = [ "0000:00:1f.3" "0000:00:1f.3" ]; }; };
    };
    # Two install sources, and a SPICE port without SPICE (issue 20). The paths are files that
    # exist on any Linux host: vm-control also checks that they are readable.
    rules-guest-install-source = mk {
      guests.coding-sandbox = { iso = "/etc/os-release"; img = "/etc/passwd"; spicePort = 5931; };
    };
    # The original README's kali example: ssh without a forward to reach it.
    rules-original-kali = mk {
      guests.kali-linux = { cores = 1; memory = 4096; diskSize = "80G"; spice = true; ssh = true; };
    };
    rules-guests = mk {
      hostCpus = 4;
      dsp = { name = "router"; isolatedCores = [ 2 3 ]; };
      guests = {
        router = { os = "openwrt"; network = { type = "bridge"; bridge = null; }; portForwards = [ "8080:80" ]; };
        sandbox = { ssh = true; portForwards = [ "8080:22" ]; };
      };
    };
  };
}
