/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event stream: sequence numbers, frames valid per the catalogue, subscribers, the ring and its
 * gaps.
 */
#include <string.h>

#include "vl-check.h"
#include "vl-events.h"
#include "vl-protocol.h"

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "%s: %s", text, error ? error->message : "");
    return node;
}

/* Events --------------------------------------------------------------------------------------- */

typedef struct {
    GPtrArray *frames;
    GArray *seqs;
} Seen;

static void
on_event(const VlEvent *event, gpointer user_data)
{
    Seen *seen = user_data;
    gsize size;
    const char *data = g_bytes_get_data(event->frame, &size);

    g_ptr_array_add(seen->frames, g_strndup(data, size));
    g_array_append_val(seen->seqs, event->seq);
}

static void
seen_init(Seen *s)
{
    s->frames = g_ptr_array_new_with_free_func(g_free);
    s->seqs = g_array_new(FALSE, FALSE, sizeof(guint64));
}

static void
seen_clear(Seen *s)
{
    g_ptr_array_unref(s->frames);
    g_array_unref(s->seqs);
}

START_TEST(test_events_frames)
{
    VlEvents *events = vl_events_new(4);
    g_autoptr(VlJson) data = parse("{\"state\":\"responsive\"}");
    Seen seen;
    guint id;

    seen_init(&seen);
    ck_assert_uint_eq(vl_events_last_seq(events), 0);
    id = vl_events_subscribe(events, on_event, &seen);
    ck_assert_uint_eq(vl_events_emit(events, "agent.state", "web1", NULL, data), 1);
    ck_assert_uint_eq(vl_events_emit(events, "vm.lifecycle", NULL, NULL, NULL), 2);
    ck_assert_uint_eq(seen.frames->len, 2);
    for (guint i = 0; i < seen.frames->len; i++) {
        const char *frame = seen.frames->pdata[i];
        gsize len = strlen(frame);
        g_autoptr(VlJson) message = NULL;
        g_autoptr(GError) error = NULL;
        VlRpcKind kind;
        VlRpcCode code;

        /* One line, a valid notification per the catalogue. */
        ck_assert_int_eq(frame[len - 1], '\n');
        ck_assert_ptr_null(memchr(frame, '\n', len - 1));
        message = parse(frame);
        ck_assert_msg(vl_rpc_validate(message, VL_SENDER_SERVER, &kind, NULL, &code, &error), "%s",
                      error ? error->message : "");
        ck_assert_int_eq(kind, VL_RPC_NOTIFICATION);
        ck_assert_int_eq(
            vl_json_get_int(vl_json_object_get(vl_json_object_get(message, "params"), "seq")),
            i + 1);
    }
    ck_assert_ptr_nonnull(strstr(seen.frames->pdata[0], "\"vm\":\"web1\""));
    ck_assert_ptr_nonnull(strstr(seen.frames->pdata[1], "\"data\":{}"));
    vl_events_unsubscribe(events, id);
    vl_events_emit(events, "guest.report", NULL, NULL, NULL);
    ck_assert_uint_eq(seen.frames->len, 2);
    seen_clear(&seen);
    vl_events_free(events);
}
END_TEST

START_TEST(test_events_ring)
{
    VlEvents *events = vl_events_new(4);
    Seen seen;

    for (guint i = 0; i < 10; i++) {
        vl_events_emit(events, "guest.report", NULL, NULL, NULL);
    }
    /* The ring holds 7..10: from 6 on there is no gap; from 3 on, 4..6 are lost. */
    seen_init(&seen);
    ck_assert(vl_events_replay(events, 6, on_event, &seen));
    ck_assert_uint_eq(seen.seqs->len, 4);
    ck_assert_uint_eq(g_array_index(seen.seqs, guint64, 0), 7);
    ck_assert_uint_eq(g_array_index(seen.seqs, guint64, 3), 10);
    seen_clear(&seen);
    seen_init(&seen);
    ck_assert(!vl_events_replay(events, 3, on_event, &seen));
    ck_assert_uint_eq(seen.seqs->len, 4);
    seen_clear(&seen);
    seen_init(&seen);
    ck_assert(vl_events_replay(events, 10, on_event, &seen));
    ck_assert_uint_eq(seen.seqs->len, 0);
    seen_clear(&seen);
    vl_events_free(events);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_events_frames, test_events_ring, NULL};

    return vl_check_run(vl_check_suite("events", tests));
}
