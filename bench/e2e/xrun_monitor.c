/* xrun_monitor: a JACK client that records every xrun callback of one server with its wall-clock
 * time (epoch ms) and the server's reported delay, and samples the DSP load every 100 ms, until
 * SIGTERM/SIGINT or the server goes away. Lines are written as they happen (flushed), so a hard
 * stop loses at most the last 100 ms:
 *   start <epoch_ms> server=<name> rate=<hz> period=<frames>
 *   xrun <epoch_ms> delay_us=<float>
 *   load <epoch_ms> dsp_load_pct=<float>          (one per second: the mean of ten samples)
 *   end <epoch_ms> xruns=<n>
 * Build: gcc -O2 -Wall -o xrun_monitor xrun_monitor.c -ljack
 * Usage: xrun_monitor SERVER OUTFILE */
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

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
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
        fprintf(stderr, "usage: xrun_monitor SERVER OUTFILE\n");
        return 2;
    }
    FILE *out = fopen(argv[2], "w");
    if (!out)
    {
        perror(argv[2]);
        return 2;
    }
    jack_status_t status;
    for (int attempt = 0; attempt < 50 && !client; attempt++)
    {
        client = jack_client_open("xrun_monitor", JackServerName | JackNoStartServer, &status, argv[1]);
        if (!client)
        {
            usleep(100000);
        }
    }
    if (!client)
    {
        fprintf(stderr, "xrun_monitor: cannot open server %s (status 0x%x)\n", argv[1], status);
        return 1;
    }
    jack_set_xrun_callback(client, on_xrun, NULL);
    jack_on_shutdown(client, on_shutdown, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (jack_activate(client))
    {
        fprintf(stderr, "xrun_monitor: activate failed\n");
        return 1;
    }
    fprintf(out, "start %lld server=%s rate=%u period=%u\n", now_ms(), argv[1], jack_get_sample_rate(client),
            jack_get_buffer_size(client));
    fflush(out);
    int written = 0;
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
