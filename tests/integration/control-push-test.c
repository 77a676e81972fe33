/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Push end to end: a real vmlinkd pushes events and statistics over HTTPS (libcurl, its own
 * certificate, the manager's key pinned) to `vmlinkctl receive-events`, the manager's receiver,
 * which accepts only the bridge it owns. The receiver goes away and comes back: nothing is lost
 * within the queue's bound, and what overflowed is reported.
 */
#include <check.h>
#include <signal.h>
#include <string.h>

#include "control-harness.h"
#include "vl-check.h"
#include "vl-json.h"

#define QUEUE 6

static ChBridge b;
static GSubprocess *receiver;
static guint16 receiver_port;
static guint receiver_runs;

static guint16
pick_port(void)
{
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    ck_assert(s != NULL && g_socket_bind(s, any, TRUE, NULL));
    bound = g_socket_get_local_address(s, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static char *
receiver_file(guint run, const char *what)
{
    g_autofree char *name = g_strdup_printf("receiver-%u.%s", run, what);

    return g_build_filename(b.work, name, NULL);
}

/* The manager "a" runs its receiver; output of each run in its own files. */
static void
receiver_start(void)
{
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_autofree char *home = g_build_filename(b.work, "a", NULL);
    g_autofree char *listen = g_strdup_printf("127.0.0.1:%u", receiver_port);
    g_autofree char *out = receiver_file(++receiver_runs, "out");
    g_autofree char *err = receiver_file(receiver_runs, "err");
    g_autoptr(GError) error = NULL;
    const char *argv[] = {g_getenv("VL_CTL"), "--json", "receive-events", "--listen", listen, NULL};
    gint64 deadline = g_get_monotonic_time() + CH_WAIT_MS * 1000;

    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", home, TRUE);
    g_subprocess_launcher_set_stdout_file_path(launcher, out);
    g_subprocess_launcher_set_stderr_file_path(launcher, err);
    receiver = g_subprocess_launcher_spawnv(launcher, argv, &error);
    ck_assert_msg(receiver != NULL, "receive-events: %s", error ? error->message : "");
    for (;;) {
        g_autofree char *text = NULL;

        if (g_file_get_contents(err, &text, NULL, NULL) && strstr(text, "listening on")) {
            return;
        }
        ck_assert_msg(g_get_monotonic_time() < deadline, "the receiver did not start: %s", text);
        g_usleep(50000);
    }
}

static void
receiver_stop(void)
{
    g_subprocess_send_signal(receiver, SIGTERM);
    g_subprocess_wait(receiver, NULL, NULL);
    g_clear_object(&receiver);
}

/* Every event line received so far (all runs), as seq numbers; stats lines counted apart. */
static GArray *
received(guint *ret_stats, char **ret_errors)
{
    GArray *seqs = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GString) errors = g_string_new(NULL);

    *ret_stats = 0;
    for (guint run = 1; run <= receiver_runs; run++) {
        g_autofree char *out = receiver_file(run, "out");
        g_autofree char *err = receiver_file(run, "err");
        g_autofree char *text = NULL;
        g_autofree char *err_text = NULL;
        g_auto(GStrv) lines = NULL;

        if (g_file_get_contents(err, &err_text, NULL, NULL)) {
            g_string_append(errors, err_text);
        }
        if (!g_file_get_contents(out, &text, NULL, NULL)) {
            continue;
        }
        lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l && **l; l++) {
            g_autoptr(VlJson) json = ch_parse(*l);

            if (vl_json_object_get(json, "vms")) {
                (*ret_stats)++;
            } else {
                gint64 seq = vl_json_get_int(vl_json_object_get(json, "seq"));

                g_array_append_val(seqs, seq);
            }
        }
    }
    if (ret_errors) {
        *ret_errors = g_string_free(g_steal_pointer(&errors), FALSE);
    }
    return seqs;
}

/* Events the bridge emitted so far: the last seq, from events.since. */
static gint64
last_seq(void)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *local = g_strconcat("unix:", b.local, NULL);
    g_auto(GStrv) lines = NULL;
    gint64 seq = 0;

    /* events --since with --json prints one event per line; the last one has the last seq. */
    ck_assert_msg(ch_ctl(&b, "root", NULL, &out, &err, "--connect", local, "--json", "events",
                         "--since", "0", NULL) == 0,
                  "events --since: %s", err);
    lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l && **l; l++) {
        g_autoptr(VlJson) event = vl_json_parse(*l, strlen(*l), NULL);

        if (event && vl_json_object_get(event, "seq")) {
            seq = MAX(seq, vl_json_get_int(vl_json_object_get(event, "seq")));
        }
    }
    return seq;
}

/* Waits until the receiver has every event up to last, in order, each once; with contiguous,
 * none missing either. */
static void
wait_for_all(gint64 last, gboolean contiguous)
{
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

    ck_assert_msg(last > 0, "the bridge emitted no event");
    for (;;) {
        guint stats;
        g_autofree char *errors = NULL;
        g_autoptr(GArray) seqs = received(&stats, &errors);
        gint64 top = seqs->len ? g_array_index(seqs, gint64, seqs->len - 1) : 0;

        for (guint i = 1; i < seqs->len; i++) {
            ck_assert_msg(g_array_index(seqs, gint64, i) > g_array_index(seqs, gint64, i - 1),
                          "events out of order or twice at %u", i);
        }
        if (top >= last) {
            for (guint i = 1; contiguous && i < seqs->len; i++) {
                ck_assert_msg(
                    g_array_index(seqs, gint64, i) == g_array_index(seqs, gint64, i - 1) + 1,
                    "event %" G_GINT64_FORMAT " was lost", g_array_index(seqs, gint64, i - 1) + 1);
            }
            return;
        }
        ck_assert_msg(g_get_monotonic_time() < deadline,
                      "the receiver has events up to %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                      "; its errors: %s",
                      top, last, errors);
        g_usleep(200000);
    }
}

/* A VM stopped and started again: two vm.lifecycle events at least. */
static void
cycle_vm(void)
{
    g_autofree char *err = NULL;

    ck_assert_msg(ch_ctl_tls(&b, "a", NULL, NULL, &err, "vm", "destroy", "vm0", NULL) == 0, "%s",
                  err);
    g_clear_pointer(&err, g_free);
    ck_assert_msg(ch_ctl_tls(&b, "a", NULL, NULL, &err, "vm", "start", "vm0", NULL) == 0, "%s",
                  err);
}

static gint64
push_counter(const char *name)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(VlJson) info = NULL;
    const VlJson *push;

    ck_assert_msg(ch_ctl_tls(&b, "a", NULL, &out, &err, "--json", "host", "info", NULL) == 0, "%s",
                  err);
    info = ch_parse(out);
    push = vl_json_object_get(info, "push");
    ck_assert_msg(push != NULL, "host info has no push: %s", out);
    return vl_json_get_int(vl_json_object_get(push, name));
}

START_TEST(test_push)
{
    g_autofree char *fingerprint = NULL;
    g_autofree char *event_url = NULL;
    g_autofree char *stats_url = NULL;
    g_autofree char *err = NULL;
    g_autofree char *errors = NULL;
    g_autofree char *extra = g_strdup_printf("[push]\nqueue-size = %d\nbatch-size = 2\n"
                                             "stats-interval = 1\nretry-max-delay = 1\n",
                                             QUEUE);
    g_autoptr(GArray) seqs = NULL;
    gint64 last, dropped;
    guint stats;
    int status;

    ch_bridge_init(&b, 2, extra);
    ch_bridge_start(&b);
    receiver_port = pick_port();
    receiver_runs = 0;
    event_url = g_strdup_printf("https://127.0.0.1:%u/events", receiver_port);
    stats_url = g_strdup_printf("https://127.0.0.1:%u/stats", receiver_port);
    fingerprint = ch_bridge_fingerprint(&b);
    status = ch_ctl_tls(&b, "a", CH_PASSWORD "\n", NULL, &err, "host", "take-ownership",
                        "--fingerprint", fingerprint, "--password-stdin", "--event-url", event_url,
                        "--stats-url", stats_url, NULL);
    ck_assert_msg(status == 0, "take-ownership: %s", err);

    /* Up: events arrive in order, and statistics every second. */
    receiver_start();
    cycle_vm();
    wait_for_all(last_seq(), TRUE);

    /* Away for a while, fewer events than the queue holds: all arrive once it is back. */
    receiver_stop();
    cycle_vm();
    last = last_seq();
    receiver_start();
    wait_for_all(last, TRUE);
    ck_assert_int_eq(push_counter("dropped"), 0);

    /* Away again, more events than the queue holds: the newest arrive, the loss is counted
     * and reported. */
    receiver_stop();
    for (int i = 0; i < QUEUE; i++) {
        cycle_vm();
    }
    last = last_seq();
    receiver_start();
    wait_for_all(last, FALSE);
    dropped = push_counter("dropped");
    ck_assert_msg(dropped > 0, "nothing counted as dropped");
    receiver_stop();
    seqs = received(&stats, &errors);
    ck_assert_msg(stats > 0, "no statistics arrived");
    ck_assert_msg(strstr(errors, "dropped") != NULL, "the receiver did not report the loss: %s",
                  errors);
    ch_bridge_stop(&b);
    ch_bridge_clear(&b);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_push, NULL};

    return vl_check_run(vl_check_suite("control-push", tests));
}
