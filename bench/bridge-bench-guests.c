/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scripted guests: one process plays every VM's end of the vmlink channel. Each VM's channel is
 * a listening UNIX socket, as QEMU serves it; vmlinkd connects, sends its hello, and the guest
 * answers with the nonce echoed. Then the guests send heartbeats, the message every agent sends
 * most often, spread over all channels.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bridge-bench.h"
#include "vl-json.h"

#define EVENTS 256
#define LISTEN_BACKLOG 16
/* Longest wait for vmlinkd to read what it was sent. */
#define SEND_TIMEOUT_MS 120000

static const char guest_hello[] = "{\"type\":\"hello\",\"versions\":[1],\"version\":1,"
                                  "\"nonce\":\"%s\",\"agent\":{\"name\":\"bridge-bench\","
                                  "\"version\":\"1\"}}\n";

typedef struct {
    int listener;
    int fd;      /* vmlinkd's connection; -1 before it comes */
    GString *in; /* bytes read, not yet a whole line */
    gboolean ready;
    guint64 sent;       /* heartbeats written */
    guint64 last_value; /* memory.available_kib of the last one */
} Guest;

struct _BenchGuests {
    guint count;
    Guest *guests;
    char **paths; /* NULL-terminated */
    int epfd;
    guint ready;   /* guests that answered a hello */
    guint64 value; /* numbers the heartbeats */
};

/* Epoll keys: the guest's index, and whether the event is its listener's or its connection's. */
#define KEY(i, conn) (((guint64)(i) << 1) | (conn))

static gboolean
set_errno_error(GError **error, const char *what, const char *path)
{
    int saved = errno;

    g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%s%s%s: %s", what, path ? " " : "",
                path ? path : "", g_strerror(saved));
    return FALSE;
}

BenchGuests *
bench_guests_new(const char *folder, guint count, GError **error)
{
    g_autoptr(BenchGuests) g = g_new0(BenchGuests, 1);

    g->count = count;
    g->guests = g_new0(Guest, count);
    g->paths = g_new0(char *, count + 1);
    for (guint i = 0; i < count; i++) {
        g->guests[i].listener = -1;
        g->guests[i].fd = -1;
        g->guests[i].in = g_string_new(NULL);
    }
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (g->epfd < 0) {
        set_errno_error(error, "epoll_create1", NULL);
        return NULL;
    }
    for (guint i = 0; i < count; i++) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = KEY(i, 0)};
        Guest *guest = &g->guests[i];

        g->paths[i] = g_strdup_printf("%s/c%05u.sock", folder, i);
        if (strlen(g->paths[i]) >= sizeof addr.sun_path) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "socket path too long: %s",
                        g->paths[i]);
            return NULL;
        }
        strcpy(addr.sun_path, g->paths[i]);
        guest->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (guest->listener < 0) {
            set_errno_error(error, "socket for", g->paths[i]);
            return NULL;
        }
        if (bind(guest->listener, (struct sockaddr *)&addr, sizeof addr) < 0 ||
            listen(guest->listener, LISTEN_BACKLOG) < 0) {
            set_errno_error(error, "cannot listen on", g->paths[i]);
            return NULL;
        }
        if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, guest->listener, &ev) < 0) {
            set_errno_error(error, "epoll_ctl for", g->paths[i]);
            return NULL;
        }
    }
    return g_steal_pointer(&g);
}

static void
drop_connection(BenchGuests *g, Guest *guest)
{
    if (guest->fd >= 0) {
        close(guest->fd); /* also leaves the epoll set */
        guest->fd = -1;
    }
    if (guest->ready) {
        guest->ready = FALSE;
        g->ready--;
    }
    g_string_truncate(guest->in, 0);
}

void
bench_guests_free(BenchGuests *g)
{
    if (g == NULL) {
        return;
    }
    for (guint i = 0; i < g->count; i++) {
        Guest *guest = &g->guests[i];

        drop_connection(g, guest);
        if (guest->listener >= 0) {
            close(guest->listener);
            unlink(g->paths[i]);
        }
        g_string_free(guest->in, TRUE);
    }
    if (g->epfd >= 0) {
        close(g->epfd);
    }
    g_free(g->guests);
    g_strfreev(g->paths);
    g_free(g);
}

const char *const *
bench_guests_paths(BenchGuests *g)
{
    return (const char *const *)g->paths;
}

guint64
bench_guests_sent(BenchGuests *g, guint i)
{
    return g->guests[i].sent;
}

guint64
bench_guests_last_value(BenchGuests *g, guint i)
{
    return g->guests[i].last_value;
}

/* Handshakes ----------------------------------------------------------------------------------- */

/* Takes every connection waiting on guest i's listener; a new one replaces the old. */
static gboolean
accept_all(BenchGuests *g, guint i, gint64 *first, GError **error)
{
    Guest *guest = &g->guests[i];

    for (;;) {
        int fd = accept4(guest->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = KEY(i, 1)};

        if (fd < 0) {
            return errno == EAGAIN || errno == EINTR ||
                   set_errno_error(error, "accept on", g->paths[i]);
        }
        if (*first == 0) {
            *first = g_get_monotonic_time();
        }
        drop_connection(g, guest);
        guest->fd = fd;
        if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            return set_errno_error(error, "epoll_ctl for a connection to", g->paths[i]);
        }
    }
}

/* Answers one line from vmlinkd: its hello gets ours, with its nonce. */
static gboolean
answer(BenchGuests *g, Guest *guest, const char *line, gsize len, GError **error)
{
    g_autoptr(GError) parse_error = NULL;
    g_autoptr(VlJson) m = vl_json_parse(line, len, &parse_error);
    const char *nonce = vl_json_get_string(vl_json_object_get(m, "nonce"));
    g_autofree char *hello = NULL;
    gsize left;
    ssize_t n;

    if (m == NULL || g_strcmp0(vl_json_get_string(vl_json_object_get(m, "type")), "hello") != 0 ||
        nonce == NULL) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED,
                    "vmlinkd sent something other than its hello: %.200s", line);
        return FALSE;
    }
    hello = g_strdup_printf(guest_hello, nonce);
    left = strlen(hello);
    /* A new connection's buffer takes it whole. */
    n = send(guest->fd, hello, left, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n != (ssize_t)left) {
        return set_errno_error(error, "cannot answer the hello on a channel", NULL);
    }
    if (!guest->ready) {
        guest->ready = TRUE;
        g->ready++;
    }
    return TRUE;
}

static gboolean
read_connection(BenchGuests *g, guint i, GError **error)
{
    Guest *guest = &g->guests[i];
    char buf[4096];

    for (;;) {
        ssize_t n = recv(guest->fd, buf, sizeof buf, MSG_DONTWAIT);
        const char *nl;

        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return TRUE;
        }
        if (n <= 0) {
            /* vmlinkd let the channel go; it connects again and the guest answers again. */
            g_printerr("bridge-bench: vmlinkd closed the channel of VM %u during the handshakes "
                       "(%s)\n",
                       i, n < 0 ? g_strerror(errno) : "end of file");
            drop_connection(g, guest);
            return TRUE;
        }
        g_string_append_len(guest->in, buf, n);
        while ((nl = memchr(guest->in->str, '\n', guest->in->len)) != NULL) {
            gsize len = (gsize)(nl - guest->in->str);

            if (!answer(g, guest, guest->in->str, len, error)) {
                return FALSE;
            }
            g_string_erase(guest->in, 0, (gssize)len + 1);
        }
    }
}

gboolean
bench_guests_handshake(BenchGuests *g, BenchPeer *bridge, guint timeout_ms, gint64 *ret_first,
                       GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    struct epoll_event events[EVENTS];

    *ret_first = 0;
    while (g->ready < g->count) {
        int n = epoll_wait(g->epfd, events, EVENTS, 100);

        if (n < 0 && errno != EINTR) {
            return set_errno_error(error, "epoll_wait", NULL);
        }
        for (int e = 0; e < n; e++) {
            guint i = (guint)(events[e].data.u64 >> 1);
            gboolean ok = events[e].data.u64 & 1 ? read_connection(g, i, error)
                                                 : accept_all(g, i, ret_first, error);

            if (!ok) {
                return FALSE;
            }
        }
        if (!bench_peer_check(bridge, error) || bench_interrupted(error)) {
            return FALSE;
        }
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_TIMEOUT,
                        "%u of %u channels handshaken after %u s", g->ready, g->count,
                        timeout_ms / 1000);
            return FALSE;
        }
    }
    return TRUE;
}

void
bench_guests_drop_pending(BenchGuests *g)
{
    for (guint i = 0; i < g->count; i++) {
        int fd;

        while ((fd = accept4(g->guests[i].listener, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
            close(fd);
        }
    }
}

/* Heartbeats ----------------------------------------------------------------------------------- */

/* Bytes written to the connection that vmlinkd has not read yet. */
static gboolean
unread(Guest *guest, int *ret_bytes, GError **error)
{
    if (ioctl(guest->fd, SIOCOUTQ, ret_bytes) < 0) {
        return set_errno_error(error, "SIOCOUTQ", NULL);
    }
    return TRUE;
}

static gboolean
send_heartbeat(BenchGuests *g, Guest *guest, GError **error)
{
    char frame[256];
    guint64 value = ++g->value;
    int len = g_snprintf(frame, sizeof frame,
                         "{\"type\":\"heartbeat\",\"seq\":%" G_GUINT64_FORMAT
                         ",\"uptime_s\":%" G_GUINT64_FORMAT ",\"memory\":{\"total_kib\":1048576,"
                         "\"available_kib\":%" G_GUINT64_FORMAT "}}\n",
                         guest->sent + 1, 100 + guest->sent, value);
    ssize_t n = send(guest->fd, frame, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (n != len) {
        if (n >= 0) {
            errno = EAGAIN;
        }
        return set_errno_error(error, "cannot write a heartbeat", NULL);
    }
    guest->sent++;
    guest->last_value = value;
    return TRUE;
}

/* Every channel's connection reports EPOLLOUT, edge-triggered: on a UNIX stream socket, the
 * kernel wakes a writer waiting for space when the reader has consumed what it wrote, so each
 * heartbeat vmlinkd reads is one event here, and the guest blocks while vmlinkd works. */
static gboolean
watch_writes(BenchGuests *g, GError **error)
{
    for (guint i = 0; i < g->count; i++) {
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u64 = KEY(i, 1)};

        /* Modifying re-checks readiness: every empty channel reports once now. */
        if (epoll_ctl(g->epfd, EPOLL_CTL_MOD, g->guests[i].fd, &ev) < 0) {
            return set_errno_error(error, "epoll_ctl for", g->paths[i]);
        }
    }
    return TRUE;
}

gboolean
bench_guests_send(BenchGuests *g, BenchPeer *bridge, guint64 count, BenchSendStats *ret_stats,
                  GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)SEND_TIMEOUT_MS * 1000;
    g_autofree gboolean *waiting = g_new0(gboolean, g->count);
    struct epoll_event events[EVENTS];
    guint outstanding = 0;

    *ret_stats = (BenchSendStats){0};
    if (!watch_writes(g, error)) {
        return FALSE;
    }
    while (ret_stats->sent < count || outstanding > 0) {
        int n = epoll_wait(g->epfd, events, EVENTS, 100);

        if (n < 0 && errno != EINTR) {
            return set_errno_error(error, "epoll_wait", NULL);
        }
        for (int e = 0; e < n; e++) {
            guint i = (guint)(events[e].data.u64 >> 1);
            Guest *guest = &g->guests[i];
            int bytes;

            if (!(events[e].data.u64 & 1)) {
                continue; /* a listener: vmlinkd does not connect again (verify() would see) */
            }
            if (!unread(guest, &bytes, error)) {
                return FALSE;
            }
            if (bytes > 0) {
                continue; /* not read yet: its reading will be another event */
            }
            if (waiting[i]) {
                waiting[i] = FALSE;
                outstanding--;
            }
            if (ret_stats->sent == count) {
                continue;
            }
            if (!send_heartbeat(g, guest, error)) {
                return FALSE;
            }
            waiting[i] = TRUE;
            outstanding++;
            ret_stats->sent++;
        }
        if (n <= 0) {
            if (!bench_peer_check(bridge, error) || bench_interrupted(error)) {
                return FALSE;
            }
            if (g_get_monotonic_time() > deadline) {
                g_set_error(error, BENCH_ERROR, BENCH_ERROR_TIMEOUT,
                            "vmlinkd has read %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                            " heartbeats in %u s",
                            ret_stats->sent - outstanding, count, SEND_TIMEOUT_MS / 1000);
                return FALSE;
            }
        }
    }
    ret_stats->min_per = G_MAXUINT64;
    ret_stats->max_per = 0;
    for (guint i = 0; i < g->count; i++) {
        ret_stats->min_per = MIN(ret_stats->min_per, g->guests[i].sent);
        ret_stats->max_per = MAX(ret_stats->max_per, g->guests[i].sent);
    }
    return TRUE;
}

gboolean
bench_guests_pace(BenchGuests *g, BenchPeer *bridge, guint interval_ms, guint duration_ms,
                  BenchSendStats *ret_stats, GError **error)
{
    /* Heartbeat k is due at start + k * interval / count: each channel every interval, the
     * channels evenly apart, as agents started at random moments send them. */
    gint64 period_ns = (gint64)interval_ms * 1000000 / g->count;
    gint64 count = (gint64)duration_ms * 1000000 / MAX(period_ns, 1);
    struct timespec start;

    *ret_stats = (BenchSendStats){0};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (gint64 k = 0; k < count; k++) {
        gint64 due_ns = (gint64)start.tv_nsec + k * period_ns;
        struct timespec due = {.tv_sec = start.tv_sec + due_ns / 1000000000,
                               .tv_nsec = due_ns % 1000000000};
        Guest *guest = &g->guests[k % g->count];
        int bytes;

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR) {
            if (bench_interrupted(error)) {
                return FALSE;
            }
        }
        if (!unread(guest, &bytes, error)) {
            return FALSE;
        }
        if (bytes > 0) {
            /* vmlinkd has not read this channel's previous heartbeat, interval ago. */
            ret_stats->late++;
            continue;
        }
        if (!send_heartbeat(g, guest, error)) {
            return FALSE;
        }
        ret_stats->sent++;
        if (k % 1000 == 999 && !bench_peer_check(bridge, error)) {
            return FALSE;
        }
    }
    return bench_peer_check(bridge, error);
}
