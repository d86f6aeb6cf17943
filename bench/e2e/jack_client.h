/* jack_client.h: the JACK client set-up that bench's small C clients share (e2e/xrun_monitor.c,
 * e2e/audio_probe.c, drift/clock_monitor.c): one client per process in the global `client`, opened
 * on a named server that is never started by it, stopped by SIGTERM/SIGINT (`stop_requested`) or
 * by the server going away (`server_gone`, after which the client must not be closed). Each
 * program includes it once; everything is static, so nothing is linked twice.
 * Build: header only; a program that includes it links with -ljack. */
#ifndef BENCH_JACK_CLIENT_H
#define BENCH_JACK_CLIENT_H

#include <jack/jack.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static jack_client_t *client;
static volatile sig_atomic_t stop_requested = 0;
static volatile int server_gone = 0;

/* The wall clock in epoch milliseconds: the scripts line these up with their own time stamps.
 * A vDSO call: no system call, no lock, so the process callback may call it too. */
static inline long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_shutdown(void *arg) { (void)arg; server_gone = 1; }
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

/* OUTFILE for writing, or NULL after saying why on stderr. */
static inline FILE *open_output(const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out)
    {
        perror(path);
    }
    return out;
}

/* Opens `client` as NAME on SERVER, up to ATTEMPTS times 100 ms apart (a server that has just
 * started, or a second client opening at the same instant, can refuse at first). 0 when open;
 * 1 after saying so on stderr. */
static inline int open_client(const char *name, const char *server, int attempts)
{
    jack_status_t status = 0;
    for (int attempt = 0; attempt < attempts && !client; attempt++)
    {
        client = jack_client_open(name, JackServerName | JackNoStartServer, &status, server);
        if (!client && attempt + 1 < attempts)
        {
            usleep(100000);
        }
    }
    if (!client)
    {
        fprintf(stderr, "%s: cannot open server %s (status 0x%x)\n", name, server, status);
        return 1;
    }
    return 0;
}

/* Watches for the server's shutdown and for SIGTERM/SIGINT, then activates `client` (its
 * callbacks must be set before). 0 when active; 1 after saying so on stderr. */
static inline int activate_client(const char *name)
{
    jack_on_shutdown(client, on_shutdown, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (jack_activate(client))
    {
        fprintf(stderr, "%s: activate failed\n", name);
        return 1;
    }
    return 0;
}

/* Closes OUT and, unless the server went away (its client is gone with it), `client`. */
static inline void close_client(FILE *out)
{
    fclose(out);
    if (!server_gone)
    {
        jack_client_close(client);
    }
}

#endif
