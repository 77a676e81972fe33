/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkd's state folder (--state-dir, /var/lib/vmlink): its TLS identity in tls/ (key.pem,
 * cert.pem) and its state file state.json (the agent password's hash; the owner, its pinned
 * certificate and URLs once the control plane has ownership).
 */
#pragma once

#include <glib.h>

#include "vl-tls-identity.h"

G_BEGIN_DECLS

/* A new certificate is made this long before the old one expires, and lasts this long. */
#define VL_BRIDGE_CERT_RENEW_DAYS 30
#define VL_BRIDGE_CERT_VALIDITY_DAYS 365

/* The identity of the bridge: made on first use, renewed when due; logs its fingerprint when
 * it is new or renewed. */
VlTlsIdentity *vl_bridge_identity_open(const char *state_dir, GError **error);

/* Reads the agent password from fd (one line; no echo on a terminal), stores only its salted
 * hash in the state file, keeping the rest of the state. */
gboolean vl_bridge_set_password(const char *state_dir, int fd, GError **error);

G_END_DECLS
