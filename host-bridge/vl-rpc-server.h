/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's server side: a listening socket, its connections, and calls.
 *
 * Each connection reads frames (capped), checks each against JSON-RPC and the control
 * catalogue (a bad one is answered with the right JSON-RPC error and the connection goes on),
 * and hands each valid request to the handler as a VlCall, which the handler answers now or
 * later (vl_call_return / vl_call_fail) exactly once. Responses and event notifications queue
 * per connection; a client that lets more than the output cap pile up is cut off, and a
 * connection with max_inflight calls in flight starts no more until some finish (requests already
 * read, pipelined in one write, wait their turn) and is not read meanwhile.
 *
 * Two kinds of listener feed the same calls to the same handler: a local UNIX socket that only
 * root may use (peer credentials are checked on accept), and the manager's TLS listener (the
 * policy of vl-tls-context.h), whose connections carry the client's address and certificate for
 * the handler to check against the owner's pin.
 */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

#include "vl-catalogue.h"
#include "vl-events.h"
#include "vl-json.h"

G_BEGIN_DECLS

typedef struct _VlRpcServer VlRpcServer;
typedef struct _VlRpcConn VlRpcConn;
typedef struct _VlCall VlCall;

typedef void (*VlRpcHandler)(VlCall *call, gpointer user_data);

typedef struct {
    gsize max_request;         /* bytes per request frame */
    gsize max_output;          /* bytes queued for a client before it is cut off */
    guint max_inflight;        /* calls in flight per connection before reading pauses */
    guint max_connections;     /* TLS: connections at once; more are closed at accept (0: any) */
    guint handshake_timeout_s; /* TLS: a handshake not done by then is cut off (0: never) */
} VlRpcLimits;

/* Listens on a UNIX socket at path (mode 0600, its folder created 0755). A stale socket left
 * by a dead vmlinkd is replaced; one that answers (another vmlinkd) is an error. */
VlRpcServer *vl_rpc_server_new_unix(const char *path, const VlRpcLimits *limits,
                                    VlRpcHandler handler, gpointer user_data, GError **error);
/*
 * Listens for TLS on address (NULL: every address, IPv6 and IPv4) and port (0: any free one),
 * handshaking with ctx (a reference is taken). Plain TCP, SSLv3 to TLS 1.1 and clients that do
 * not finish the handshake in time are dropped without a call. Calls carry the client's address
 * and certificate (vl_call_peer_cert).
 */
VlRpcServer *vl_rpc_server_new_tls(const char *address, guint16 port, SSL_CTX *ctx,
                                   const VlRpcLimits *limits, VlRpcHandler handler,
                                   gpointer user_data, GError **error);
/* New TLS connections handshake with ctx from now on (the bridge's certificate was renewed or
 * rotated); established ones keep theirs. */
void vl_rpc_server_set_tls_context(VlRpcServer *server, SSL_CTX *ctx);
/* What the server listens on, for logs: the socket path, or "ADDRESS:PORT" with the real port. */
const char *vl_rpc_server_address(const VlRpcServer *server);
guint16 vl_rpc_server_port(const VlRpcServer *server); /* TLS; 0 for a UNIX socket */
/* Stops the event notifications of every connection (ownership changed hands). */
void vl_rpc_server_unsubscribe_all(VlRpcServer *server);
/* Closes every TLS connection for which keep(its client certificate, may be NULL) is FALSE:
 * after the pin or the owner changed, connections authorised under the old one must go. Those
 * still handshaking have presented nothing and are left alone: each of their calls is checked. */
typedef gboolean (*VlRpcKeepFunc)(X509 *peer_cert, gpointer user_data);
void vl_rpc_server_close_unless(VlRpcServer *server, VlRpcKeepFunc keep, gpointer user_data);

/* Closes the listener and every connection (their calls still in flight answer into the void). */
void vl_rpc_server_free(VlRpcServer *server);
guint vl_rpc_server_connections(const VlRpcServer *server);

/* A call: the request, already validated. */
const char *vl_call_method(const VlCall *call);
const VlEntry *vl_call_entry(const VlCall *call);
const VlJson *vl_call_params(const VlCall *call); /* an object, never NULL */
VlRpcConn *vl_call_conn(const VlCall *call);      /* NULL once the connection has gone */
const char *vl_call_peer(const VlCall *call);     /* "uid 0 pid 1234" or "192.0.2.7:51234" */
/* Whether the call came on the root-only local socket: the host's administrator. */
gboolean vl_call_is_local(const VlCall *call);
/* TLS: the client's IP address without the port ("192.0.2.7", "2001:db8::7"), for throttling and
 * the audit log; NULL on the local socket. */
const char *vl_call_peer_address(const VlCall *call);
/* TLS: the certificate the client presented (borrowed, valid while the call lives), or NULL;
 * and its SHA-256 fingerprint, or NULL. */
X509 *vl_call_peer_cert(const VlCall *call);
const char *vl_call_peer_fingerprint(const VlCall *call);

/* Calls func once the call is answered, just before it is freed, with the error it failed with
 * (NULL when it succeeded): for the audit log, which records results. One hook per call. */
typedef void (*VlCallDone)(VlCall *call, const GError *error, gpointer user_data);
void vl_call_on_done(VlCall *call, VlCallDone func, gpointer user_data);

/* Answers (result borrowed; NULL for {}) and frees the call. A notification gets no answer. */
void vl_call_return(VlCall *call, const VlJson *result);
/* Answers with error's VL_CALL_ERROR code (others: failed) and message, and frees the call. */
void vl_call_fail(VlCall *call, const GError *error);

/* Sends this connection every event of the given kinds (NULL: all) from now on; nothing once it
 * is closed (a replay's write may have closed it). */
void vl_rpc_conn_subscribe(VlRpcConn *conn, VlEvents *events, const char *const *kinds);
/*
 * Until a TLS connection is marked trusted (a call on it passed the owner's check), it is a
 * stranger's: a small output cap and an idle timeout, and at most a few such connections per
 * source address (see vl-rpc-private.h). Trusted: the limits of VlRpcLimits, no idle timeout.
 * Local connections are always trusted. conn may be NULL (vl_call_conn of a call whose connection
 * has gone): nothing to do.
 */
void vl_rpc_conn_set_trusted(VlRpcConn *conn, gboolean trusted);

/* Sends the kept events after seq of those kinds now (see vl_events_replay: FALSE on a gap, or
 * when the connection is closed, which a failed write does), before any later event. */
gboolean vl_rpc_conn_replay(VlRpcConn *conn, VlEvents *events, const char *const *kinds,
                            guint64 seq);

G_END_DECLS
