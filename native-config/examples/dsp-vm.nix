{ ... }:
{
  custom.vm.dsp = {
    enable = true;
    hostCpus = 8;              # nproc --all (optional: adds irqaffinity=)
    isolatedCores = [ 2 3 ];   # not CPU 0, the boot CPU
    memoryMB = 4096;
    hugepages = 2048;          # 2048 pages of 2 MiB = 4096 MiB

    archibaldOS = {
      enable = true;
      diskImage = "/var/lib/dsp-vm/archibaldos.qcow2";   # a string, not ~/vms/…
      netjack = {
        enable = true;
        sourcePort = 19000;    # NetJack2's port, not PulseAudio's 4713
        bufferSize = 128;      # 1.33 ms at 96 kHz
        sampleRate = 96000;
        channels = 2;
      };
    };
  };
}
