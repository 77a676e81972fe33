/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtnetlink: the kernel's own view of the links and addresses of the current network namespace.
 *
 * Messages are applied to a VlNetlinkState (links by index, each with its addresses). A dump
 * (RTM_GETLINK, then RTM_GETADDR) fills it for the network collector; the agent's watcher
 * applies the RTM_NEW and RTM_DEL notifications of the same kinds to the same state, so both
 * see the same picture through the same parser.
 *
 * Everything received is bounded: at most VL_NETLINK_MAX_LINKS links and VL_NETLINK_MAX_ADDRESSES
 * addresses per link are kept (more are dropped), names are cut at VL_NETLINK_MAX_NAME bytes and
 * made valid UTF-8, hardware addresses longer than VL_NETLINK_MAX_HWADDR bytes are dropped.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_NETLINK_ERROR (vl_netlink_error_quark())
GQuark vl_netlink_error_quark(void);

typedef enum {
    VL_NETLINK_ERROR_IO,     /* the socket could not be opened, written or read */
    VL_NETLINK_ERROR_PARSE,  /* a message is malformed (lengths that do not add up) */
    VL_NETLINK_ERROR_KERNEL, /* the kernel answered with an error */
} VlNetlinkError;

#define VL_NETLINK_MAX_LINKS 4096
#define VL_NETLINK_MAX_ADDRESSES 1024
#define VL_NETLINK_MAX_NAME 64 /* bytes as received; the kernel's own limit is 15 */
#define VL_NETLINK_MAX_HWADDR 32

typedef struct {
    int family;       /* AF_INET or AF_INET6 */
    guint prefix;     /* at most 32 or 128 */
    guint8 bytes[16]; /* the local address; 4 bytes used for AF_INET */
} VlNetlinkAddress;

typedef struct {
    int index;
    char *name;   /* valid UTF-8; NULL while only addresses of the link were seen */
    guint16 type; /* ARPHRD_* */
    guint8 hwaddr[VL_NETLINK_MAX_HWADDR];
    gsize hwaddr_len; /* 0: none */
    guint flags;      /* IFF_* (IFF_UP...) */
    gboolean have_stats;
    guint64 rx_bytes;
    guint64 tx_bytes;
    /* The rest of the counters, as /proc/net/dev shows them (rx_dropped with the missed). */
    guint64 rx_packets, tx_packets, rx_errors, tx_errors, rx_dropped, tx_dropped;
    GArray *addresses; /* of VlNetlinkAddress, in the order received */
} VlNetlinkLink;

typedef struct _VlNetlinkState VlNetlinkState;

VlNetlinkState *vl_netlink_state_new(void);
void vl_netlink_state_free(VlNetlinkState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlNetlinkState, vl_netlink_state_free)

/* Forgets every link and address. */
void vl_netlink_state_clear(VlNetlinkState *state);

/*
 * Applies the messages of one datagram (len bytes, one or more struct nlmsghdr; datagrams
 * received one after the other may be given together) to state: RTM_NEWLINK, RTM_DELLINK,
 * RTM_NEWADDR and RTM_DELADDR; other types are skipped. An NLMSG_DONE sets *ret_done (may be
 * NULL). Fails with VL_NETLINK_ERROR_PARSE on
 * lengths that do not add up and VL_NETLINK_ERROR_KERNEL on an NLMSG_ERROR that is not an ack;
 * the messages before the failing one stay applied.
 */
gboolean vl_netlink_state_apply(VlNetlinkState *state, const void *data, gsize len,
                                gboolean *ret_done, GError **error);

/* The links that have a name, sorted by name (byte order), borrowed from state. */
GPtrArray *vl_netlink_state_links(const VlNetlinkState *state);

/*
 * Opens an rtnetlink socket (close-on-exec) subscribed to the RTMGRP_* groups (0: none; a dump
 * wants a socket of its own without groups). Returns the fd, or -1 with VL_NETLINK_ERROR_IO.
 */
int vl_netlink_open(guint32 groups, GError **error);

/*
 * Replaces the content of state with a dump of every link and address, through fd (from
 * vl_netlink_open(0, ...), blocking or not). A dump that a change interrupted is repeated.
 */
gboolean vl_netlink_dump(int fd, VlNetlinkState *state, GError **error);

G_END_DECLS
