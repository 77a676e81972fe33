/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmlink-protocol: everything both ends of a vmlink wire must agree on. No I/O.
 */
#pragma once

#include <glib.h>

#include "vl-catalogue.h"
#include "vl-error.h"
#include "vl-frame.h"
#include "vl-json-check.h"
#include "vl-json.h"
#include "vl-jsonrpc.h"

G_BEGIN_DECLS

/* The virtio-serial port name of the vmlink guest channel. */
#define VL_GUEST_PORT_NAME "org.vmlink.agent.0"
/* The port of the QEMU guest agent, which vmlinkd also speaks to. */
#define VL_QGA_PORT_NAME "org.qemu.guest_agent.0"

/* Protocol versions this library implements. */
#define VL_GUEST_PROTOCOL_VERSION 1
#define VL_CONTROL_PROTOCOL_VERSION 1

/* Bounds of the hello nonce, in bytes. */
#define VL_NONCE_MIN_LEN 16
#define VL_NONCE_MAX_LEN 128

/* TCP port of the control plane. */
#define VL_CONTROL_PORT 8899

/* Bounds of the control plane's ownership members, in bytes. */
#define VL_PASSWORD_MAX_LEN 1024
#define VL_MANAGER_ID_MAX_LEN 128
#define VL_CERT_MAX_LEN 16384 /* one PEM certificate: RSA-8192 with room to spare */
#define VL_URL_MAX_LEN 2048

/*
 * Version negotiation: the highest version both sides speak. The peer's versions come from the
 * "versions" array of its hello (already validated). Fails with
 * VL_PROTOCOL_ERROR_UNSUPPORTED_VERSION naming both lists.
 */
gboolean vl_protocol_negotiate(const VlJson *peer_versions, const guint *ours, gsize n_ours,
                               guint *ret_version, GError **error);

/* A fresh nonce for a hello ("vl" and 32 hex digits). Not a secret: it only tells one
 * connection from the one before, so GLib's random source is enough. */
char *vl_protocol_new_nonce(void);

G_END_DECLS
