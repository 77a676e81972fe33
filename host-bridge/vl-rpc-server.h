/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's server side: a listening socket, its connections, and calls.
 *
 * Each connection reads frames (capped), checks each against JSON-RPC and the control
 * catalogue (a bad one is answered with the right JSON-RPC error and the connection goes on),
 * and hands each valid request to the handler as a VlCall, which the handler answers now or
 * later (vl_call_return / vl_call_fail) exactly once. Responses and event notifications queue
 * per connection; a client that lets more than the output cap pile up is cut off, and a
 * connection with too many calls in flight is not read until some finish.
 *
 * Here the listener is a local UNIX socket that only root may use (peer credentials are
 * checked on accept); the TLS listener of the next issue feeds the same calls to the same
 * handler.
 */
#pragma once

#include <glib.h>

#include "vl-catalogue.h"
#include "vl-events.h"
#include "vl-json.h"

G_BEGIN_DECLS

typedef struct _VlRpcServer VlRpcServer;
typedef struct _VlRpcConn VlRpcConn;
typedef struct _VlCall VlCall;

typedef void (*VlRpcHandler)(VlCall *call, gpointer user_data);

typedef struct {
    gsize max_request;  /* bytes per request frame */
    gsize max_output;   /* bytes queued for a client before it is cut off */
    guint max_inflight; /* calls in flight per connection before reading pauses */
} VlRpcLimits;

/* Listens on a UNIX socket at path (mode 0600, its folder created 0755). A stale socket left
 * by a dead vmlinkd is replaced; one that answers (another vmlinkd) is an error. */
VlRpcServer *vl_rpc_server_new_unix(const char *path, const VlRpcLimits *limits,
                                    VlRpcHandler handler, gpointer user_data, GError **error);
/* Closes the listener and every connection (their calls still in flight answer into the void). */
void vl_rpc_server_free(VlRpcServer *server);
guint vl_rpc_server_connections(const VlRpcServer *server);

/* A call: the request, already validated. */
const char *vl_call_method(const VlCall *call);
const VlEntry *vl_call_entry(const VlCall *call);
const VlJson *vl_call_params(const VlCall *call); /* an object, never NULL */
VlRpcConn *vl_call_conn(const VlCall *call);      /* NULL once the connection has gone */
const char *vl_call_peer(const VlCall *call);     /* "uid 0 pid 1234", for logs */

/* Answers (result borrowed; NULL for {}) and frees the call. A notification gets no answer. */
void vl_call_return(VlCall *call, const VlJson *result);
/* Answers with error's VL_CALL_ERROR code (others: failed) and message, and frees the call. */
void vl_call_fail(VlCall *call, const GError *error);

/* Sends this connection every event of the given kinds (NULL: all) from now on. */
void vl_rpc_conn_subscribe(VlRpcConn *conn, VlEvents *events, const char *const *kinds);

G_END_DECLS
