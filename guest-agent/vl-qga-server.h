/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's second channel (issue 8): the QEMU guest agent protocol on the port libvirt
 * talks to (org.qemu.guest_agent.0), so vmlink-agent can take qemu-ga's place in a guest.
 * Bytes are split into requests (vl-qga-reader.h), checked (vl-qga.h), refused when the
 * configuration disables the command ("Command X has been disabled", as qemu-ga says), and
 * answered by vl-qga-commands.h; the answer to guest-sync-delimited comes after a 0xFF.
 */
#pragma once

#include "vl-qga-commands.h"

G_BEGIN_DECLS

typedef struct _VlQgaServer VlQgaServer;

/* Serves the channel SPEC (METHOD:ADDRESS, as vl-channel.h) with Q, which must outlive it. */
VlQgaServer *vl_qga_server_new(const VlQgaContext *q, const char *spec, GError **error);
void vl_qga_server_free(VlQgaServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlQgaServer, vl_qga_server_free)

G_END_DECLS
