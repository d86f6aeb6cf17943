# custom.vm.quickemu.<name>: any number of ordinary guests (a coding sandbox, Kali, an
# OpenWRT router…), one systemd unit each. The original was a single set of options with one
# unit name, so only one guest could exist and its presets could not be imported together;
# here each guest is an entry of an attribute set. Option names and meanings follow the
# original README's table.
{ config, lib, pkgs, options, ... }:
let
  vmlib = import ../lib;
  inherit (vmlib) settings validate render;
  d = settings.guestDefaults;
  vm = config.custom.vm;
  t = lib.types;
  p = validate.patterns;

  option = type: default: description: lib.mkOption { inherit type default description; };

  size = t.strMatching p.size;

  portForward = t.coercedTo (t.strMatching settings.portForwardPattern) settings.portForwardFromString
    (t.submodule {
      options = {
        host = lib.mkOption { type = t.port; description = "Port on the host."; };
        guest = lib.mkOption { type = t.port; description = "Port in the guest."; };
        protocol = option (t.enum validate.protocols) settings.portForwardDefaults.protocol "tcp or udp.";
        address = option (t.strMatching p.ipv4) settings.portForwardDefaults.address
          "Host address the forward listens on; 127.0.0.1 keeps it on this host.";
      };
    });

  guestOptions = {
    options = {
      enable = option t.bool d.enable "Declare this guest (false keeps the definition but removes the guest).";
      autoStart = option t.bool d.autoStart "Start the guest at boot (quickemu-<name>.service).";
      os = option (t.enum validate.guestOses) d.os "Guest operating system.";
      release = option (t.nullOr t.str) d.release "Release of the OS, as quickget names it (for example \"bookworm\").";
      cores = option (t.ints.between 1 256) d.cores "vCPUs.";
      memory = lib.mkOption {
        type = t.coercedTo t.ints.positive settings.memoryFromMiB size;
        default = d.memory;
        example = "4G";
        description = "RAM: a size such as \"4G\" or \"512M\", or an integer in MiB as in the original module.";
      };
      diskSize = option size d.diskSize "Disk size when the image is created, such as \"32G\".";
      network = {
        type = option (t.enum validate.guestNetworkTypes) d.network.type
          "nat (QEMU user networking with port forwards), bridge (joins network.bridge) or host.";
        bridge = option (t.nullOr (t.strMatching p.ifname)) d.network.bridge "Host bridge for type \"bridge\", such as br0.";
      };
      pciDevice = lib.mkOption {
        type = t.nullOr (t.strMatching p.pciBdf);
        default = d.pciDevice;
        example = "0000:03:00.0";
        description = "A PCI function to pass through (full lower-case BDF).";
      };
      usbDevice = lib.mkOption {
        type = t.nullOr (t.strMatching p.usbId);
        default = d.usbDevice;
        example = "046d:c52b";
        description = "A USB device to pass through, vendor:product in lower-case hex.";
      };
      portForwards = lib.mkOption {
        type = t.listOf portForward;
        default = d.portForwards;
        example = [ "2222:22" { host = 8080; guest = 80; } ];
        description = ''
          Forwards from the host into a NAT guest: "host:guest" strings (TCP on 127.0.0.1) or
          { host; guest; protocol; address; }. Host ports must be unique across all guests.
        '';
      };
      iso = lib.mkOption {
        type = t.nullOr (t.strMatching p.safePath);
        default = d.iso;
        example = "/var/lib/quickemu/isos/debian-13.1.0-amd64-netinst.iso";
        description = ''
          Installer ISO, attached as a CD-ROM while the guest's disk looks unused (as quickemu does).
          A fresh guest needs iso or img: without either `vmctl start` refuses and says so
          (quickget downloads installer ISOs). A string, not a path literal (no store copy).
        '';
      };
      img = lib.mkOption {
        type = t.nullOr (t.strMatching p.safePath);
        default = d.img;
        example = "/var/lib/quickemu/isos/openwrt-24.10.2-x86-64-generic-ext4-combined.img";
        description = "A ready raw disk image (such as OpenWRT's): the guest's disk is made from it on first start.";
      };
      firmware = lib.mkOption {
        type = t.nullOr (t.enum [ "bios" "uefi" ]);
        default = d.firmware;
        description = ''
          How the guest boots, the same through quickemu and the native launcher: uefi (OVMF,
          variables in the guest directory's OVMF_VARS.fd) or bios. null: uefi, bios for openwrt.
        '';
      };
      publicDir = lib.mkOption {
        type = t.nullOr (t.strMatching p.safePath);
        default = d.publicDir;
        example = "/srv/share/coding-sandbox";
        description = "Host directory shared into the guest (quickemu's 9p and WebDAV share). null: nothing of the host is shared.";
      };
      spicePort = lib.mkOption {
        type = t.nullOr (t.ints.between 1024 65535);
        default = d.spicePort;
        description = "TCP port on 127.0.0.1 for the SPICE display (needs spice). null: SPICE on a Unix socket in the guest directory, no TCP port.";
      };
      spice = option t.bool d.spice "Enable a SPICE display.";
      vnc = option t.bool d.vnc "Enable a VNC display.";
      ssh = option t.bool d.ssh "The guest is reached by SSH: needs a TCP forward to guest port 22 unless bridged.";
      openFirewall = option t.bool d.openFirewall
        "Open the host firewall for forwards whose address is not 127.0.0.1.";
    };
  };

  enabled = lib.filterAttrs (name: guest: guest.enable) vm.quickemu;

  # The original module's one-guest form, `custom.vm.quickemu = { enable = true; name =
  # "coding-sandbox"; … }`, is read as `custom.vm.quickemu.coding-sandbox = { … }` with a
  # warning. A guest entry is an attribute set, so a value that is not one (`enable = true`,
  # `name = "…"`) can only be that form; without a name it fails, showing the per-guest form.
  isFlat = value: builtins.isAttrs value && builtins.any (v: !builtins.isAttrs v) (builtins.attrValues value);
  isSingleton = value: isFlat value && value ? name && builtins.isString value.name;
  singletonType = t.addCheck (t.attrsOf t.anything) isFlat // {
    description = "one guest with a name (the original module's form)";
  };
  fromSingleton = value:
    if isSingleton value then { ${value.name} = builtins.removeAttrs value [ "name" ]; }
    else
      let flat = builtins.filter (key: !builtins.isAttrs value.${key}) (builtins.attrNames value); in
      throw ("custom.vm.quickemu: ${lib.concatStringsSep ", " flat} ${if builtins.length flat == 1 then "is a guest's option" else "are a guest's options"}"
        + " set without naming the guest. Each guest is an entry of custom.vm.quickemu.<name>: write"
        + " custom.vm.quickemu.coding-sandbox = { ${lib.concatMapStrings (key: "${key} = …; ") flat}};"
        + " (or add name = \"coding-sandbox\"; to this set, the original module's one-guest form).");
  singletonDefinitions = builtins.filter (def: isSingleton def.value)
    options.custom.vm.quickemu.definitionsWithLocations;
in
{
  imports = [ ./common.nix ];

  options.custom.vm.quickemu = lib.mkOption {
    type = t.coercedTo singletonType fromSingleton (t.attrsOf (t.submodule guestOptions));
    default = { };
    example = lib.literalExpression ''
      {
        coding-sandbox = { os = "debian"; cores = 2; memory = "4G"; ssh = true; portForwards = [ "2222:22" ]; };
        openwrt-router = { os = "openwrt"; memory = 512; diskSize = "512M"; network = { type = "bridge"; bridge = "br0"; }; };
      }
    '';
    description = ''
      quickemu guests by name; the name must match [a-z][a-z0-9-]{0,31}. The original module's
      one-guest form (`{ enable = true; name = "coding-sandbox"; … }`) is accepted as the
      guest of that name, with a warning.
    '';
  };

  config = lib.mkMerge [
    {
      warnings = map
        (def: "custom.vm.quickemu = { name = \"${def.value.name}\"; … } (in ${toString def.file}) is the original module's one-guest form; it is read as custom.vm.quickemu.${def.value.name} = { … }. Write it that way, without `name`: each guest is an entry of custom.vm.quickemu.<name>, so several can exist.")
        singletonDefinitions;
    }
    (lib.mkIf (enabled != { }) {
      custom.vm.sections.guests = vm.quickemu;

      systemd.services = lib.mapAttrs'
        (name: guest: lib.nameValuePair "quickemu-${name}" {
          description = "quickemu guest ${name} (supervised by vmctl)";
          wantedBy = lib.optional guest.autoStart "multi-user.target";
          after = [ "network.target" ];
          path = [ vm.qemuPackage ];
          # The guest's rendered entry (not the submodule value, whose _module holds functions).
          restartTriggers = [ (builtins.toJSON (render.guestSection name guest)) ];
          serviceConfig = {
            # vmctl runs QEMU in the foreground with a QMP socket (quickemu itself backgrounds
            # QEMU and exits, which systemd would take as the end of the service).
            Type = "simple";
            ExecStart = "${vm.package}/bin/vmctl start ${name}";
            ExecStop = "${vm.package}/bin/vmctl stop ${name}";
            TimeoutStopSec = "90s";
            KillMode = "mixed";
            Restart = "on-failure";
            RestartSec = "10s";
            RuntimeDirectory = "vm/${name}";
            StateDirectory = "quickemu/${name}";
            PrivateTmp = true;
          };
        })
        enabled;

      networking.firewall.allowedTCPPorts = lib.concatLists (lib.mapAttrsToList
        (name: guest: lib.optionals guest.openFirewall
          (map (f: f.host) (builtins.filter (f: f.protocol == "tcp" && f.address != "127.0.0.1") guest.portForwards)))
        enabled);
      networking.firewall.allowedUDPPorts = lib.concatLists (lib.mapAttrsToList
        (name: guest: lib.optionals guest.openFirewall
          (map (f: f.host) (builtins.filter (f: f.protocol == "udp" && f.address != "127.0.0.1") guest.portForwards)))
        enabled);
    })
  ];
}
