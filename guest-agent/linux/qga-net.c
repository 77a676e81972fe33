/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest-network-get-interfaces on Linux (vl-qga-platform.h): the links and addresses of
 * rtnetlink (vl-netlink.h), in qemu-ga's shape. */
#include "vl-qga-platform.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qga-net.h"
#include "vl-netlink.h"

static void
write_statistics(const VlNetlinkLink *link, VlJsonBuilder *b)
{
    vl_json_builder_member(b, "statistics");
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_int(b, "rx-bytes", (gint64)link->rx_bytes);
    vl_json_builder_add_member_int(b, "rx-packets", (gint64)link->rx_packets);
    vl_json_builder_add_member_int(b, "rx-errs", (gint64)link->rx_errors);
    vl_json_builder_add_member_int(b, "rx-dropped", (gint64)link->rx_dropped);
    vl_json_builder_add_member_int(b, "tx-bytes", (gint64)link->tx_bytes);
    vl_json_builder_add_member_int(b, "tx-packets", (gint64)link->tx_packets);
    vl_json_builder_add_member_int(b, "tx-errs", (gint64)link->tx_errors);
    vl_json_builder_add_member_int(b, "tx-dropped", (gint64)link->tx_dropped);
    vl_json_builder_end_object(b);
}

void
vl_qga_write_interfaces_from(const VlNetlinkState *state, VlJsonBuilder *b)
{
    g_autoptr(GPtrArray) links = vl_netlink_state_links(state);

    vl_json_builder_begin_array(b);
    for (guint i = 0; i < links->len; i++) {
        const VlNetlinkLink *link = g_ptr_array_index(links, i);
        guint8 mac[6] = {0};
        g_autofree char *hw = NULL;

        /* As qemu-ga's SIOCGIFHWADDR: six bytes, zeros where the link has fewer or none. */
        memcpy(mac, link->hwaddr, MIN(link->hwaddr_len, sizeof(mac)));
        hw = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                             mac[4], mac[5]);
        vl_json_builder_begin_object(b);
        vl_json_builder_add_member_string(b, "name", link->name);
        vl_json_builder_add_member_string(b, "hardware-address", hw);
        if (link->addresses->len > 0) {
            vl_json_builder_member(b, "ip-addresses");
            vl_json_builder_begin_array(b);
            for (guint j = 0; j < link->addresses->len; j++) {
                const VlNetlinkAddress *a = &g_array_index(link->addresses, VlNetlinkAddress, j);
                char text[INET6_ADDRSTRLEN] = "";

                inet_ntop(a->family, a->bytes, text, sizeof(text));
                vl_json_builder_begin_object(b);
                vl_json_builder_add_member_string(b, "ip-address-type",
                                                  a->family == AF_INET ? "ipv4" : "ipv6");
                vl_json_builder_add_member_string(b, "ip-address", text);
                vl_json_builder_add_member_int(b, "prefix", a->prefix);
                vl_json_builder_end_object(b);
            }
            vl_json_builder_end_array(b);
            /* qemu-ga counts traffic only of interfaces with an address. */
            if (link->have_stats) {
                write_statistics(link, b);
            }
        }
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_array(b);
}

gboolean
vl_qga_write_interfaces(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    int fd = vl_netlink_open(0, error);
    gboolean ok;

    if (fd < 0) {
        return FALSE;
    }
    ok = vl_netlink_dump(fd, state, error);
    close(fd);
    if (ok) {
        vl_qga_write_interfaces_from(state, b);
    }
    return ok;
}
