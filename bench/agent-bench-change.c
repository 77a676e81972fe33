/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Change to report: how long after an address changes in the guest's network namespace the
 * host holds a report that shows it. vmlink-agent pushes; qemu-ga can only be polled, so for
 * it the figure is the polling interval, and the benchmark times one poll.
 */
#include "agent-bench.h"
#include "bench-netns.h"

/* Between two changes, so each one starts from an agent at rest. */
#define GAP_MS 10
/* Issue 4: a change reaches the host within this at p99. */
#define P99_GOAL_MS 20
/* Network reports read while waiting for one change, at most. */
#define MAX_REPORTS 100

/* Whether a network section lists the address on lo. */
static gboolean
lo_has_address(JsonObject *network, const char *address)
{
    JsonArray *interfaces;

    if (!json_object_has_member(network, "interfaces")) {
        return FALSE;
    }
    interfaces = json_object_get_array_member(network, "interfaces");
    for (guint i = 0; interfaces && i < json_array_get_length(interfaces); i++) {
        JsonObject *iface = json_array_get_object_element(interfaces, i);
        JsonArray *addresses;

        if (iface == NULL ||
            g_strcmp0(json_object_get_string_member_with_default(iface, "name", NULL), "lo") ||
            !json_object_has_member(iface, "addresses")) {
            continue;
        }
        addresses = json_object_get_array_member(iface, "addresses");
        for (guint j = 0; addresses && j < json_array_get_length(addresses); j++) {
            JsonObject *a = json_array_get_object_element(addresses, j);

            if (a && g_strcmp0(json_object_get_string_member_with_default(a, "address", NULL),
                               address) == 0) {
                return TRUE;
            }
        }
    }
    return FALSE;
}

/* The network section of a report message, or NULL. */
static JsonObject *
network_section(JsonObject *m)
{
    JsonObject *sections;

    if (g_strcmp0(json_object_get_string_member_with_default(m, "type", NULL), "report") ||
        !json_object_has_member(m, "sections")) {
        return NULL;
    }
    sections = json_object_get_object_member(m, "sections");
    if (sections == NULL || !json_object_has_member(sections, "network")) {
        return NULL;
    }
    return json_object_get_object_member(sections, "network");
}

/* Reads messages until a network report shows the address present (or absent), counting the
 * network reports read in *reports. */
static gboolean
wait_for_report(BenchConn *conn, const char *address, gboolean present, gint64 *ret_time,
                guint *reports, GError **error)
{
    for (guint i = 0; i < MAX_REPORTS; i++) {
        g_autoptr(JsonObject) m = bench_recv_object(conn, ret_time, error);
        JsonObject *network;

        if (m == NULL) {
            g_prefix_error(error, "waiting for a report %s %s: ", present ? "with" : "without",
                           address);
            return FALSE;
        }
        network = network_section(m);
        if (network == NULL) {
            continue;
        }
        (*reports)++;
        if (lo_has_address(network, address) == present) {
            return TRUE;
        }
    }
    g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%u reports, none %s %s", MAX_REPORTS,
                present ? "with" : "without", address);
    return FALSE;
}

typedef struct {
    GArray *added;   /* latencies, µs */
    GArray *removed; /* latencies, µs */
    GArray *all;     /* latencies, µs */
    guint reports;   /* network reports received */
} Changes;

static gboolean
make_changes(BenchContext *ctx, BenchConn *conn, BenchNetns *ns, Changes *c, GError **error)
{
    for (guint i = 0; i < ctx->changes; i++) {
        gboolean add = i % 2 == 0;
        g_autofree char *address = g_strdup_printf("198.51.100.%u", 1 + (i / 2) % 254);
        gint64 start, arrived, latency;

        if (!bench_sleep_ms(GAP_MS, error)) {
            return FALSE;
        }
        start = g_get_monotonic_time();
        if (!bench_netns_set_address(ns, address, add, error) ||
            !wait_for_report(conn, address, add, &arrived, &c->reports, error)) {
            g_prefix_error(error, "change %u of %u: ", i + 1, ctx->changes);
            return FALSE;
        }
        latency = arrived - start;
        g_array_append_val(add ? c->added : c->removed, latency);
        g_array_append_val(c->all, latency);
    }
    return TRUE;
}

/* A refresh of the network section: the command, then the report it asks for. */
static gboolean
vmlink_refresh_network(BenchConn *conn, guint i, gint64 *ret_answer_time, GError **error)
{
    g_autofree char *id = g_strdup_printf("r%u", i);

    if (!bench_vmlink_command(conn, id, "refresh", "{\"sections\":[\"network\"]}", NULL, error)) {
        return FALSE;
    }
    for (guint n = 0; n < MAX_REPORTS; n++) {
        g_autoptr(JsonObject) m = bench_recv_object(conn, ret_answer_time, error);

        if (m == NULL) {
            return FALSE;
        }
        if (network_section(m)) {
            return TRUE;
        }
    }
    g_set_error_literal(error, BENCH_ERROR, BENCH_ERROR_FAILED, "no report after refresh");
    return FALSE;
}

static gboolean
qga_poll(BenchConn *conn, guint i, gint64 *ret_answer_time, GError **error)
{
    return bench_qga_execute(conn, "guest-network-get-interfaces", ret_answer_time, error);
}

static gboolean
run_vmlink(BenchContext *ctx, Changes *c, BenchStats *ret_refresh, GError **error)
{
    g_autofree char *socket = NULL;
    g_autoptr(BenchPeer) peer = bench_start_vmlink(ctx, BENCH_NS_OWN, &socket, error);
    g_autoptr(BenchConn) conn = NULL;
    g_autoptr(BenchNetns) ns = NULL;

    if (peer == NULL) {
        return FALSE;
    }
    conn = bench_conn_connect(peer, socket, BENCH_CONNECT_TIMEOUT_MS, error);
    if (conn == NULL || !bench_vmlink_handshake(conn, error)) {
        return FALSE;
    }
    ns = bench_netns_open(bench_peer_pid(peer), error);
    return ns && make_changes(ctx, conn, ns, c, error) &&
           bench_time_requests(conn, ctx->polls, vmlink_refresh_network, ret_refresh, error) &&
           bench_peer_check(peer, error);
}

static gboolean
run_qemu_ga(BenchContext *ctx, BenchStats *ret_poll, GError **error)
{
    g_autofree char *socket = NULL;
    g_autoptr(BenchPeer) peer = bench_start_qemu_ga(ctx, BENCH_NS_OWN, &socket, error);
    g_autoptr(BenchConn) conn = NULL;

    if (peer == NULL) {
        return FALSE;
    }
    conn = bench_conn_connect(peer, socket, BENCH_CONNECT_TIMEOUT_MS, error);
    return conn && bench_qga_sync(conn, error) &&
           bench_time_requests(conn, ctx->polls, qga_poll, ret_poll, error) &&
           bench_peer_check(peer, error);
}

/* Report ------------------------------------------------------------------------------------- */

static void
latency_row(GString *out, const char *what, GArray *samples)
{
    BenchStats s;
    g_autofree char *p50 = NULL, *p90 = NULL, *p99 = NULL, *max = NULL;

    bench_stats_compute(samples, &s);
    p50 = bench_format_us(s.p50);
    p90 = bench_format_us(s.p90);
    p99 = bench_format_us(s.p99);
    max = bench_format_us(s.max);
    g_string_append_printf(out, "| %s | %u | %s | %s | %s | %s |\n", what, s.count, p50, p90, p99,
                           max);
}

/* One block of the plot's data: the cumulative distribution of some latencies. */
static void
write_distribution(GString *out, const char *what, GArray *samples)
{
    BenchStats s;

    bench_stats_compute(samples, &s); /* sorts */
    g_string_append_printf(out, "# %s: latency_ms percent_within\n", what);
    for (guint i = 0; i < samples->len; i++) {
        g_string_append_printf(out, "%.3f %.2f\n", (double)g_array_index(samples, gint64, i) / 1000,
                               100.0 * (i + 1) / samples->len);
    }
    g_string_append(out, "\n\n");
}

static void
write_report(BenchContext *ctx, Changes *c, const BenchStats *refresh, const BenchStats *poll)
{
    GString *out = ctx->report;
    g_autofree char *refresh_p50 = bench_format_us(refresh->p50);
    g_autofree char *refresh_p99 = bench_format_us(refresh->p99);
    g_autofree char *poll_p50 = bench_format_us(poll->p50);
    g_autofree char *poll_p99 = bench_format_us(poll->p99);
    BenchStats all;

    bench_stats_compute(c->all, &all);

    g_string_append_printf(
        out,
        "### Change to report\n\n"
        "vmlink-agent runs in network and mount namespaces of its own (`unshare --net "
        "--mount`) with a host connected. The benchmark adds an IPv4 address from "
        "198.51.100.0/24 to lo in that namespace, then removes it again: %u changes in all, "
        "%u ms apart, each made over rtnetlink from a socket opened once inside the namespace "
        "(no program started per change). A change's latency runs from just before the "
        "rtnetlink request to the arrival of the partial report whose network section shows "
        "the change.\n\n"
        "| Change to report, vmlink-agent | changes | p50 | p90 | p99 | max |\n"
        "|---|---:|---:|---:|---:|---:|\n",
        ctx->changes, GAP_MS);
    latency_row(out, "address added", c->added);
    latency_row(out, "address removed", c->removed);
    latency_row(out, "all changes", c->all);
    g_string_append_printf(
        out,
        "\nGoal (issue 4): p99 under %u ms over all changes: %s. Network reports received: %u "
        "for %u changes.\n\n"
        "![Change-to-report latency of vmlink-agent: cumulative distribution]"
        "(agent-change-latency.svg)\n\n"
        "| How the host learns of a change | vmlink-agent | qemu-ga |\n"
        "|---|---|---|\n"
        "| mechanism | the agent pushes a partial report | none: the host polls "
        "guest-network-get-interfaces |\n"
        "| delay until the host knows | the latencies above | up to the polling interval (5 s "
        "or more in the managers that poll), half of it on average |\n"
        "| one poll, round trip (%u, one at a time; p50 / p99) | refresh of the network "
        "section: %s / %s | guest-network-get-interfaces: %s / %s |\n\n"
        "Both polls run in a namespace of the agent's own, where lo is the only interface.\n\n",
        P99_GOAL_MS, all.p99 < P99_GOAL_MS * 1000 ? "met" : "not met", c->reports, ctx->changes,
        ctx->polls, refresh_p50, refresh_p99, poll_p50, poll_p99);
}

gboolean
bench_change(BenchContext *ctx, GError **error)
{
    Changes c = {
        .added = g_array_new(FALSE, FALSE, sizeof(gint64)),
        .removed = g_array_new(FALSE, FALSE, sizeof(gint64)),
        .all = g_array_new(FALSE, FALSE, sizeof(gint64)),
    };
    BenchStats refresh, poll;
    gboolean ok;

    g_print("change to report: vmlink-agent, %u address changes, %u network refreshes\n",
            ctx->changes, ctx->polls);
    ok = run_vmlink(ctx, &c, &refresh, error);
    if (!ok) {
        g_prefix_error(error, "vmlink-agent: ");
    } else {
        g_print("change to report: qemu-ga, %u guest-network-get-interfaces polls\n", ctx->polls);
        ok = run_qemu_ga(ctx, &poll, error);
        if (!ok) {
            g_prefix_error(error, "qemu-ga: ");
        }
    }
    if (ok) {
        write_report(ctx, &c, &refresh, &poll);
        write_distribution(ctx->samples, "all changes", c.all);
        write_distribution(ctx->samples, "address added", c.added);
        write_distribution(ctx->samples, "address removed", c.removed);
    }
    g_array_unref(c.added);
    g_array_unref(c.removed);
    g_array_unref(c.all);
    return ok;
}
