/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * network: every interface of the agent's network namespace with its hardware address, IPv4
 * and IPv6 addresses and byte counters.
 *
 * One rtnetlink dump (links, then addresses) gives all of it from the kernel in two requests,
 * consistently, for the namespace the agent runs in. getifaddrs(3) plus /sys/class/net would
 * read the addresses over netlink anyway and then one or three files per interface, and sysfs
 * shows the namespace of whoever mounted it, not the caller's. The agent's watcher applies the
 * kernel's change notifications to the same VlNetlinkState through the same parser.
 *
 * Interfaces are not files: ctx->root plays no part here. Tests feed netlink messages to
 * vl_network_write() instead, and run the collector in a network namespace of their own.
 */
#include "network.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vl-collector.h"
#include "vl-collectors-linux.h"
#include "vl-netlink.h"

#define MAC_MAX_BYTES 21 /* "xx:" per byte, less one: at most 62 of the catalogue's 64 */

static gint
address_compare(gconstpointer a, gconstpointer b)
{
    const VlNetlinkAddress *x = a;
    const VlNetlinkAddress *y = b;
    int c;

    if (x->family != y->family) {
        return x->family == AF_INET ? -1 : 1;
    }
    c = memcmp(x->bytes, y->bytes, sizeof(x->bytes));
    if (c != 0) {
        return c;
    }
    return (x->prefix > y->prefix) - (x->prefix < y->prefix);
}

static void
write_mac(const VlNetlinkLink *link, VlJsonBuilder *b)
{
    static const char hex[] = "0123456789abcdef";
    char text[MAC_MAX_BYTES * 3];
    gboolean all_zero = TRUE;
    gsize n = 0;

    if (link->hwaddr_len == 0 || link->hwaddr_len > MAC_MAX_BYTES) {
        return;
    }
    for (gsize i = 0; i < link->hwaddr_len; i++) {
        if (i > 0) {
            text[n++] = ':';
        }
        text[n++] = hex[link->hwaddr[i] >> 4];
        text[n++] = hex[link->hwaddr[i] & 0xf];
        all_zero = all_zero && link->hwaddr[i] == 0;
    }
    text[n] = '\0';
    if (all_zero) {
        return;
    }
    vl_json_builder_member(b, "mac");
    vl_json_builder_add_string(b, text);
}

static void
write_addresses(const VlNetlinkLink *link, VlJsonBuilder *b)
{
    g_autoptr(GArray) sorted = NULL;

    if (link->addresses->len == 0) {
        return;
    }
    sorted = g_array_copy(link->addresses);
    g_array_sort(sorted, address_compare);
    vl_json_builder_member(b, "addresses");
    vl_json_builder_begin_array(b);
    for (guint i = 0; i < MIN(sorted->len, (guint)VL_NETWORK_MAX_ADDRESSES); i++) {
        const VlNetlinkAddress *addr = &g_array_index(sorted, VlNetlinkAddress, i);
        char text[INET6_ADDRSTRLEN];

        if (!inet_ntop(addr->family, addr->bytes, text, sizeof(text))) {
            continue; /* cannot happen for AF_INET and AF_INET6 */
        }
        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "family");
        vl_json_builder_add_string(b, addr->family == AF_INET ? "ipv4" : "ipv6");
        vl_json_builder_member(b, "address");
        vl_json_builder_add_string(b, text);
        vl_json_builder_member(b, "prefix");
        vl_json_builder_add_int(b, addr->prefix);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_array(b);
}

void
vl_network_write(const VlNetlinkState *state, const char *const *exclude, VlJsonBuilder *b)
{
    g_autoptr(GPtrArray) links = vl_netlink_state_links(state);
    guint written = 0;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "interfaces");
    vl_json_builder_begin_array(b);
    for (guint i = 0; i < links->len && written < VL_NETWORK_MAX_INTERFACES; i++) {
        const VlNetlinkLink *link = g_ptr_array_index(links, i);

        if (vl_collect_excluded(exclude, link->name)) {
            continue;
        }
        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "name");
        vl_json_builder_add_string(b, link->name);
        write_mac(link, b);
        write_addresses(link, b);
        if (link->have_stats) {
            /* The kernel's counters are unsigned 64-bit; JSON integers here are signed. */
            vl_json_builder_member(b, "rx_bytes");
            vl_json_builder_add_int(b, (gint64)MIN(link->rx_bytes, (guint64)G_MAXINT64));
            vl_json_builder_member(b, "tx_bytes");
            vl_json_builder_add_int(b, (gint64)MIN(link->tx_bytes, (guint64)G_MAXINT64));
        }
        vl_json_builder_end_object(b);
        written++;
    }
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
}

static gboolean
collect_network(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    g_autoptr(GError) local_error = NULL;
    int fd = vl_netlink_open(0, &local_error);
    gboolean ok = fd >= 0 && vl_netlink_dump(fd, state, &local_error);

    if (fd >= 0) {
        close(fd);
    }
    if (!ok) {
        /* In the collectors' terms: a bad message is a parse error, the rest a read error. */
        g_set_error_literal(error, VL_COLLECTOR_ERROR,
                            g_error_matches(local_error, VL_NETLINK_ERROR, VL_NETLINK_ERROR_PARSE)
                                ? VL_COLLECTOR_ERROR_PARSE
                                : VL_COLLECTOR_ERROR_READ,
                            local_error->message);
        return FALSE;
    }
    vl_network_write(state, ctx->net_exclude, b);
    return TRUE;
}

const VlCollector vl_collector_network = {
    .name = "network",
    .collect = collect_network,
};
