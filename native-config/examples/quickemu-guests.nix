{ ... }:
{
  custom.vm.quickemu = {
    coding-sandbox = {
      cores = 1;
      memory = 3072;           # MiB, as in the original; "3G" works too
      diskSize = "64G";
      ssh = true;
      portForwards = [ "2222:22" ];
    };

    kali-linux = {
      os = "kali";
      cores = 1;
      memory = 4096;
      diskSize = "80G";
      spice = true;
      ssh = true;
      portForwards = [ "2223:22" ];
    };

    openwrt-router = {
      os = "openwrt";
      cores = 1;
      memory = 512;
      diskSize = "512M";
      network = {
        type = "bridge";
        bridge = "br0";
      };
      # pciDevice = "0000:03:00.0";  # NIC passthrough
    };
  };
}
