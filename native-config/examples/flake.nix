{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    # This repository's native-config/ directory; a local checkout works the same way:
    #   vmm.url = "git+file:///home/me/src/oligarchy-vmm?dir=native-config";
    vmm.url = "github:OWNER/REPO?dir=native-config";
    vmm.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs = { nixpkgs, vmm, ... }: {
    nixosConfigurations.studio = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./configuration.nix
        vmm.nixosModules.dsp-vm
        vmm.nixosModules.coding-sandbox
        vmm.nixosModules.kali-linux
        vmm.nixosModules.openwrt-router
        ./dsp-vm.nix
      ];
    };
  };
}
