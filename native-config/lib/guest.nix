# The guest side of the audio link: the argv of the NetJack2 slave that runs inside the DSP
# VM (JACK2's `jackd -d net`), which the host's netjack-bridge (the master) drives.
# Option letters are JACK2 1.9.21's (docs/protocol.md §10): the slave takes its sample
# rate and period from the master's SLAVE_SETUP, so those are set on the host, not here; it
# sets its own network latency (-l) and port counts.
{
  jackdArgs =
    { jackd            # path of the jackd binary
    , serverName       # JACK server name inside the guest
    , priority         # SCHED_FIFO priority of the server's process thread
    , hostAddress      # the master's (host's) address on the VM link: unicast, no multicast
    , port             # the master's UDP port
    , mtu
    , captureChannels  # audio from the host into the guest (-C)
    , playbackChannels # audio from the guest back to the host (-P)
    , midiIn
    , midiOut
    , clientName       # the slave's name, seen by the master
    , latency          # periods
    }:
    [
      # --sync: the slave answers each cycle with that cycle's audio and echoes the master's
      # cycle numbers, so the host bridge places every returned block exactly; an async slave
      # numbers replies with its own counter, which drifts after a lost packet.
      jackd "--name" serverName "--realtime" "--realtime-priority" (toString priority) "--sync"
      "-d" "net"
      "-a" hostAddress
      "-p" (toString port)
      "-M" (toString mtu)
      "-C" (toString captureChannels)
      "-P" (toString playbackChannels)
      "-i" (toString midiIn)
      "-o" (toString midiOut)
      "-n" clientName
      "-l" (toString latency)
    ];
}
