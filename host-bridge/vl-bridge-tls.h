/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge's TLS listener: the manager's control plane on the address of the listen setting,
 * with the bridge's identity, its certificate renewed in place before it expires (checked
 * daily) or replaced with a new key when the owner asks.
 */
#pragma once

#include <glib.h>

#include "vl-bridge.h"

G_BEGIN_DECLS

/* Starts listening as bridge->config->listen says ("none": not at all) with bridge->identity,
 * sets bridge->tls_server, and checks daily whether the certificate needs renewing. */
gboolean vl_bridge_tls_start(VlBridge *bridge, GError **error);
/* Stops the listener (its connections close) and the daily check. */
void vl_bridge_tls_stop(VlBridge *bridge);

/*
 * Gives the bridge a new key and certificate (host.rotate_certificate {bridge: true}). As after
 * a renewal: new connections handshake with it (established ones keep the old), bridge->
 * fingerprint is the new one, and a "host.certificate" event carries it to the owner
 * ({certificate, fingerprint, not_after}).
 */
gboolean vl_bridge_tls_rotate(VlBridge *bridge, GError **error);

G_END_DECLS
