/* xrun_monitor: a JACK client that records every xrun callback of one server with its wall-clock
 * time (epoch ms) and the server's reported delay, and samples the DSP load every 100 ms, until
 * SIGTERM/SIGINT or the server goes away. Lines are written as they happen (flushed), so a hard
 * stop loses at most the last 100 ms:
 *   start <epoch_ms> server=<name> rate=<hz> period=<frames>
 *   xrun <epoch_ms> delay_us=<float>
 *   load <epoch_ms> dsp_load_pct=<float>          (one per second: the mean of ten samples)
 *   end <epoch_ms> xruns=<n>
 * The client set-up and the xrun lines are jack_monitor.h's, shared with drift/clock_monitor.c.
 * Build: gcc -O2 -Wall -o xrun_monitor xrun_monitor.c -ljack
 * Usage: xrun_monitor SERVER OUTFILE */
#include "jack_monitor.h"

int main(int argc, char **argv)
{
    if (argc != 3)
    {
        fprintf(stderr, "usage: xrun_monitor SERVER OUTFILE\n");
        return 2;
    }
    FILE *out = open_output(argv[2]);
    if (!out)
    {
        return 2;
    }
    if (open_client("xrun_monitor", argv[1], 50) || start_monitor("xrun_monitor", argv[1], out))
    {
        return 1;
    }
    double load_sum = 0;
    int load_samples = 0;
    while (!stop_requested && !server_gone)
    {
        usleep(100000);
        load_sum += jack_cpu_load(client);
        if (++load_samples == 10)
        {
            fprintf(out, "load %lld dsp_load_pct=%.2f\n", now_ms(), load_sum / load_samples);
            load_sum = 0;
            load_samples = 0;
        }
        write_xruns(out);
        fflush(out);
    }
    return finish_monitor(out);
}
