# The guest's NetJack2 slave command line.
let g = (import ../../lib).guest; in
[
  {
    name = "jackd -d net slave with unicast address, port, channels and latency";
    actual = g.jackdArgs {
      jackd = "/bin/jackd";
      serverName = "default";
      priority = 70;
      hostAddress = "10.77.0.1";
      port = 19000;
      mtu = 1500;
      captureChannels = 2;
      playbackChannels = 2;
      midiIn = 0;
      midiOut = 0;
      clientName = "dsp-vm";
      latency = 1;
    };
    expected = [
      "/bin/jackd" "--name" "default" "--realtime" "--realtime-priority" "70" "--sync"
      "-d" "net" "-a" "10.77.0.1" "-p" "19000" "-M" "1500" "-C" "2" "-P" "2" "-i" "0" "-o" "0" "-n" "dsp-vm" "-l" "1"
    ];
  }
]
