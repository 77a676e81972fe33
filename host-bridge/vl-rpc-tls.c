/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS transport of a control connection: a non-blocking SSL_accept driven by the loop, then
 * SSL_read and SSL_write for the frames. The policy (versions, ciphers, certificates) is the
 * SSL_CTX's (vl-tls-context.h); what the client's certificate may do is the handler's business.
 */
#include "vl-rpc-private.h"

#include <errno.h>

#include <openssl/err.h>

#include "vl-tls-context.h"

/* Failed handshakes (port scanners, plain HTTP, old TLS) are logged at most this often. */
#define HANDSHAKE_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

/* What an SSL call that did not succeed means for the connection. */
static VlRpcIo
tls_result(VlRpcConn *conn, int ret, int errsv, GIOCondition *ret_want, char **ret_why)
{
    int err = SSL_get_error(conn->ssl, ret);

    switch (err) {
    case SSL_ERROR_WANT_READ:
        *ret_want = G_IO_IN;
        return VL_RPC_IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        *ret_want = G_IO_OUT;
        return VL_RPC_IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return VL_RPC_IO_EOF; /* close_notify, or a bare EOF (SSL_OP_IGNORE_UNEXPECTED_EOF) */
    case SSL_ERROR_SYSCALL:
        conn->tls_failed = TRUE;
        *ret_why = g_strdup(errsv ? g_strerror(errsv) : "the connection was closed");
        ERR_clear_error();
        return VL_RPC_IO_ERROR;
    default: {
        g_autofree char *reasons = vl_tls_error_string();

        conn->tls_failed = TRUE;
        *ret_why = g_strdup_printf("TLS: %s", *reasons ? reasons : "protocol error");
        return VL_RPC_IO_ERROR;
    }
    }
}

static VlRpcIo
tls_read(VlRpcConn *conn, void *buf, gsize len, gsize *ret_n, char **ret_why)
{
    VlTlsSigpipeGuard guard;
    size_t n = 0;
    int ret, errsv;

    /* OpenSSL's error queue is per thread: one connection's leftovers must not be taken for
     * another's error. */
    ERR_clear_error();
    vl_tls_sigpipe_block(&guard);
    ret = SSL_read_ex(conn->ssl, buf, len, &n);
    errsv = errno;
    vl_tls_sigpipe_restore(&guard);
    if (ret == 1) {
        *ret_n = n;
        return VL_RPC_IO_DONE;
    }
    return tls_result(conn, 0, errsv, &conn->read_want, ret_why);
}

static VlRpcIo
tls_write(VlRpcConn *conn, const void *buf, gsize len, gsize *ret_n, char **ret_why)
{
    VlTlsSigpipeGuard guard;
    size_t n = 0;
    int ret, errsv;

    ERR_clear_error();
    /* SSL_MODE_ENABLE_PARTIAL_WRITE: n may be less than len; after WANT_* the caller retries
     * with the same bytes. */
    vl_tls_sigpipe_block(&guard);
    ret = SSL_write_ex(conn->ssl, buf, len, &n);
    errsv = errno;
    vl_tls_sigpipe_restore(&guard);
    if (ret == 1) {
        *ret_n = n;
        return VL_RPC_IO_DONE;
    }
    return tls_result(conn, 0, errsv, &conn->write_want, ret_why);
}

/* Decrypted bytes only. SSL_has_pending() is also true for the start of a record still being
 * received: the rest comes through the socket, and an idle read for it would spin the loop for
 * as long as a client stalls in the middle of a record. */
static gboolean
tls_pending(VlRpcConn *conn)
{
    return SSL_pending(conn->ssl) > 0;
}

static void
tls_close(VlRpcConn *conn)
{
    vl_rpc_tls_clear(conn);
}

static const VlRpcTransport tls_transport = {
    .read = tls_read,
    .write = tls_write,
    .pending = tls_pending,
    .close = tls_close,
};

/* Handshake ---------------------------------------------------------------------------------- */

static gboolean
on_handshake_timeout(gpointer user_data)
{
    VlRpcConn *conn = user_data;

    conn->handshake_timer = 0;
    conn->tls_failed = TRUE; /* nothing was agreed: no close_notify */
    vl_rpc_conn_close(conn, "no TLS handshake in time");
    return G_SOURCE_REMOVE;
}

gboolean
vl_rpc_tls_start(VlRpcConn *conn, SSL_CTX *ctx, GError **error)
{
    guint timeout_s = conn->server->limits.handshake_timeout_s;

    conn->ssl = SSL_new(ctx);
    if (conn->ssl == NULL || SSL_set_fd(conn->ssl, conn->fd) != 1) {
        g_autofree char *reasons = vl_tls_error_string();

        g_set_error(error, VL_TLS_ERROR, VL_TLS_ERROR_CRYPTO, "cannot start TLS: %s", reasons);
        return FALSE;
    }
    /* A client that stops sending without close_notify has half-closed, like a UNIX client
     * doing shutdown(SHUT_WR): its answers still go out. */
    SSL_set_options(conn->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_set_accept_state(conn->ssl);
    conn->transport = &tls_transport;
    conn->trusted = FALSE; /* until the handler vouches for it */
    conn->handshaking = TRUE;
    conn->read_want = G_IO_IN; /* the ClientHello */
    if (timeout_s) {
        conn->handshake_timer = g_timeout_add_seconds(timeout_s, on_handshake_timeout, conn);
    }
    return TRUE;
}

/* Port scanners, plain HTTP and old clients fail here all day: each at debug, and now and then
 * one message so that an admin wondering why a manager cannot connect sees something. */
static void
log_handshake_failure(VlRpcConn *conn, const char *why)
{
    VlRpcServer *server = conn->server;
    gint64 now = g_get_monotonic_time();

    g_debug("control plane: TLS handshake with %s failed: %s", conn->peer, why);
    server->handshake_count++;
    if (server->handshake_logged_us &&
        now - server->handshake_logged_us < HANDSHAKE_LOG_INTERVAL_US) {
        return;
    }
    g_message("control plane: TLS handshake with %s failed: %s (%u failed handshakes in the last "
              "minute; plain TCP and TLS older than 1.2 are refused)",
              conn->peer, why, server->handshake_count);
    server->handshake_logged_us = now;
    server->handshake_count = 0;
}

static void
handshake_done(VlRpcConn *conn)
{
    g_autofree char *description = vl_tls_describe(conn->ssl);

    conn->handshaking = FALSE;
    g_clear_handle_id(&conn->handshake_timer, g_source_remove);
    conn->read_want = G_IO_IN;
    conn->write_want = G_IO_OUT;
    /* Taken once: every call on the connection is checked against the same certificate. */
    conn->peer_cert = vl_tls_peer_cert(conn->ssl);
    if (conn->peer_cert) {
        conn->peer_fingerprint = vl_tls_x509_fingerprint(conn->peer_cert);
    }
    g_debug("control connection from %s: %s, client certificate %s", conn->peer, description,
            conn->peer_fingerprint ? conn->peer_fingerprint : "none");
    vl_rpc_conn_touch(conn); /* a stranger's idle time starts */
}

void
vl_rpc_tls_handshake(VlRpcConn *conn)
{
    g_autofree char *why = NULL;
    VlTlsSigpipeGuard guard;
    int ret, errsv;

    ERR_clear_error();
    vl_tls_sigpipe_block(&guard);
    ret = SSL_accept(conn->ssl);
    errsv = errno;
    vl_tls_sigpipe_restore(&guard);
    if (ret == 1) {
        handshake_done(conn);
        return;
    }
    switch (tls_result(conn, ret, errsv, &conn->read_want, &why)) {
    case VL_RPC_IO_AGAIN:
        return;
    case VL_RPC_IO_EOF:
        conn->tls_failed = TRUE;
        log_handshake_failure(conn, "the client closed the connection");
        break;
    default:
        log_handshake_failure(conn, why ? why : "protocol error");
        break;
    }
    vl_rpc_conn_close(conn, "TLS handshake failed");
}

void
vl_rpc_tls_clear(VlRpcConn *conn)
{
    g_clear_handle_id(&conn->handshake_timer, g_source_remove);
    if (conn->ssl == NULL) {
        return;
    }
    /* Best effort: one try at close_notify; a client that does not read it loses nothing. */
    if (!conn->tls_failed && !conn->handshaking) {
        VlTlsSigpipeGuard guard;

        ERR_clear_error();
        vl_tls_sigpipe_block(&guard);
        (void)SSL_shutdown(conn->ssl);
        vl_tls_sigpipe_restore(&guard);
    }
    ERR_clear_error();
    g_clear_pointer(&conn->ssl, SSL_free);
}
