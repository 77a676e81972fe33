/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push receiver's listening socket and its connections: each accepted connection is served
 * on a thread of its own (MAX_CONNECTIONS at once), with one deadline for its handshake and its
 * request, so that a slow or silent client holds its own connection only, and not for long.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "vl-ctl-receive-private.h"
#include "vl-ctl-receive.h"
#include "vl-tls-context.h"

/* Connections served at once; more wait in the listen queue. */
#define MAX_CONNECTIONS 16

/* Listening -------------------------------------------------------------------------------- */

static gboolean
split_listen(const char *text, char **ret_address, char **ret_port, GError **error)
{
    const char *colon;

    if (text[0] == '[') {
        const char *end = strchr(text, ']');

        if (end == NULL || end[1] != ':') {
            goto bad;
        }
        *ret_address = g_strndup(text + 1, (gsize)(end - text - 1));
        colon = end + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL) {
            goto bad;
        }
        *ret_address = colon > text ? g_strndup(text, (gsize)(colon - text)) : NULL;
    }
    if (colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
        g_ascii_strtoull(colon + 1, NULL, 10) > 65535) {
        g_clear_pointer(ret_address, g_free);
        goto bad;
    }
    *ret_port = g_strdup(colon + 1);
    return TRUE;
bad:
    g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE,
                "--listen %s: give ADDR:PORT, [IPV6]:PORT or :PORT (every address)", text);
    return FALSE;
}

static int
bind_first(struct addrinfo *list, GError **error)
{
    int saved = 0;

    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        int one = 1;

        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* Restarted on the same port right away (tests, a person retrying). */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0) {
            return fd;
        }
        saved = errno;
        close(fd);
    }
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot listen: %s",
                g_strerror(saved));
    return -1;
}

int
vl_receive_listen(const char *text, guint16 *ret_port, GError **error)
{
    g_autofree char *address = NULL;
    g_autofree char *port = NULL;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    struct sockaddr_storage bound;
    socklen_t len = sizeof(bound);
    int rc;
    int fd;

    if (!split_listen(text, &address, &port, error)) {
        return -1;
    }
    rc = getaddrinfo(address, port, &hints, &list);
    if (rc != 0) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE, "--listen %s: %s", text,
                    gai_strerror(rc));
        return -1;
    }
    fd = bind_first(list, error);
    freeaddrinfo(list);
    if (fd < 0) {
        g_prefix_error(error, "--listen %s: ", text);
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&bound, &len);
    *ret_port = g_ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

/* Connections ------------------------------------------------------------------------------ */

/* Makes vl_receiver_run() look at its state again. */
static void
wake(VlReceiver *r)
{
    char c = 0;

    /* A full pipe already holds a wake-up. */
    while (write(r->wake_pipe[1], &c, 1) < 0 && errno == EINTR) {
    }
}

void
vl_receiver_stop(VlReceiver *r)
{
    g_atomic_int_set(&r->stop, 1);
    wake(r);
}

static char *
describe_peer(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    char host[NI_MAXHOST];
    char port[NI_MAXSERV];

    if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 ||
        getnameinfo((struct sockaddr *)&sa, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return g_strdup("?");
    }
    return g_strdup_printf(sa.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* The handshake and the request, within the connection's deadline; the socket stays open. */
static gboolean
serve_connection(VlReceiver *r, int fd, GError **error)
{
    g_autofree char *peer_addr = describe_peer(fd);
    VlReceiveConn conn = {
        .fd = fd,
        .deadline = g_get_monotonic_time() + (gint64)r->options.deadline_ms * 1000,
    };
    gboolean ok = TRUE;

    conn.ssl = SSL_new(r->ctx);
    if (conn.ssl == NULL || SSL_set_fd(conn.ssl, fd) != 1) {
        g_clear_pointer(&conn.ssl, SSL_free);
        return TRUE;
    }
    if (vl_receive_conn_handshake(&conn)) {
        ok = vl_receive_serve(r, &conn, peer_addr, error);
        vl_receive_conn_close(&conn);
    } else if (conn.timed_out) {
        vl_receive_say(r, "TLS handshake with %s: not done within %g s, closed", peer_addr,
                       r->options.deadline_ms / 1000.0);
    } else {
        g_autofree char *why = vl_tls_error_string();

        vl_receive_say(r, "TLS handshake with %s failed%s%s", peer_addr, why[0] ? ": " : "", why);
    }
    ERR_clear_error();
    SSL_free(conn.ssl);
    return ok;
}

typedef struct {
    VlReceiver *r;
    int fd;
} Connection;

static gpointer
connection_thread(gpointer data)
{
    Connection *c = data;
    VlReceiver *r = c->r;
    GError *local_error = NULL;
    sigset_t pipe_set;

    /* A bridge that goes away mid-answer raises SIGPIPE in this thread: it must not end the
     * program; the failed write says it. A thread-directed signal pending at exit is dropped. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

    serve_connection(r, c->fd, &local_error);

    g_mutex_lock(&r->lock);
    if (local_error && r->error == NULL) {
        r->error = g_steal_pointer(&local_error);
    }
    g_clear_error(&local_error);
    /* Closed under the lock: vl_receiver_run() may be shutting it down right now. */
    g_hash_table_remove(r->active, GINT_TO_POINTER(c->fd));
    close(c->fd);
    /* Joined, not detached: a thread's OpenSSL state is freed as it exits, which must be done
     * before the program ends. */
    g_ptr_array_add(r->ended_threads, g_thread_self());
    g_cond_broadcast(&r->ended);
    wake(r);
    g_mutex_unlock(&r->lock);
    g_free(c);
    return NULL;
}

/* Serves fd on a thread of its own (joined from r->ended_threads once it ended); fd is closed
 * when it cannot be. */
static void
start_connection(VlReceiver *r, int fd)
{
    g_autoptr(GError) local_error = NULL;
    Connection *c = g_new0(Connection, 1);

    c->r = r;
    c->fd = fd;
    g_mutex_lock(&r->lock);
    g_hash_table_add(r->active, GINT_TO_POINTER(fd));
    g_mutex_unlock(&r->lock);
    if (g_thread_try_new("vl-receive", connection_thread, c, &local_error) == NULL) {
        g_printerr("vmlinkctl: cannot serve a connection: %s\n", local_error->message);
        g_mutex_lock(&r->lock);
        g_hash_table_remove(r->active, GINT_TO_POINTER(fd));
        g_mutex_unlock(&r->lock);
        close(fd);
        g_free(c);
    }
}

/* Whether vl_receiver_run() is done; with the lock held. */
static gboolean
done(VlReceiver *r)
{
    return g_atomic_int_get(&r->stop) || r->error ||
           (r->options.count && r->printed >= r->options.count);
}

/* Joins the threads of the connections that ended; with the lock held (they no longer take
 * it). */
static void
join_ended(VlReceiver *r)
{
    for (guint i = 0; i < r->ended_threads->len; i++) {
        g_thread_join(g_ptr_array_index(r->ended_threads, i));
    }
    g_ptr_array_set_size(r->ended_threads, 0);
}

/* Cuts the connections still served and waits for their threads; with the lock held. */
static void
end_connections(VlReceiver *r)
{
    GHashTableIter iter;
    gpointer fd;

    r->stopping = TRUE;
    g_hash_table_iter_init(&iter, r->active);
    while (g_hash_table_iter_next(&iter, &fd, NULL)) {
        shutdown(GPOINTER_TO_INT(fd), SHUT_RDWR); /* their waits end at once */
    }
    while (g_hash_table_size(r->active) > 0) {
        g_cond_wait(&r->ended, &r->lock);
    }
    join_ended(r);
    r->stopping = FALSE;
}

gboolean
vl_receiver_run(VlReceiver *r, GError **error)
{
    int errsv = 0;

    g_mutex_lock(&r->lock);
    while (!done(r)) {
        gboolean full = g_hash_table_size(r->active) >= MAX_CONNECTIONS;
        struct pollfd fds[2] = {{.fd = r->wake_pipe[0], .events = POLLIN},
                                {.fd = r->listen_fd, .events = POLLIN}};
        char drain[64];
        int fd;

        g_mutex_unlock(&r->lock);
        if (poll(fds, full ? 1 : 2, -1) < 0 && errno != EINTR) {
            errsv = errno;
            g_mutex_lock(&r->lock);
            break;
        }
        while (read(r->wake_pipe[0], drain, sizeof(drain)) > 0) {
        }
        fd = full || !fds[1].revents
                 ? -2
                 : accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            start_connection(r, fd);
        } else if (fd == -1 && errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
            errsv = errno;
            g_mutex_lock(&r->lock);
            break;
        }
        g_mutex_lock(&r->lock);
        join_ended(r);
    }
    end_connections(r);
    if (r->error) {
        g_propagate_error(error, g_steal_pointer(&r->error));
        g_mutex_unlock(&r->lock);
        return FALSE;
    }
    g_mutex_unlock(&r->lock);
    if (errsv != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv),
                    "cannot accept connections: %s", g_strerror(errsv));
        return FALSE;
    }
    return TRUE;
}
