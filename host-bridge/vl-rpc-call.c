/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Calls: a request read from a connection, checked, handed to the handler, answered once.
 */
#include "vl-rpc-private.h"

#include "vl-jsonrpc.h"

/* Accessors ---------------------------------------------------------------------------------- */

const char *
vl_call_method(const VlCall *call)
{
    return call->entry->name;
}

const VlEntry *
vl_call_entry(const VlCall *call)
{
    return call->entry;
}

const VlJson *
vl_call_params(const VlCall *call)
{
    static VlJson *empty;
    const VlJson *params = vl_json_object_get(call->message, "params");

    if (params) {
        return params;
    }
    if (g_once_init_enter(&empty)) {
        g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

        vl_json_builder_begin_object(b);
        vl_json_builder_end_object(b);
        g_once_init_leave(&empty, vl_json_builder_finish(b));
    }
    return empty;
}

VlRpcConn *
vl_call_conn(const VlCall *call)
{
    return call->conn->server ? call->conn : NULL;
}

const char *
vl_call_peer(const VlCall *call)
{
    return call->conn->peer;
}

gboolean
vl_call_is_local(const VlCall *call)
{
    return call->conn->transport == &vl_rpc_plain_transport;
}

const char *
vl_call_peer_address(const VlCall *call)
{
    return call->conn->peer_address;
}

X509 *
vl_call_peer_cert(const VlCall *call)
{
    return call->conn->peer_cert;
}

const char *
vl_call_peer_fingerprint(const VlCall *call)
{
    return call->conn->peer_fingerprint;
}

/* Answers ------------------------------------------------------------------------------------ */

static void
call_free(VlCall *call)
{
    VlRpcConn *conn = call->conn;

    conn->inflight--;
    vl_rpc_conn_update_watch(conn);
    vl_json_unref(call->id);
    vl_json_unref(call->message);
    g_free(call);
    vl_rpc_conn_unref(conn);
}

void
vl_call_on_done(VlCall *call, VlCallDone func, gpointer user_data)
{
    call->done = func;
    call->done_data = user_data;
}

void
vl_call_return(VlCall *call, const VlJson *result)
{
    if (call->done) {
        call->done(call, NULL, call->done_data);
    }
    if (call->id) {
        g_autoptr(VlJson) response = vl_rpc_new_result(call->id, result);

        vl_rpc_conn_send(call->conn, response);
    }
    call_free(call);
}

void
vl_call_fail(VlCall *call, const GError *error)
{
    if (call->done) {
        call->done(call, error, call->done_data);
    }
    if (call->id) {
        vl_rpc_conn_send_error(call->conn, call->id, vl_rpc_code_for_error(error), error->message);
    }
    call_free(call);
}

/* Requests ----------------------------------------------------------------------------------- */

void
vl_rpc_call_handle_frame(VlRpcConn *conn, VlJson *frame)
{
    g_autoptr(GError) error = NULL;
    VlRpcKind kind;
    const VlEntry *entry = NULL;
    VlRpcCode code = VL_RPC_INVALID_REQUEST;
    VlJson *id = vl_json_object_get(frame, "id");
    VlCall *call;

    if (!vl_rpc_validate(frame, VL_SENDER_CLIENT, &kind, &entry, &code, &error)) {
        /* An id of the wrong type cannot be echoed: answer with null. */
        const VlJson *echo =
            id && (vl_json_kind(id) == VL_JSON_STRING || vl_json_kind(id) == VL_JSON_INT) ? id
                                                                                          : NULL;
        vl_rpc_conn_send_error(conn, echo, code, error->message);
        /* A refused request may still carry a password (one field of it too long, say). */
        vl_rpc_wipe_secrets(vl_json_object_get(frame, "params"));
        return;
    }
    if (kind != VL_RPC_REQUEST && kind != VL_RPC_NOTIFICATION) {
        return; /* a response: the bridge asks the client nothing */
    }
    vl_rpc_conn_touch(conn);
    call = g_new0(VlCall, 1);
    call->conn = vl_rpc_conn_ref(conn);
    call->id = id ? vl_json_ref(id) : NULL;
    call->message = vl_json_ref(frame);
    call->entry = entry;
    conn->inflight++;
    conn->server->handler(call, conn->server->user_data);
}
