/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The manager's side of ownership, as vmlinkctl keeps it: its identity and the bridges it knows.
 *
 *     $XDG_CONFIG_HOME/vmlink/ (default ~/.config/vmlink, made 0700)
 *         manager.conf        [manager] id = <hostname>-<8 hex>, made on first use (GKeyFile)
 *         identity/key.pem    the manager's key (ECDSA P-256, 0600) and self-signed certificate,
 *         identity/cert.pem   made on first use, renewed in place (same key) when due
 *         hosts/<HOST>_<PORT>.pem   each bridge's pinned certificate, written at take-ownership
 *
 * Bridges pin the manager's certificate by key, so an identity renewed in place keeps working
 * with every bridge; the manager pins each bridge the same way (vl_tls_pin_matches).
 */
#pragma once

#include <glib.h>
#include <openssl/x509.h>

#include "vl-tls-identity.h"

G_BEGIN_DECLS

/* What cannot be read or written under the manager's folder; the message names the file and
 * the fix. The identity's own failures keep their VL_TLS_ERROR. */
#define VL_MANAGER_ERROR (vl_manager_error_quark())
GQuark vl_manager_error_quark(void);

typedef enum {
    VL_MANAGER_ERROR_FOLDER, /* the folder cannot be made, is not ours or not a folder */
    VL_MANAGER_ERROR_CONFIG, /* manager.conf cannot be read, written, or holds a bad id */
    VL_MANAGER_ERROR_PIN,    /* a pin cannot be written or removed, or is not a certificate */
} VlManagerError;

/* The identity's certificate: valid this long, renewed in place this long before it ends. */
#define VL_MANAGER_CERT_DAYS 365
#define VL_MANAGER_RENEW_DAYS 30

typedef struct _VlManager VlManager;

/* Opens (making what is missing) the manager under dir (NULL: $XDG_CONFIG_HOME/vmlink). */
VlManager *vl_manager_open(const char *dir, GError **error);
void vl_manager_free(VlManager *manager);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlManager, vl_manager_free)

const char *vl_manager_id(const VlManager *manager);
VlTlsIdentity *vl_manager_identity(const VlManager *manager);
const char *vl_manager_dir(const VlManager *manager);

/* The pinned certificate (PEM) of the bridge at host:port, or NULL when it is not known. */
char *vl_manager_pinned(const VlManager *manager, const char *host, guint16 port);
/* The file that holds the pin of host:port (whether it exists or not), for messages. */
char *vl_manager_pin_path(const VlManager *manager, const char *host, guint16 port);
/* Pins (replaces atomically) the bridge certificate of host:port; NULL pem forgets it. */
gboolean vl_manager_pin(VlManager *manager, const char *host, guint16 port, const char *pem,
                        GError **error);
/* Whether cert matches (vl_tls_pin_matches) any pinned bridge; *ret_host (may be NULL) gets
 * "HOST:PORT" of the first match. For the push receiver, which accepts only owned bridges. */
gboolean vl_manager_knows_bridge(const VlManager *manager, X509 *cert, char **ret_host);

G_END_DECLS
