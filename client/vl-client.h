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
#include <openssl/x509.h>

#include "vl-json.h"
#include "vl-tls-identity.h"

G_BEGIN_DECLS

/* Where vmlinkd listens on its host; vmlinkctl's default. */
#define VL_CLIENT_DEFAULT_ADDRESS "unix:/run/vmlink/vmlinkd.sock"

/* How long connecting and the TLS handshake may take when the options do not say. */
#define VL_CLIENT_CONNECT_TIMEOUT_MS 30000

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
    VL_CLIENT_ERROR_UNSUPPORTED, /* a transport this version does not have (unused for now) */
    VL_CLIENT_ERROR_NO_SERVER,   /* nothing listens at the address */
    VL_CLIENT_ERROR_PERMISSION,  /* not allowed to connect to the address */
    VL_CLIENT_ERROR_CONNECT,     /* connecting failed for another reason */
    VL_CLIENT_ERROR_CLOSED,      /* the connection was closed or lost */
    VL_CLIENT_ERROR_PROTOCOL,    /* the server sent something the protocol does not allow */
    VL_CLIENT_ERROR_TLS,         /* the TLS handshake failed (not vmlinkd's TLS port, old TLS) */
    VL_CLIENT_ERROR_IDENTITY,    /* the server is not the pinned bridge, or its certificate
                                    has expired */
} VlClientError;

typedef struct _VlClient VlClient;

/* How to connect; all members may be left zero. */
typedef struct {
    /* tls: the certificate and key this client presents (a manager's); NULL: none, and an
     * owned bridge answers only host.info. */
    const VlTlsIdentity *identity;
    /* tls: the bridge's pinned certificate (PEM). The handshake's certificate is checked
     * against it (vl_tls_pin_matches) before anything is sent; a mismatch fails with
     * VL_CLIENT_ERROR_IDENTITY naming both fingerprints. NULL: not pinned yet, any bridge is
     * accepted; the caller decides what it may then do (host.info, host.take_ownership). */
    const char *pinned_pem;
    /* Connecting and the handshake: at most this long (0: VL_CLIENT_CONNECT_TIMEOUT_MS;
     * negative: without limit). Resolving a host name is not bounded by it. */
    int timeout_ms;
} VlClientOptions;

/*
 * Connects to address:
 *   "unix:PATH" or an absolute PATH: vmlinkd's UNIX socket on this host;
 *   "tls:HOST[:PORT]" or "tls://HOST[:PORT]": vmlinkd's TLS port (default VL_CONTROL_PORT,
 *   8899); an IPv6 address in brackets (tls://[::1]:8899).
 * vl_client_connect() is vl_client_connect_full() without options: no client certificate, no
 * pin.
 */
VlClient *vl_client_connect(const char *address, GError **error);
VlClient *vl_client_connect_full(const char *address, const VlClientOptions *options,
                                 GError **error);
void vl_client_free(VlClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlClient, vl_client_free)

/* The address as given to vl_client_connect(), for messages. */
const char *vl_client_get_address(const VlClient *client);

/*
 * Whether address is a TLS one, and its host (without brackets) and port; FALSE without an
 * error when it names another transport, FALSE with VL_CLIENT_ERROR_ADDRESS when it is a TLS
 * address that cannot be read. ret_host and ret_port may be NULL.
 */
gboolean vl_client_address_tls(const char *address, char **ret_host, guint16 *ret_port,
                               GError **error);

/* The certificate the server presented in the TLS handshake (borrowed, valid as long as the
 * client), and its SHA-256 fingerprint ("AB:CD:..."); NULL on a UNIX socket. */
X509 *vl_client_peer_cert(const VlClient *client);
const char *vl_client_peer_fingerprint(const VlClient *client);
/* Whether the pin matched only by key: the bridge renewed its certificate in place. The caller
 * then pins the new one (vl_client_peer_cert) so that the old one can expire. */
gboolean vl_client_pin_renewed(const VlClient *client);

/*
 * Calls method with params (NULL for {}), waiting at most timeout_ms for the answer (negative:
 * without limit). Returns the result object, owned by the caller, after checking it against the
 * method's catalogue entry. On failure returns NULL with error set (see VL_CLIENT_ERROR). The
 * encoded request is wiped once written (it may carry a password); params are the caller's to
 * wipe (vl_json_wipe_member).
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
