/* startup_probe: times a starting `netjack-bridge run` from outside, for bench/footprint.sh.
 * It binds a Unix datagram socket that the bridge is started with as $NOTIFY_SOCKET (the bridge
 * sends READY=1 there once its JACK client and ports are up, as it does to systemd), and polls
 * the bridge's counters file (docs/counters.md; Agrona CountersManager layout behind a 128-byte
 * header) every millisecond. It creates OUTFILE.listening once its socket is bound and OUTFILE.ready
 * when READY=1 arrives, for the script to wait on without starting JACK clients of its own. It reads only; the bridge is not changed by it. Lines, wall clock in
 * epoch microseconds, written when the probe ends:
 *   ready_us=...            READY=1 received
 *   counters_us=...         the counters file mapped with its layout version set
 *   listening_us=...        session state >= 1 (the master listens)
 *   announce_us=...         announces received > 0 (the slave's first SLAVE_AVAILABLE)
 *   running_us=...          session state == 3 (handshake done)
 *   first_sent_us=...       blocks sent > 0
 *   first_played_us=...     blocks played > 0 (the first block from the slave played into JACK)
 *   gc_at_1s=... / gc_end=... / gc_pause_ms_end=... / played_end=... / silent_end=...
 *                           the counters one second after the first played block and at the end
 *   ticks_first_played=... / ticks_1s=... / ticks_end=... / t_1s_us=...
 *                           the bridge's CPU (utime + stime of /proc/PID/stat, clock ticks; the PID
 *                           from the counters file's header) at the first played block, one
 *                           second later and at the end
 *   end_us=...
 * An event that did not happen is absent. The probe ends SESSION seconds after the first played
 * block, or TIMEOUT seconds after it started, or on SIGTERM.
 * Build: gcc -O2 -Wall -o startup_probe startup_probe.c
 * Usage: startup_probe COUNTERS_FILE NOTIFY_SOCKET OUTFILE TIMEOUT_S SESSION_S */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* CountersFileDescriptor: header, then 128 metadata records of 512 bytes, then 128 values of 128. */
#define HEADER_LENGTH 128
#define MAX_COUNTERS 128
#define METADATA_RECORD 512
#define VALUE_RECORD 128
#define FILE_LENGTH (HEADER_LENGTH + MAX_COUNTERS * METADATA_RECORD + MAX_COUNTERS * VALUE_RECORD)
#define RECORD_ALLOCATED 1
/* BridgeCounter type ids (docs/counters.md). */
#define ID_BLOCKS_SENT 2
#define ID_BLOCKS_PLAYED 3
#define ID_SILENT 4
#define ID_SESSION_STATE 17
#define ID_ANNOUNCES 79
#define ID_GC_COLLECTIONS 110
#define ID_GC_PAUSE_MS 111
#define MAX_ID 128

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static const volatile uint8_t *file;
static long long pid;

static long long cpu_ticks(void)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    char *p = strrchr(line, ')');
    if (!p) return -1;
    unsigned long long utime = 0, stime = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return (long long)(utime + stime);
}
static int index_of[MAX_ID];

static long long value(int id)
{
    if (index_of[id] < 0) return -1;
    const volatile int64_t *v = (const volatile int64_t *)(file + HEADER_LENGTH + MAX_COUNTERS * METADATA_RECORD +
        (size_t)index_of[id] * VALUE_RECORD);
    return (long long)*v;
}

/* Maps the file once its layout version is written; fills index_of. 0 when not there yet. */
static int map_counters(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < FILE_LENGTH) { close(fd); return 0; }
    void *m = mmap(NULL, FILE_LENGTH, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return 0;
    const volatile uint8_t *f = m;
    if (*(const volatile int32_t *)f == 0) { munmap(m, FILE_LENGTH); return 0; }
    for (int i = 0; i < MAX_ID; i++) index_of[i] = -1;
    for (int i = 0; i < MAX_COUNTERS; i++)
    {
        const volatile int32_t *meta = (const volatile int32_t *)(f + HEADER_LENGTH + (size_t)i * METADATA_RECORD);
        if (meta[0] == RECORD_ALLOCATED && meta[1] >= 0 && meta[1] < MAX_ID) index_of[meta[1]] = i;
    }
    if (index_of[ID_BLOCKS_PLAYED] < 0) { munmap(m, FILE_LENGTH); return 0; } /* still being filled */
    file = f;
    pid = *(const volatile int64_t *)(f + 16);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6)
    {
        fprintf(stderr, "usage: startup_probe COUNTERS_FILE NOTIFY_SOCKET OUTFILE TIMEOUT_S SESSION_S\n");
        return 2;
    }
    const char *counters = argv[1], *socket_path = argv[2], *out = argv[3];
    long long timeout_us = atoll(argv[4]) * 1000000LL, session_us = atoll(argv[5]) * 1000000LL;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (sock < 0 || strlen(socket_path) >= sizeof addr.sun_path)
    {
        fprintf(stderr, "startup_probe: no socket at %s\n", socket_path);
        return 1;
    }
    strcpy(addr.sun_path, socket_path);
    unlink(socket_path);
    if (bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0)
    {
        fprintf(stderr, "startup_probe: bind %s: %s\n", socket_path, strerror(errno));
        return 1;
    }
    /* Ready for the bridge: the script waits for this file before it starts the bridge. */
    char ready_flag[4096];
    snprintf(ready_flag, sizeof ready_flag, "%s.listening", out);
    FILE *flag = fopen(ready_flag, "w");
    if (flag) fclose(flag);

    long long start = now_us(), ready = 0, mapped = 0, listening = 0, announce = 0, running = 0;
    long long first_sent = 0, first_played = 0, gc_at_1s = -1, t_1s = 0;
    long long ticks_first = -1, ticks_1s = -1;
    char buf[4096];
    struct timespec tick = { 0, 1000000 };
    while (!stop_requested)
    {
        long long t = now_us();
        ssize_t n;
        while ((n = recv(sock, buf, sizeof buf - 1, 0)) > 0)
        {
            buf[n] = 0;
            if (!ready && (strncmp(buf, "READY=1", 7) == 0 || strstr(buf, "\nREADY=1")))
            {
                ready = t;
                snprintf(ready_flag, sizeof ready_flag, "%s.ready", out);
                flag = fopen(ready_flag, "w");
                if (flag) fclose(flag);
            }
        }
        if (!file && map_counters(counters)) mapped = t;
        if (file)
        {
            long long state = value(ID_SESSION_STATE);
            if (!listening && state >= 1) listening = t;
            if (!announce && value(ID_ANNOUNCES) > 0) announce = t;
            if (!running && state == 3) running = t;
            if (!first_sent && value(ID_BLOCKS_SENT) > 0) first_sent = t;
            if (!first_played && value(ID_BLOCKS_PLAYED) > 0) { first_played = t; ticks_first = cpu_ticks(); }
            if (first_played && gc_at_1s < 0 && t - first_played >= 1000000)
            {
                gc_at_1s = value(ID_GC_COLLECTIONS);
                ticks_1s = cpu_ticks();
                t_1s = t;
            }
            if (first_played && t - first_played >= session_us) break;
        }
        if (t - start >= timeout_us) break;
        nanosleep(&tick, NULL);
    }
    FILE *o = fopen(out, "w");
    if (!o) { perror(out); return 1; }
    fprintf(o, "probe_start_us=%lld\n", start);
    if (ready) fprintf(o, "ready_us=%lld\n", ready);
    if (mapped) fprintf(o, "counters_us=%lld\n", mapped);
    if (listening) fprintf(o, "listening_us=%lld\n", listening);
    if (announce) fprintf(o, "announce_us=%lld\n", announce);
    if (running) fprintf(o, "running_us=%lld\n", running);
    if (first_sent) fprintf(o, "first_sent_us=%lld\n", first_sent);
    if (first_played) fprintf(o, "first_played_us=%lld\n", first_played);
    if (gc_at_1s >= 0) fprintf(o, "gc_at_1s=%lld\n", gc_at_1s);
    if (file)
    {
        fprintf(o, "gc_end=%lld\n", value(ID_GC_COLLECTIONS));
        fprintf(o, "gc_pause_ms_end=%lld\n", value(ID_GC_PAUSE_MS));
        fprintf(o, "played_end=%lld\n", value(ID_BLOCKS_PLAYED));
        fprintf(o, "silent_end=%lld\n", value(ID_SILENT));
    }
    if (ticks_first >= 0) fprintf(o, "ticks_first_played=%lld\n", ticks_first);
    if (ticks_1s >= 0) fprintf(o, "ticks_1s=%lld\nt_1s_us=%lld\n", ticks_1s, t_1s);
    if (file) fprintf(o, "ticks_end=%lld\n", cpu_ticks());
    fprintf(o, "end_us=%lld\n", now_us());
    fclose(o);
    unlink(socket_path);
    return 0;
}
