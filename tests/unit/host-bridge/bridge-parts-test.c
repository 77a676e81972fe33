/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge's small parts: rates (token bucket, log limit), the event stream (sequence
 * numbers, frames valid per the catalogue, subscribers, the ring and its gaps), the guest cache
 * (merges), the configuration (every key, every error), and the dispatcher's coverage of the
 * control catalogue.
 */
#include <check.h>
#include <string.h>

#include "vl-bridge-config.h"
#include "vl-dispatch.h"
#include "vl-events.h"
#include "vl-guest-cache.h"
#include "vl-protocol.h"
#include "vl-rate.h"

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "%s: %s", text, error ? error->message : "");
    return node;
}

/* Rates ---------------------------------------------------------------------------------------- */

START_TEST(test_token_bucket)
{
    VlTokenBucket b;
    gint64 t = 1000000;

    vl_token_bucket_init(&b, 10, 3, t); /* 10 per second, 3 at once */
    ck_assert(vl_token_bucket_take(&b, 1, t));
    ck_assert(vl_token_bucket_take(&b, 1, t));
    ck_assert(vl_token_bucket_take(&b, 1, t));
    ck_assert(!vl_token_bucket_take(&b, 1, t));
    ck_assert_int_eq(vl_token_bucket_wait_us(&b, 1, t), 100001);
    ck_assert(!vl_token_bucket_take(&b, 1, t + 99000));
    ck_assert(vl_token_bucket_take(&b, 1, t + 101000));
    /* Never more than the burst, however long the wait. */
    ck_assert(vl_token_bucket_take(&b, 3, t + 100 * G_USEC_PER_SEC));
    ck_assert(!vl_token_bucket_take(&b, 1, t + 100 * G_USEC_PER_SEC));
    /* Debt: spending more than there is must be paid back first. */
    ck_assert(!vl_token_bucket_spend(&b, 20, t + 100 * G_USEC_PER_SEC));
    ck_assert_int_eq(vl_token_bucket_wait_us(&b, 0, t + 100 * G_USEC_PER_SEC), 2000001);
    ck_assert(!vl_token_bucket_take(&b, 1, t + 101 * G_USEC_PER_SEC));
    ck_assert(vl_token_bucket_take(&b, 1, t + 103 * G_USEC_PER_SEC));
    /* Rate 0: no limit at all. */
    vl_token_bucket_init(&b, 0, 1, t);
    for (guint i = 0; i < 1000; i++) {
        ck_assert(vl_token_bucket_take(&b, 1000, t));
    }
    ck_assert(vl_token_bucket_spend(&b, 1e12, t));
    ck_assert_int_eq(vl_token_bucket_wait_us(&b, 5, t), 0);
}
END_TEST

START_TEST(test_log_limit)
{
    VlLogLimit l = {0};
    gint64 t = 5 * G_USEC_PER_SEC;
    guint suppressed = 99;

    for (guint i = 0; i < VL_LOG_LIMIT_BURST; i++) {
        ck_assert(vl_log_limit_allow(&l, t, &suppressed));
        ck_assert_uint_eq(suppressed, 0);
    }
    for (guint i = 0; i < 7; i++) {
        ck_assert(!vl_log_limit_allow(&l, t + i, &suppressed));
    }
    /* The next window says how many were left out. */
    ck_assert(vl_log_limit_allow(&l, t + VL_LOG_LIMIT_WINDOW_S * G_USEC_PER_SEC, &suppressed));
    ck_assert_uint_eq(suppressed, 7);
}
END_TEST

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

/* Guest cache ---------------------------------------------------------------------------------- */

START_TEST(test_cache_merges)
{
    g_autoptr(VlGuestCache) cache = vl_guest_cache_new();
    g_autoptr(VlJson) full = parse("{\"os\":{\"id\":\"debian\",\"name\":\"D\",\"arch\":\"x\"},"
                                   "\"cpu\":{\"count\":2}}");
    g_autoptr(VlJson) partial = parse("{\"cpu\":{\"count\":4}}");
    g_autoptr(VlJson) memory = parse("{\"total_kib\":10,\"available_kib\":4}");
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJsonBuilder) t = vl_json_builder_new();
    g_autoptr(VlJson) out = NULL;
    g_autoptr(VlJson) times = NULL;
    int os = vl_guest_cache_section_index("os");
    int cpu = vl_guest_cache_section_index("cpu");
    int mem = vl_guest_cache_section_index("memory");

    ck_assert_int_eq(vl_guest_cache_section_index("nope"), -1);
    ck_assert_int_eq(vl_guest_cache_section_index(NULL), -1);
    ck_assert_uint_eq(vl_guest_cache_apply_report(cache, full, TRUE, 100),
                      (1u << os) | (1u << cpu));
    ck_assert_uint_eq(vl_guest_cache_apply_report(cache, partial, FALSE, 200), 1u << cpu);
    ck_assert_int_eq(vl_guest_cache_updated(cache, (guint)os), 100);
    ck_assert_int_eq(vl_guest_cache_updated(cache, (guint)cpu), 200);
    ck_assert_int_eq(
        vl_json_get_int(vl_json_object_get(vl_guest_cache_section(cache, (guint)cpu), "count")), 4);
    /* A heartbeat makes a memory section even when none was reported. */
    vl_guest_cache_apply_heartbeat(cache, memory, 300);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vl_guest_cache_section(cache, (guint)mem),
                                                        "available_kib")),
                     4);
    /* Only the sections asked for, only those held. */
    vl_guest_cache_add_sections(cache, (1u << os) | (1u << vl_guest_cache_section_index("users")),
                                b);
    out = vl_json_builder_finish(b);
    ck_assert_uint_eq(vl_json_object_size(out), 1);
    ck_assert_ptr_nonnull(vl_json_object_get(out, "os"));
    vl_guest_cache_add_updated(cache, G_MAXUINT, t);
    times = vl_json_builder_finish(t);
    ck_assert_uint_eq(vl_json_object_size(times), 3);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(times, "memory")), 300);
    /* A full report without os forgets os; clear forgets all. */
    ck_assert_uint_eq(vl_guest_cache_apply_report(cache, partial, TRUE, 400),
                      (1u << os) | (1u << cpu) | (1u << mem));
    ck_assert_ptr_null(vl_guest_cache_section(cache, (guint)os));
    vl_guest_cache_clear(cache);
    ck_assert_ptr_null(vl_guest_cache_section(cache, (guint)cpu));
    ck_assert_int_eq(vl_guest_cache_updated(cache, (guint)cpu), 0);
}
END_TEST

/* Configuration -------------------------------------------------------------------------------- */

static void
expect_config_error(const char *text, int code, const char *fragment)
{
    g_autoptr(VlBridgeConfig) c = vl_bridge_config_new();
    g_autoptr(GError) error = NULL;

    ck_assert_msg(!vl_bridge_config_load_data(c, text, strlen(text), "bridge.conf", &error),
                  "accepted: %s", text);
    ck_assert_msg(g_error_matches(error, VL_BRIDGE_CONFIG_ERROR, code), "%s: %s", text,
                  error->message);
    ck_assert_msg(strstr(error->message, fragment), "%s: \"%s\" lacks \"%s\"", text, error->message,
                  fragment);
    ck_assert_ptr_nonnull(strstr(error->message, "bridge.conf"));
}

START_TEST(test_config)
{
    g_autoptr(VlBridgeConfig) c = vl_bridge_config_new();
    g_autoptr(GError) error = NULL;
    static const char text[] = "[bridge]\nlibvirt-uri = test:///default\n"
                               "local-socket = /tmp/x.sock\nstate-dir = /tmp/s\n"
                               "default-accel = tcg\n"
                               "[channels]\nmax-frame-size = 65536\nrate-messages = 0\n"
                               "rate-burst = 7\nrate-bytes = 1000\nheartbeat-interval = 2\n"
                               "reconnect-max-delay = 9\ncommand-timeout = 4\n"
                               "[control]\nqmp-passthrough = true\nmax-request-size = 8192\n"
                               "max-output-buffer = 2097152\nmax-requests-in-flight = 3\n";

    /* Defaults */
    ck_assert_str_eq(c->libvirt_uri, "qemu:///system");
    ck_assert_str_eq(c->local_socket, VL_BRIDGE_DEFAULT_SOCKET);
    ck_assert_uint_eq(c->max_frame, 1024 * 1024);
    ck_assert(!c->qmp_passthrough);

    ck_assert_msg(vl_bridge_config_load_data(c, text, strlen(text), "bridge.conf", &error), "%s",
                  error ? error->message : "");
    ck_assert_str_eq(c->libvirt_uri, "test:///default");
    ck_assert_str_eq(c->local_socket, "/tmp/x.sock");
    ck_assert_str_eq(c->state_dir, "/tmp/s");
    ck_assert_str_eq(c->default_accel, "tcg");
    ck_assert_uint_eq(c->max_frame, 65536);
    ck_assert_uint_eq(c->rate_messages, 0);
    ck_assert_uint_eq(c->rate_burst, 7);
    ck_assert_uint_eq(c->rate_bytes, 1000);
    ck_assert_uint_eq(c->heartbeat_s, 2);
    ck_assert_uint_eq(c->reconnect_max_s, 9);
    ck_assert_uint_eq(c->command_timeout_s, 4);
    ck_assert(c->qmp_passthrough);
    ck_assert_uint_eq(c->max_request, 8192);
    ck_assert_uint_eq(c->max_output, 2097152);
    ck_assert_uint_eq(c->max_inflight, 3);

    expect_config_error("[bridge\n", VL_BRIDGE_CONFIG_ERROR_READ, "bridge.conf");
    expect_config_error("[nope]\nx = 1\n", VL_BRIDGE_CONFIG_ERROR_UNKNOWN, "[nope]");
    expect_config_error("[channels]\nmax-frame = 1\n", VL_BRIDGE_CONFIG_ERROR_UNKNOWN,
                        "max-frame-size");
    expect_config_error("[channels]\nmax-frame-size = 10\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "[channels] max-frame-size = \"10\"");
    expect_config_error("[channels]\nrate-burst = many\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "rate-burst");
    expect_config_error("[control]\nqmp-passthrough = yes\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "neither true nor false");
    expect_config_error("[bridge]\ndefault-accel = xen\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "neither kvm nor tcg");
    expect_config_error("[bridge]\nstate-dir =\n", VL_BRIDGE_CONFIG_ERROR_INVALID, "empty");
}
END_TEST

/* Dispatcher ----------------------------------------------------------------------------------- */

START_TEST(test_dispatch_covers_catalogue)
{
    /* Every method a manager may call has a handler. */
    for (const VlEntry *e = vl_control_catalogue.entries; e->name; e++) {
        if (e->senders & VL_SENDER_CLIENT) {
            ck_assert_msg(vl_dispatch_serves(e->name), "%s has no handler", e->name);
        }
    }
    ck_assert(!vl_dispatch_serves("event"));
    ck_assert(!vl_dispatch_serves("vm.nope"));
}
END_TEST

static Suite *
parts_suite(void)
{
    Suite *s = suite_create("bridge-parts");
    TCase *tc = tcase_create("parts");

    tcase_add_test(tc, test_token_bucket);
    tcase_add_test(tc, test_log_limit);
    tcase_add_test(tc, test_events_frames);
    tcase_add_test(tc, test_events_ring);
    tcase_add_test(tc, test_cache_merges);
    tcase_add_test(tc, test_config);
    tcase_add_test(tc, test_dispatch_covers_catalogue);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(parts_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
