/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's methods: one table from method name to handler. Handlers that talk to
 * libvirt run on worker threads and answer on the loop's thread; guest methods send a command
 * down the VM's channel and answer when the agent does (or its timeout passes); the rest answer
 * from the bridge's state at once.
 */
#pragma once

#include "vl-bridge.h"
#include "vl-rpc-server.h"

G_BEGIN_DECLS

/* The VlRpcHandler of vmlinkd's servers; user_data is the VlBridge. */
void vl_dispatch(VlCall *call, gpointer user_data);

/* A GSourceFunc (user_data: the VlBridge) to run every second: notices changes of the state file
 * made outside vmlinkd and cuts what the old state allowed. */
gboolean vl_dispatch_poll_ownership(gpointer user_data);

/* Whether the table serves a method (tests check it covers the catalogue). */
gboolean vl_dispatch_serves(const char *method);

G_END_DECLS
