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
/* Pins (replaces atomically) the bridge certificate of host:port; NULL pem forgets it. */
gboolean vl_manager_pin(VlManager *manager, const char *host, guint16 port, const char *pem,
                        GError **error);
/* Whether cert matches (vl_tls_pin_matches) any pinned bridge; *ret_host (may be NULL) gets
 * "HOST:PORT" of the first match. For the push receiver, which accepts only owned bridges. */
gboolean vl_manager_knows_bridge(const VlManager *manager, X509 *cert, char **ret_host);

G_END_DECLS
