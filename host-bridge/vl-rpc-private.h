/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts of the control plane's server share: the server (vl-rpc-server.c: listeners and
 * accepting), its connections (vl-rpc-conn.c: reading frames, the output queue, the watch), the
 * calls (vl-rpc-call.c) and the TLS stream (vl-rpc-tls.c).
 *
 * A connection is the same code whatever carries it: the bytes go through a small transport, a
 * plain socket for the local UNIX socket or an SSL object for TLS. A transport that cannot go on
 * yet says which condition of the socket it waits for (TLS may need to write to read, or read to
 * write), and the connection watches that.
 */
#pragma once

#include <sys/socket.h>

#include "vl-frame.h"
#include "vl-jsonrpc.h"
#include "vl-rpc-server.h"

G_BEGIN_DECLS

/*
 * Strangers: a TLS connection nobody has vouched for yet (no call on it has passed the owner's
 * check; vl_rpc_conn_set_trusted). Anyone who can reach the port gets one, so each must cost
 * little: a port scanner or a flood from one host must not hold the bridge's memory (the output
 * cap, which is what a client that does not read makes the bridge keep), its connections
 * (max_connections is shared with the owner, so one source may not take them all) or its file
 * descriptors for long (the idle timeout). An IPv6 host usually has a whole /64 to pick
 * addresses from: its connections count together.
 */
#define VL_RPC_STRANGER_MAX_OUTPUT (256 * 1024) /* bytes queued, instead of limits.max_output */
#define VL_RPC_STRANGER_IDLE_S 30               /* without a request (and none in flight) */
#define VL_RPC_STRANGER_PER_SOURCE 8            /* stranger connections per address or /64 */

typedef enum {
    VL_RPC_IO_DONE,  /* some bytes moved (or the handshake finished) */
    VL_RPC_IO_AGAIN, /* nothing now: wait for the condition the transport asked for */
    VL_RPC_IO_EOF,   /* reading: the client will send no more */
    VL_RPC_IO_ERROR, /* the connection is broken: *ret_why says why */
} VlRpcIo;

typedef struct {
    /* Moves up to len bytes; *ret_n is set on DONE. On AGAIN the transport has set
     * conn->read_want or conn->write_want to the condition it waits for. */
    VlRpcIo (*read)(VlRpcConn *conn, void *buf, gsize len, gsize *ret_n, char **ret_why);
    VlRpcIo (*write)(VlRpcConn *conn, const void *buf, gsize len, gsize *ret_n, char **ret_why);
    /* Whether bytes were received and decrypted but not read yet: the socket will not wake the
     * loop for them. NULL: never. */
    gboolean (*pending)(VlRpcConn *conn);
    /* Ends the stream before the socket is closed (NULL: nothing to do). */
    void (*close)(VlRpcConn *conn);
} VlRpcTransport;

extern const VlRpcTransport vl_rpc_plain_transport;

struct _VlRpcServer {
    char *path;    /* the UNIX socket's file; NULL for TLS */
    char *address; /* for logs: the path, or "ADDRESS:PORT" */
    guint16 port;  /* TLS: the real port */
    int fd;
    SSL_CTX *ctx; /* TLS: new connections handshake with it */
    guint source_id;
    guint pause_id; /* accepting paused: out of file descriptors */
    VlRpcLimits limits;
    VlRpcHandler handler;
    gpointer user_data;
    GList *conns; /* VlRpcConn, each holding a reference */
    guint n_conns;
    /* Rate-limited logs: when each was last logged, and how many since. */
    gint64 full_logged_us;
    guint full_count;
    gint64 handshake_logged_us;
    guint handshake_count;
    guint stranger_idle_ms; /* VL_RPC_STRANGER_IDLE_S; the tests shorten it */
};

struct _VlRpcConn {
    gint refs;
    VlRpcServer *server; /* NULL once closed */
    int fd;
    const VlRpcTransport *transport;
    guint source_id;
    guint pending_id; /* TLS: an idle read for plaintext OpenSSL holds */
    GIOCondition watching;
    GIOCondition read_want;  /* what reading waits for: G_IO_IN, or G_IO_OUT for TLS */
    GIOCondition write_want; /* what writing waits for: G_IO_OUT, or G_IO_IN for TLS */
    char *peer;              /* "uid 0 pid 1234" or "192.0.2.7:51234" */
    VlFrameReader *reader;
    GQueue output;       /* GBytes */
    gsize output_offset; /* bytes of the head already written */
    gsize output_len;    /* bytes queued */
    guint inflight;
    /* Bytes read but not yet fed to the reader: max_inflight calls were in flight. Read again
     * only once they are all fed. */
    GByteArray *backlog;
    gsize backlog_offset; /* bytes of backlog already fed */
    gboolean read_closed; /* the client sent EOF: answer what is in flight, then close */
    gboolean trusted;     /* not a stranger (see VL_RPC_STRANGER_*): local, or vouched for */
    guint idle_timer;     /* a stranger's idle timeout */
    gint64 active_us;     /* a stranger's last request (monotonic) */
    VlEvents *events;
    guint subscription;
    GStrv kinds;
    /* TLS */
    SSL *ssl;
    gboolean handshaking;
    gboolean tls_failed; /* a fatal TLS error: no close_notify may be sent */
    guint handshake_timer;
    char *peer_address; /* the IP without the port */
    char *source;       /* what counts against VL_RPC_STRANGER_PER_SOURCE: the IP, or its /64 */
    X509 *peer_cert;
    char *peer_fingerprint;
};

struct _VlCall {
    VlRpcConn *conn;
    VlJson *id; /* NULL for a notification */
    VlJson *message;
    const VlEntry *entry;
    VlCallDone done;
    gpointer done_data;
};

/* vl-rpc-conn.c. A new connection on fd (taken), in the server's list. Not watched yet: the
 * caller sets up the transport, then calls vl_rpc_conn_update_watch(). */
VlRpcConn *vl_rpc_conn_new(VlRpcServer *server, int fd, char *peer);
VlRpcConn *vl_rpc_conn_ref(VlRpcConn *conn);
void vl_rpc_conn_unref(VlRpcConn *conn);
void vl_rpc_conn_close(VlRpcConn *conn, const char *why);
void vl_rpc_conn_update_watch(VlRpcConn *conn);
void vl_rpc_conn_send(VlRpcConn *conn, const VlJson *message);
void vl_rpc_conn_send_error(VlRpcConn *conn, const VlJson *id, VlRpcCode code, const char *message);
void vl_rpc_conn_unsubscribe(VlRpcConn *conn);
/* A request came (or the TLS handshake finished): a stranger's idle timeout starts again. */
void vl_rpc_conn_touch(VlRpcConn *conn);

/* vl-rpc-call.c: a frame read from conn, answered with an error or handed to the handler. */
void vl_rpc_call_handle_frame(VlRpcConn *conn, VlJson *frame);

/* vl-rpc-tls.c. Starts the server side of TLS on conn with ctx; the handshake then runs from
 * the loop (vl_rpc_tls_handshake), and is cut off after the server's handshake timeout. */
gboolean vl_rpc_tls_start(VlRpcConn *conn, SSL_CTX *ctx, GError **error);
/* Goes on with the handshake; closes conn when it fails. */
void vl_rpc_tls_handshake(VlRpcConn *conn);
/* Stops the handshake timer, ends TLS (best effort) and frees it. */
void vl_rpc_tls_clear(VlRpcConn *conn);

/* vl-rpc-server.c: the client's address, "192.0.2.7" (an IPv4-mapped IPv6 address shown as
 * IPv4) and "192.0.2.7:51234" or "[2001:db8::7]:51234". */
void vl_rpc_format_peer(const struct sockaddr *sa, socklen_t len, char **ret_address,
                        char **ret_peer);
/* What the client's stranger connections are counted by: "192.0.2.7" (IPv4, also mapped) or
 * "2001:db8:1:2::/64". */
char *vl_rpc_source_key(const struct sockaddr *sa, socklen_t len);

G_END_DECLS
