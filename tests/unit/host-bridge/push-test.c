/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push to the manager (vl-push.c) against the real receiver of `vmlinkctl receive-events`
 * (vl-ctl-receive.c) run in a thread of this program: real TLS with both identities, real
 * libcurl on this thread's main loop. Events arrive in order; a receiver that is away and comes
 * back gets everything within the queue bound, an overflow is reported in "dropped"; a receiver
 * with another key gets nothing; statistics arrive each interval.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "vl-bridge.h"
#include "vl-catalogue.h"
#include "vl-ctl-receive.h"
#include "vl-domains.h"
#include "vl-protocol.h"
#include "vl-push.h"
#include "vl-test-util.h"
#include "vl-tls-context.h"
#include "vl-tls-identity.h"

#define UUID "0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f"
/* Generous: nothing here should take more than a second or two. */
#define DEADLINE_S 30

typedef struct {
    char *method;
    VlJson *params;
} Post;

typedef struct {
    char *dir;
    VlTlsIdentity *bridge_id;
    VlTlsIdentity *manager_id;
    char *manager_pem;
    VlBridgeConfig *config;
    VlBridge *bridge;
    VlPush *push;
    /* The receiver, in its thread. */
    VlReceiver *receiver;
    GThread *thread;
    guint16 port;
    GAsyncQueue *posts; /* Post * */
} Fixture;

static void
post_free(Post *p)
{
    g_free(p->method);
    vl_json_unref(p->params);
    g_free(p);
}

/* The receiver ----------------------------------------------------------------------------- */

/* Only this test's bridge, as a manager that owns it would. */
static gboolean
accept_bridge(X509 *cert, char **ret_who, gpointer user_data)
{
    Fixture *f = user_data;

    return vl_tls_pin_matches(cert, vl_tls_identity_cert_pem(f->bridge_id), NULL, NULL);
}

static void
on_post(const char *method, const VlJson *params, gpointer user_data)
{
    Fixture *f = user_data;
    gsize len = 0;
    g_autofree char *text = vl_json_to_string(params, &len); /* params die with the request */
    Post *p = g_new0(Post, 1);

    p->method = g_strdup(method);
    p->params = vl_json_parse(text, len, NULL);
    g_async_queue_push(f->posts, p);
}

static gpointer
receiver_thread(gpointer data)
{
    Fixture *f = data;

    vl_receiver_run(f->receiver, NULL);
    return NULL;
}

/* Starts the receiver on f->port (0: a free one) presenting identity. */
static void
receiver_start(Fixture *f, VlTlsIdentity *identity)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *listen = g_strdup_printf("127.0.0.1:%u", f->port);
    VlReceiverOptions options = {
        .identity = identity,
        .accept = accept_bridge,
        .accept_data = f,
        .on_post = on_post,
        .post_data = f,
    };

    f->receiver = vl_receiver_new(listen, &options, &error);
    ck_assert_msg(f->receiver != NULL, "%s", error ? error->message : "");
    f->port = vl_receiver_port(f->receiver);
    f->thread = g_thread_new("receiver", receiver_thread, f);
}

static void
receiver_stop(Fixture *f)
{
    vl_receiver_stop(f->receiver);
    g_thread_join(f->thread);
    g_clear_pointer(&f->receiver, vl_receiver_free);
    f->thread = NULL;
}

/* The bridge ------------------------------------------------------------------------------- */

static Fixture *
fixture_new(guint64 queue, guint64 batch)
{
    Fixture *f = g_new0(Fixture, 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *bridge_dir = NULL;
    g_autofree char *manager_dir = NULL;

    f->dir = vl_test_make_tmp_dir("vl-push-XXXXXX");
    bridge_dir = g_build_filename(f->dir, "bridge", NULL);
    manager_dir = g_build_filename(f->dir, "manager", NULL);
    f->bridge_id = vl_tls_identity_load_or_create(bridge_dir, "vmlinkd test", 30, &error);
    ck_assert_msg(f->bridge_id != NULL, "%s", error ? error->message : "");
    f->manager_id = vl_tls_identity_load_or_create(manager_dir, "manager test", 30, &error);
    ck_assert_msg(f->manager_id != NULL, "%s", error ? error->message : "");
    f->manager_pem = g_strdup(vl_tls_identity_cert_pem(f->manager_id));

    f->config = vl_bridge_config_new();
    f->config->push_queue = queue;
    f->config->push_batch = batch;
    f->config->push_retry_max_s = 1;
    f->config->push_timeout_s = 10;
    f->config->stats_interval_s = 0;
    f->bridge = vl_bridge_new(f->config, &error);
    ck_assert_msg(f->bridge != NULL, "%s", error ? error->message : "");
    f->bridge->identity = f->bridge_id;
    f->posts = g_async_queue_new_full((GDestroyNotify)post_free);
    return f;
}

static void
fixture_free(Fixture *f)
{
    vl_push_free(f->push);
    if (f->receiver) {
        receiver_stop(f);
    }
    if (f->bridge->domains) {
        g_hash_table_remove_all(f->bridge->by_name);
        g_hash_table_remove_all(f->bridge->vms);
        g_clear_pointer(&f->bridge->domains, vl_domains_free);
    }
    vl_bridge_free(f->bridge);
    vl_bridge_config_free(f->config);
    vl_tls_identity_free(f->bridge_id);
    vl_tls_identity_free(f->manager_id);
    g_async_queue_unref(f->posts);
    g_free(f->manager_pem);
    vl_test_remove_tree(f->dir);
    g_free(f->dir);
    g_free(f);
}

/* Events go to the receiver, which must present the certificate of pin_pem. */
static void
target_events(Fixture *f, const char *pin_pem)
{
    g_autofree char *url = g_strdup_printf("https://127.0.0.1:%u/vmlink/events", f->port);

    vl_push_set_target(f->push, url, NULL, pin_pem);
}

/* Statistics go to the receiver, the manager's certificate pinned. */
static void
target_stats(Fixture *f)
{
    g_autofree char *url = g_strdup_printf("https://127.0.0.1:%u/vmlink/stats", f->port);

    vl_push_set_target(f->push, NULL, url, f->manager_pem);
}

static void
emit(Fixture *f, guint n)
{
    g_autoptr(VlJson) data =
        vl_json_parse("{\"state\":\"running\",\"reason\":\"booted\"}", 38, NULL);

    for (guint i = 0; i < n; i++) {
        vl_events_emit(f->bridge->events, "vm.lifecycle", "web1", UUID, data);
    }
}

/* host.info's push object, checked against the catalogue. */
static VlJson *
describe(Fixture *f)
{
    const VlEntry *entry =
        vl_catalogue_lookup(&vl_control_catalogue, "host.info", VL_SENDER_CLIENT);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) push = NULL;
    g_autoptr(GError) error = NULL;

    vl_json_builder_begin_object(b);
    vl_push_describe(f->push, b);
    vl_json_builder_end_object(b);
    push = vl_json_builder_finish(b);
    for (const VlField *field = entry->result; field->name; field++) {
        if (strcmp(field->name, "push") == 0) {
            ck_assert_msg(vl_fields_validate(field->fields, push, "push", &error), "%s",
                          error->message);
        }
    }
    return g_steal_pointer(&push);
}

static gint64
counter(Fixture *f, const char *name)
{
    g_autoptr(VlJson) push = describe(f);

    return vl_json_get_int(vl_json_object_get(push, name));
}

/* Waiting on the loop ---------------------------------------------------------------------- */

static gboolean
tick(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

/* Runs the loop until the next post arrives; NULL after the deadline. */
static Post *
next_post(Fixture *f, const char *method)
{
    gint64 deadline = g_get_monotonic_time() + DEADLINE_S * G_USEC_PER_SEC;
    guint ticker = g_timeout_add(20, tick, NULL);
    Post *p = NULL;

    while (g_get_monotonic_time() < deadline) {
        p = g_async_queue_try_pop(f->posts);
        if (p && g_strcmp0(p->method, method) == 0) {
            break;
        }
        g_clear_pointer(&p, post_free);
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(ticker);
    return p;
}

/* Runs the loop until the counter reaches at least value. */
static void
wait_counter(Fixture *f, const char *name, gint64 value)
{
    gint64 deadline = g_get_monotonic_time() + DEADLINE_S * G_USEC_PER_SEC;
    guint ticker = g_timeout_add(20, tick, NULL);

    while (counter(f, name) < value) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "%s stayed below %" G_GINT64_FORMAT, name,
                      value);
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(ticker);
}

/* Receives events until `until` (a seq) arrives; checks each batch's shape and their order, and
 * returns the last "dropped". A batch sent again (its answer lost) may repeat seqs. */
static gint64
receive_until(Fixture *f, guint64 first, guint64 until, guint64 batch)
{
    guint64 next = first;
    gint64 dropped = 0;

    while (next <= until) {
        Post *p = next_post(f, "push.events");
        const VlJson *events;

        ck_assert_msg(p != NULL, "no events after seq %" G_GUINT64_FORMAT, next - 1);
        events = vl_json_object_get(p->params, "events");
        ck_assert_str_eq(vl_json_get_string(vl_json_object_get(p->params, "fingerprint")),
                         vl_tls_identity_fingerprint(f->bridge_id));
        ck_assert_uint_le(vl_json_array_length(events), batch);
        dropped = vl_json_get_int(vl_json_object_get(p->params, "dropped"));
        for (guint i = 0; i < vl_json_array_length(events); i++) {
            const VlJson *e = vl_json_array_get(events, i);
            guint64 seq = (guint64)vl_json_get_int(vl_json_object_get(e, "seq"));

            ck_assert_uint_le(seq, next); /* in order: never ahead, never a gap */
            if (seq == next) {
                next++;
            }
            ck_assert_str_eq(vl_json_get_string(vl_json_object_get(e, "event")), "vm.lifecycle");
            ck_assert_str_eq(vl_json_get_string(vl_json_object_get(e, "uuid")), UUID);
        }
        post_free(p);
    }
    return dropped;
}

/* Tests ------------------------------------------------------------------------------------ */

START_TEST(test_events_in_order)
{
    Fixture *f = fixture_new(100, 3);
    g_autoptr(GError) error = NULL;
    g_autofree char *old_pem = NULL;
    gboolean renewed = FALSE;

    /* The manager renews its certificate in place (same key) after the bridge pinned it: the
     * pin is of the key, so the bridge keeps pushing. */
    old_pem = g_strdup(f->manager_pem);
    ck_assert(vl_tls_identity_renew_if_needed(f->manager_id, 365, 30, &renewed, &error));
    ck_assert(renewed);
    ck_assert_str_ne(old_pem, vl_tls_identity_cert_pem(f->manager_id));

    receiver_start(f, f->manager_id);
    f->push = vl_push_new(f->bridge);
    emit(f, 2); /* no target yet: not queued */
    ck_assert_int_eq(counter(f, "queued"), 0);
    target_events(f, old_pem);
    emit(f, 10);
    ck_assert_int_eq(receive_until(f, 3, 12, 3), 0);
    wait_counter(f, "sent", 10);
    ck_assert_int_eq(counter(f, "queued"), 0);
    ck_assert_int_eq(counter(f, "dropped"), 0);
    ck_assert_int_gt(counter(f, "last_success"), 0);

    /* A release drops what waits, and nothing more is queued. */
    vl_push_set_target(f->push, NULL, NULL, NULL);
    emit(f, 3);
    ck_assert_int_eq(counter(f, "queued"), 0);
    fixture_free(f);
}
END_TEST

START_TEST(test_receiver_away_then_back)
{
    Fixture *f = fixture_new(100, 5);

    receiver_start(f, f->manager_id);
    receiver_stop(f); /* the port is known, nobody listens on it */
    f->push = vl_push_new(f->bridge);
    target_events(f, f->manager_pem);
    emit(f, 20);
    wait_counter(f, "failures", 2);
    ck_assert_int_eq(counter(f, "sent"), 0);
    ck_assert_int_eq(counter(f, "queued"), 20);

    /* Back on the same port: everything within the bound arrives, in order. */
    receiver_start(f, f->manager_id);
    ck_assert_int_eq(receive_until(f, 1, 20, 5), 0);
    wait_counter(f, "sent", 20);
    ck_assert_int_eq(counter(f, "dropped"), 0);
    fixture_free(f);
}
END_TEST

START_TEST(test_overflow_reported)
{
    Fixture *f = fixture_new(5, 2);

    receiver_start(f, f->manager_id);
    receiver_stop(f);
    f->push = vl_push_new(f->bridge);
    target_events(f, f->manager_pem);
    emit(f, 12); /* 7 too many: the oldest go */
    wait_counter(f, "failures", 1);
    ck_assert_int_eq(counter(f, "dropped"), 7);
    ck_assert_int_le(counter(f, "queued"), 5);

    receiver_start(f, f->manager_id);
    ck_assert_int_eq(receive_until(f, 8, 12, 2), 7);
    wait_counter(f, "sent", 5);
    ck_assert_int_eq(counter(f, "dropped"), 7);
    fixture_free(f);
}
END_TEST

START_TEST(test_other_key_refused)
{
    Fixture *f = fixture_new(100, 5);
    g_autoptr(GError) error = NULL;
    g_autofree char *other_dir = g_build_filename(f->dir, "other", NULL);
    g_autoptr(VlTlsIdentity) other =
        vl_tls_identity_load_or_create(other_dir, "manager test", 30, &error);
    g_autoptr(VlJson) push = NULL;

    ck_assert(other != NULL);
    receiver_start(f, other); /* accepts the bridge, but is not the pinned manager */
    f->push = vl_push_new(f->bridge);
    target_events(f, f->manager_pem);
    emit(f, 3);
    wait_counter(f, "failures", 2);
    push = describe(f);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(push, "sent")), 0);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(push, "queued")), 3);
    ck_assert_msg(strstr(vl_json_get_string(vl_json_object_get(push, "last_error")), "pinned"),
                  "%s", vl_json_get_string(vl_json_object_get(push, "last_error")));
    ck_assert_int_eq(g_async_queue_length(f->posts), 0);
    fixture_free(f);
}
END_TEST

static VlJson *
fake_stats(gpointer user_data, GError **error)
{
    const char *text = "{\"vms\":[{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"state\":\"running\","
                       "\"cpu_time_ns\":81234000000,\"vcpus\":1}]}";

    return vl_json_parse(text, strlen(text), error);
}

START_TEST(test_stats_arrive)
{
    Fixture *f = fixture_new(100, 5);
    Post *p;

    f->config->stats_interval_s = 1;
    receiver_start(f, f->manager_id);
    f->push = vl_push_new(f->bridge);
    vl_push_set_stats_func(f->push, fake_stats, NULL);
    target_stats(f);
    p = next_post(f, "push.stats");
    ck_assert(p != NULL);
    ck_assert_int_gt(vl_json_get_int(vl_json_object_get(p->params, "time")), 0);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(
                         vl_json_array_get(vl_json_object_get(p->params, "vms"), 0), "name")),
                     "web1");
    post_free(p);
    wait_counter(f, "stats_sent", 1);
    ck_assert_int_eq(counter(f, "sent"), 0);
    fixture_free(f);
}
END_TEST

/* The default gatherer: vm.stats of libvirt's test driver, which runs in this process. */
START_TEST(test_stats_from_libvirt)
{
    Fixture *f = fixture_new(100, 5);
    const VlJson *vm;
    virConnectPtr conn;
    Post *p;

    f->config->stats_interval_s = 1;
    vl_domains_init();
    f->bridge->domains = vl_domains_new(f->bridge, "test:///default");
    vl_domains_start(f->bridge->domains);
    conn = vl_domains_connection(f->bridge->domains);
    ck_assert_ptr_nonnull(conn);
    virConnectClose(conn);
    receiver_start(f, f->manager_id);
    f->push = vl_push_new(f->bridge);
    target_stats(f);
    p = next_post(f, "push.stats");
    ck_assert(p != NULL);
    vm = vl_json_array_get(vl_json_object_get(p->params, "vms"), 0);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vm, "name")), "test");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vm, "state")), "running");
    post_free(p);
    fixture_free(f);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_events_in_order,
                                  test_receiver_away_then_back,
                                  test_overflow_reported,
                                  test_other_key_refused,
                                  test_stats_arrive,
                                  test_stats_from_libvirt,
                                  NULL};
    Suite *s = suite_create("push");
    TCase *tc = tcase_create("push");
    SRunner *sr;
    int failed;

    /* A bridge that goes away mid-answer must not end the receiver's thread's process. */
    signal(SIGPIPE, SIG_IGN);
    tcase_set_timeout(tc, 120);
    for (guint i = 0; tests[i]; i++) {
        tcase_add_test(tc, tests[i]);
    }
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
