{
  description = "NixOS modules and package for the DSP coprocessor VM, its NetJack2 audio bridge and quickemu guests";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # Sets custom.vm.package to this flake's package (a default, so a host can override it).
      # The key makes the module system load it once however many of the modules are imported.
      packageModule = {
        key = "oligarchy-vmm/native-config#package";
        imports = [
          ({ lib, pkgs, ... }: {
            custom.vm.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
          })
        ];
      };

      hostModule = name: file: {
        key = "oligarchy-vmm/native-config#${name}";
        imports = [ file packageModule ];
      };
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./package.nix { };
      });

      nixosModules = {
        # Host side.
        dsp-vm = hostModule "dsp-vm" ./modules/dsp-vm.nix;
        quickemu-vm = hostModule "quickemu-vm" ./modules/quickemu-vm.nix;
        # Presets; any of them can be imported together (one guest each).
        coding-sandbox = hostModule "coding-sandbox" ./config/coding-sandbox.nix;
        kali-linux = hostModule "kali-linux" ./config/kali-linux.nix;
        openwrt-router = hostModule "openwrt-router" ./config/openwrt-router.nix;
        # Guest side: import into the DSP VM's own NixOS configuration.
        archibaldos-dsp-audio = ./modules/archibaldos-dsp-audio.nix;
      };

      # The pure functions (kernel parameters, rendering, validation), for reuse and tests.
      lib = import ./lib;
    };
}
