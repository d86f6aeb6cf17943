# Evaluates the `config` part of the NixOS modules without nixpkgs: a stand-in for the few lib
# functions they use, an input `config` built from lib/settings.nix (what the options would
# hold), and a resolver for mkIf/mkMerge. Options are never evaluated (Nix is lazy), so this
# checks the modules' glue — which units, commands, kernel parameters and files they
# produce — not the option types, which need nixpkgs' module system.
let
  vmlib = import ../lib;
  inherit (builtins) isAttrs isList mapAttrs filter attrNames listToAttrs concatLists concatStringsSep
    foldl' hasAttr attrValues;

  lib = rec {
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkDefault = value: value;
    optional = cond: item: if cond then [ item ] else [ ];
    optionals = cond: list: if cond then list else [ ];
    optionalAttrs = cond: set: if cond then set else { };
    nameValuePair = name: value: { inherit name value; };
    mapAttrs' = f: set: listToAttrs (map (name: f name set.${name}) (attrNames set));
    mapAttrsToList = f: set: map (name: f name set.${name}) (attrNames set);
    filterAttrs = pred: set: listToAttrs (map (name: { inherit name; value = set.${name}; })
      (filter (name: pred name set.${name}) (attrNames set)));
    inherit concatLists mapAttrs;
    unique = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
    concatMapStrings = f: list: concatStringsSep "" (map f list);
    escapeShellArgs = args: concatStringsSep " " (map (a: "'${a}'") args);
  };

  pkgs = {
    qemu_kvm = "/nix/store/stub-qemu";
    util-linux = "/nix/store/stub-util-linux";
    OVMF.fd = "/nix/store/stub-OVMF-fd";
    jack2 = "/nix/store/stub-jack2";
  };

  # Deep merge of module results: lists concatenate, sets merge, anything else must agree.
  merge = a: b:
    if isAttrs a && isAttrs b then
      a // mapAttrs (name: value: if hasAttr name a then merge a.${name} value else value) b
    else if isList a && isList b then a ++ b
    else if a == b then a
    else throw "module-stub: conflicting definitions ${builtins.toJSON a} and ${builtins.toJSON b}";

  resolve = value:
    if isAttrs value && (value._type or null) == "if" then
      (if value.condition then resolve value.content else null)
    else if isAttrs value && (value._type or null) == "merge" then
      foldl' merge { } (filter (v: v != null) (map resolve value.contents))
    else if isAttrs value then
      let resolved = mapAttrs (_: resolve) value; in
      listToAttrs (map (name: { inherit name; value = resolved.${name}; })
        (filter (name: resolved.${name} != null) (attrNames resolved)))
    else value;

  configOf = module: config:
    let resolved = resolve (import module { inherit lib pkgs config; }).config; in
    if resolved == null then { } else resolved;
in
{
  # A host with the DSP VM (plain settings as in configuration.nix, plus the computed option
  # defaults firmware and ovmfCode) and guests. Returns the merged config of dsp-vm.nix,
  # quickemu-vm.nix and common.nix.
  host = { dsp ? null, guests ? { } }:
    let
      dspSettings =
        if dsp == null then null
        else
          let s = vmlib.settings.withDspDefaults ({ enable = true; } // dsp);
              firmware = vmlib.render.firmware s;
          in s // {
            inherit firmware;
            ovmfCode = if s.ovmfCode != null then s.ovmfCode
              else if firmware == "uefi" then "${pkgs.OVMF.fd}/FV/OVMF_CODE.fd" else null;
          };
      guestSettings = mapAttrs (_: vmlib.settings.withGuestDefaults) guests;
      input = {
        custom.vm = {
          package = "/nix/store/stub-oligarchy-vmm";
          qemuPackage = pkgs.qemu_kvm;
          configFile = vmlib.settings.configFile;
          dsp = if dspSettings == null then vmlib.settings.dspDefaults else dspSettings;
          quickemu = guestSettings;
          sections = { dsp = dspSettings; guests = guestSettings; };
        };
        services.jack.jackd.enable = false;
      };
    in
    foldl' merge { } [
      (configOf ../modules/dsp-vm.nix input)
      (configOf ../modules/quickemu-vm.nix input)
      (configOf ../modules/common.nix input)
    ];

  guest = settings: configOf ../modules/archibaldos-dsp-audio.nix {
    custom.archibaldos.dspAudio = {
      enable = true;
      hostAddress = "10.77.0.1";
      port = 19000;
      channels = 2;
      midiPorts = 0;
      latency = 1;
      mtu = 1500;
      clientName = "dsp-vm";
      serverName = "default";
      priority = 70;
      package = pkgs.jack2;
      network = { interface = null; vmAddress = "10.77.0.2"; prefixLength = 24; };
    } // settings;
  };
}
