/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bench-peer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"

#define LOG_TAIL 1500
#define STOP_GRACE_MS 2000

struct _BenchPeer {
    char *name;
    char *log_path;
    GPid pid;
    gboolean exited;
    int status;
};

/* Peers -------------------------------------------------------------------------------------- */

/* Runs in the child before exec: die with the benchmark, whatever kills it. */
static void
child_setup(gpointer user_data)
{
    pid_t parent = GPOINTER_TO_INT(user_data);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(127);
    }
}

BenchPeer *
bench_peer_spawn(const char *name, const char *const *argv, const char *log_path, GError **error)
{
    g_autoptr(BenchPeer) peer = g_new0(BenchPeer, 1);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    gboolean ok;

    peer->name = g_strdup(name);
    peer->log_path = g_strdup(log_path);
    peer->exited = TRUE; /* until it runs */
    if (log_fd < 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "cannot create %s: %s", log_path,
                    g_strerror(errno));
        return NULL;
    }
    ok = g_spawn_async_with_pipes_and_fds(
        NULL, argv, NULL,
        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL, child_setup,
        GINT_TO_POINTER(getpid()), -1, log_fd, log_fd, NULL, NULL, 0, &peer->pid, NULL, NULL, NULL,
        error);
    close(log_fd);
    if (!ok) {
        g_prefix_error(error, "starting %s: ", name);
        return NULL;
    }
    peer->exited = FALSE;
    return g_steal_pointer(&peer);
}

static gboolean
reap(BenchPeer *peer, gboolean block)
{
    if (!peer->exited && waitpid(peer->pid, &peer->status, block ? 0 : WNOHANG) == peer->pid) {
        peer->exited = TRUE;
    }
    return peer->exited;
}

void
bench_peer_free(BenchPeer *peer)
{
    if (peer == NULL) {
        return;
    }
    if (!reap(peer, FALSE)) {
        kill(peer->pid, SIGTERM);
        for (guint waited = 0; waited < STOP_GRACE_MS && !reap(peer, FALSE); waited += 10) {
            poll(NULL, 0, 10);
        }
        if (!peer->exited) {
            kill(peer->pid, SIGKILL);
            reap(peer, TRUE);
        }
    }
    g_free(peer->name);
    g_free(peer->log_path);
    g_free(peer);
}

GPid
bench_peer_pid(BenchPeer *peer)
{
    return peer->pid;
}

gboolean
bench_peer_check(BenchPeer *peer, GError **error)
{
    g_autofree char *log = NULL;
    gsize len = 0;
    const char *tail;

    if (!reap(peer, FALSE)) {
        return TRUE;
    }
    g_file_get_contents(peer->log_path, &log, &len, NULL);
    tail = log && len > LOG_TAIL ? log + len - LOG_TAIL : (log ? log : "");
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_CLOSED,
                "%s exited (status 0x%x); its log ends:\n%s", peer->name, (guint)peer->status,
                tail);
    return FALSE;
}

/* Connections -------------------------------------------------------------------------------- */

struct _BenchConn {
    int fd;
    GString *buf;
    gsize scanned;    /* bytes of buf known to hold no newline */
    gint64 read_time; /* when the last read returned */
    guint64 lines;
};

BenchConn *
bench_conn_connect(BenchPeer *peer, const char *path, guint timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    if (strlen(path) >= sizeof addr.sun_path) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "socket path too long: %s", path);
        return NULL;
    }
    strcpy(addr.sun_path, path);
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int saved;

        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
            BenchConn *conn = g_new0(BenchConn, 1);

            conn->fd = fd;
            conn->buf = g_string_new(NULL);
            return conn;
        }
        saved = errno;
        if (fd >= 0) {
            close(fd);
        }
        if (!bench_peer_check(peer, error) || bench_interrupted(error)) {
            return NULL;
        }
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_TIMEOUT, "cannot connect to %s: %s", path,
                        g_strerror(saved));
            return NULL;
        }
        poll(NULL, 0, 10);
    }
}

void
bench_conn_free(BenchConn *conn)
{
    if (conn) {
        close(conn->fd);
        g_string_free(conn->buf, TRUE);
        g_free(conn);
    }
}

gboolean
bench_conn_send(BenchConn *conn, const char *line, GError **error)
{
    g_autofree char *frame = g_strconcat(line, "\n", NULL);
    const char *p = frame;
    gsize left = strlen(frame);

    while (left > 0) {
        ssize_t n = send(conn->fd, p, left, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR && !bench_interrupted(error)) {
            continue;
        }
        if (n < 0) {
            if (errno != EINTR) {
                g_set_error(error, BENCH_ERROR, BENCH_ERROR_CLOSED, "send: %s", g_strerror(errno));
            }
            return FALSE;
        }
        p += n;
        left -= (gsize)n;
    }
    return TRUE;
}

/* Waits up to deadline for more bytes and appends them to the buffer. */
static gboolean
read_more(BenchConn *conn, gint64 deadline, GError **error)
{
    struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
    char chunk[65536];
    gint64 left;
    ssize_t n;

    for (;;) {
        left = deadline - g_get_monotonic_time();
        if (bench_interrupted(error)) {
            return FALSE;
        }
        if (poll(&pfd, 1, left > 0 ? (int)((left + 999) / 1000) : 0) > 0) {
            break;
        }
        if (left <= 0) {
            g_set_error_literal(error, BENCH_ERROR, BENCH_ERROR_TIMEOUT, "no answer in time");
            return FALSE;
        }
    }
    n = recv(conn->fd, chunk, sizeof chunk, MSG_DONTWAIT);
    conn->read_time = g_get_monotonic_time();
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return TRUE;
    }
    if (n <= 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_CLOSED, "connection closed%s%s",
                    n < 0 ? ": " : "", n < 0 ? g_strerror(errno) : "");
        return FALSE;
    }
    g_string_append_len(conn->buf, chunk, n);
    return TRUE;
}

char *
bench_conn_recv(BenchConn *conn, guint timeout_ms, gint64 *ret_time, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        const char *nl =
            memchr(conn->buf->str + conn->scanned, '\n', conn->buf->len - conn->scanned);

        if (nl) {
            gsize len = (gsize)(nl - conn->buf->str);
            char *line = g_strndup(conn->buf->str, len);

            g_string_erase(conn->buf, 0, (gssize)len + 1);
            conn->scanned = 0;
            conn->lines++;
            if (ret_time) {
                *ret_time = conn->read_time;
            }
            return line;
        }
        conn->scanned = conn->buf->len;
        if (!read_more(conn, deadline, error)) {
            return NULL;
        }
    }
}

guint64
bench_conn_lines(BenchConn *conn)
{
    return conn->lines;
}
