/* audio_probe: a JACK client that plays a 750 Hz tone at -6 dBFS into a target port and watches
 * a source port for it, to time when audio stops and flows again across a peer restart. It keeps
 * its two connections alive: every 2 ms its main thread re-connects them if the ports exist and
 * are not connected (JACK2's netmanager removes and re-creates the slave's ports; the bridge's
 * stay). Each period the process callback takes the input's peak; a period is "flowing" when the
 * peak is above 0.05. Transitions and connection events are written as they happen:
 *   start <epoch_ms>
 *   connected <epoch_ms> <port>        the probe (re)connected to a port
 *   flowing <epoch_ms> after_silent_periods=<n>
 *   silent <epoch_ms> after_flowing_periods=<n>
 *   end <epoch_ms> periods=<n> flowing_periods=<n> silent_periods=<n>
 * The client set-up is jack_client.h's, shared with xrun_monitor.c and drift/clock_monitor.c.
 * Build: gcc -O2 -Wall -o audio_probe audio_probe.c -ljack -lm
 * Usage: audio_probe SERVER TARGET_PORT SOURCE_PORT OUTFILE */
#include "jack_client.h"
#include <math.h>
#include <string.h>

#define MAX_EVENTS 65536
static jack_port_t *out_port;
static jack_port_t *in_port;
static double phase = 0;
static double phase_step = 0;

/* Written by the process thread only, read by the main thread. */
static long long event_at_ms[MAX_EVENTS];
static int event_flowing[MAX_EVENTS];
static long event_run[MAX_EVENTS];
static volatile int events_recorded = 0;
static int flowing = 0;
static long run_periods = 0;
static volatile long periods = 0, flowing_periods = 0, silent_periods = 0;

static int process(jack_nframes_t frames, void *arg)
{
    (void)arg;
    float *out = jack_port_get_buffer(out_port, frames);
    const float *in = jack_port_get_buffer(in_port, frames);
    float peak = 0;
    for (jack_nframes_t i = 0; i < frames; i++)
    {
        out[i] = (float)(0.5 * sin(phase));
        phase += phase_step;
        if (phase > 2 * M_PI)
        {
            phase -= 2 * M_PI;
        }
        float a = fabsf(in[i]);
        if (a > peak)
        {
            peak = a;
        }
    }
    int now_flowing = peak > 0.05f;
    periods++;
    if (now_flowing)
    {
        flowing_periods++;
    }
    else
    {
        silent_periods++;
    }
    if (now_flowing != flowing)
    {
        int n = events_recorded;
        if (n < MAX_EVENTS)
        {
            event_at_ms[n] = now_ms();
            event_flowing[n] = now_flowing;
            event_run[n] = run_periods;
            events_recorded = n + 1;
        }
        flowing = now_flowing;
        run_periods = 0;
    }
    run_periods++;
    return 0;
}

static void keep_connected(const char *from, const char *to, const char *peer, FILE *out)
{
    jack_port_t *port = jack_port_by_name(client, peer);
    if (!port)
    {
        return;
    }
    if (!jack_port_connected_to(strcmp(from, peer) == 0 ? in_port : out_port, peer))
    {
        if (jack_connect(client, from, to) == 0)
        {
            fprintf(out, "connected %lld %s\n", now_ms(), peer);
            fflush(out);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 5)
    {
        fprintf(stderr, "usage: audio_probe SERVER TARGET_PORT SOURCE_PORT OUTFILE\n");
        return 2;
    }
    FILE *out = open_output(argv[4]);
    if (!out)
    {
        return 2;
    }
    if (open_client("audio_probe", argv[1], 1))
    {
        return 1;
    }
    phase_step = 2 * M_PI * 750.0 / jack_get_sample_rate(client);
    out_port = jack_port_register(client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    in_port = jack_port_register(client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(client, process, NULL);
    if (activate_client("audio_probe"))
    {
        return 1;
    }
    fprintf(out, "start %lld\n", now_ms());
    fflush(out);
    int written = 0;
    while (!stop_requested && !server_gone)
    {
        keep_connected("audio_probe:out", argv[2], argv[2], out);
        keep_connected(argv[3], "audio_probe:in", argv[3], out);
        for (int n = events_recorded; written < n; written++)
        {
            fprintf(out, "%s %lld after_%s_periods=%ld\n", event_flowing[written] ? "flowing" : "silent",
                    event_at_ms[written], event_flowing[written] ? "silent" : "flowing", event_run[written]);
        }
        fflush(out);
        usleep(2000);
    }
    for (int n = events_recorded; written < n; written++)
    {
        fprintf(out, "%s %lld after_%s_periods=%ld\n", event_flowing[written] ? "flowing" : "silent",
                event_at_ms[written], event_flowing[written] ? "silent" : "flowing", event_run[written]);
    }
    fprintf(out, "end %lld periods=%ld flowing_periods=%ld silent_periods=%ld\n", now_ms(), periods, flowing_periods,
            silent_periods);
    close_client(out);
    return 0;
}
