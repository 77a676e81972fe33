/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkd's view of libvirt: one connection, libvirt's events on the GLib loop (libvirt-glib),
 * every domain tracked through lifecycle events, and each running domain's vmlink channel
 * attached. When libvirtd goes away (restart, crash: noticed by keepalive), the connection is
 * opened again with a growing delay and everything is reconciled with what libvirt then says;
 * the channels themselves are QEMU's sockets and stay up meanwhile.
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "vl-bridge.h"

G_BEGIN_DECLS

/* Registers libvirt-glib's event loop with libvirt; call once, before any connection. */
void vl_domains_init(void);

VlDomains *vl_domains_new(VlBridge *bridge, const char *uri);
void vl_domains_free(VlDomains *domains);

/* Connects now (or keeps trying in the background) and attaches every running VM. */
void vl_domains_start(VlDomains *domains);

/* The connection with a new reference (virConnectClose it), or NULL while disconnected. */
virConnectPtr vl_domains_connection(VlDomains *domains);

/* Reads a domain again (state, channel) after a control plane call changed it. */
void vl_domains_refresh(VlDomains *domains, const char *uuid);

const char *vl_domains_uri(const VlDomains *domains);

G_END_DECLS
