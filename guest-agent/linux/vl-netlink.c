/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DUMP_TIMEOUT_MS 2000 /* the kernel answers at once; this only guards against a hang */
#define DATAGRAM_SIZE 32768  /* the kernel makes dump datagrams up to this size */
#define DUMP_ATTEMPTS 4      /* dumps interrupted by a change (NLM_F_DUMP_INTR) are repeated */

/* clang-format off */
G_DEFINE_QUARK(vl-netlink-error-quark, vl_netlink_error)
/* clang-format on */

struct _VlNetlinkState {
    GHashTable *links; /* GINT_TO_POINTER(index) -> VlNetlinkLink */
};

/* One attribute of a message, pointing into the message. */
typedef struct {
    const guint8 *data;
    gsize len;
    gboolean present;
} Attr;

#define LINK_ATTRS (IFLA_STATS64 + 1)
#define ADDR_ATTRS (IFA_LOCAL + 1)

static void
link_free(gpointer p)
{
    VlNetlinkLink *link = p;

    g_free(link->name);
    g_array_unref(link->addresses);
    g_free(link);
}

VlNetlinkState *
vl_netlink_state_new(void)
{
    VlNetlinkState *state = g_new0(VlNetlinkState, 1);

    state->links = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, link_free);
    return state;
}

void
vl_netlink_state_free(VlNetlinkState *state)
{
    if (state) {
        g_hash_table_unref(state->links);
        g_free(state);
    }
}

void
vl_netlink_state_clear(VlNetlinkState *state)
{
    g_hash_table_remove_all(state->links);
}

static gboolean
parse_error(GError **error, const char *what, gsize offset)
{
    g_set_error(error, VL_NETLINK_ERROR, VL_NETLINK_ERROR_PARSE,
                "malformed netlink message: %s at byte %" G_GSIZE_FORMAT, what, offset);
    return FALSE;
}

/* Fills table[type] for the attributes in p (len bytes); types past n_table are skipped. */
static gboolean
parse_attrs(const guint8 *p, gsize len, Attr *table, guint n_table, gsize offset, GError **error)
{
    memset(table, 0, n_table * sizeof(*table));
    while (len >= sizeof(struct rtattr)) {
        struct rtattr rta;
        guint type;
        gsize step;

        memcpy(&rta, p, sizeof(rta));
        if (rta.rta_len < sizeof(rta) || rta.rta_len > len) {
            return parse_error(error, "attribute length out of range", offset);
        }
        type = rta.rta_type & NLA_TYPE_MASK;
        if (type < n_table) {
            table[type].data = p + RTA_LENGTH(0);
            table[type].len = rta.rta_len - RTA_LENGTH(0);
            table[type].present = TRUE;
        }
        step = MIN((gsize)RTA_ALIGN(rta.rta_len), len);
        p += step;
        len -= step;
        offset += step;
    }
    return TRUE; /* fewer than 4 bytes left: padding */
}

static guint64
read_u64(const guint8 *p)
{
    guint64 v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static guint32
read_u32(const guint8 *p)
{
    guint32 v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static VlNetlinkLink *
link_lookup(VlNetlinkState *state, int index, gboolean create)
{
    VlNetlinkLink *link = g_hash_table_lookup(state->links, GINT_TO_POINTER(index));

    if (link || !create) {
        return link;
    }
    if (g_hash_table_size(state->links) >= VL_NETLINK_MAX_LINKS) {
        g_debug("netlink: more than %d links, link %d left out", VL_NETLINK_MAX_LINKS, index);
        return NULL;
    }
    link = g_new0(VlNetlinkLink, 1);
    link->index = index;
    link->addresses = g_array_new(FALSE, TRUE, sizeof(VlNetlinkAddress));
    g_hash_table_insert(state->links, GINT_TO_POINTER(index), link);
    return link;
}

/* Counter I of a stats attribute of WIDTH-byte counters; 0 when it is absent or short. */
static guint64
stat_at(const Attr *stats, gsize width, guint i)
{
    if (!stats->present || stats->len < (i + 1) * width) {
        return 0;
    }
    return width == sizeof(guint64) ? read_u64(stats->data + i * width)
                                    : read_u32(stats->data + i * width);
}

/* The counters in the kernel's order: rx/tx packets, bytes, errors, dropped, ...; the 16th is
 * rx_missed_errors, which /proc/net/dev counts as dropped. */
static void
read_stats(VlNetlinkLink *link, const Attr *stats, gsize width)
{
    link->rx_packets = stat_at(stats, width, 0);
    link->tx_packets = stat_at(stats, width, 1);
    link->rx_bytes = stat_at(stats, width, 2);
    link->tx_bytes = stat_at(stats, width, 3);
    link->rx_errors = stat_at(stats, width, 4);
    link->tx_errors = stat_at(stats, width, 5);
    link->rx_dropped = stat_at(stats, width, 6) + stat_at(stats, width, 15);
    link->tx_dropped = stat_at(stats, width, 7);
}

static gboolean
apply_link(VlNetlinkState *state, const guint8 *payload, gsize len, gboolean is_new, gsize offset,
           GError **error)
{
    struct ifinfomsg ifi;
    Attr attrs[LINK_ATTRS];
    VlNetlinkLink *link;
    const Attr *name = &attrs[IFLA_IFNAME];
    const Attr *hwaddr = &attrs[IFLA_ADDRESS];
    const Attr *stats64 = &attrs[IFLA_STATS64];
    const Attr *stats32 = &attrs[IFLA_STATS];

    if (len < sizeof(ifi)) {
        return parse_error(error, "link message too short", offset);
    }
    memcpy(&ifi, payload, sizeof(ifi));
    if (!parse_attrs(payload + NLMSG_ALIGN(sizeof(ifi)), len - NLMSG_ALIGN(sizeof(ifi)), attrs,
                     LINK_ATTRS, offset + NLMSG_ALIGN(sizeof(ifi)), error)) {
        return FALSE;
    }
    if (ifi.ifi_index <= 0) {
        return TRUE;
    }
    if (!is_new) {
        g_hash_table_remove(state->links, GINT_TO_POINTER(ifi.ifi_index));
        return TRUE;
    }
    link = link_lookup(state, ifi.ifi_index, TRUE);
    if (!link) {
        return TRUE;
    }

    /* A name with bytes that are not UTF-8 is still the interface's name: keep it readable. */
    if (name->present) {
        gsize n = strnlen((const char *)name->data, name->len);

        if (n > 0 && n <= VL_NETLINK_MAX_NAME) {
            g_free(link->name);
            link->name = g_utf8_make_valid((const char *)name->data, (gssize)n);
        }
    }
    link->type = ifi.ifi_type;
    link->hwaddr_len = 0;
    if (hwaddr->present && hwaddr->len <= VL_NETLINK_MAX_HWADDR) {
        memcpy(link->hwaddr, hwaddr->data, hwaddr->len);
        link->hwaddr_len = hwaddr->len;
    }

    link->flags = ifi.ifi_flags;
    /* struct rtnl_link_stats64, or the older struct rtnl_link_stats of 32-bit counters. */
    link->have_stats = (stats64->present && stats64->len >= 4 * sizeof(guint64)) ||
                       (stats32->present && stats32->len >= 4 * sizeof(guint32));
    if (stats64->present && stats64->len >= 4 * sizeof(guint64)) {
        read_stats(link, stats64, sizeof(guint64));
    } else {
        read_stats(link, stats32, sizeof(guint32));
    }
    return TRUE;
}

static gboolean
address_equal(const VlNetlinkAddress *a, const VlNetlinkAddress *b)
{
    return a->family == b->family && a->prefix == b->prefix &&
           memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static gboolean
address_find(const VlNetlinkLink *link, const VlNetlinkAddress *addr, guint *ret_index)
{
    for (guint i = 0; i < link->addresses->len; i++) {
        if (address_equal(&g_array_index(link->addresses, VlNetlinkAddress, i), addr)) {
            *ret_index = i;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
apply_address(VlNetlinkState *state, const guint8 *payload, gsize len, gboolean is_new,
              gsize offset, GError **error)
{
    struct ifaddrmsg ifa;
    Attr attrs[ADDR_ATTRS];
    VlNetlinkAddress addr = {0};
    VlNetlinkLink *link;
    const Attr *value;
    gsize addr_len;
    guint max_prefix;
    guint found;

    if (len < sizeof(ifa)) {
        return parse_error(error, "address message too short", offset);
    }
    memcpy(&ifa, payload, sizeof(ifa));
    if (!parse_attrs(payload + NLMSG_ALIGN(sizeof(ifa)), len - NLMSG_ALIGN(sizeof(ifa)), attrs,
                     ADDR_ATTRS, offset + NLMSG_ALIGN(sizeof(ifa)), error)) {
        return FALSE;
    }
    switch (ifa.ifa_family) {
    case AF_INET:
        addr_len = 4;
        max_prefix = 32;
        break;
    case AF_INET6:
        addr_len = 16;
        max_prefix = 128;
        break;
    default:
        return TRUE;
    }
    /* On a point-to-point link IFA_ADDRESS is the peer and IFA_LOCAL the local address;
     * otherwise only IFA_ADDRESS may be there (IPv6), and it is the local address. */
    value = attrs[IFA_LOCAL].present ? &attrs[IFA_LOCAL] : &attrs[IFA_ADDRESS];
    if (!value->present || value->len != addr_len || ifa.ifa_prefixlen > max_prefix ||
        ifa.ifa_index == 0 || ifa.ifa_index > G_MAXINT) {
        return TRUE;
    }
    addr.family = ifa.ifa_family;
    addr.prefix = ifa.ifa_prefixlen;
    memcpy(addr.bytes, value->data, addr_len);

    link = link_lookup(state, (int)ifa.ifa_index, is_new);
    if (!link) {
        return TRUE;
    }
    if (address_find(link, &addr, &found)) {
        if (!is_new) {
            g_array_remove_index(link->addresses, found);
        }
        return TRUE;
    }
    if (is_new) {
        if (link->addresses->len >= VL_NETLINK_MAX_ADDRESSES) {
            g_debug("netlink: more than %d addresses on link %d, one left out",
                    VL_NETLINK_MAX_ADDRESSES, link->index);
            return TRUE;
        }
        g_array_append_val(link->addresses, addr);
    }
    return TRUE;
}

static gboolean
kernel_error(GError **error, gint32 code)
{
    /* The kernel sends -errno; anything else is garbage, reported as such. */
    gint64 err = -(gint64)code;

    g_set_error(error, VL_NETLINK_ERROR, VL_NETLINK_ERROR_KERNEL, "netlink: %s",
                err > 0 && err < 4096 ? g_strerror((int)err) : "invalid error code");
    return FALSE;
}

/*
 * Applies one datagram. seq != 0: messages of other sequence numbers are skipped (left over
 * from an earlier request). *ret_interrupted is set when a message carries NLM_F_DUMP_INTR.
 */
static gboolean
apply_datagram(VlNetlinkState *state, const guint8 *p, gsize len, guint32 seq, gboolean *ret_done,
               gboolean *ret_interrupted, GError **error)
{
    gsize offset = 0;

    *ret_done = FALSE;
    while (len > 0) {
        struct nlmsghdr h;
        const guint8 *payload;
        gsize plen;
        gsize step;
        gboolean ok = TRUE;

        if (len < sizeof(h)) {
            return parse_error(error, "truncated message header", offset);
        }
        memcpy(&h, p, sizeof(h));
        if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len) {
            return parse_error(error, "message length out of range", offset);
        }
        payload = p + NLMSG_HDRLEN;
        plen = h.nlmsg_len - NLMSG_HDRLEN;
        if (seq == 0 || h.nlmsg_seq == seq) {
            if (h.nlmsg_flags & NLM_F_DUMP_INTR) {
                *ret_interrupted = TRUE;
            }
            switch (h.nlmsg_type) {
            case NLMSG_DONE:
                /* A dump that failed half-way ends with DONE carrying -errno. */
                if (plen >= sizeof(gint32) && (gint32)read_u32(payload) < 0) {
                    return kernel_error(error, (gint32)read_u32(payload));
                }
                *ret_done = TRUE;
                break;
            case NLMSG_ERROR:
                if (plen < sizeof(gint32)) {
                    return parse_error(error, "truncated error message", offset);
                }
                if (read_u32(payload) != 0) { /* 0 is an acknowledgement */
                    return kernel_error(error, (gint32)read_u32(payload));
                }
                break;
            case RTM_NEWLINK:
            case RTM_DELLINK:
                ok = apply_link(state, payload, plen, h.nlmsg_type == RTM_NEWLINK,
                                offset + NLMSG_HDRLEN, error);
                break;
            case RTM_NEWADDR:
            case RTM_DELADDR:
                ok = apply_address(state, payload, plen, h.nlmsg_type == RTM_NEWADDR,
                                   offset + NLMSG_HDRLEN, error);
                break;
            default:
                break;
            }
            if (!ok) {
                return FALSE;
            }
        }
        step = MIN((gsize)NLMSG_ALIGN(h.nlmsg_len), len);
        p += step;
        len -= step;
        offset += step;
    }
    return TRUE;
}

gboolean
vl_netlink_state_apply(VlNetlinkState *state, const void *data, gsize len, gboolean *ret_done,
                       GError **error)
{
    gboolean done = FALSE;
    gboolean interrupted = FALSE;
    gboolean ok = apply_datagram(state, data, len, 0, &done, &interrupted, error);

    if (ret_done) {
        *ret_done = done;
    }
    return ok;
}

static gint
link_compare(gconstpointer a, gconstpointer b)
{
    const VlNetlinkLink *la = *(VlNetlinkLink *const *)a;
    const VlNetlinkLink *lb = *(VlNetlinkLink *const *)b;
    int c = strcmp(la->name, lb->name);

    if (c != 0) {
        return c;
    }
    return (la->index > lb->index) - (la->index < lb->index);
}

GPtrArray *
vl_netlink_state_links(const VlNetlinkState *state)
{
    GPtrArray *links = g_ptr_array_sized_new(g_hash_table_size(state->links));
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, state->links);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        VlNetlinkLink *link = value;

        if (link->name) {
            g_ptr_array_add(links, link);
        }
    }
    g_ptr_array_sort(links, link_compare);
    return links;
}

static gboolean
io_error(GError **error, const char *what)
{
    int saved = errno;

    g_set_error(error, VL_NETLINK_ERROR, VL_NETLINK_ERROR_IO, "netlink: %s: %s", what,
                g_strerror(saved));
    return FALSE;
}

int
vl_netlink_open(guint32 groups, GError **error)
{
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = groups};
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

    if (fd < 0) {
        io_error(error, "cannot open a socket");
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        io_error(error, "cannot bind");
        close(fd);
        return -1;
    }
    return fd;
}

static gboolean
send_dump_request(int fd, guint16 type, guint32 seq, GError **error)
{
    struct {
        struct nlmsghdr h;
        union {
            struct ifinfomsg ifi;
            struct ifaddrmsg ifa;
        } u;
    } req;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    gsize payload = type == RTM_GETLINK ? sizeof(req.u.ifi) : sizeof(req.u.ifa);
    ssize_t n;

    memset(&req, 0, sizeof(req));
    req.h.nlmsg_len = NLMSG_LENGTH(payload);
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = seq;
    /* AF_UNSPEC in either header: every family. */
    do {
        n = sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return io_error(error, "cannot send a request");
    }
    if ((gsize)n != req.h.nlmsg_len) {
        g_set_error(error, VL_NETLINK_ERROR, VL_NETLINK_ERROR_IO, "netlink: short send");
        return FALSE;
    }
    return TRUE;
}

/* Waits up to DUMP_TIMEOUT_MS for fd to have a datagram. */
static gboolean
wait_readable(int fd, GError **error)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int r;

    do {
        r = poll(&pfd, 1, DUMP_TIMEOUT_MS);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return io_error(error, "cannot wait for an answer");
    }
    if (r == 0) {
        g_set_error(error, VL_NETLINK_ERROR, VL_NETLINK_ERROR_IO,
                    "netlink: no answer from the kernel within %d ms", DUMP_TIMEOUT_MS);
        return FALSE;
    }
    return TRUE;
}

/*
 * Reads the next datagram from the kernel whole into buffer. The kernel fills a dump's
 * datagrams while the request is sent and while the previous one is read, so one is nearly
 * always queued: it is peeked at into a buffer of DATAGRAM_SIZE (which also lets the kernel
 * make datagrams that large, so a dump takes few), with MSG_TRUNC for its true length, the
 * buffer grown if it is larger (a link with many VFs), then taken off the queue. poll() only
 * when nothing is queued yet.
 */
static gboolean
receive_datagram(int fd, GByteArray *buffer, GError **error)
{
    if (buffer->len < DATAGRAM_SIZE) {
        g_byte_array_set_size(buffer, DATAGRAM_SIZE);
    }
    for (;;) {
        struct sockaddr_nl from;
        struct iovec iov = {.iov_base = buffer->data, .iov_len = buffer->len};
        struct msghdr msg = {
            .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
        ssize_t n = recvmsg(fd, &msg, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            if (!wait_readable(fd, error)) {
                return FALSE;
            }
            continue;
        }
        if (n < 0) {
            return io_error(error, "cannot read");
        }
        if ((gsize)n > buffer->len) {
            g_byte_array_set_size(buffer, (guint)n); /* peek again, whole */
            continue;
        }
        /* Off the queue; its bytes are in buffer already. */
        if (recv(fd, NULL, 0, MSG_DONTWAIT | MSG_TRUNC) < 0 && errno != EINTR) {
            return io_error(error, "cannot read");
        }
        if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0) {
            continue; /* not from the kernel */
        }
        g_byte_array_set_size(buffer, (guint)n);
        return TRUE;
    }
}

gboolean
vl_netlink_dump(int fd, VlNetlinkState *state, GError **error)
{
    static const guint16 requests[] = {RTM_GETLINK, RTM_GETADDR};
    g_autoptr(GByteArray) buffer = g_byte_array_new();
    guint32 seq = (guint32)g_get_monotonic_time(); /* apart from earlier requests on this fd */

    for (guint attempt = 0;; attempt++) {
        gboolean interrupted = FALSE;

        vl_netlink_state_clear(state);
        for (guint i = 0; i < G_N_ELEMENTS(requests); i++) {
            gboolean done = FALSE;

            if (++seq == 0) {
                seq = 1; /* 0 would accept every message */
            }
            if (!send_dump_request(fd, requests[i], seq, error)) {
                return FALSE;
            }
            while (!done) {
                if (!receive_datagram(fd, buffer, error) ||
                    !apply_datagram(state, buffer->data, buffer->len, seq, &done, &interrupted,
                                    error)) {
                    return FALSE;
                }
            }
        }
        if (!interrupted) {
            return TRUE;
        }
        if (attempt + 1 == DUMP_ATTEMPTS) {
            g_debug("netlink: dump interrupted %d times, keeping the last", DUMP_ATTEMPTS);
            return TRUE;
        }
    }
}
