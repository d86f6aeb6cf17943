# Shared by the DSP VM and quickemu modules: the Java package, the one JSON file that both
# describe (docs/config-format.md), and the assertions that check it with the same rules as
# vm-control. Imported by each of them; the module system loads it once.
{ config, lib, pkgs, ... }:
let
  vmlib = import ../lib;
  inherit (vmlib) render validate settings;
  cfg = config.custom.vm;

  document = render.document {
    dsp = cfg.sections.dsp;
    guests = cfg.sections.guests;
  };
  ctx = if cfg.sections.dsp == null then { hostCpuCount = null; hostMemoryMB = null; } else {
    hostCpuCount = cfg.sections.dsp.hostCpus;
    hostMemoryMB = cfg.sections.dsp.hostMemoryMB;
  };
  inUse = document.dsp != null || document.guests != [ ];
  # The bridges QEMU attaches to; a missing name (null) is left to the assertions, which say
  # what to set.
  bridges = lib.unique (builtins.filter (bridge: bridge != null) (
    lib.optional (document.dsp != null && document.dsp.network.type == "bridge") document.dsp.network.bridge
    ++ map (guest: guest.network.bridge) (builtins.filter (guest: guest.network.type == "bridge") document.guests)));
in
{
  options.custom.vm = {
    package = lib.mkOption {
      type = lib.types.package;
      description = ''
        The Java package with `vmctl`, `netjack-bridge`, `dsp-status`, `dsp-console` and
        `dsp-netjack-restart`. The flake's modules set it to the flake's
        `packages.<system>.default`.
      '';
    };

    qemuPackage = lib.mkOption {
      type = lib.types.package;
      default = pkgs.qemu_kvm;
      defaultText = lib.literalExpression "pkgs.qemu_kvm";
      description = "QEMU that vmctl starts (it needs qemu-system-x86_64 on PATH).";
    };

    configFile = lib.mkOption {
      type = lib.types.str;
      default = settings.configFile;
      readOnly = true;
      description = "Where the rendered JSON configuration is installed; vmctl and netjack-bridge read it.";
    };

    document = lib.mkOption {
      type = lib.types.raw;
      default = document;
      readOnly = true;
      description = ''
        The configuration document as rendered into `configFile`, for inspection:
        `nix eval .#nixosConfigurations.<host>.config.custom.vm.document --json`.
      '';
    };

    sections = {
      dsp = lib.mkOption {
        type = lib.types.nullOr lib.types.raw;
        default = null;
        internal = true;
        description = "Settings of custom.vm.dsp, set by the dsp-vm module.";
      };
      guests = lib.mkOption {
        type = lib.types.attrsOf lib.types.raw;
        default = { };
        internal = true;
        description = "Settings of custom.vm.quickemu.<name>, set by the quickemu-vm module.";
      };
    };
  };

  config = lib.mkIf inUse {
    # The same rules as vm-control's ConfigParser and ConfigValidator, naming the options
    # (custom.vm.quickemu.<name>.portForwards) where vmctl names the JSON file's paths.
    assertions = map (message: { assertion = false; inherit message; }) (validate.nixosErrors ctx document);
    warnings = validate.nixosWarnings ctx document;

    environment.etc."dsp-vm/config.json" = {
      text = render.toFile document;
      mode = "0644";
    };

    # The operator commands: vmctl, dsp-status, dsp-console, dsp-netjack-restart (and
    # netjack-bridge). They read ${settings.configFile} by default.
    environment.systemPackages = [ cfg.package ];

    # Bridged guests (quickemu's `network = br0` or the DSP VM's bridge) need QEMU's setuid
    # bridge helper and its allow list.
    security.wrappers.qemu-bridge-helper = lib.mkIf (bridges != [ ]) {
      setuid = true;
      owner = "root";
      group = "root";
      source = "${cfg.qemuPackage}/libexec/qemu-bridge-helper";
    };
    environment.etc."qemu/bridge.conf" = lib.mkIf (bridges != [ ]) {
      text = lib.concatMapStrings (bridge: "allow ${bridge}\n") bridges;
    };
  };
}
