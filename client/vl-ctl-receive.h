/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vmlinkctl receive-events`: a small HTTPS receiver of what bridges push (push.events,
 * push.stats), for managers without a web service of their own, and for trying push out.
 *
 * Each connection is served on a thread of its own, within one deadline for its handshake and
 * its request, then answered and closed (bridges reconnect for every POST): a stuck, idle or
 * dribbling client holds only its own connection, and only until its deadline. It presents the
 * manager's identity, asks every bridge for its certificate and, right after the handshake and
 * before reading anything, accepts only those the accept function knows (the bridges this
 * manager owns); checks each body against the control catalogue; answers 204, or
 * 400/403/408/411/413/431 with the reason in the body; and prints each event as `vmlinkctl
 * events` does. A bridge sends a batch again when an answer was lost: events already printed (by
 * sequence number, per bridge) are skipped.
 */
#pragma once

#include <glib.h>
#include <openssl/x509.h>
#include <stdio.h>

#include "vl-ctl.h"
#include "vl-json.h"
#include "vl-tls-identity.h"

G_BEGIN_DECLS

/* The largest request body and header block accepted. */
#define VL_RECEIVER_MAX_BODY (64 * 1024 * 1024)
#define VL_RECEIVER_MAX_HEADER (16 * 1024)

typedef struct _VlReceiver VlReceiver;

/* Whether the bridge presenting cert may push; *ret_who (may be NULL) names it for messages.
 * Called from a connection's thread, one call at a time. */
typedef gboolean (*VlReceiverAcceptFunc)(X509 *cert, char **ret_who, gpointer user_data);
/* Each valid post (method push.events or push.stats), after it was answered and printed; from
 * a connection's thread, one call at a time. */
typedef void (*VlReceiverPostFunc)(const char *method, const VlJson *params, gpointer user_data);

typedef struct {
    VlTlsIdentity *identity;     /* presented to bridges (borrowed) */
    VlReceiverAcceptFunc accept; /* NULL: any bridge (--accept-any-bridge) */
    gpointer accept_data;
    VlReceiverPostFunc on_post; /* may be NULL */
    gpointer post_data;
    FILE *out;         /* events and statistics; NULL: print nothing */
    gboolean json;     /* one compact JSON object per line */
    guint64 count;     /* stop after this many events; 0: never */
    guint deadline_ms; /* a connection's handshake and request must be done within this;
                          it is closed then (0: 30 s) */
} VlReceiverOptions;

/* Listens on listen ("ADDR:PORT", "[V6]:PORT", ":PORT"; port 0 picks a free one). */
VlReceiver *vl_receiver_new(const char *listen, const VlReceiverOptions *options, GError **error);
void vl_receiver_free(VlReceiver *receiver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlReceiver, vl_receiver_free)

guint16 vl_receiver_port(const VlReceiver *receiver);

/* Serves until options->count events were printed (TRUE), vl_receiver_stop() (TRUE) or an
 * error of the listening socket or the output (FALSE). A bad connection is only a message. */
gboolean vl_receiver_run(VlReceiver *receiver, GError **error);
/* From another thread: makes vl_receiver_run() return, after cutting the connections served. */
void vl_receiver_stop(VlReceiver *receiver);

/* The command: --listen, --json, --count, --accept-any-bridge, and the global --timeout as
 * each connection's deadline; the manager's identity from vl_manager_open(NULL). */
gboolean vl_ctl_receive_events(const VlCtlArgs *args, FILE *out, GError **error);

G_END_DECLS
