/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's events.* methods: the stream on the connection, and the kept events after
 * a sequence number (the bridge's ring, vl-events.h) for a manager that reconnects.
 */
#include "vl-dispatch-private.h"

/* Events ------------------------------------------------------------------------------------- */

/* The kinds of the call's "events" as a NULL-terminated array borrowed from it, or NULL (all). */
static GPtrArray *
call_kinds(VlCall *call)
{
    const VlJson *kinds = vl_json_object_get(vl_call_params(call), "events");
    GPtrArray *names;

    if (kinds == NULL) {
        return NULL;
    }
    names = g_ptr_array_new();
    for (guint i = 0; i < vl_json_array_length(kinds); i++) {
        g_ptr_array_add(names, (gpointer)vl_json_get_string(vl_json_array_get(kinds, i)));
    }
    g_ptr_array_add(names, NULL);
    return names;
}

/* Whether a client that has seq misses events: some left the ring, or seq is from before a
 * restart of vmlinkd (its numbers start again at 1). */
static gboolean
has_gap(VlEvents *events, guint64 seq, gboolean complete)
{
    return !complete || seq > vl_events_last_seq(events);
}

void
vl_dispatch_events_subscribe(VlBridge *bridge, VlCall *call)
{
    g_autoptr(GPtrArray) names = call_kinds(call);
    const char *const *kinds = names ? (const char *const *)names->pdata : NULL;
    const VlJson *since = vl_json_object_get(vl_call_params(call), "since");
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;
    VlRpcConn *conn = vl_call_conn(call);
    gboolean complete = TRUE;

    /* The replay goes out before any new event: the client sees each event once, in order. */
    if (conn && since) {
        complete = vl_rpc_conn_replay(conn, bridge->events, kinds, (guint64)vl_json_get_int(since));
    }
    if (conn) {
        vl_rpc_conn_subscribe(conn, bridge->events, kinds);
    }
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "seq");
    vl_json_builder_add_int(b, (gint64)vl_events_last_seq(bridge->events));
    if (since) {
        vl_json_builder_member(b, "gap");
        vl_json_builder_add_bool(
            b, has_gap(bridge->events, (guint64)vl_json_get_int(since), complete));
    }
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}

typedef struct {
    VlJsonBuilder *builder;
    const char *const *kinds;
    gsize bytes;   /* of the events added */
    guint count;   /* events added */
    gboolean more; /* some were left for the next call */
} SinceCollect;

static void
collect_event(const VlEvent *event, gpointer user_data)
{
    SinceCollect *c = user_data;
    gsize size;
    const char *frame = g_bytes_get_data(event->frame, &size);
    g_autoptr(VlJson) message = NULL;

    if (c->more || (c->kinds && !g_strv_contains(c->kinds, event->kind))) {
        return;
    }
    if (c->count > 0 && c->bytes + size > VL_DISPATCH_SINCE_MAX_BYTES) {
        c->more = TRUE; /* the caller asks again from the last seq it got */
        return;
    }
    /* The ring keeps each event as its notification frame (newline included): its params are
     * the event as notified. The frame is vmlinkd's own output. */
    message = vl_json_parse(frame, size > 0 ? size - 1 : 0, NULL);
    if (message) {
        vl_json_builder_add_node(c->builder, vl_json_object_get(message, "params"));
        c->bytes += size;
        c->count++;
    }
}

void
vl_dispatch_events_since(VlBridge *bridge, VlCall *call)
{
    g_autoptr(GPtrArray) names = call_kinds(call);
    guint64 seq = (guint64)vl_json_get_int(vl_json_object_get(vl_call_params(call), "seq"));
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;
    SinceCollect collect = {.builder = b,
                            .kinds = names ? (const char *const *)names->pdata : NULL};
    gboolean complete;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "events");
    vl_json_builder_begin_array(b);
    complete = vl_events_replay(bridge->events, seq, collect_event, &collect);
    vl_json_builder_end_array(b);
    vl_json_builder_member(b, "seq");
    vl_json_builder_add_int(b, (gint64)vl_events_last_seq(bridge->events));
    vl_json_builder_member(b, "gap");
    vl_json_builder_add_bool(b, has_gap(bridge->events, seq, complete));
    if (collect.more) {
        vl_json_builder_member(b, "more");
        vl_json_builder_add_bool(b, TRUE);
    }
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}
