/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network section, written from a netlink picture of links and addresses (vl-netlink.h), apart
 * from the socket so that tests and the fuzzer can feed it any messages.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"
#include "vl-netlink.h"

G_BEGIN_DECLS

#define VL_NETWORK_MAX_INTERFACES 1024 /* the catalogue's bounds */
#define VL_NETWORK_MAX_ADDRESSES 256

/*
 * Writes the network section's object for the links of state whose names match none of the
 * exclude globs (NULL: none): sorted by name, at most VL_NETWORK_MAX_INTERFACES, each with at
 * most VL_NETWORK_MAX_ADDRESSES addresses in a stable order (IPv4 first, then by address, then
 * by prefix). mac is left out for links without a hardware address or with an all-zero one (lo).
 */
void vl_network_write(const VlNetlinkState *state, const char *const *exclude, VlJsonBuilder *b);

G_END_DECLS
