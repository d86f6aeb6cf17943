# Guest side, imported by the DSP VM's own NixOS configuration (ArchibaldOS or any NixOS):
# a JACK2 NetJack2 slave (`jackd -d net`) that the host's netjack-bridge drives. The slave
# takes the sample rate and period from the master's SLAVE_SETUP (docs/protocol.md §4.1),
# so custom.vm.dsp.archibaldOS.netjack.{sampleRate,bufferSize} on the host decide them; this
# side sets the address, port, channel counts and its network latency, which must match the
# host's. The original ran a second NetJack1 *master* here, so both ends were masters.
#
# With fromKernelCommandLine (the default), the unit takes the netjack.* words that vmctl
# appends to a directly booted guest's kernel command line (docs/config-format.md, "The
# guest's NetJack2 parameters") over these static values at each start: ./netjack-cmdline.sh
# validates each word, keeps the static value for a bad one, and logs where each came from.
{ config, lib, pkgs, ... }:
let
  vmlib = import ../lib;
  inherit (vmlib) settings validate guest;
  d = settings.dspDefaults.archibaldOS.netjack;
  cfg = config.custom.archibaldos.dspAudio;
  t = lib.types;
  p = validate.patterns;

  option = type: default: description: lib.mkOption { inherit type default description; };

  argv = guest.jackdArgs {
    jackd = "${cfg.package}/bin/jackd";
    inherit (cfg) serverName priority hostAddress port mtu clientName latency;
    captureChannels = cfg.channels;
    playbackChannels = cfg.channels;
    midiIn = cfg.midiPorts;
    midiOut = cfg.midiPorts;
  };

  # The parser of the netjack.* words; its own file so that it is tested without Nix
  # (vm-control's NetjackCmdlineScriptTest runs it against sample command lines).
  cmdlineScript = pkgs.writeShellScript "netjack-cmdline" (builtins.readFile ./netjack-cmdline.sh);
  iface = cfg.network.interface;
  fromCmdline = cfg.fromKernelCommandLine;
  # systemd's name of the interface's device unit (systemd-escape: "-" is \x2d).
  deviceUnit = "sys-subsystem-net-devices-${lib.replaceStrings [ "-" ] [ "\\x2d" ] iface}.device";
in
{
  options.custom.archibaldos.dspAudio = {
    enable = lib.mkEnableOption "the NetJack2 slave that connects this DSP VM's JACK graph to the host";

    hostAddress = option (t.strMatching p.ipv4) d.hostAddress
      "The host's address on the VM link (custom.vm.dsp.archibaldOS.netjack.hostAddress). Unicast: no multicast discovery.";
    port = option t.port d.sourcePort "The master's UDP port (custom.vm.dsp.archibaldOS.netjack.sourcePort).";
    channels = option (t.ints.between 1 64) d.channels
      "Audio channels each way (custom.vm.dsp.archibaldOS.netjack.channels).";
    midiPorts = option (t.ints.between 0 64) 0 "MIDI ports each way (custom.vm.dsp.bridge.midi*Ports).";
    latency = option (t.ints.between 0 10) d.latency
      "Network latency in periods (custom.vm.dsp.archibaldOS.netjack.latency); both ends must agree.";
    mtu = option (t.ints.between 576 9000) settings.dspDefaults.bridge.mtu "MTU of the VM link.";
    clientName = option (t.strMatching "[A-Za-z0-9_.-]{1,63}") "dsp-vm" "The slave's name, as the master sees it.";
    serverName = option (t.strMatching "[A-Za-z0-9_.-]{1,63}") "default" "JACK server name inside the guest.";
    priority = option (t.ints.between 1 95) 70 "SCHED_FIFO priority of the JACK server's process thread.";
    fromKernelCommandLine = option t.bool true ''
      At each start of netjack-slave, take the netjack.* words of /proc/cmdline (written by
      vmctl when it boots this VM directly: netjack.master, .port, .capture, .playback,
      .latency, .name, and .ip for network.interface) over the static options here. A word
      that is not valid is logged with the fix and the static value is used; the journal says
      where each parameter came from. With network.interface set, the unit (not
      networking.interfaces) gives the interface its address, so netjack.ip can replace
      network.vmAddress. A guest booted from a disk image gets no words and runs on the static
      values.
    '';
    package = lib.mkOption {
      type = t.package;
      default = pkgs.jack2;
      defaultText = lib.literalExpression "pkgs.jack2";
      description = "JACK2, which provides jackd and its net backend.";
    };

    network = {
      interface = option (t.nullOr (t.strMatching p.ifname)) null
        "The guest's interface on the VM link; when set, it gets vmAddress statically.";
      vmAddress = option (t.strMatching p.ipv4) d.vmAddress "This VM's address (custom.vm.dsp.archibaldOS.netjack.vmAddress).";
      prefixLength = option (t.ints.between 1 30) d.prefixLength "Prefix length of the VM link.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.hostAddress != cfg.network.vmAddress;
        message = "custom.archibaldos.dspAudio: hostAddress and network.vmAddress are both ${cfg.hostAddress}; the host and the VM need different addresses.";
      }
    ];

    users.users.dsp-audio = {
      isSystemUser = true;
      group = "audio";
      description = "NetJack2 slave (jackd -d net)";
    };

    # Clients of the guest's JACK server in the audio group may connect to it.
    environment.variables.JACK_PROMISCUOUS_SERVER = "audio";
    environment.systemPackages = [ cfg.package ];

    # From the command line, the unit's ExecStartPre sets the address (netjack.ip or vmAddress).
    networking.interfaces = lib.mkIf (iface != null && !fromCmdline) {
      ${cfg.network.interface}.ipv4.addresses = [ { address = cfg.network.vmAddress; inherit (cfg.network) prefixLength; } ];
    };
    networking.firewall.allowedUDPPorts = [ cfg.port ];

    systemd.services.netjack-slave = {
      description = "JACK2 NetJack2 slave for the host's netjack-bridge at ${cfg.hostAddress}:${toString cfg.port}"
        + lib.optionalString fromCmdline " unless the kernel command line says otherwise";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ] ++ lib.optional (fromCmdline && iface != null) deviceUnit;
      wants = [ "network-online.target" ];
      bindsTo = lib.optional (fromCmdline && iface != null) deviceUnit;
      path = lib.optional (fromCmdline && iface != null) pkgs.iproute2;
      environment = {
        JACK_NO_AUDIO_RESERVATION = "1";
        JACK_PROMISCUOUS_SERVER = "audio";
      };
      serviceConfig = {
        ExecStart = if fromCmdline then "${cmdlineScript} jackd ${lib.escapeShellArgs argv}" else lib.escapeShellArgs argv;
        # "+": as root, although the unit runs as dsp-audio.
        ExecStartPre = lib.mkIf (fromCmdline && iface != null)
          "+${cmdlineScript} address ${lib.escapeShellArgs [ iface cfg.network.vmAddress (toString cfg.network.prefixLength) cfg.hostAddress ]}";
        User = "dsp-audio";
        Group = "audio";
        UMask = "0007";
        # jackd -d net re-announces by itself when the master goes away; a crash restarts it.
        Restart = "on-failure";
        RestartSec = "2s";
        LimitRTPRIO = "95";
        LimitMEMLOCK = "infinity";
      };
    };
  };
}
