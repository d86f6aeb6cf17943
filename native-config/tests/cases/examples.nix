# The README's examples (examples/*.nix, quoted verbatim in README.md; tests/run.sh checks
# that) render to documents vm-control accepts.
let
  vmlib = import ../../lib;
  inherit (vmlib) settings render validate;
  nixos = import ../nixos.nix;
  args = { lib = { }; config = { }; pkgs = { }; };
  dsp = (import ../../examples/dsp-vm.nix args).custom.vm.dsp;
  guests = (import ../../examples/quickemu-guests.nix args).custom.vm.quickemu;
  guestSide = (import ../../examples/dsp-guest.nix args).custom.archibaldos.dspAudio;
  doc = render.document {
    dsp = settings.withDspDefaults dsp;
    guests = builtins.mapAttrs (_: settings.withGuestDefaults) guests;
  };
  fixtures = import ../fixtures.nix;
in
[
  {
    name = "README examples: DSP VM and the three guests are valid together";
    actual = { errors = validate.errors { hostCpuCount = dsp.hostCpus; } doc; warnings = validate.warnings { } doc; };
    expected = { errors = [ ]; warnings = [ ]; };
  }
  {
    name = "README DSP example renders as the readme-dsp fixture";
    actual = doc.dsp;
    expected = fixtures.valid.readme-dsp.doc.dsp;
  }
  {
    name = "README guest examples render as the presets do, memory in MiB aside";
    actual = map (g: g // { memory = null; }) doc.guests;
    expected = map (g: g // { memory = null; }) fixtures.valid.all-presets.doc.guests;
  }
  {
    # fromKernelCommandLine is on by default: the unit, not networking.interfaces, sets the
    # address (netjack.ip, else vmAddress); tests/cases/modules.nix covers it off.
    name = "README guest-side example gives the VM its address and a matching slave";
    actual = let c = (nixos.host [ nixos.modules.archibaldos-dsp-audio ../../examples/dsp-guest.nix ]).config; in {
      address = c.systemd.services.netjack-slave.serviceConfig.ExecStartPre;
      interfaces = c.networking.interfaces;
      firewall = c.networking.firewall.allowedUDPPorts;
    };
    expected = {
      address = "+/nix/store/stub-netjack-cmdline address ens3 10.77.0.2 24 10.77.0.1";
      interfaces = { };
      firewall = [ 19000 ];
    };
  }
]
