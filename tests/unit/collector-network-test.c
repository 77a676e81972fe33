/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network collector: the netlink parser and the section writer on messages built here and
 * on a real kernel dump (fixtures/network/dump.bin, made by capture.py there), and, as root,
 * the whole collector in a network namespace of the test's own with a veth pair in it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collector-check.h"
#include "linux/network.h"
#include "linux/vl-collectors-linux.h"

/* The agent's default exclude globs (agent.conf: network.exclude). */
static const char *const default_exclude[] = {
    "docker*", "veth*", "virbr*", "cali*", "flannel*", "cni*", NULL,
};

static const guint8 mac_d0[] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01}; /* RFC 7042 */

/* Building messages ------------------------------------------------------------------------- */

static void
pad(GByteArray *buf)
{
    static const guint8 zero[4] = {0};

    g_byte_array_append(buf, zero, NLMSG_ALIGN(buf->len) - buf->len);
}

static gsize
msg_begin(GByteArray *buf, guint16 type)
{
    struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_flags = NLM_F_MULTI};
    gsize start = buf->len;

    g_byte_array_append(buf, (const guint8 *)&h, sizeof(h));
    return start;
}

static void
msg_end(GByteArray *buf, gsize start)
{
    guint32 len = buf->len - start;

    memcpy(buf->data + start, &len, sizeof(len));
    pad(buf);
}

static void
put_attr(GByteArray *buf, guint16 type, const void *data, gsize len)
{
    struct rtattr rta = {.rta_len = RTA_LENGTH(len), .rta_type = type};

    g_byte_array_append(buf, (const guint8 *)&rta, sizeof(rta));
    g_byte_array_append(buf, data, len);
    pad(buf);
}

static void
put_link(GByteArray *buf, int index, const char *name, const guint8 *hwaddr, gsize hwaddr_len,
         guint64 rx, guint64 tx)
{
    gsize start = msg_begin(buf, RTM_NEWLINK);
    struct ifinfomsg ifi = {.ifi_type = ARPHRD_ETHER, .ifi_index = index};
    struct rtnl_link_stats64 stats = {.rx_bytes = rx, .tx_bytes = tx};

    g_byte_array_append(buf, (const guint8 *)&ifi, sizeof(ifi));
    if (name) {
        put_attr(buf, IFLA_IFNAME, name, strlen(name) + 1);
    }
    if (hwaddr) {
        put_attr(buf, IFLA_ADDRESS, hwaddr, hwaddr_len);
    }
    put_attr(buf, IFLA_STATS64, &stats, sizeof(stats));
    msg_end(buf, start);
}

static void
put_del_link(GByteArray *buf, int index)
{
    gsize start = msg_begin(buf, RTM_DELLINK);
    struct ifinfomsg ifi = {.ifi_index = index};

    g_byte_array_append(buf, (const guint8 *)&ifi, sizeof(ifi));
    msg_end(buf, start);
}

/* An RTM_NEWADDR or RTM_DELADDR as the kernel sends it: IPv4 with IFA_LOCAL and IFA_ADDRESS
 * (peer) both, IPv6 with IFA_ADDRESS only. */
static void
put_address(GByteArray *buf, guint16 type, int index, const char *text, guint prefix)
{
    gsize start = msg_begin(buf, type);
    gboolean v6 = strchr(text, ':') != NULL;
    struct ifaddrmsg ifa = {
        .ifa_family = v6 ? AF_INET6 : AF_INET,
        .ifa_prefixlen = prefix,
        .ifa_index = index,
    };
    guint8 bytes[16];

    ck_assert_int_eq(inet_pton(ifa.ifa_family, text, bytes), 1);
    g_byte_array_append(buf, (const guint8 *)&ifa, sizeof(ifa));
    put_attr(buf, IFA_ADDRESS, bytes, v6 ? 16 : 4);
    if (!v6) {
        put_attr(buf, IFA_LOCAL, bytes, 4);
    }
    msg_end(buf, start);
}

static void
put_control(GByteArray *buf, guint16 type, gint32 error)
{
    gsize start = msg_begin(buf, type);

    g_byte_array_append(buf, (const guint8 *)&error, sizeof(error));
    msg_end(buf, start);
}

/* Running on messages ----------------------------------------------------------------------- */

/* What fake_network applies; each test sets it. */
static GByteArray *messages;

static gboolean
fake_collect(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();

    if (!vl_netlink_state_apply(state, messages->data, messages->len, NULL, error)) {
        return FALSE;
    }
    vl_network_write(state, ctx->net_exclude, b);
    return TRUE;
}

static const VlCollector fake_network = {.name = "network", .collect = fake_collect};

static void
messages_setup(void)
{
    messages = g_byte_array_new();
}

static void
messages_teardown(void)
{
    g_byte_array_unref(messages);
    messages = NULL;
}

static VlJson *
run_messages(const char *const *exclude)
{
    VlCollectContext ctx = {.root = "/", .net_exclude = exclude};

    return collect_valid(&fake_network, &ctx);
}

/* Reading the section ----------------------------------------------------------------------- */

static const VlJson *
interfaces_of(const VlJson *net)
{
    const VlJson *list = vl_json_object_get(net, "interfaces");

    ck_assert_ptr_nonnull(list);
    return list;
}

static char *
names_of(const VlJson *net)
{
    const VlJson *list = interfaces_of(net);
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *iface = vl_json_array_get(list, i);

        g_string_append_printf(s, "%s%s", i ? "," : "",
                               vl_json_get_string(vl_json_object_get(iface, "name")));
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static const VlJson *
interface_named(const VlJson *net, const char *name)
{
    const VlJson *list = interfaces_of(net);

    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *iface = vl_json_array_get(list, i);

        if (g_str_equal(vl_json_get_string(vl_json_object_get(iface, "name")), name)) {
            return iface;
        }
    }
    ck_abort_msg("no interface %s", name);
    return NULL;
}

/* "ipv4 198.51.100.7/24,ipv6 2001:db8::7/64" */
static char *
addresses_of(const VlJson *iface)
{
    const VlJson *list = vl_json_object_get(iface, "addresses");
    g_autoptr(GString) s = g_string_new(NULL);

    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *a = vl_json_array_get(list, i);

        g_string_append_printf(s, "%s%s %s/%" G_GINT64_FORMAT, i ? "," : "",
                               vl_json_get_string(vl_json_object_get(a, "family")),
                               vl_json_get_string(vl_json_object_get(a, "address")),
                               vl_json_get_int(vl_json_object_get(a, "prefix")));
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static const char *
mac_of(const VlJson *iface)
{
    return vl_json_get_string(vl_json_object_get(iface, "mac"));
}

static gint64
counter(const VlJson *iface, const char *name)
{
    const VlJson *v = vl_json_object_get(iface, name);

    ck_assert_msg(v != NULL, "no %s", name);
    return vl_json_get_int(v);
}

/* Messages built here ----------------------------------------------------------------------- */

START_TEST(test_sorted_and_excluded)
{
    static const guint8 zero[6] = {0};
    g_autoptr(VlJson) net = NULL;
    g_autoptr(VlJson) all = NULL;
    g_autofree char *names = NULL;
    g_autofree char *all_names = NULL;

    put_link(messages, 7, "veth1a2b", mac_d0, 6, 1, 2);
    put_link(messages, 3, "eth1", mac_d0, 6, 10, 20);
    put_link(messages, 1, "lo", zero, 6, 300, 300);
    put_link(messages, 2, "eth0", mac_d0, 6, 1024, 2048);
    put_link(messages, 4, "docker0", mac_d0, 6, 0, 0);
    put_link(messages, 5, "br-lan", mac_d0, 6, 0, 0);
    put_control(messages, NLMSG_DONE, 0);

    net = run_messages(default_exclude);
    names = names_of(net);
    ck_assert_str_eq(names, "br-lan,eth0,eth1,lo");
    ck_assert_str_eq(mac_of(interface_named(net, "eth0")), "00:00:5e:00:53:01");
    ck_assert_int_eq(counter(interface_named(net, "eth0"), "rx_bytes"), 1024);
    ck_assert_int_eq(counter(interface_named(net, "eth0"), "tx_bytes"), 2048);
    /* lo's all-zero address is no hardware address */
    ck_assert_ptr_null(vl_json_object_get(interface_named(net, "lo"), "mac"));
    ck_assert_ptr_null(vl_json_object_get(interface_named(net, "eth1"), "addresses"));

    all = run_messages(NULL);
    all_names = names_of(all);
    ck_assert_str_eq(all_names, "br-lan,docker0,eth0,eth1,lo,veth1a2b");
}
END_TEST

START_TEST(test_addresses_stable_order)
{
    g_autoptr(VlJson) net = NULL;
    g_autofree char *addrs = NULL;

    /* Addresses may come before their link (notifications) and in any order. */
    put_address(messages, RTM_NEWADDR, 2, "2001:db8::10", 64);
    put_address(messages, RTM_NEWADDR, 2, "198.51.100.200", 24);
    put_address(messages, RTM_NEWADDR, 2, "fe80::200:5eff:fe00:5301", 64);
    put_address(messages, RTM_NEWADDR, 2, "198.51.100.10", 25);
    put_address(messages, RTM_NEWADDR, 2, "198.51.100.10", 24);
    put_address(messages, RTM_NEWADDR, 2, "2001:db8::10", 64); /* again: no duplicate */
    put_link(messages, 2, "eth0", mac_d0, 6, 0, 0);
    put_address(messages, RTM_NEWADDR, 9, "198.51.100.99", 24); /* a link never named */

    net = run_messages(NULL);
    addrs = addresses_of(interface_named(net, "eth0"));
    ck_assert_str_eq(addrs, "ipv4 198.51.100.10/24,ipv4 198.51.100.10/25,"
                            "ipv4 198.51.100.200/24,ipv6 2001:db8::10/64,"
                            "ipv6 fe80::200:5eff:fe00:5301/64");
    ck_assert_int_eq(vl_json_array_length(interfaces_of(net)), 1);
}
END_TEST

START_TEST(test_changes_applied)
{
    g_autoptr(VlJson) net = NULL;
    g_autofree char *names = NULL;
    g_autofree char *addrs = NULL;

    /* A dump, then notifications as the watcher will see them. */
    put_link(messages, 2, "eth0", mac_d0, 6, 1, 1);
    put_link(messages, 3, "eth1", mac_d0, 6, 1, 1);
    put_address(messages, RTM_NEWADDR, 2, "198.51.100.1", 24);
    put_address(messages, RTM_NEWADDR, 2, "2001:db8::1", 64);
    put_control(messages, NLMSG_DONE, 0);
    put_address(messages, RTM_DELADDR, 2, "198.51.100.1", 24);
    put_address(messages, RTM_DELADDR, 2, "198.51.100.1", 16); /* not there: nothing */
    put_address(messages, RTM_NEWADDR, 2, "198.51.100.2", 24);
    put_link(messages, 2, "wan0", mac_d0, 6, 5, 6); /* renamed; keeps its addresses */
    put_del_link(messages, 3);
    put_address(messages, RTM_DELADDR, 3, "198.51.100.3", 24); /* of a link gone: nothing */

    net = run_messages(NULL);
    names = names_of(net);
    ck_assert_str_eq(names, "wan0");
    addrs = addresses_of(interface_named(net, "wan0"));
    ck_assert_str_eq(addrs, "ipv4 198.51.100.2/24,ipv6 2001:db8::1/64");
    ck_assert_int_eq(counter(interface_named(net, "wan0"), "rx_bytes"), 5);
}
END_TEST

START_TEST(test_odd_links)
{
    guint8 long_hw[VL_NETLINK_MAX_HWADDR];
    guint8 ib_hw[20];
    g_autoptr(VlJson) net = NULL;
    g_autofree char *names = NULL;
    gsize start;
    struct ifinfomsg ifi = {.ifi_type = ARPHRD_NONE, .ifi_index = 6};
    struct rtnl_link_stats stats32 = {.rx_bytes = 77, .tx_bytes = 88};

    memset(long_hw, 0xab, sizeof(long_hw));
    memset(ib_hw, 0x80, sizeof(ib_hw));
    put_link(messages, 2, "caf\xc3\xa9", NULL, 0, 0, 0);            /* UTF-8 */
    put_link(messages, 3, "bad\xff", mac_d0, 6, 0, 0);              /* not UTF-8 */
    put_link(messages, 4, "wide0", long_hw, sizeof(long_hw), 0, 0); /* too long a MAC */
    put_link(messages, 5, "ib0", ib_hw, sizeof(ib_hw), G_MAXUINT64, 1);
    put_link(messages, 8, "", mac_d0, 6, 0, 0); /* no name: left out */
    put_link(messages, 9, NULL, mac_d0, 6, 0, 0);

    /* A tunnel: no hardware address, 32-bit counters only. */
    start = msg_begin(messages, RTM_NEWLINK);
    g_byte_array_append(messages, (const guint8 *)&ifi, sizeof(ifi));
    put_attr(messages, IFLA_IFNAME, "tun0", 5);
    put_attr(messages, IFLA_STATS, &stats32, sizeof(stats32));
    msg_end(messages, start);
    /* A link without counters at all, and an attribute of a type past those parsed. */
    start = msg_begin(messages, RTM_NEWLINK);
    ifi.ifi_index = 7;
    g_byte_array_append(messages, (const guint8 *)&ifi, sizeof(ifi));
    put_attr(messages, IFLA_IFNAME, "nostats", 8);
    put_attr(messages, 200, "x", 1);
    msg_end(messages, start);

    net = run_messages(NULL);
    names = names_of(net);
    ck_assert_str_eq(names, "bad\xef\xbf\xbd,caf\xc3\xa9,ib0,nostats,tun0,wide0");
    ck_assert_ptr_null(vl_json_object_get(interface_named(net, "caf\xc3\xa9"), "mac"));
    ck_assert_ptr_null(vl_json_object_get(interface_named(net, "wide0"), "mac"));
    ck_assert_str_eq(mac_of(interface_named(net, "ib0")),
                     "80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80");
    ck_assert_int_eq(counter(interface_named(net, "ib0"), "rx_bytes"), G_MAXINT64);
    ck_assert_int_eq(counter(interface_named(net, "tun0"), "rx_bytes"), 77);
    ck_assert_int_eq(counter(interface_named(net, "tun0"), "tx_bytes"), 88);
    ck_assert_ptr_null(vl_json_object_get(interface_named(net, "tun0"), "mac"));
    ck_assert_ptr_null(vl_json_object_get(interface_named(net, "nostats"), "rx_bytes"));
}
END_TEST

START_TEST(test_odd_addresses)
{
    g_autoptr(VlJson) net = NULL;
    g_autofree char *addrs = NULL;
    gsize start;
    struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 30, .ifa_index = 2};
    guint8 local[4] = {198, 51, 100, 1};
    guint8 peer[4] = {198, 51, 100, 2};

    put_link(messages, 2, "ppp0", NULL, 0, 0, 0);
    /* Point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the peer's. */
    start = msg_begin(messages, RTM_NEWADDR);
    g_byte_array_append(messages, (const guint8 *)&ifa, sizeof(ifa));
    put_attr(messages, IFA_ADDRESS, peer, 4);
    put_attr(messages, IFA_LOCAL, local, 4);
    msg_end(messages, start);
    /* Prefix out of range, address of the wrong size, another family: all left out. */
    put_address(messages, RTM_NEWADDR, 2, "198.51.100.5", 33);
    start = msg_begin(messages, RTM_NEWADDR);
    g_byte_array_append(messages, (const guint8 *)&ifa, sizeof(ifa));
    put_attr(messages, IFA_ADDRESS, local, 3);
    msg_end(messages, start);
    start = msg_begin(messages, RTM_NEWADDR);
    ifa.ifa_family = AF_PACKET;
    g_byte_array_append(messages, (const guint8 *)&ifa, sizeof(ifa));
    put_attr(messages, IFA_ADDRESS, local, 4);
    msg_end(messages, start);
    /* Other messages are skipped. */
    put_control(messages, RTM_NEWROUTE, 0);
    put_control(messages, NLMSG_NOOP, 0);
    put_control(messages, NLMSG_ERROR, 0); /* an ack */

    net = run_messages(NULL);
    addrs = addresses_of(interface_named(net, "ppp0"));
    ck_assert_str_eq(addrs, "ipv4 198.51.100.1/30");
}
END_TEST

START_TEST(test_bounds)
{
    g_autoptr(VlJson) net = NULL;
    const VlJson *list;
    const VlJson *first;
    g_autofree char *last_addrs = NULL;

    for (int i = 1; i <= VL_NETWORK_MAX_INTERFACES + 100; i++) {
        g_autofree char *name = g_strdup_printf("if%04d", i);

        put_link(messages, i, name, mac_d0, 6, 0, 0);
    }
    for (int i = 0; i < VL_NETWORK_MAX_ADDRESSES + 44; i++) {
        g_autofree char *text = g_strdup_printf("2001:db8::%x", 0x1000 - i);

        put_address(messages, RTM_NEWADDR, 1, text, 64);
    }
    put_address(messages, RTM_NEWADDR, 2, "198.51.100.1", 24);

    net = run_messages(NULL);
    list = interfaces_of(net);
    ck_assert_int_eq(vl_json_array_length(list), VL_NETWORK_MAX_INTERFACES);
    first = vl_json_array_get(list, 0);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(first, "name")), "if0001");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vl_json_array_get(list, 1023), "name")),
                     "if1024");
    /* The lowest 256 of 300, in order. */
    list = vl_json_object_get(first, "addresses");
    ck_assert_int_eq(vl_json_array_length(list), VL_NETWORK_MAX_ADDRESSES);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vl_json_array_get(list, 0), "address")),
                     "2001:db8::ed5");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_array_get(list, 255), "address")),
        "2001:db8::fd4");
    last_addrs = addresses_of(interface_named(net, "if0002"));
    ck_assert_str_eq(last_addrs, "ipv4 198.51.100.1/24");
}
END_TEST

START_TEST(test_state_caps)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    g_autoptr(GPtrArray) links = NULL;
    g_autoptr(GError) error = NULL;

    for (int i = 1; i <= VL_NETLINK_MAX_LINKS + 10; i++) {
        g_autofree char *name = g_strdup_printf("n%d", i);

        put_link(messages, i, name, NULL, 0, 0, 0);
    }
    for (int i = 0; i < VL_NETLINK_MAX_ADDRESSES + 10; i++) {
        g_autofree char *text = g_strdup_printf("2001:db8::%x", i);

        put_address(messages, RTM_NEWADDR, 1, text, 128);
    }
    ck_assert(vl_netlink_state_apply(state, messages->data, messages->len, NULL, &error));
    links = vl_netlink_state_links(state);
    ck_assert_int_eq(links->len, VL_NETLINK_MAX_LINKS);
    for (guint i = 0; i < links->len; i++) {
        const VlNetlinkLink *link = g_ptr_array_index(links, i);

        if (link->index == 1) {
            ck_assert_int_eq(link->addresses->len, VL_NETLINK_MAX_ADDRESSES);
        }
    }
}
END_TEST

static void
assert_apply_fails(VlNetlinkError code, const char *message_part)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    g_autoptr(GError) error = NULL;
    VlCollectContext ctx = {.root = "/"};
    g_autoptr(GError) collect_error = NULL;
    g_autoptr(VlJson) value = NULL;

    ck_assert(!vl_netlink_state_apply(state, messages->data, messages->len, NULL, &error));
    ck_assert_msg(g_error_matches(error, VL_NETLINK_ERROR, code), "%s", error->message);
    ck_assert_msg(strstr(error->message, message_part), "%s", error->message);
    value = collect_section(&fake_network, &ctx, &collect_error);
    ck_assert_ptr_null(value);
}

START_TEST(test_truncated_header)
{
    put_link(messages, 2, "eth0", mac_d0, 6, 0, 0);
    g_byte_array_append(messages, (const guint8 *)"\x20\0\0\0\x10\0", 6);
    assert_apply_fails(VL_NETLINK_ERROR_PARSE, "truncated message header");
}
END_TEST

START_TEST(test_bad_lengths)
{
    guint32 len;

    put_link(messages, 2, "eth0", mac_d0, 6, 0, 0);
    len = messages->len + 4; /* longer than what is there */
    memcpy(messages->data, &len, sizeof(len));
    assert_apply_fails(VL_NETLINK_ERROR_PARSE, "message length out of range");

    g_byte_array_set_size(messages, 0);
    put_link(messages, 2, "eth0", mac_d0, 6, 0, 0);
    /* the first attribute claims 0xffff bytes */
    messages->data[NLMSG_HDRLEN + sizeof(struct ifinfomsg)] = 0xff;
    messages->data[NLMSG_HDRLEN + sizeof(struct ifinfomsg) + 1] = 0xff;
    assert_apply_fails(VL_NETLINK_ERROR_PARSE, "attribute length out of range");

    g_byte_array_set_size(messages, 0);
    put_control(messages, RTM_NEWLINK, 0); /* 4 bytes where a struct ifinfomsg belongs */
    assert_apply_fails(VL_NETLINK_ERROR_PARSE, "link message too short");

    g_byte_array_set_size(messages, 0);
    len = 8; /* shorter than its own header */
    put_control(messages, RTM_NEWADDR, 0);
    memcpy(messages->data, &len, sizeof(len));
    assert_apply_fails(VL_NETLINK_ERROR_PARSE, "message length out of range");
}
END_TEST

START_TEST(test_kernel_errors)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    g_autoptr(GPtrArray) links = NULL;
    g_autoptr(GError) error = NULL;

    put_link(messages, 2, "eth0", mac_d0, 6, 0, 0);
    put_control(messages, NLMSG_ERROR, -EPERM);
    put_link(messages, 3, "eth1", mac_d0, 6, 0, 0);
    assert_apply_fails(VL_NETLINK_ERROR_KERNEL, g_strerror(EPERM));

    /* What came before the error stays applied. */
    ck_assert(!vl_netlink_state_apply(state, messages->data, messages->len, NULL, &error));
    links = vl_netlink_state_links(state);
    ck_assert_int_eq(links->len, 1);

    g_byte_array_set_size(messages, 0);
    put_control(messages, NLMSG_DONE, -ENOBUFS); /* a dump that failed half-way */
    assert_apply_fails(VL_NETLINK_ERROR_KERNEL, g_strerror(ENOBUFS));

    g_byte_array_set_size(messages, 0);
    put_control(messages, NLMSG_ERROR, G_MININT32);
    assert_apply_fails(VL_NETLINK_ERROR_KERNEL, "invalid error code");
}
END_TEST

START_TEST(test_done)
{
    g_autoptr(VlNetlinkState) state = vl_netlink_state_new();
    g_autoptr(GError) error = NULL;
    gboolean done = TRUE;

    put_link(messages, 2, "eth0", mac_d0, 6, 0, 0);
    ck_assert(vl_netlink_state_apply(state, messages->data, messages->len, &done, &error));
    ck_assert(!done);
    put_control(messages, NLMSG_DONE, 0);
    ck_assert(vl_netlink_state_apply(state, messages->data, messages->len, &done, &error));
    ck_assert(done);
    ck_assert(vl_netlink_state_apply(state, "", 0, &done, &error));
    ck_assert(!done);
}
END_TEST

/* A real kernel dump ------------------------------------------------------------------------ */

START_TEST(test_kernel_dump_fixture)
{
    g_autofree char *path = fixture_path("network/dump.bin");
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) net = NULL;
    g_autoptr(VlJson) all = NULL;
    g_autofree char *names = NULL;
    g_autofree char *all_names = NULL;
    g_autofree char *d0_addrs = NULL;
    g_autofree char *lo_addrs = NULL;
    g_autofree char *veth_addrs = NULL;
    const VlJson *lo;

    ck_assert_msg(g_file_get_contents(path, &contents, &len, &error), "%s", error->message);
    g_byte_array_append(messages, (const guint8 *)contents, len);

    net = run_messages(default_exclude);
    names = names_of(net);
    ck_assert_str_eq(names, "d0,lo");
    ck_assert_str_eq(mac_of(interface_named(net, "d0")), "00:00:5e:00:53:01");
    d0_addrs = addresses_of(interface_named(net, "d0"));
    ck_assert_str_eq(d0_addrs, "ipv4 198.51.100.7/24,ipv4 198.51.100.130/25,"
                               "ipv6 2001:db8::7/64,ipv6 2001:db8:1::7/48");
    lo = interface_named(net, "lo");
    ck_assert_ptr_null(vl_json_object_get(lo, "mac"));
    lo_addrs = addresses_of(lo);
    ck_assert_str_eq(lo_addrs, "ipv4 127.0.0.1/8,ipv6 ::1/128");
    ck_assert_int_ge(counter(lo, "rx_bytes"), 0);

    all = run_messages(NULL);
    all_names = names_of(all);
    ck_assert_str_eq(all_names, "d0,lo,veth0");
    veth_addrs = addresses_of(interface_named(all, "veth0"));
    ck_assert_str_eq(veth_addrs, "ipv4 198.51.100.9/24");
}
END_TEST

/* The collector in a namespace of its own ---------------------------------------------------- */

static void
run_ip(const char *command_line)
{
    g_autofree char *command = g_strdup_printf("ip %s", command_line);
    g_auto(GStrv) argv = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;

    ck_assert(g_shell_parse_argv(command, NULL, &argv, NULL));
    ck_assert_msg(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &err, &status, &error),
                  "%s: %s", command, error ? error->message : "");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "%s: %s", command, err);
}

static gint64
sysfs_counter(const char *sysfs, const char *name)
{
    g_autofree char *path = g_build_filename(sysfs, "class/net/d0/statistics", name, NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "%s", error->message);
    return g_ascii_strtoll(text, NULL, 10);
}

START_TEST(test_collector_in_namespace)
{
    VlCollectContext ctx = {.root = "/", .net_exclude = default_exclude};
    VlCollectContext ctx_all = {.root = "/"};
    g_autofree char *ip = g_find_program_in_path("ip");
    g_autofree char *sysfs = NULL;
    g_autofree char *sysfs_mac = NULL;
    g_autofree char *mac_path = NULL;
    g_autoptr(VlJson) net = NULL;
    g_autoptr(VlJson) all = NULL;
    g_autofree char *names = NULL;
    g_autofree char *all_names = NULL;
    g_autofree char *d0_addrs = NULL;
    g_autofree char *lo_addrs = NULL;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
    char payload[100] = {0};
    gint64 tx_before, rx_before, tx_after, rx_after;
    const VlJson *d0;
    int fd;

    if (geteuid() != 0 || !ip) {
        printf("collector_in_namespace skipped: needs root and ip(8)\n");
        return;
    }
    /* Everything below happens in namespaces of this (forked) test process only: the host's
     * interfaces are never touched. */
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
        printf("collector_in_namespace skipped: unshare: %s\n", g_strerror(errno));
        return;
    }
    ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);

    run_ip("link set lo up");
    run_ip("link add d0 address 00:00:5e:00:53:01 type veth peer name veth0");
    run_ip("link set d0 addrgenmode none");
    run_ip("addr add 198.51.100.7/24 dev d0");
    run_ip("-6 addr add 2001:db8::7/64 dev d0 nodad");
    run_ip("addr add 198.51.100.9/24 dev veth0");
    run_ip("link set d0 up");
    run_ip("link set veth0 up");
    /* A neighbour entry, so that a datagram leaves d0 without waiting for ARP. */
    run_ip("neigh add 198.51.100.20 lladdr 00:00:5e:00:53:02 dev d0");

    /* sysfs shows the namespace of whoever mounts it: mount one for this namespace. */
    sysfs = g_dir_make_tmp("vl-network-test-XXXXXX", NULL);
    ck_assert_ptr_nonnull(sysfs);
    ck_assert_int_eq(mount("sysfs", sysfs, "sysfs", MS_RDONLY, NULL), 0);

    tx_before = sysfs_counter(sysfs, "tx_bytes");
    rx_before = sysfs_counter(sysfs, "rx_bytes");
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(inet_pton(AF_INET, "198.51.100.20", &to.sin_addr), 1);
    ck_assert_int_eq(sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to)),
                     sizeof(payload));
    close(fd);

    net = collect_valid(&vl_collector_network, &ctx);
    tx_after = sysfs_counter(sysfs, "tx_bytes");
    rx_after = sysfs_counter(sysfs, "rx_bytes");
    all = collect_valid(&vl_collector_network, &ctx_all);

    names = names_of(net);
    ck_assert_str_eq(names, "d0,lo");
    all_names = names_of(all);
    ck_assert_str_eq(all_names, "d0,lo,veth0");

    d0 = interface_named(net, "d0");
    ck_assert_str_eq(mac_of(d0), "00:00:5e:00:53:01");
    mac_path = g_build_filename(sysfs, "class/net/d0/address", NULL);
    ck_assert(g_file_get_contents(mac_path, &sysfs_mac, NULL, NULL));
    ck_assert_str_eq(g_strstrip(sysfs_mac), mac_of(d0));
    d0_addrs = addresses_of(d0);
    ck_assert_str_eq(d0_addrs, "ipv4 198.51.100.7/24,ipv6 2001:db8::7/64");
    lo_addrs = addresses_of(interface_named(net, "lo"));
    ck_assert_str_eq(lo_addrs, "ipv4 127.0.0.1/8,ipv6 ::1/128");
    ck_assert_ptr_null(vl_json_object_get(interface_named(net, "lo"), "mac"));

    /* The datagram: 100 bytes, UDP, IPv4 and Ethernet headers. The kernel may send more of its
     * own between the readings; the collector's figures lie between them. */
    ck_assert_int_ge(counter(d0, "tx_bytes"), tx_before + 100 + 8 + 20 + 14);
    ck_assert_int_le(counter(d0, "tx_bytes"), tx_after);
    ck_assert_int_ge(counter(d0, "rx_bytes"), rx_before);
    ck_assert_int_le(counter(d0, "rx_bytes"), rx_after);

    ck_assert_int_eq(umount2(sysfs, MNT_DETACH), 0);
    ck_assert_int_eq(rmdir(sysfs), 0);
}
END_TEST

static Suite *
network_suite(void)
{
    Suite *s = suite_create("collector-network");
    TCase *tc = tcase_create("messages");
    TCase *kernel = tcase_create("kernel");

    tcase_add_checked_fixture(tc, messages_setup, messages_teardown);
    tcase_add_test(tc, test_sorted_and_excluded);
    tcase_add_test(tc, test_addresses_stable_order);
    tcase_add_test(tc, test_changes_applied);
    tcase_add_test(tc, test_odd_links);
    tcase_add_test(tc, test_odd_addresses);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_state_caps);
    tcase_add_test(tc, test_truncated_header);
    tcase_add_test(tc, test_bad_lengths);
    tcase_add_test(tc, test_kernel_errors);
    tcase_add_test(tc, test_done);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(kernel, messages_setup, messages_teardown);
    tcase_add_test(kernel, test_kernel_dump_fixture);
    tcase_add_test(kernel, test_collector_in_namespace);
    suite_add_tcase(s, kernel);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(network_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
