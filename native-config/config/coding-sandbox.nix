# Preset: a headless Arch Linux guest for coding agents, reached by SSH on 127.0.0.1:2222.
# Values are defaults (mkDefault): override any of them, or disable the guest with
# custom.vm.quickemu.coding-sandbox.enable = false. Imports cleanly beside the other presets.
{ lib, ... }:
{
  imports = [ ../modules/quickemu-vm.nix ];

  custom.vm.quickemu.coding-sandbox = lib.mapAttrs (_: lib.mkDefault) {
    os = "arch";
    cores = 1;
    memory = "3G";
    diskSize = "64G";
    ssh = true;
    portForwards = [ "2222:22" ];
  };
}
