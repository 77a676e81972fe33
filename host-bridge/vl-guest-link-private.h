/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The insides of a VlGuestLink, shared by vl-guest-link.c (connection, handshake, frames) and
 * vl-guest-link-commands.c (commands and their replies). Nothing else includes this.
 */
#pragma once

#include "vl-frame.h"
#include "vl-guest-link.h"
#include "vl-rate.h"

G_BEGIN_DECLS

#define UNRESPONSIVE_HEARTBEATS 3

typedef enum {
    LINK_IDLE,       /* stopped, or waiting to reconnect */
    LINK_CONNECTING, /* non-blocking connect in progress */
    LINK_HELLO_SENT, /* connected; waiting for the guest's hello with our nonce */
    LINK_READY,      /* handshake done */
} LinkPhase;

typedef struct {
    VlGuestLink *link;
    char *id;
    char *name;
    VlGuestReplyFunc func;
    gpointer user_data;
    VlEpollTimer *timeout;
} Pending;

struct _VlGuestLink {
    VlEpoll *epoll;
    char *label;
    VlGuestLinkLimits limits;
    VlGuestCache *cache;
    VlGuestLinkCallbacks callbacks;
    gpointer user_data;

    char *path; /* NULL: started from an fd, no reconnection */
    gboolean started;
    int fd;
    LinkPhase phase;
    VlAgentState state;
    VlEpollTimer *reconnect; /* all on the epoll set's one source: see vl-epoll.h */
    guint reconnect_ms;
    VlEpollTimer *resume; /* the rate limit paused reading */
    VlEpollTimer *watch;  /* responsiveness */

    char *nonce;
    char *agent_name;
    char *agent_version;
    guint protocol;
    gint64 connected_since;
    gint64 last_heard_us; /* monotonic */
    gint64 last_heard;    /* Unix time */

    VlFrameReader *reader;
    /* Bytes read but not yet fed to the reader (paused by the rate limit); NULL when there are
     * none, which is nearly always: then reading touches no more of the link's memory than its
     * own struct (on a host of thousands of VMs each is cold in the CPU's caches). */
    GByteArray *inbuf;
    gboolean watch_armed; /* link->watch is armed: a flag here saves a look at the timer */
    GByteArray *outbuf;   /* bytes waiting to be written */
    VlTokenBucket messages, bytes;
    VlLogLimit log_limit;
    VlGuestLinkCounters counters;

    GHashTable *pending; /* id → Pending */
    guint64 next_command;
};

/* vl-guest-link.c */
void vl_guest_link_complain(VlGuestLink *link, const char *format, ...) G_GNUC_PRINTF(2, 3);
void vl_guest_link_disconnect(VlGuestLink *link, const char *why);

/* vl-guest-link-output.c */
/* Queues one frame; FALSE when the link was disconnected (the guest stopped reading). */
gboolean vl_guest_link_send(VlGuestLink *link, const VlJson *message);
/* Writes what the socket takes now; FALSE when the link was disconnected (a write failed). */
gboolean vl_guest_link_flush_output(VlGuestLink *link);
/* Wipes and drops what waits to be written. */
void vl_guest_link_clear_output(VlGuestLink *link);
/* Asks epoll for what the link waits for now: writability while output waits or a connection
 * is made, readability unless reading is paused. */
void vl_guest_link_update_watch(VlGuestLink *link);

/* vl-guest-link-commands.c */
void vl_guest_link_pending_free(Pending *pending);
/* Answers every command still waiting with VL_RPC_AGENT_UNAVAILABLE ("the agent of X why"). */
void vl_guest_link_fail_pending(VlGuestLink *link, const char *why);
/* A "reply" or "error" message (type) from the guest: the answer to a waiting command. */
void vl_guest_link_handle_reply(VlGuestLink *link, const char *type, const VlJson *frame);

G_END_DECLS
