# Preset: a Kali Linux guest for security testing, with a SPICE display and SSH on
# 127.0.0.1:2223. The original preset left `os` at its default (arch) and enabled ssh without
# a forward to reach it; both are corrected here. Imports cleanly beside the other presets.
{ lib, ... }:
{
  imports = [ ../modules/quickemu-vm.nix ];

  custom.vm.quickemu.kali-linux = lib.mapAttrs (_: lib.mkDefault) {
    os = "kali";
    cores = 1;
    memory = "4G";
    diskSize = "80G";
    spice = true;
    ssh = true;
    portForwards = [ "2223:22" ];
  };
}
