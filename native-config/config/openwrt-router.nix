# Preset: an OpenWRT router guest on the host bridge br0 (create the bridge first, for
# example with networking.bridges.br0.interfaces). A bridged guest has its own address, so
# it has no port forwards. The disk image is not a path literal (the original's
# ~/vms/openwrt-router.qcow2 broke pure evaluation and would copy the image into the store).
# Imports cleanly beside the other presets.
{ lib, ... }:
{
  imports = [ ../modules/quickemu-vm.nix ];

  custom.vm.quickemu.openwrt-router = lib.mapAttrs (_: lib.mkDefault) {
    os = "openwrt";
    cores = 1;
    memory = "512M";
    diskSize = "512M";
    network = { type = "bridge"; bridge = "br0"; };
  };
}
