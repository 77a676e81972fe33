/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge's end of one VM's vmlink channel: the UNIX socket QEMU serves for the VM's
 * org.vmlink.agent.0 port.
 *
 * A link connects (and reconnects, with a growing delay, while it is started), opens each
 * connection with the hello/nonce handshake (everything the guest sends before its hello echoes
 * the nonce is left over from an earlier connection and dropped), then checks every frame
 * against the catalogue: reports and heartbeats go to the VM's cache, events to the owner,
 * replies to the command that waits for them. Frames are capped, the guest's rate is limited by
 * two token buckets (messages and bytes: when one runs dry the link stops reading until it
 * refills, so the guest is slowed, not the bridge), and what fails is counted and logged at a
 * limited rate. The socket is one watch of the bridge's epoll set.
 */
#pragma once

#include <glib.h>

#include "vl-epoll.h"
#include "vl-guest-cache.h"
#include "vl-json.h"

G_BEGIN_DECLS

typedef enum {
    VL_AGENT_ABSENT,     /* no handshake on the current connection (or none at all) */
    VL_AGENT_CONNECTED,  /* handshake done, but silent for 3 heartbeat intervals */
    VL_AGENT_RESPONSIVE, /* handshake done and heard from within 3 heartbeat intervals */
} VlAgentState;

const char *vl_agent_state_name(VlAgentState state);

typedef struct _VlGuestLink VlGuestLink;

typedef struct {
    void (*state_changed)(VlGuestLink *link, VlAgentState state, gpointer user_data);
    /* sections (bit mask of vl_report_sections indexes) changed in the cache */
    void (*report)(VlGuestLink *link, guint mask, gboolean full, gpointer user_data);
    /* a validated "event" message from the guest */
    void (*event)(VlGuestLink *link, const VlJson *message, gpointer user_data);
} VlGuestLinkCallbacks;

typedef struct {
    gsize max_frame;       /* bytes per frame */
    double rate_messages;  /* messages per second (0: no limit) */
    double rate_burst;     /* messages at once */
    double rate_bytes;     /* bytes per second (0: no limit); the burst is 4 frames */
    guint heartbeat_s;     /* the agents' heartbeat interval */
    guint reconnect_max_s; /* longest wait between connection attempts */
} VlGuestLinkLimits;

typedef struct {
    guint64 frames;        /* valid messages */
    guint64 invalid;       /* refused messages */
    guint64 rate_limited;  /* times the link stopped reading to stay within its rate */
    guint64 dropped_bytes; /* bytes of oversized frames */
    guint64 connects;      /* connections made */
} VlGuestLinkCounters;

typedef struct {
    VlAgentState state;
    const char *agent_name;    /* from the guest's hello; NULL before */
    const char *agent_version; /* idem */
    guint protocol;            /* negotiated version; 0 before */
    gint64 connected_since;    /* Unix time of the handshake; 0 when absent */
    gint64 last_heard;         /* Unix time of the last valid message; 0 when never */
    VlGuestLinkCounters counters;
} VlGuestLinkInfo;

/* label names the VM in logs; cache receives the reports (borrowed; outlives the link). */
VlGuestLink *vl_guest_link_new(VlEpoll *epoll, const char *label, const VlGuestLinkLimits *limits,
                               VlGuestCache *cache, const VlGuestLinkCallbacks *callbacks,
                               gpointer user_data);
/* Stops the link; commands still waiting are answered with VL_RPC_AGENT_UNAVAILABLE. */
void vl_guest_link_free(VlGuestLink *link);

/* Connects to the socket at path now, and again after each disconnection until stopped. A
 * different path (the VM restarted elsewhere) replaces the current connection. */
void vl_guest_link_start(VlGuestLink *link, const char *path);
/* Uses an already connected socket (tests, socketpairs); the link owns fd; no reconnection. */
void vl_guest_link_start_fd(VlGuestLink *link, int fd);
/* Disconnects and stays disconnected (the VM stopped). The counters are kept. */
void vl_guest_link_stop(VlGuestLink *link);

const char *vl_guest_link_path(const VlGuestLink *link);
VlAgentState vl_guest_link_state(const VlGuestLink *link);
void vl_guest_link_get_info(const VlGuestLink *link, VlGuestLinkInfo *ret_info);

/*
 * Sends a command (args: an object, borrowed; NULL for {}) and calls func once with the agent's
 * result, or with an error: VL_RPC_AGENT_UNAVAILABLE (no handshake, or the connection went),
 * VL_RPC_TIMEOUT (no answer in timeout_s), VL_RPC_DISABLED (the agent's configuration blocks
 * it), VL_RPC_FAILED (the agent failed, or its answer broke the catalogue).
 */
typedef void (*VlGuestReplyFunc)(const VlJson *result, const GError *error, gpointer user_data);
void vl_guest_link_command(VlGuestLink *link, const char *name, const VlJson *args, guint timeout_s,
                           VlGuestReplyFunc func, gpointer user_data);

G_END_DECLS
