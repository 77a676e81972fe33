/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A flooding guest beside a quiet one: the quiet VM's channel is the real vmlink-agent (on
 * unix-listen, in a network namespace of its own), the other is a scripted guest that, once
 * handshaken, writes heartbeats and garbage as fast as vmlinkd takes them, from a thread on
 * another CPU (a guest's vCPU is not the bridge's). The latency of guest.refresh on the quiet
 * VM, request to the agent's checked answer, is measured without and with the flood, with
 * vmlinkd's rate limits as configured by default and with them off.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bridge-bench.h"

#define ROUNDS 300
/* One refresh every this many ms: a refresh is two messages from the agent (its reply and the
 * refreshed section), 100 per second, within vmlinkd's default rate of 200. */
#define PACE_MS 20
#define WARMUP 20
/* Issue 5: the quiet guest's latency during the flood, at most this times its latency without. */
#define FLOOD_GOAL 2.0

typedef struct {
    int listener;
    int fd;
    volatile gint go;   /* start flooding */
    volatile gint stop; /* stop flooding */
    guint64 bytes;      /* written */
    GThread *thread;
} Flooder;

/* The scripted guest: answers vmlinkd's hello, waits for go, then writes until stop. */
static gpointer
flood(gpointer data)
{
    Flooder *fl = data;
    char buf[4096];
    ssize_t n;
    char *nonce;
    g_autoptr(GString) burst = g_string_new(NULL);
    cpu_set_t other;

    /* Another CPU than the benchmark's and vmlinkd's, as a guest's vCPU would be. */
    CPU_ZERO(&other);
    CPU_SET(1, &other);
    pthread_setaffinity_np(pthread_self(), sizeof(other), &other);

    fl->fd = accept4(fl->listener, NULL, NULL, SOCK_CLOEXEC);
    if (fl->fd < 0) {
        return NULL;
    }
    n = read(fl->fd, buf, sizeof(buf) - 1);
    buf[MAX(n, 0)] = '\0';
    nonce = strstr(buf, "\"nonce\":\"");
    if (nonce) {
        g_autofree char *value = g_strndup(nonce + 9, strcspn(nonce + 9, "\""));
        g_autofree char *hello =
            g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"%s\","
                            "\"agent\":{\"name\":\"flood\",\"version\":\"0\"}}\n",
                            value);

        (void)!write(fl->fd, hello, strlen(hello));
    }
    for (guint i = 0; i < 200; i++) {
        g_string_append_printf(burst,
                               "{\"type\":\"heartbeat\",\"seq\":%u,\"memory\":{\"total_kib\":"
                               "1000,\"available_kib\":%u}}\ngarbage that is not JSON\n",
                               i, i);
    }
    while (!g_atomic_int_get(&fl->go) && !g_atomic_int_get(&fl->stop)) {
        g_usleep(1000);
    }
    /* Blocking writes: when vmlinkd stops reading (its rate limit), this guest waits, as a
     * real one would with its virtio queue full. */
    while (!g_atomic_int_get(&fl->stop)) {
        n = send(fl->fd, burst->str, burst->len, MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        fl->bytes += (guint64)n;
    }
    return NULL;
}

typedef struct {
    const char *name;
    BenchStats quiet;
    BenchStats flooded;
    guint64 flood_frames;
    guint64 flood_invalid;
    guint64 flood_rate_limited;
    guint64 flood_bytes;
    guint64 cpu_us;
    gint64 flood_wall_us;
} Scenario;

static gboolean
write_flood_node(const char *node_path, gpointer user_data, GError **error)
{
    return bench_write_node(node_path, 2, user_data, error);
}

/* count guest.refresh of the quiet VM, one every PACE_MS, timed. */
static gboolean
refreshes(VlClient *client, guint count, GArray *samples, GError **error)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) params = NULL;
    g_autofree char *vm = bench_vm_name(0);

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vm);
    vl_json_builder_member(b, "sections");
    vl_json_builder_begin_array(b);
    vl_json_builder_add_string(b, "cpu");
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
    params = vl_json_builder_finish(b);
    for (guint i = 0; i < count; i++) {
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(VlJson) reply = bench_call(client, "guest.refresh", params, error);
        gint64 us = g_get_monotonic_time() - t0;

        if (reply == NULL) {
            return FALSE;
        }
        g_array_append_val(samples, us);
        if (us < PACE_MS * 1000) {
            g_usleep((gulong)(PACE_MS * 1000 - us));
        }
    }
    return TRUE;
}

static gboolean
run_scenario(BridgeBench *ctx, const char *config, Scenario *sc, GError **error)
{
    g_autofree char *folder = g_strdup_printf("%s/%u-flood", ctx->tmpdir, ++ctx->serial);
    g_autofree char *quiet_path = g_build_filename(folder, "quiet.sock", NULL);
    g_autofree char *flood_path = g_build_filename(folder, "flood.sock", NULL);
    g_autofree char *agent_config = g_build_filename(folder, "agent.conf", NULL);
    g_autofree char *agent_log = g_build_filename(folder, "agent.log", NULL);
    g_autofree char *channel = g_strconcat("unix-listen:", quiet_path, NULL);
    g_autofree char *flood_vm = bench_vm_name(1);
    const char *paths[] = {quiet_path, flood_path};
    const char *agent_argv[] = {"unshare",    "--net",     ctx->agent, "--config",
                                agent_config, "--channel", channel,    NULL};
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_autoptr(BenchPeer) agent = NULL;
    g_autoptr(BenchVmlinkd) v = NULL;
    g_autoptr(VlClient) client = NULL;
    g_autoptr(GArray) quiet = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) flooded = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(VlJson) params = NULL;
    g_autoptr(VlJson) info = NULL;
    Flooder fl = {.listener = -1, .fd = -1};
    const VlJson *counters;
    guint64 cpu_before = 0, cpu_after = 0;
    gint64 t0;
    gboolean ok;

    if (g_mkdir(folder, 0700) < 0 ||
        !g_file_set_contents(agent_config, "[agent]\nheartbeat-interval = 0\n", -1, error)) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "cannot set up %s", folder);
        return FALSE;
    }
    agent = bench_peer_spawn("vmlink-agent", agent_argv, agent_log, error);
    if (agent == NULL) {
        return FALSE;
    }
    fl.listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(addr.sun_path, flood_path);
    if (bind(fl.listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fl.listener, 4) < 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: %s", flood_path,
                    g_strerror(errno));
        close(fl.listener);
        return FALSE;
    }
    fl.thread = g_thread_new("flood", flood, &fl);
    /* Wait for the agent's socket before vmlinkd looks for it. */
    for (guint i = 0; i < 500 && !g_file_test(quiet_path, G_FILE_TEST_EXISTS); i++) {
        g_usleep(10000);
    }
    ctx->vmlinkd_config = config;
    v = bench_vmlinkd_start(ctx, write_flood_node, (gpointer)paths, 256, error);
    ctx->vmlinkd_config = NULL;
    ok = v != NULL && (client = bench_vmlinkd_client(v, error)) != NULL;
    /* The quiet agent is ready once refreshes succeed (a round of them also warms up). */
    for (guint i = 0; ok; i++) {
        g_autoptr(GArray) warm = g_array_new(FALSE, FALSE, sizeof(gint64));
        g_autoptr(GError) local = NULL;

        if (refreshes(client, WARMUP, warm, &local)) {
            break;
        }
        if (i == 600) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "the quiet VM's agent never answered: ");
            ok = FALSE;
        }
        g_usleep(50000);
    }
    ok = ok && refreshes(client, ROUNDS, quiet, error);
    if (ok) {
        g_atomic_int_set(&fl.go, 1);
        g_usleep(200000); /* the flood is under way */
        t0 = g_get_monotonic_time();
        ok = bench_proc_cpu_us(bench_peer_pid(v->peer), &cpu_before, error) &&
             refreshes(client, ROUNDS, flooded, error) &&
             bench_proc_cpu_us(bench_peer_pid(v->peer), &cpu_after, error);
        sc->flood_wall_us = g_get_monotonic_time() - t0;
        sc->cpu_us = cpu_after - cpu_before;
    }
    g_atomic_int_set(&fl.stop, 1);
    if (ok) {
        params = bench_params_vm(flood_vm, NULL);
        info = bench_call(client, "guest.info", params, error);
        ok = info != NULL && bench_peer_check(v->peer, error);
    }
    /* Unblock the flooder (its socket closes with vmlinkd) and reap it. */
    g_clear_pointer(&client, vl_client_free);
    g_clear_pointer(&v, bench_vmlinkd_free);
    if (fl.fd >= 0) {
        shutdown(fl.fd, SHUT_RDWR);
    }
    g_thread_join(fl.thread);
    if (fl.fd >= 0) {
        close(fl.fd);
    }
    close(fl.listener);
    if (!ok) {
        return FALSE;
    }
    counters = vl_json_object_get(info, "counters");
    sc->flood_frames = (guint64)vl_json_get_int(vl_json_object_get(counters, "frames"));
    sc->flood_invalid = (guint64)vl_json_get_int(vl_json_object_get(counters, "invalid"));
    sc->flood_rate_limited = (guint64)vl_json_get_int(vl_json_object_get(counters, "rate_limited"));
    sc->flood_bytes = fl.bytes;
    bench_stats_compute(quiet, &sc->quiet);
    bench_stats_compute(flooded, &sc->flooded);
    return TRUE;
}

static void
write_report(BridgeBench *ctx, Scenario *scenarios, guint n)
{
    GString *out = ctx->report;
    double worst = 0;

    g_string_append_printf(
        out,
        "### A flooding guest beside a quiet one\n\n"
        "Two VMs of a test driver node file. The quiet one's channel is vmlink-agent itself "
        "(on unix-listen, in a network namespace of its own, heartbeat off); the other's is a "
        "scripted guest that, once handshaken, writes valid heartbeats and lines of garbage "
        "(half and half, 200 of each per write) as fast as vmlinkd takes them, with blocking "
        "writes, from a thread on CPU 1 (a guest's vCPU is not the bridge's; vmlinkd, the "
        "agent and the benchmark are on CPU 0). The quiet VM's latency is that of "
        "guest.refresh of its cpu section, from the request to vmlinkd to the agent's checked "
        "answer: %u calls, one every %u ms, without the flood, then %u during it.\n\n"
        "| vmlinkd's rate limits | quiet p50 | quiet p90 | quiet p99 | flooded p50 | flooded p90 "
        "| flooded p99 | ratio p50 | ratio p99 | flood: messages read | refused | times "
        "slowed | bytes written | vmlinkd CPU during the flood |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        ROUNDS, PACE_MS, ROUNDS);
    for (guint i = 0; i < n; i++) {
        Scenario *sc = &scenarios[i];
        g_autofree char *q50 = bench_format_us(sc->quiet.p50);
        g_autofree char *q90 = bench_format_us(sc->quiet.p90);
        g_autofree char *q99 = bench_format_us(sc->quiet.p99);
        g_autofree char *f50 = bench_format_us(sc->flooded.p50);
        g_autofree char *f90 = bench_format_us(sc->flooded.p90);
        g_autofree char *f99 = bench_format_us(sc->flooded.p99);
        double r50 = (double)sc->flooded.p50 / (double)MAX(sc->quiet.p50, 1);
        double r99 = (double)sc->flooded.p99 / (double)MAX(sc->quiet.p99, 1);

        worst = MAX(worst, r50);
        g_string_append_printf(
            out,
            "| %s | %s | %s | %s | %s | %s | %s | %.2fx | %.2fx | %" G_GUINT64_FORMAT
            " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %.1f MiB | "
            "%.0f%% of a core |\n",
            sc->name, q50, q90, q99, f50, f90, f99, r50, r99, sc->flood_frames, sc->flood_invalid,
            sc->flood_rate_limited, (double)sc->flood_bytes / (1024.0 * 1024.0),
            100.0 * (double)sc->cpu_us / (double)MAX(sc->flood_wall_us, 1));
    }
    g_string_append_printf(
        out,
        "\nWith the defaults the flood is slowed (vmlinkd stops reading that channel until its "
        "token buckets refill; the guest's writes wait) and nothing of the quiet VM's waits "
        "behind it; with the limits off, the flood gets as much of vmlinkd as its turns give it "
        "(each channel at most 16 frames a turn, then every other ready channel has one), "
        "and the quiet VM's messages wait for at most one of the flood's turns.\n\n"
        "Goal (issue 5): a flooding guest leaves another guest's latency within %.0fx (p50): "
        "%s (%.2fx at worst).\n\n",
        FLOOD_GOAL, worst <= FLOOD_GOAL ? "met" : "not met", worst);
}

gboolean
bench_flood(BridgeBench *ctx, GError **error)
{
    Scenario scenarios[] = {
        {.name = "defaults (200 messages/s, burst 1000, 8 MiB/s)"},
        {.name = "off"},
    };
    const char *configs[] = {"", "[channels]\nrate-messages = 0\nrate-bytes = 0\n"};

    if (ctx->agent == NULL) {
        return TRUE; /* not asked for */
    }
    for (guint i = 0; i < G_N_ELEMENTS(scenarios); i++) {
        g_print("flood: a flooding guest beside a quiet one, rate limits %s\n", scenarios[i].name);
        if (!run_scenario(ctx, configs[i], &scenarios[i], error)) {
            g_prefix_error(error, "flood (rate limits %s): ", scenarios[i].name);
            return FALSE;
        }
    }
    write_report(ctx, scenarios, G_N_ELEMENTS(scenarios));
    return TRUE;
}
