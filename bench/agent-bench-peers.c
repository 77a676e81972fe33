/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting vmlink-agent and qemu-ga, and the few exchanges the benchmarks have with them. */
#include <glib/gstdio.h>

#include "agent-bench.h"
#include "bench-common.h"

/* At most this many unrelated messages (reports, events) while waiting for an answer. */
#define MAX_INTERLEAVED 1000

/* Starting ----------------------------------------------------------------------------------- */

static BenchPeer *
start(BenchContext *ctx, const char *name, BenchNamespaces ns, const char *const *command,
      GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *log = g_strdup_printf("%s/%u-%s.log", ctx->tmpdir, ctx->serial, name);

    if (ns == BENCH_NS_OWN) {
        /* unshare execs the command, so the peer's pid is the agent's. A mount namespace of
         * its own (private propagation) keeps other people's mounts on this machine out. */
        g_ptr_array_add(argv, "unshare");
        g_ptr_array_add(argv, "--net");
        g_ptr_array_add(argv, "--mount");
    }
    for (const char *const *arg = command; *arg; arg++) {
        g_ptr_array_add(argv, (gpointer)*arg);
    }
    g_ptr_array_add(argv, NULL);
    return bench_peer_spawn(name, (const char *const *)argv->pdata, log, error);
}

BenchPeer *
bench_start_vmlink(BenchContext *ctx, BenchNamespaces ns, char **ret_socket, GError **error)
{
    guint serial = ++ctx->serial;
    g_autofree char *config = g_strdup_printf("%s/%u-agent.conf", ctx->tmpdir, serial);
    g_autofree char *socket = g_strdup_printf("%s/%u-vmlink.sock", ctx->tmpdir, serial);
    g_autofree char *channel = g_strconcat("unix-listen:", socket, NULL);
    /* The environment its systemd unit gives it (packaging/vmlink-agent.service.in). */
    const char *const command[] = {
        "env", "G_SLICE=always-malloc", ctx->agent, "--config", config, "--channel", channel, NULL};
    BenchPeer *peer;

    /* Heartbeats off: nothing but the benchmark's own requests and real changes. */
    if (!g_file_set_contents(config, "[agent]\nheartbeat-interval = 0\n", -1, error)) {
        return NULL;
    }
    peer = start(ctx, "vmlink-agent", ns, command, error);
    if (peer) {
        *ret_socket = g_steal_pointer(&socket);
    }
    return peer;
}

BenchPeer *
bench_start_vmlink_qga(BenchContext *ctx, char **ret_socket, GError **error)
{
    guint serial = ++ctx->serial;
    g_autofree char *config = g_strdup_printf("%s/%u-agent.conf", ctx->tmpdir, serial);
    g_autofree char *socket = g_strdup_printf("%s/%u-vmlink-qga.sock", ctx->tmpdir, serial);
    const char *const command[] = {"env", "G_SLICE=always-malloc", ctx->agent, "--config", config,
                                   "-m",  "unix-listen",           "-p",       socket,     NULL};
    BenchPeer *peer;

    if (!g_file_set_contents(config, "[agent]\nheartbeat-interval = 0\n", -1, error)) {
        return NULL;
    }
    peer = start(ctx, "vmlink-agent", BENCH_NS_SHARED, command, error);
    if (peer) {
        *ret_socket = g_steal_pointer(&socket);
    }
    return peer;
}

BenchPeer *
bench_start_qemu_ga(BenchContext *ctx, BenchNamespaces ns, char **ret_socket, GError **error)
{
    guint serial = ++ctx->serial;
    g_autofree char *state = g_strdup_printf("%s/%u-qga-state", ctx->tmpdir, serial);
    g_autofree char *socket = g_strdup_printf("%s/%u-qga.sock", ctx->tmpdir, serial);
    const char *const command[] = {ctx->qemu_ga, "-m", "unix-listen", "-p",
                                   socket,       "-t", state,         NULL};
    BenchPeer *peer;

    if (g_mkdir(state, 0700) < 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "cannot create %s", state);
        return NULL;
    }
    peer = start(ctx, "qemu-ga", ns, command, error);
    if (peer) {
        *ret_socket = g_steal_pointer(&socket);
    }
    return peer;
}

/* Messages ----------------------------------------------------------------------------------- */

JsonObject *
bench_recv_object(BenchConn *conn, gint64 *ret_time, GError **error)
{
    g_autofree char *line = bench_conn_recv(conn, BENCH_ANSWER_TIMEOUT_MS, ret_time, error);
    g_autoptr(JsonNode) node = NULL;

    if (line == NULL) {
        return NULL;
    }
    node = json_from_string(line, error);
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
        if (error && *error == NULL) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "not a JSON object: %.200s", line);
        }
        return NULL;
    }
    return json_object_ref(json_node_get_object(node));
}

static gboolean
has_string(JsonObject *o, const char *member, const char *value)
{
    return g_strcmp0(json_object_get_string_member_with_default(o, member, NULL), value) == 0;
}

/* Reads messages until one has member = value; fails on an error message. */
static gboolean
wait_for(BenchConn *conn, const char *member, const char *value, gint64 *ret_time, GError **error)
{
    for (guint i = 0; i < MAX_INTERLEAVED; i++) {
        g_autoptr(JsonObject) m = bench_recv_object(conn, ret_time, error);

        if (m == NULL) {
            return FALSE;
        }
        if (has_string(m, "type", "error")) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "vmlink-agent answered %s: %s",
                        json_object_get_string_member_with_default(m, "code", "?"),
                        json_object_get_string_member_with_default(m, "message", "?"));
            return FALSE;
        }
        if (has_string(m, member, value)) {
            return TRUE;
        }
    }
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "no message with %s \"%s\" among %u",
                member, value, MAX_INTERLEAVED);
    return FALSE;
}

gboolean
bench_vmlink_handshake(BenchConn *conn, GError **error)
{
    g_autofree char *nonce = g_strdup_printf("%08x%08x%08x%08x", g_random_int(), g_random_int(),
                                             g_random_int(), g_random_int());
    g_autofree char *hello =
        g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"%s\"}", nonce);

    return wait_for(conn, "type", "hello", NULL, error) && bench_conn_send(conn, hello, error) &&
           wait_for(conn, "type", "hello", NULL, error) &&
           wait_for(conn, "type", "report", NULL, error) &&
           wait_for(conn, "event", "agent_started", NULL, error);
}

gboolean
bench_vmlink_command(BenchConn *conn, const char *id, const char *name, const char *args_json,
                     gint64 *ret_time, GError **error)
{
    g_autofree char *command = g_strdup_printf(
        "{\"type\":\"command\",\"id\":\"%s\",\"name\":\"%s\",\"args\":%s}", id, name, args_json);

    return bench_conn_send(conn, command, error) && wait_for(conn, "id", id, ret_time, error);
}

gboolean
bench_qga_execute(BenchConn *conn, const char *command, gint64 *ret_time, GError **error)
{
    g_autofree char *request = g_strdup_printf("{\"execute\":\"%s\"}", command);
    g_autoptr(JsonObject) answer = NULL;

    if (!bench_conn_send(conn, request, error)) {
        return FALSE;
    }
    answer = bench_recv_object(conn, ret_time, error);
    if (answer == NULL) {
        return FALSE;
    }
    if (!json_object_has_member(answer, "return")) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "qemu-ga could not run %s", command);
        return FALSE;
    }
    return TRUE;
}

gboolean
bench_qga_sync(BenchConn *conn, GError **error)
{
    gint64 id = g_random_int_range(1, G_MAXINT32);
    g_autofree char *request = g_strdup_printf(
        "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":%" G_GINT64_FORMAT "}}", id);
    g_autoptr(JsonObject) answer = NULL;

    if (!bench_conn_send(conn, request, error)) {
        return FALSE;
    }
    answer = bench_recv_object(conn, NULL, error);
    if (answer == NULL) {
        return FALSE;
    }
    if (!json_object_has_member(answer, "return") ||
        json_object_get_int_member(answer, "return") != id) {
        g_set_error_literal(error, BENCH_ERROR, BENCH_ERROR_FAILED,
                            "qemu-ga did not answer guest-sync");
        return FALSE;
    }
    return TRUE;
}

/* Timing ------------------------------------------------------------------------------------- */

gboolean
bench_time_requests(BenchConn *conn, guint count, BenchRequestFunc request, BenchStats *ret_stats,
                    GError **error)
{
    g_autoptr(GArray) samples = g_array_sized_new(FALSE, FALSE, sizeof(gint64), count);

    for (guint i = 0; i < count; i++) {
        gint64 start = g_get_monotonic_time();
        gint64 answered;
        gint64 rtt;

        if (!request(conn, i, &answered, error)) {
            g_prefix_error(error, "request %u of %u: ", i + 1, count);
            return FALSE;
        }
        rtt = answered - start;
        g_array_append_val(samples, rtt);
    }
    bench_stats_compute(samples, ret_stats);
    return TRUE;
}
