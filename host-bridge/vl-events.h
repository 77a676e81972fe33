/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge's event stream: each event gets the next sequence number, is encoded once as a
 * JSON-RPC "event" notification frame, handed to every subscriber (who write the same bytes),
 * and kept in a bounded ring so a client can be given the events it missed.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

typedef struct _VlEvents VlEvents;

typedef struct {
    guint64 seq;
    const char *kind; /* "vm.lifecycle", "agent.state", "guest.report", "guest.event",
                         "host.ownership", "host.certificate" */
    GBytes *frame;    /* the notification, newline included */
    /* The notification's params ({seq, time, event, vm, uuid, data}), for those who resend
     * events in another envelope (push.events). Borrowed: vl_json_ref() it to keep it. */
    const VlJson *params;
} VlEvent;

typedef void (*VlEventFunc)(const VlEvent *event, gpointer user_data);

VlEvents *vl_events_new(guint ring_size);
void vl_events_free(VlEvents *events);

/* Emits an event (data: an object, borrowed; NULL for {}). Returns its sequence number. */
guint64 vl_events_emit(VlEvents *events, const char *kind, const char *vm, const char *uuid,
                       const VlJson *data);
/* The sequence number of the last event emitted (0 before the first). */
guint64 vl_events_last_seq(const VlEvents *events);

/* Calls func for each event from now on; returns an id for vl_events_unsubscribe(). */
guint vl_events_subscribe(VlEvents *events, VlEventFunc func, gpointer user_data);
void vl_events_unsubscribe(VlEvents *events, guint id);

/* Calls func for each event in the ring with a sequence number above seq, oldest first;
 * returns FALSE when events after seq have already left the ring (a gap). */
gboolean vl_events_replay(const VlEvents *events, guint64 seq, VlEventFunc func,
                          gpointer user_data);

G_END_DECLS
