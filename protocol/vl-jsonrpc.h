/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Control plane v1: JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over one frame per
 * message. Requests and notifications carry "method" and object "params" (by name only);
 * params are checked against vl_control_catalogue. Responses carry exactly one of "result" and
 * "error". Batches are not part of v1: a JSON array is not an object and is refused by framing.
 */
#pragma once

#include <glib.h>

#include "vl-catalogue.h"
#include "vl-json.h"

G_BEGIN_DECLS

/* Error codes: JSON-RPC's own, then vmlink's in the implementation-defined server range. */
typedef enum {
    VL_RPC_PARSE_ERROR = -32700,
    VL_RPC_INVALID_REQUEST = -32600,
    VL_RPC_METHOD_NOT_FOUND = -32601,
    VL_RPC_INVALID_PARAMS = -32602,
    VL_RPC_INTERNAL_ERROR = -32603,
    VL_RPC_FAILED = -32000,            /* the call was valid but carrying it out failed */
    VL_RPC_UNAUTHORIZED = -32001,      /* not the owner, or the call needs ownership */
    VL_RPC_OWNED = -32002,             /* the host is owned by another manager */
    VL_RPC_NOT_FOUND = -32003,         /* no such VM, device or object */
    VL_RPC_AGENT_UNAVAILABLE = -32004, /* the VM's agent is not connected or not responsive */
    VL_RPC_TIMEOUT = -32005,           /* no answer in time (agent, libvirt) */
    VL_RPC_RATE_LIMITED = -32006,      /* too many requests or attempts; retry later */
    VL_RPC_DISABLED = -32007,          /* disabled by the host's configuration */
    VL_RPC_CONFLICT = -32008,          /* the object's state does not allow the call now */
} VlRpcCode;

/*
 * A GError domain whose codes are VlRpcCode values: what the bridge's layers report, so the
 * dispatcher answers with the code and message as they are.
 */
#define VL_CALL_ERROR (vl_call_error_quark())
GQuark vl_call_error_quark(void);

/* The JSON-RPC code for an error of any domain: VL_CALL_ERROR's own code, else failed. */
VlRpcCode vl_rpc_code_for_error(const GError *error);

typedef struct {
    VlRpcCode code;
    const char *name;
    const char *description;
} VlRpcCodeInfo;

/* Every code above, ended by an entry whose name is NULL. */
extern const VlRpcCodeInfo vl_rpc_codes[];

typedef enum {
    VL_RPC_REQUEST,      /* method and id: answer it */
    VL_RPC_NOTIFICATION, /* method, no id: no answer */
    VL_RPC_RESULT,       /* response with result */
    VL_RPC_ERROR,        /* response with error */
} VlRpcKind;

/*
 * Wipes the secrets a request's params may carry (password, new_password: host.take_ownership,
 * host.change_password, guest.login) in place, once used or refused. NULL is allowed.
 */
void vl_rpc_wipe_secrets(const VlJson *params);

/*
 * Checks a control plane message sent by sender. On success sets *ret_kind and, for requests and
 * notifications, *ret_entry (the method's catalogue entry). On failure sets *ret_code to the
 * JSON-RPC error code to answer with (invalid request, method not found, invalid params) and
 * error to the protocol error naming the field.
 */
gboolean vl_rpc_validate(const VlJson *message, VlSender sender, VlRpcKind *ret_kind,
                         const VlEntry **ret_entry, VlRpcCode *ret_code, GError **error);

/* The JSON-RPC code for a framing error (parse error or invalid request). */
VlRpcCode vl_rpc_code_for_frame_error(const GError *error);

/* Builds a request (id may be NULL for a notification; params may be NULL for {}). */
VlJson *vl_rpc_new_request(const char *method, const VlJson *params, const VlJson *id);
/* Builds a response: with result (or {} when NULL) */
VlJson *vl_rpc_new_result(const VlJson *id, const VlJson *result);
/* Builds an error response; id NULL becomes null (when the request's id was unreadable). A
 * message longer than the 4096 bytes a response may carry is cut at a character boundary. */
VlJson *vl_rpc_new_error(const VlJson *id, VlRpcCode code, const char *message);

G_END_DECLS
