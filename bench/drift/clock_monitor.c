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
 * Build: gcc -O2 -Wall -o clock_monitor clock_monitor.c -ljack
 * Usage: clock_monitor SERVER OUTFILE */
#include <jack/jack.h>
#include <jack/statistics.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_XRUNS 65536
static jack_client_t *client;
static volatile sig_atomic_t stop_requested = 0;
static volatile int server_gone = 0;
static long long xrun_at_ms[MAX_XRUNS];
static float xrun_delay_us[MAX_XRUNS];
static volatile int xruns_recorded = 0;

/* Written by the process thread, read by the main thread: a sequence counter makes the three a
 * consistent triple (odd while the process thread writes). */
static volatile unsigned long sequence = 0;
static volatile long long period_mono_ns = 0;
static volatile unsigned long long period_frame = 0;
static volatile unsigned long long periods = 0;

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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

/* Called on JACK's notification thread, not the process thread. */
static int on_xrun(void *arg)
{
    (void)arg;
    int n = xruns_recorded;
    if (n < MAX_XRUNS)
    {
        xrun_at_ms[n] = now_ms();
        xrun_delay_us[n] = jack_get_xrun_delayed_usecs(client);
        xruns_recorded = n + 1;
    }
    return 0;
}

static void on_shutdown(void *arg) { (void)arg; server_gone = 1; }
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

int main(int argc, char **argv)
{
    if (argc != 3)
    {
        fprintf(stderr, "usage: clock_monitor SERVER OUTFILE\n");
        return 2;
    }
    FILE *out = fopen(argv[2], "w");
    if (!out)
    {
        perror(argv[2]);
        return 2;
    }
    jack_status_t status = 0;
    for (int attempt = 0; attempt < 50 && !client; attempt++)
    {
        client = jack_client_open("clock_monitor", JackServerName | JackNoStartServer, &status, argv[1]);
        if (!client)
        {
            usleep(100000);
        }
    }
    if (!client)
    {
        fprintf(stderr, "clock_monitor: cannot open server %s (status 0x%x)\n", argv[1], status);
        return 1;
    }
    jack_set_process_callback(client, on_process, NULL);
    jack_set_xrun_callback(client, on_xrun, NULL);
    jack_on_shutdown(client, on_shutdown, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (jack_activate(client))
    {
        fprintf(stderr, "clock_monitor: activate failed\n");
        return 1;
    }
    fprintf(out, "start %lld server=%s rate=%u period=%u\n", now_ms(), argv[1], jack_get_sample_rate(client),
            jack_get_buffer_size(client));
    fflush(out);
    int written = 0;
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
        for (int n = xruns_recorded; written < n; written++)
        {
            fprintf(out, "xrun %lld delay_us=%.0f\n", xrun_at_ms[written], xrun_delay_us[written]);
        }
        fflush(out);
    }
    for (int n = xruns_recorded; written < n; written++)
    {
        fprintf(out, "xrun %lld delay_us=%.0f\n", xrun_at_ms[written], xrun_delay_us[written]);
    }
    fprintf(out, "end %lld xruns=%d%s\n", now_ms(), xruns_recorded, server_gone ? " server_gone=1" : "");
    fclose(out);
    if (!server_gone)
    {
        jack_client_close(client);
    }
    return 0;
}
