/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as rtnetlink datagrams (a dump, or the notifications the agent watches).
 * Whatever the parser keeps of them, the network section written from it must be valid and
 * strict JSON once encoded; a parse error leaves what came before it applied, so that is
 * written and checked too. So must guest-network-get-interfaces' answer from the same state.
 */
#include <stdint.h>
#include <stdlib.h>

#include "linux/network.h"
#include "linux/qga-net.h"
#include "vl-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const exclude[] = {"docker*",  "veth*", "virbr*", "cali*",
                                      "flannel*", "cni*",  NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autoptr(GPtrArray) links = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    gboolean done = FALSE;

    (void)vl_netlink_state_apply(state, data, size, &done, NULL);
    links = vl_netlink_state_links(state);
    if (links->len > VL_NETLINK_MAX_LINKS) {
        abort();
    }
    for (guint i = 0; i < links->len; i++) {
        const VlNetlinkLink *link = g_ptr_array_index(links, i);

        if (!g_utf8_validate(link->name, -1, NULL) ||
            link->addresses->len > VL_NETLINK_MAX_ADDRESSES ||
            link->hwaddr_len > VL_NETLINK_MAX_HWADDR) {
            abort();
        }
    }
    vl_network_write(state, (size > 0 && data[0] & 1) ? exclude : NULL, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("network", section, NULL)) {
        abort();
    }
    text = vl_json_to_string(section, &len);
    if (!vl_json_check(text, len, 16, NULL)) {
        abort();
    }
    {
        g_autoptr(VlJsonBuilder) qb = vl_json_builder_new();
        g_autoptr(VlJson) interfaces = NULL;
        g_autofree char *qtext = NULL;

        vl_qga_write_interfaces_from(state, qb);
        interfaces = vl_json_builder_finish(qb);
        qtext = vl_json_to_string(interfaces, &len);
        if (vl_json_array_length(interfaces) != links->len ||
            !vl_json_check(qtext, len, 16, NULL)) {
            abort();
        }
    }
    return 0;
}
