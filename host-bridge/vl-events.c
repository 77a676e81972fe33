/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-events.h"

#include "vl-frame.h"
#include "vl-jsonrpc.h"

typedef struct {
    guint id;
    VlEventFunc func;
    gpointer user_data;
} Subscriber;

struct _VlEvents {
    guint64 seq;
    VlEvent *ring; /* ring_size slots, the event of seq s at s % ring_size */
    guint ring_size;
    GArray *subscribers; /* Subscriber */
    guint next_id;
};

/* The ring owns each slot's params; VlEvent shows them const to subscribers. */
static void
clear_params(VlEvent *slot)
{
    if (slot->params) {
        vl_json_unref((VlJson *)slot->params);
        slot->params = NULL;
    }
}

VlEvents *
vl_events_new(guint ring_size)
{
    VlEvents *e = g_new0(VlEvents, 1);

    e->ring_size = MAX(ring_size, 1);
    e->ring = g_new0(VlEvent, e->ring_size);
    e->subscribers = g_array_new(FALSE, FALSE, sizeof(Subscriber));
    e->next_id = 1;
    return e;
}

void
vl_events_free(VlEvents *e)
{
    if (e == NULL) {
        return;
    }
    for (guint i = 0; i < e->ring_size; i++) {
        g_clear_pointer(&e->ring[i].frame, g_bytes_unref);
        clear_params(&e->ring[i]);
    }
    g_free(e->ring);
    g_array_unref(e->subscribers);
    g_free(e);
}

/* Encodes the event into slot: its params and its frame. */
static void
encode(VlEvent *slot, const char *vm, const char *uuid, const VlJson *data)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    VlJson *params;
    g_autoptr(VlJson) message = NULL;
    GString *frame;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "seq");
    vl_json_builder_add_int(b, (gint64)slot->seq);
    vl_json_builder_member(b, "time");
    vl_json_builder_add_int(b, g_get_real_time() / 1000);
    vl_json_builder_member(b, "event");
    vl_json_builder_add_string(b, slot->kind);
    if (vm) {
        vl_json_builder_member(b, "vm");
        vl_json_builder_add_string(b, vm);
    }
    if (uuid) {
        vl_json_builder_member(b, "uuid");
        vl_json_builder_add_string(b, uuid);
    }
    vl_json_builder_member(b, "data");
    if (data) {
        vl_json_builder_add_node(b, data);
    } else {
        vl_json_builder_begin_object(b);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_object(b);
    params = vl_json_builder_finish(b);
    message = vl_rpc_new_request("event", params, NULL);
    frame = vl_frame_encode(message);
    slot->frame = g_string_free_to_bytes(frame);
    slot->params = params;
}

static const char *
intern_kind(const char *kind)
{
    return g_intern_string(kind);
}

guint64
vl_events_emit(VlEvents *e, const char *kind, const char *vm, const char *uuid, const VlJson *data)
{
    VlEvent *slot;

    e->seq++;
    slot = &e->ring[e->seq % e->ring_size];
    g_clear_pointer(&slot->frame, g_bytes_unref);
    clear_params(slot);
    slot->seq = e->seq;
    slot->kind = intern_kind(kind);
    encode(slot, vm, uuid, data);
    /* A subscriber may unsubscribe from its callback: walk a copy. */
    if (e->subscribers->len > 0) {
        g_autoptr(GArray) subs = g_array_copy(e->subscribers);
        VlEvent event = *slot;

        event.frame = g_bytes_ref(slot->frame);
        for (guint i = 0; i < subs->len; i++) {
            Subscriber *s = &g_array_index(subs, Subscriber, i);

            s->func(&event, s->user_data);
        }
        g_bytes_unref(event.frame);
    }
    return e->seq;
}

guint64
vl_events_last_seq(const VlEvents *e)
{
    return e->seq;
}

guint
vl_events_subscribe(VlEvents *e, VlEventFunc func, gpointer user_data)
{
    Subscriber s = {e->next_id++, func, user_data};

    g_array_append_val(e->subscribers, s);
    return s.id;
}

void
vl_events_unsubscribe(VlEvents *e, guint id)
{
    for (guint i = 0; i < e->subscribers->len; i++) {
        if (g_array_index(e->subscribers, Subscriber, i).id == id) {
            g_array_remove_index(e->subscribers, i);
            return;
        }
    }
}

gboolean
vl_events_replay(const VlEvents *e, guint64 seq, VlEventFunc func, gpointer user_data)
{
    guint64 oldest = e->seq >= e->ring_size ? e->seq - e->ring_size + 1 : 1;
    gboolean complete = seq + 1 >= oldest;

    for (guint64 s = MAX(seq + 1, oldest); s <= e->seq; s++) {
        func(&e->ring[s % e->ring_size], user_data);
    }
    return complete;
}
