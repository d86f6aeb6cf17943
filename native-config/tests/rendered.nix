# The /etc/dsp-vm/config.json texts that the flake's nixosModules install (nixpkgs' module
# system, tests/nixos.nix) for the README's examples, the presets, the seed document's DSP
# example and a full host. maven/verify-lock.sh feeds each to the package's own `vmctl
# validate` and `netjack-bridge run --check`, on a 16-CPU host with 64 GiB (a --root tree).
let
  nixos = import ./nixos.nix;
  m = nixos.modules;
  fixtures = import ./fixtures.nix;
  presets = [ m.coding-sandbox m.kali-linux m.openwrt-router ];
  file = modules: (nixos.host modules).config.environment.etc."dsp-vm/config.json".text;
in
{
  readme-examples = file [ m.dsp-vm m.quickemu-vm ../examples/dsp-vm.nix ../examples/quickemu-guests.nix ];
  all-presets-with-dsp = file ([ m.dsp-vm ../examples/dsp-vm.nix ] ++ presets);
  seed-dsp = file [ m.dsp-vm {
    custom.vm.dsp = { enable = true; isolatedCores = [ 0 1 ]; memoryMB = 4096; archibaldOS = { enable = true; netjack.enable = true; }; };
  } ];
  full-host = file ([ m.dsp-vm {
    custom.vm.dsp = fixtures.readmeDsp // {
      enable = true;
      hostCpus = 16;
      hostMemoryMB = 65536;
      isolatedCores = [ 4 5 6 7 ];
      cpuVendor = "intel";
      memoryMB = 8192;
      hugepages = { pageSizeKB = 1048576; };
      audioDevice = { enable = true; pci = [ "0000:00:1f.3" ]; usb = [ "1235:8210" ]; };
      bridge.cpus = { jack = 2; sender = 3; receiver = 3; };
      network = { type = "bridge"; bridge = "br0"; };
    };
  } ] ++ presets);
}
