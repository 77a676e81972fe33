/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest-network-get-interfaces' writer, apart from the socket, for tests and the fuzzer. */
#pragma once

#include "vl-json.h"
#include "vl-netlink.h"

G_BEGIN_DECLS

/* Every named link of STATE, by name, with its addresses as received and, for a link with an
 * address, its counters. */
void vl_qga_write_interfaces_from(const VlNetlinkState *state, VlJsonBuilder *b);

G_END_DECLS
