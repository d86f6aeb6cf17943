/* jack_monitor.h: what the two monitor clients share (e2e/xrun_monitor.c, drift/clock_monitor.c):
 * the client set-up of jack_client.h, every xrun recorded with its wall-clock time and the
 * server's reported delay, and the lines both write:
 *   start <epoch_ms> server=<name> rate=<hz> period=<frames>
 *   xrun <epoch_ms> delay_us=<float>
 *   end <epoch_ms> xruns=<n>[ server_gone=1]
 * Usage: open_output, open_client, set any callbacks of its own, start_monitor; then in the main
 * loop write_xruns and fflush; finish_monitor at the end. */
#ifndef BENCH_JACK_MONITOR_H
#define BENCH_JACK_MONITOR_H

#include "jack_client.h"
#include <jack/statistics.h>

#define MAX_XRUNS 65536
/* Written by JACK's notification thread, read by the main thread up to xruns_recorded. */
static long long xrun_at_ms[MAX_XRUNS];
static float xrun_delay_us[MAX_XRUNS];
static volatile int xruns_recorded = 0;
static int xruns_written = 0;

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

/* Records xruns, activates `client` as NAME and writes the start line for SERVER. 0 when
 * running; 1 after saying so on stderr. */
static inline int start_monitor(const char *name, const char *server, FILE *out)
{
    jack_set_xrun_callback(client, on_xrun, NULL);
    if (activate_client(name))
    {
        return 1;
    }
    fprintf(out, "start %lld server=%s rate=%u period=%u\n", now_ms(), server, jack_get_sample_rate(client),
            jack_get_buffer_size(client));
    fflush(out);
    return 0;
}

/* Writes the xruns recorded since the last call (not flushed). */
static inline void write_xruns(FILE *out)
{
    for (int n = xruns_recorded; xruns_written < n; xruns_written++)
    {
        fprintf(out, "xrun %lld delay_us=%.0f\n", xrun_at_ms[xruns_written], xrun_delay_us[xruns_written]);
    }
}

/* The last xruns and the end line, then closes OUT and the client. Returns main's status, 0. */
static inline int finish_monitor(FILE *out)
{
    write_xruns(out);
    fprintf(out, "end %lld xruns=%d%s\n", now_ms(), xruns_recorded, server_gone ? " server_gone=1" : "");
    close_client(out);
    return 0;
}

#endif
