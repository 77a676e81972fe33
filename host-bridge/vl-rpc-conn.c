/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A control connection, whatever carries it: frames in, the output queue out, the watch on its
 * socket, event subscriptions. The bytes go through conn->transport (vl-rpc-private.h).
 */
#include "vl-rpc-private.h"

#include <errno.h>
#include <unistd.h>

#include <glib-unix.h>
#include <openssl/crypto.h>

#include "vl-jsonrpc.h"

#define READ_CHUNK (64 * 1024)
/* Chunks read per wakeup: a client that sends without pause must not keep the loop from the
 * others. What is left is read at the next iteration. */
#define READS_PER_WAKEUP 8

/* Requests carry passwords: read bytes are wiped once fed. */
static void
backlog_free(VlRpcConn *conn)
{
    if (conn->backlog) {
        OPENSSL_cleanse(conn->backlog->data, conn->backlog->len);
        g_clear_pointer(&conn->backlog, g_byte_array_unref);
    }
    conn->backlog_offset = 0;
}

VlRpcConn *
vl_rpc_conn_ref(VlRpcConn *conn)
{
    g_atomic_int_inc(&conn->refs);
    return conn;
}

void
vl_rpc_conn_unref(VlRpcConn *conn)
{
    if (!g_atomic_int_dec_and_test(&conn->refs)) {
        return;
    }
    /* A safety net: closing unsubscribed, and a closed connection does not subscribe. */
    vl_rpc_conn_unsubscribe(conn);
    g_queue_clear_full(&conn->output, (GDestroyNotify)g_bytes_unref);
    vl_frame_reader_free(conn->reader);
    backlog_free(conn);
    g_strfreev(conn->kinds);
    g_free(conn->peer);
    g_free(conn->peer_address);
    g_free(conn->source);
    X509_free(conn->peer_cert);
    g_free(conn->peer_fingerprint);
    g_free(conn);
}

VlRpcConn *
vl_rpc_conn_new(VlRpcServer *server, int fd, char *peer)
{
    VlRpcConn *conn = g_new0(VlRpcConn, 1);

    conn->refs = 1;
    conn->server = server;
    conn->fd = fd;
    conn->transport = &vl_rpc_plain_transport;
    conn->read_want = G_IO_IN;
    conn->write_want = G_IO_OUT;
    conn->peer = peer;
    conn->trusted = TRUE; /* the TLS transport makes it a stranger */
    conn->reader = vl_frame_reader_new(server->limits.max_request, VL_FRAME_DEFAULT_MAX_DEPTH);
    g_queue_init(&conn->output);
    server->conns = g_list_prepend(server->conns, conn);
    server->n_conns++;
    return conn;
}

/* The plain transport: the local UNIX socket -------------------------------------------------- */

static VlRpcIo
plain_result(ssize_t n, int errsv, gsize *ret_n, char **ret_why, const char *what)
{
    if (n >= 0) {
        *ret_n = (gsize)n;
        return VL_RPC_IO_DONE;
    }
    if (errsv == EAGAIN || errsv == EINTR) {
        return VL_RPC_IO_AGAIN;
    }
    *ret_why = g_strdup_printf("%s: %s", what, g_strerror(errsv));
    return VL_RPC_IO_ERROR;
}

static VlRpcIo
plain_read(VlRpcConn *conn, void *buf, gsize len, gsize *ret_n, char **ret_why)
{
    ssize_t n = recv(conn->fd, buf, len, MSG_DONTWAIT);

    return n == 0 ? VL_RPC_IO_EOF : plain_result(n, errno, ret_n, ret_why, "read");
}

static VlRpcIo
plain_write(VlRpcConn *conn, const void *buf, gsize len, gsize *ret_n, char **ret_why)
{
    ssize_t n = send(conn->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

    return plain_result(n, errno, ret_n, ret_why, "write");
}

const VlRpcTransport vl_rpc_plain_transport = {
    .read = plain_read,
    .write = plain_write,
};

/* Output ------------------------------------------------------------------------------------- */

static void
conn_flush(VlRpcConn *conn)
{
    while (!g_queue_is_empty(&conn->output)) {
        GBytes *head = g_queue_peek_head(&conn->output);
        gsize size, n = 0;
        const guint8 *data = g_bytes_get_data(head, &size);
        g_autofree char *why = NULL;
        /* TLS must be retried with the same bytes: the head stays until it is all written. */
        VlRpcIo r = conn->transport->write(conn, data + conn->output_offset,
                                           size - conn->output_offset, &n, &why);

        if (r == VL_RPC_IO_AGAIN) {
            return;
        }
        if (r != VL_RPC_IO_DONE) {
            vl_rpc_conn_close(conn, why ? why : "write failed");
            return;
        }
        conn->write_want = G_IO_OUT;
        conn->output_offset += n;
        conn->output_len -= n;
        if (conn->output_offset == size) {
            g_bytes_unref(g_queue_pop_head(&conn->output));
            conn->output_offset = 0;
        }
    }
}

static void
conn_send_bytes(VlRpcConn *conn, GBytes *frame)
{
    gsize cap;

    if (conn->server == NULL) {
        return;
    }
    cap = conn->server->limits.max_output;
    if (!conn->trusted) {
        cap = MIN(cap, VL_RPC_STRANGER_MAX_OUTPUT);
    }
    if (conn->output_len + g_bytes_get_size(frame) > cap) {
        vl_rpc_conn_close(conn, conn->trusted ? "the client does not read what it is sent (output "
                                                "cap reached)"
                                              : "a stranger does not read what it is sent "
                                                "(stranger's output cap reached)");
        return;
    }
    conn->output_len += g_bytes_get_size(frame);
    g_queue_push_tail(&conn->output, g_bytes_ref(frame));
    if (conn->handshaking) {
        return;
    }
    /* A failed write closes the connection, which drops the server's reference: an event's
     * sender holds none of its own. */
    vl_rpc_conn_ref(conn);
    conn_flush(conn);
    if (conn->server) {
        vl_rpc_conn_update_watch(conn);
    }
    vl_rpc_conn_unref(conn);
}

void
vl_rpc_conn_send(VlRpcConn *conn, const VlJson *message)
{
    GString *frame = vl_frame_encode(message);
    g_autoptr(GBytes) bytes = g_string_free_to_bytes(frame);

    conn_send_bytes(conn, bytes);
}

void
vl_rpc_conn_send_error(VlRpcConn *conn, const VlJson *id, VlRpcCode code, const char *message)
{
    g_autoptr(VlJson) response = vl_rpc_new_error(id, code, message);

    vl_rpc_conn_send(conn, response);
}

/* Input -------------------------------------------------------------------------------------- */

/* Whether the connection starts more calls now. */
static gboolean
conn_dispatching(const VlRpcConn *conn)
{
    return conn->server && !conn->handshaking && conn->inflight < conn->server->limits.max_inflight;
}

static gboolean
conn_has_backlog(const VlRpcConn *conn)
{
    return conn->backlog && conn->backlog_offset < conn->backlog->len;
}

/* Whether the connection reads from its socket now: what it has read is all fed. */
static gboolean
conn_reading(const VlRpcConn *conn)
{
    return conn_dispatching(conn) && !conn->read_closed && !conn_has_backlog(conn);
}

/* Whether input waits without the socket's waking the loop: the backlog, once calls may start
 * again, or plaintext OpenSSL has decrypted and not handed out yet. */
static gboolean
conn_input_ready(VlRpcConn *conn)
{
    if (conn_has_backlog(conn)) {
        return conn_dispatching(conn);
    }
    return conn_reading(conn) && conn->transport->pending && conn->transport->pending(conn);
}

/* Feeds data to the frame reader and hands out its frames while calls may start: one chunk may
 * hold a thousand requests, and max_inflight is the bound however they came. Returns the bytes
 * taken; fewer than n when that many calls are in flight or the connection closed. */
static gsize
conn_feed(VlRpcConn *conn, const char *data, gsize n)
{
    gsize done = 0;

    while (done < n && conn_dispatching(conn)) {
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 0;

        if (!vl_frame_reader_push(conn->reader, data + done, n - done, &used, &frame, &error)) {
            vl_rpc_conn_send_error(conn, NULL, vl_rpc_code_for_frame_error(error), error->message);
        } else if (frame) {
            vl_rpc_call_handle_frame(conn, frame);
        }
        done += used;
    }
    return done;
}

/* Feeds what was read before calls could start. Only conn_read() replaces the backlog, and
 * nothing the handler does calls it: the array stays while it is fed. */
static void
conn_feed_backlog(VlRpcConn *conn)
{
    if (!conn_has_backlog(conn)) {
        return;
    }
    conn->backlog_offset +=
        conn_feed(conn, (const char *)conn->backlog->data + conn->backlog_offset,
                  conn->backlog->len - conn->backlog_offset);
    if (!conn_has_backlog(conn)) {
        backlog_free(conn);
    }
}

/* Keeps bytes read that cannot be fed yet; the backlog is empty (reading waits for that). */
static void
conn_keep(VlRpcConn *conn, const char *data, gsize n)
{
    backlog_free(conn);
    conn->backlog = g_byte_array_sized_new((guint)n);
    g_byte_array_append(conn->backlog, (const guint8 *)data, (guint)n);
}

/* The backlog first, then the socket. force: read once even with too many calls in flight (the
 * socket hung up: find out how). */
static void
conn_read(VlRpcConn *conn, gboolean force)
{
    char buf[READ_CHUNK];

    conn_feed_backlog(conn);
    if (conn_has_backlog(conn)) {
        return; /* max_inflight calls in flight again: the socket waits */
    }
    for (guint i = 0;
         i < READS_PER_WAKEUP && conn->server && (conn_reading(conn) || (force && i == 0)); i++) {
        g_autofree char *why = NULL;
        gsize n = 0, used;
        VlRpcIo r = conn->transport->read(conn, buf, sizeof(buf), &n, &why);

        switch (r) {
        case VL_RPC_IO_AGAIN:
            return;
        case VL_RPC_IO_EOF:
            /* A half-close (shutdown(SHUT_WR), as `socat` does): the answers still go out. */
            conn->read_closed = TRUE;
            return;
        case VL_RPC_IO_ERROR:
            vl_rpc_conn_close(conn, why ? why : "read failed");
            return;
        case VL_RPC_IO_DONE:
            conn->read_want = G_IO_IN;
            used = conn_feed(conn, buf, n);
            if (used < n && conn->server) {
                conn_keep(conn, buf + used, n - used);
            }
            /* Requests carry passwords: no copy stays on the stack. */
            OPENSSL_cleanse(buf, n);
            break;
        }
    }
}

static gboolean
on_conn_io(int fd, GIOCondition condition, gpointer user_data)
{
    VlRpcConn *conn = user_data;
    GIOCondition broken = condition & (G_IO_HUP | G_IO_ERR);

    vl_rpc_conn_ref(conn);
    if (conn->handshaking) {
        vl_rpc_tls_handshake(conn);
    } else {
        if ((condition & (conn->write_want | broken)) && !g_queue_is_empty(&conn->output)) {
            conn_flush(conn);
        }
        if (((condition & conn->read_want) && conn_reading(conn)) || (broken && conn->server)) {
            conn_read(conn, broken != 0);
        }
    }
    vl_rpc_conn_update_watch(conn);
    vl_rpc_conn_unref(conn);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_pending(gpointer user_data)
{
    VlRpcConn *conn = user_data;

    conn->pending_id = 0;
    vl_rpc_conn_ref(conn);
    conn_read(conn, FALSE);
    vl_rpc_conn_update_watch(conn);
    vl_rpc_conn_unref(conn);
    return G_SOURCE_REMOVE;
}

/* What the connection waits for now. */
static GIOCondition
conn_wanted(VlRpcConn *conn)
{
    GIOCondition want = 0;

    if (conn->handshaking) {
        return conn->read_want; /* what SSL_accept waits for */
    }
    if (conn_reading(conn)) {
        want |= conn->read_want;
    }
    if (!g_queue_is_empty(&conn->output)) {
        want |= conn->write_want;
    }
    return want;
}

void
vl_rpc_conn_update_watch(VlRpcConn *conn)
{
    GIOCondition want;

    if (conn->server == NULL) {
        return;
    }
    if (conn->read_closed && conn->inflight == 0 && g_queue_is_empty(&conn->output) &&
        !conn_has_backlog(conn)) {
        vl_rpc_conn_close(conn, "closed by the client");
        return;
    }
    /* Input already here would wait for a socket event that may never come. */
    if (!conn->pending_id && conn_input_ready(conn)) {
        conn->pending_id = g_idle_add(on_pending, conn);
    }
    want = conn_wanted(conn);
    if (want == conn->watching && conn->source_id) {
        return;
    }
    g_clear_handle_id(&conn->source_id, g_source_remove);
    conn->watching = want;
    if (want) {
        conn->source_id = g_unix_fd_add(conn->fd, want, on_conn_io, conn);
    }
}

/* Events ------------------------------------------------------------------------------------- */

static void
on_event(const VlEvent *event, gpointer user_data)
{
    VlRpcConn *conn = user_data;

    if (conn->kinds == NULL || g_strv_contains((const char *const *)conn->kinds, event->kind)) {
        conn_send_bytes(conn, event->frame); /* holds a reference while it may close conn */
    }
}

void
vl_rpc_conn_subscribe(VlRpcConn *conn, VlEvents *events, const char *const *kinds)
{
    vl_rpc_conn_unsubscribe(conn);
    if (conn->server == NULL) {
        return; /* closed (a replay's write failed): nothing would remove the subscription */
    }
    g_strfreev(conn->kinds);
    conn->kinds = kinds ? g_strdupv((char **)kinds) : NULL;
    conn->events = events;
    conn->subscription = vl_events_subscribe(events, on_event, conn);
}

void
vl_rpc_conn_unsubscribe(VlRpcConn *conn)
{
    if (conn->subscription) {
        vl_events_unsubscribe(conn->events, conn->subscription);
        conn->subscription = 0;
    }
}

gboolean
vl_rpc_conn_replay(VlRpcConn *conn, VlEvents *events, const char *const *kinds, guint64 seq)
{
    g_auto(GStrv) saved = NULL;
    gboolean complete;

    if (conn->server == NULL) {
        return FALSE;
    }
    saved = g_steal_pointer(&conn->kinds);
    /* on_event filters by conn->kinds: lend it these for the replay. */
    conn->kinds = kinds ? g_strdupv((char **)kinds) : NULL;
    complete = vl_events_replay(events, seq, on_event, conn);
    g_strfreev(conn->kinds);
    conn->kinds = g_steal_pointer(&saved);
    return complete;
}

/* Strangers --------------------------------------------------------------------------------- */

static gboolean on_idle_timeout(gpointer user_data);

static void
idle_arm(VlRpcConn *conn, gint64 delay_us)
{
    guint ms = (guint)MAX(delay_us / 1000, 1);

    conn->idle_timer = g_timeout_add(ms, on_idle_timeout, conn);
}

/* Looks again when the idle time since the last request is up (one timer per stranger, not one
 * per request). */
static gboolean
on_idle_timeout(gpointer user_data)
{
    VlRpcConn *conn = user_data;
    gint64 idle_us = (gint64)conn->server->stranger_idle_ms * 1000;
    gint64 left = conn->active_us + idle_us - g_get_monotonic_time();

    conn->idle_timer = 0;
    if (conn->inflight > 0) {
        left = idle_us; /* busy, not idle: its answer is still to come */
    }
    if (left > 0) {
        idle_arm(conn, left);
    } else {
        vl_rpc_conn_close(conn, "a stranger sent no request in time");
    }
    return G_SOURCE_REMOVE;
}

void
vl_rpc_conn_touch(VlRpcConn *conn)
{
    if (conn->trusted || conn->server == NULL || conn->handshaking) {
        return;
    }
    conn->active_us = g_get_monotonic_time();
    if (conn->idle_timer == 0) {
        idle_arm(conn, (gint64)conn->server->stranger_idle_ms * 1000);
    }
}

void
vl_rpc_conn_set_trusted(VlRpcConn *conn, gboolean trusted)
{
    if (conn == NULL || conn->transport == &vl_rpc_plain_transport || conn->trusted == trusted) {
        return; /* gone, local (always trusted), or nothing changes */
    }
    conn->trusted = trusted;
    if (trusted) {
        g_clear_handle_id(&conn->idle_timer, g_source_remove);
    } else {
        vl_rpc_conn_touch(conn);
    }
}

/* Closing ------------------------------------------------------------------------------------ */

void
vl_rpc_conn_close(VlRpcConn *conn, const char *why)
{
    VlRpcServer *server = conn->server;

    if (server == NULL) {
        return;
    }
    g_debug("control connection (%s) closed: %s", conn->peer, why);
    vl_rpc_conn_unsubscribe(conn);
    g_clear_handle_id(&conn->source_id, g_source_remove);
    g_clear_handle_id(&conn->pending_id, g_source_remove);
    g_clear_handle_id(&conn->idle_timer, g_source_remove);
    if (conn->transport->close) {
        conn->transport->close(conn);
    }
    close(conn->fd);
    conn->fd = -1;
    conn->server = NULL;
    server->conns = g_list_remove(server->conns, conn);
    server->n_conns--;
    vl_rpc_conn_unref(conn);
}
