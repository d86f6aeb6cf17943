/* clock_monitor: a JACK client that measures how fast one server's graph really runs and counts its
 * xruns, for bench/drift.sh (issue 17). On this shared machine a `jackd -d dummy` server does not
 * keep its nominal rate under load (it re-anchors its timer after a late wake-up), so the drift
 * between two dummy servers is measured, not assumed.
 *
 * The process callback stamps every period with CLOCK_MONOTONIC and keeps the server's frame
 * counter (jack_last_frame_time) and a count of periods run. Twice a second the main thread writes
 * one tick; an xrun callback (JACK's notification thread) is written with its wall-clock time:
 *   start <epoch_ms> server=<name> rate=<hz> period=<frames>
 *   tick <epoch_ms> mono_ns=<ns of the newest period's start> frame=<jack frame counter> periods=<n>
 *   xrun <epoch_ms> delay_us=<float>
 *   end <epoch_ms> xruns=<n>
 * The graph's real rate over a window is (frame_end - frame_start) / (mono_end - mono_start) in
 * frames per second of the monotonic clock; periods * period / seconds gives the frames it
 * processed (lower when xruns skipped periods).
 * The client set-up and the xrun lines are e2e/jack_monitor.h's, shared with e2e/xrun_monitor.c.
 * Build: gcc -O2 -Wall -o clock_monitor clock_monitor.c -ljack
 * Usage: clock_monitor SERVER OUTFILE */
#include "../e2e/jack_monitor.h"

/* Written by the process thread, read by the main thread: a sequence counter makes the three a
 * consistent triple (odd while the process thread writes). */
static volatile unsigned long sequence = 0;
static volatile long long period_mono_ns = 0;
static volatile unsigned long long period_frame = 0;
static volatile unsigned long long periods = 0;

static int on_process(jack_nframes_t frames, void *arg)
{
    (void)frames;
    (void)arg;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    sequence++;
    __sync_synchronize();
    period_mono_ns = (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
    period_frame = jack_last_frame_time(client);
    periods++;
    __sync_synchronize();
    sequence++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
    {
        fprintf(stderr, "usage: clock_monitor SERVER OUTFILE\n");
        return 2;
    }
    FILE *out = open_output(argv[2]);
    if (!out)
    {
        return 2;
    }
    if (open_client("clock_monitor", argv[1], 50))
    {
        return 1;
    }
    jack_set_process_callback(client, on_process, NULL);
    if (start_monitor("clock_monitor", argv[1], out))
    {
        return 1;
    }
    while (!stop_requested && !server_gone)
    {
        usleep(500000);
        long long mono;
        unsigned long long frame, count;
        unsigned long before, after;
        do
        {
            before = sequence;
            __sync_synchronize();
            mono = period_mono_ns;
            frame = period_frame;
            count = periods;
            __sync_synchronize();
            after = sequence;
        } while (before != after || (before & 1));
        if (count > 0)
        {
            fprintf(out, "tick %lld mono_ns=%lld frame=%llu periods=%llu\n", now_ms(), mono, frame, count);
        }
        write_xruns(out);
        fflush(out);
    }
    return finish_monitor(out);
}
