# The flake's nixosModules evaluated by nixpkgs' real module system (the vendored
# tests/nixpkgs-lib: lib.evalModules, lib.types), as `nixos-rebuild` would, with no network:
#
#   - the flake itself is called (flake.nix's `outputs`) with a stand-in `nixpkgs` input
#     whose `lib` is the real one and whose packages are stub derivations (store paths that
#     do not exist; nothing is built);
#   - NixOS's own option declarations are replaced by the stand-ins below, with the types
#     NixOS gives them (lists merge, `assertions`/`warnings` as in
#     nixos/modules/misc/assertions.nix); everything else about the evaluation is nixpkgs'.
#
# Stand-ins (the NixOS options the project's modules set): assertions, warnings,
# boot.{kernelParams,kernelModules,kernel.sysctl}, systemd.services (the unit options NixOS
# types: wantedBy, after, wants, bindsTo, path, …), systemd.tmpfiles.rules,
# networking.{interfaces,firewall.*}, users.users, security.wrappers, environment.{etc,
# systemPackages,variables}, services.jack.jackd.enable.
let
  lib = import ./nixpkgs-lib/lib;
  t = lib.types;
  system = "x86_64-linux";

  stubDrv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/stub-${name}";
    drvPath = "/nix/store/stub-${name}.drv";
  };

  pkgs = {
    inherit lib;
    stdenv.hostPlatform.system = system;
    qemu_kvm = stubDrv "qemu";
    util-linux = stubDrv "util-linux";
    OVMF = stubDrv "OVMF" // { fd = stubDrv "OVMF-fd"; };
    jack2 = stubDrv "jack2";
    iproute2 = stubDrv "iproute2";
    # Returns what it was given, so the tests can compare the script with its file.
    writeShellScript = name: text: stubDrv name // { inherit text; };
    # The package is called with stub builders that return what they were given, so the
    # tests can read the package expression (tests/cases/package.nix).
    callPackage = fn: args:
      let f = if builtins.isFunction fn then fn else import fn; in
      f (builtins.intersectAttrs (builtins.functionArgs f) buildPkgs // args);
  };

  buildPkgs = {
    inherit lib;
    makeWrapper = stubDrv "makeWrapper";
    jre_headless = stubDrv "jre-headless";
    maven = stubDrv "maven" // { buildMavenPackage = args: stubDrv args.pname // { inherit args; }; };
    stdenv = { mkDerivation = args: stubDrv (args.pname or args.name) // { inherit args; }; };
    fetchurl = args: stubDrv (baseNameOf args.url) // { inherit args; };
    runCommand = name: env: script: stubDrv name // { inherit env script; };
    linkFarm = name: entries: stubDrv name // { inherit entries; };
  };

  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (_: pkgs);
  };

  # The flake, called the way `nix build` / `nixosSystem` would call it.
  flake = (import ../flake.nix).outputs { self = flake; inherit nixpkgs; };

  anything = t.anything;
  unitType = t.submodule {
    freeformType = t.attrsOf anything;
    options = {
      wantedBy = lib.mkOption { type = t.listOf t.str; default = [ ]; };
      after = lib.mkOption { type = t.listOf t.str; default = [ ]; };
      wants = lib.mkOption { type = t.listOf t.str; default = [ ]; };
      bindsTo = lib.mkOption { type = t.listOf t.str; default = [ ]; };
      path = lib.mkOption { type = t.listOf anything; default = [ ]; };
      restartTriggers = lib.mkOption { type = t.listOf anything; default = [ ]; };
      environment = lib.mkOption { type = t.attrsOf t.str; default = { }; };
      serviceConfig = lib.mkOption { type = t.attrsOf anything; default = { }; };
      unitConfig = lib.mkOption { type = t.attrsOf anything; default = { }; };
    };
  };
  portsOption = lib.mkOption { type = t.listOf t.port; default = [ ]; };

  nixosStandIns = {
    options = {
      assertions = lib.mkOption {
        type = t.listOf t.unspecified;
        internal = true;
        default = [ ];
      };
      warnings = lib.mkOption {
        type = t.listOf t.str;
        internal = true;
        default = [ ];
      };
      boot.kernelParams = lib.mkOption { type = t.listOf t.str; default = [ ]; };
      boot.kernelModules = lib.mkOption { type = t.listOf t.str; default = [ ]; };
      boot.kernel.sysctl = lib.mkOption { type = t.attrsOf anything; default = { }; };
      systemd.services = lib.mkOption { type = t.attrsOf unitType; default = { }; };
      systemd.tmpfiles.rules = lib.mkOption { type = t.listOf t.str; default = [ ]; };
      networking.interfaces = lib.mkOption { type = t.attrsOf anything; default = { }; };
      networking.firewall = {
        allowedTCPPorts = portsOption;
        allowedUDPPorts = portsOption;
        interfaces = lib.mkOption {
          type = t.attrsOf (t.submodule { options = { allowedTCPPorts = portsOption; allowedUDPPorts = portsOption; }; });
          default = { };
        };
      };
      users.users = lib.mkOption { type = t.attrsOf (t.attrsOf anything); default = { }; };
      security.wrappers = lib.mkOption { type = t.attrsOf (t.attrsOf anything); default = { }; };
      environment.etc = lib.mkOption {
        type = t.attrsOf (t.submodule {
          options = {
            text = lib.mkOption { type = t.nullOr t.lines; default = null; };
            mode = lib.mkOption { type = t.str; default = "symlink"; };
          };
        });
        default = { };
      };
      environment.systemPackages = lib.mkOption { type = t.listOf t.package; default = [ ]; };
      environment.variables = lib.mkOption { type = t.attrsOf t.str; default = { }; };
      services.jack.jackd.enable = lib.mkOption { type = t.bool; default = false; };
    };
  };

  eval = modules: lib.evalModules {
    modules = [ nixosStandIns { _module.args = { inherit pkgs; }; } ] ++ modules;
  };

  # What nixos/modules/system/activation/top-level.nix does before building: the messages of
  # the failed assertions, the warnings, and the parts of the system that a build forces.
  host = modules:
    let
      config = (eval modules).config;
      failed = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
      built = {
        etc = lib.mapAttrs (_: f: f.text) config.environment.etc;
        units = config.systemd.services;
        inherit (config.boot) kernelParams kernelModules;
        inherit (config) networking users security;
      };
    in
    {
      inherit config failed;
      warnings = config.warnings;
      # Forcing this is what a build does; an evaluation error here is a crash a user sees
      # instead of the assertions.
      forced = builtins.deepSeq built true;
    };
in
{
  inherit lib pkgs flake eval host;
  modules = flake.nixosModules;
}
