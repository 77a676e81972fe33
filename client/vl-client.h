/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmlink-client: a synchronous client of vmlinkd's control plane (JSON-RPC 2.0, one frame per
 * message, described by vl_control_catalogue).
 *
 * One call is outstanding at a time: vl_client_call() sends a request and reads until its
 * response, queueing the "event" notifications that arrive meanwhile; vl_client_next_event()
 * hands them out, then reads more. Everything sent is checked against the catalogue first, and
 * everything received is checked before the caller sees it, so a caller never handles a message
 * the protocol does not allow. A VlClient is not thread-safe: use it from one thread.
 *
 *     g_autoptr(VlClient) client = vl_client_connect("unix:/run/vmlink/vmlinkd.sock", &error);
 *     g_autoptr(VlJson) result = client ? vl_client_call(client, "vm.list", NULL, 30000, &error)
 *                                       : NULL;
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

/* Where vmlinkd listens on its host; vmlinkctl's default. */
#define VL_CLIENT_DEFAULT_ADDRESS "unix:/run/vmlink/vmlinkd.sock"

/* The largest frame read from the server: a guest's full report (every installed application)
 * can be big, and the server is trusted more than a guest, but not without bound. */
#define VL_CLIENT_MAX_FRAME_SIZE (64 * 1024 * 1024)

/*
 * Failures of the connection itself. An error response from the server, a request that breaks
 * the catalogue before it is sent and a timeout are VL_CALL_ERROR instead (vl-jsonrpc.h), with
 * the JSON-RPC code: the server's own, VL_RPC_INVALID_PARAMS or VL_RPC_METHOD_NOT_FOUND as the
 * server would have answered, VL_RPC_TIMEOUT.
 */
#define VL_CLIENT_ERROR (vl_client_error_quark())
GQuark vl_client_error_quark(void);

typedef enum {
    VL_CLIENT_ERROR_ADDRESS,     /* the address cannot be read */
    VL_CLIENT_ERROR_UNSUPPORTED, /* a transport this version does not have yet (tls:) */
    VL_CLIENT_ERROR_NO_SERVER,   /* nothing listens at the address */
    VL_CLIENT_ERROR_PERMISSION,  /* not allowed to connect to the address */
    VL_CLIENT_ERROR_CONNECT,     /* connecting failed for another reason */
    VL_CLIENT_ERROR_CLOSED,      /* the connection was closed or lost */
    VL_CLIENT_ERROR_PROTOCOL,    /* the server sent something the protocol does not allow */
} VlClientError;

typedef struct _VlClient VlClient;

/*
 * Connects to address: "unix:PATH" or an absolute PATH (a UNIX socket on this host).
 * "tls:HOST[:PORT]" is recognised but fails with VL_CLIENT_ERROR_UNSUPPORTED until the TLS
 * transport exists.
 */
VlClient *vl_client_connect(const char *address, GError **error);
void vl_client_free(VlClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlClient, vl_client_free)

/* The address as given to vl_client_connect(), for messages. */
const char *vl_client_get_address(const VlClient *client);

/*
 * Calls method with params (NULL for {}), waiting at most timeout_ms for the answer (negative:
 * without limit). Returns the result object, owned by the caller, after checking it against the
 * method's catalogue entry. On failure returns NULL with error set (see VL_CLIENT_ERROR).
 */
VlJson *vl_client_call(VlClient *client, const char *method, const VlJson *params, int timeout_ms,
                       GError **error);

/*
 * The params of the next "event" notification, owned by the caller: those queued during calls
 * first, then those read within timeout_ms (negative: without limit). NULL with error set on
 * failure; VL_CALL_ERROR/VL_RPC_TIMEOUT when none came in time. Events come only after an
 * events.subscribe call.
 */
VlJson *vl_client_next_event(VlClient *client, int timeout_ms, GError **error);

/* Events queued and not yet handed out. */
guint vl_client_pending_events(const VlClient *client);

G_END_DECLS
