{ ... }:
{
  custom.archibaldos.dspAudio = {
    enable = true;
    hostAddress = "10.77.0.1";   # custom.vm.dsp.archibaldOS.netjack.hostAddress
    port = 19000;                # …netjack.sourcePort
    channels = 2;                # …netjack.channels
    latency = 1;                 # …netjack.latency
    network = {
      interface = "ens3";        # the guest's virtio NIC (ip link)
      vmAddress = "10.77.0.2";   # …netjack.vmAddress
    };
  };
}
