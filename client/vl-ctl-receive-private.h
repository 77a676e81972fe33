/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push receiver's parts: the receiver and what it does with a request (vl-ctl-receive.c);
 * listening and a thread per connection (vl-ctl-receive-run.c); TLS with one deadline for the
 * whole connection, and just enough HTTP/1.1 for a bridge's POSTs (vl-ctl-receive-http.c).
 */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

#include "vl-ctl-receive.h"

G_BEGIN_DECLS

struct _VlReceiver {
    VlReceiverOptions options;
    int listen_fd;
    int wake_pipe[2]; /* a byte: stop asked, a connection ended, an error, --count reached */
    gint stop;        /* atomic: vl_receiver_stop() was called */
    guint16 port;
    SSL_CTX *ctx;
    /* Each connection has a thread of its own; lock guards what follows, the accept function,
     * the output and on_post (so that those are called one at a time). */
    GMutex lock;
    GCond ended;              /* a connection ended */
    GHashTable *active;       /* fds of the connections served */
    GPtrArray *ended_threads; /* threads of the connections that ended, to join (GThread *) */
    gboolean stopping;        /* the connections left are being cut */
    GError *error;            /* the first output error */
    GHashTable *seen;         /* bridge fingerprint → Seen */
    guint64 printed;
};

/* One accepted connection. Every wait ends at deadline, however the peer spreads its bytes. */
typedef struct {
    SSL *ssl;
    int fd;             /* non-blocking */
    gint64 deadline;    /* g_get_monotonic_time() µs at which the connection is given up */
    gboolean timed_out; /* set when a wait met the deadline */
} VlReceiveConn;

/* The TLS handshake; FALSE when it failed or conn->timed_out. */
gboolean vl_receive_conn_handshake(VlReceiveConn *conn);

/*
 * Says goodbye (close_notify, then the end of this side's stream) and reads and drops what the
 * peer still sends for a moment: unread bytes at close() would make the kernel reset the
 * connection, which can destroy an answer sent before the request was read. The caller frees
 * the SSL and closes the socket.
 */
void vl_receive_conn_close(VlReceiveConn *conn);

/*
 * Reads one request from conn: a POST with a Content-Length of at most VL_RECEIVER_MAX_BODY and
 * headers of at most VL_RECEIVER_MAX_HEADER bytes. Returns 0 with the body in body, or the HTTP
 * status to answer (400, 405, 411 for chunked or no length, 413, 431, 408 at the deadline) with
 * error saying why.
 */
int vl_receive_http_read(VlReceiveConn *conn, GString *body, GError **error);

/* The request line and headers (len bytes, the blank line included): 0 with the body's length,
 * or the status to answer (400, 405, 411, 413, 431) with error set. No I/O: what the fuzzer
 * feeds. */
int vl_receive_http_parse_head(const char *data, gsize len, gint64 *ret_length, GError **error);

/* Answers status with reason (may be NULL) as a text body; the connection is then closed. */
void vl_receive_http_answer(VlReceiveConn *conn, int status, const char *reason);

/* Listens on text (see vl_receiver_new); the socket, or -1 with the error. */
int vl_receive_listen(const char *text, guint16 *ret_port, GError **error);

/* Serves one request of a handshaken connection: checks the bridge, reads, answers, shows.
 * FALSE only when the output cannot be written. */
gboolean vl_receive_serve(VlReceiver *r, VlReceiveConn *conn, const char *peer_addr,
                          GError **error);

/* A connection's message on stderr, unless the receiver is cutting its connections. */
void vl_receive_say(VlReceiver *r, const char *format, ...) G_GNUC_PRINTF(2, 3);

G_END_DECLS
