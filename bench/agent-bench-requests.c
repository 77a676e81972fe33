/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory and round trips: each agent's resident memory after its first exchange and after
 * many requests on one connection, and the round-trip time of each request.
 */
#include "agent-bench.h"
#include "bench-common.h"

/* Issue 4: vmlink-agent's resident memory at most this fraction of qemu-ga's. */
#define RSS_GOAL 0.75

static gboolean
vmlink_ping(BenchConn *conn, guint i, gint64 *ret_answer_time, GError **error)
{
    g_autofree char *id = g_strdup_printf("p%u", i);

    return bench_vmlink_command(conn, id, "ping", "{}", ret_answer_time, error);
}

static gboolean
qga_ping(BenchConn *conn, guint i, gint64 *ret_answer_time, GError **error)
{
    return bench_qga_execute(conn, "guest-ping", ret_answer_time, error);
}

static gboolean
qga_info(BenchConn *conn, guint i, gint64 *ret_answer_time, GError **error)
{
    return bench_qga_execute(conn, "guest-info", ret_answer_time, error);
}

/* Results ------------------------------------------------------------------------------------ */

typedef struct {
    BenchRss start;      /* after the first exchange */
    BenchRss after;      /* after the first series of requests */
    BenchRss after_more; /* qemu-ga: after the second series */
    BenchStats ping;
    BenchStats info; /* qemu-ga only */
} Figures;

static char *
format_rss(const BenchRss *rss)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT " KiB (anon %" G_GUINT64_FORMAT
                           ", file %" G_GUINT64_FORMAT ")",
                           rss->total, rss->anon, rss->file);
}

/* A row of the memory table: one figure of each agent, and their ratio. */
static void
memory_row(GString *out, const char *what, guint64 vmlink, guint64 qga, const char *vmlink_text,
           const char *qga_text)
{
    g_autofree char *v =
        vmlink_text ? g_strdup(vmlink_text) : g_strdup_printf("%" G_GUINT64_FORMAT " KiB", vmlink);
    g_autofree char *q =
        qga_text ? g_strdup(qga_text) : g_strdup_printf("%" G_GUINT64_FORMAT " KiB", qga);

    g_string_append_printf(out, "| %s | %s | %s | %.2fx |\n", what, v, q,
                           (double)vmlink / (double)qga);
}

static void
rss_row(GString *out, const char *what, const BenchRss *vmlink, const BenchRss *qga)
{
    g_autofree char *v = format_rss(vmlink);
    g_autofree char *q = format_rss(qga);

    memory_row(out, what, vmlink->total, qga->total, v, q);
}

static void
rtt_row(GString *out, const char *what, const BenchStats *s)
{
    g_autofree char *p50 = bench_format_us(s->p50);
    g_autofree char *p99 = bench_format_us(s->p99);
    g_autofree char *max = bench_format_us(s->max);

    g_string_append_printf(out, "| %s | %u | %s | %s | %s |\n", what, s->count, p50, p99, max);
}

static gboolean
rss_goal_met(const Figures *vmlink, const Figures *qga)
{
    return vmlink->start.total <= RSS_GOAL * (double)qga->start.total &&
           vmlink->after.total <= RSS_GOAL * (double)qga->after.total;
}

static void
write_report(BenchContext *ctx, const Figures *vmlink, const Figures *qga)
{
    GString *out = ctx->report;
    g_autofree char *after = g_strdup_printf(
        "VmRSS after %u requests (vmlink: ping; qemu-ga: guest-ping)", ctx->requests);
    g_autofree char *after_more =
        g_strdup_printf("VmRSS after %u more requests (qemu-ga: guest-info)", ctx->requests);
    g_autofree char *qga_more = format_rss(&qga->after_more);

    g_string_append_printf(
        out,
        "### Memory and request round trips\n\n"
        "Each agent is started on a UNIX socket and answers its first exchange (vmlink-agent: "
        "the hello handshake, its full report of every section and the agent_started event; "
        "qemu-ga: guest-sync). Then %u requests go one at a time over the same connection, each "
        "sent when the previous answer has arrived. VmRSS is from /proc/PID/status (anon: heap "
        "and stacks; file: the mapped program and libraries, shared with every other process "
        "that maps them). Private memory (USS: pages no other process maps, what stopping the "
        "agent would free) and PSS (each page divided among the processes mapping it) are from "
        "/proc/PID/smaps_rollup, so they depend on what else runs on the machine.\n\n"
        "| Memory | vmlink-agent | qemu-ga | vmlink-agent / qemu-ga |\n"
        "|---|---:|---:|---:|\n",
        ctx->requests);
    rss_row(out, "VmRSS after start (first exchange)", &vmlink->start, &qga->start);
    rss_row(out, after, &vmlink->after, &qga->after);
    memory_row(out, "private (USS), same moment", vmlink->after.private, qga->after.private, NULL,
               NULL);
    memory_row(out, "PSS, same moment", vmlink->after.pss, qga->after.pss, NULL, NULL);
    g_string_append_printf(out, "| %s | — | %s | — |\n", after_more, qga_more);
    g_string_append_printf(out,
                           "\nGoal (issue 4): VmRSS of vmlink-agent at most %.2fx qemu-ga's, after "
                           "start and after the requests: %s.\n\n"
                           "| Round trip, one request at a time | requests | median | p99 | max |\n"
                           "|---|---:|---:|---:|---:|\n",
                           RSS_GOAL, rss_goal_met(vmlink, qga) ? "met" : "not met");
    rtt_row(out, "vmlink-agent: ping", &vmlink->ping);
    rtt_row(out, "qemu-ga: guest-ping", &qga->ping);
    rtt_row(out, "qemu-ga: guest-info", &qga->info);
    g_string_append(out, "\n");
}

/* Runs --------------------------------------------------------------------------------------- */

static gboolean
run_vmlink(BenchContext *ctx, Figures *ret, GError **error)
{
    g_autofree char *socket = NULL;
    g_autoptr(BenchPeer) peer = bench_start_vmlink(ctx, BENCH_NS_SHARED, &socket, error);
    g_autoptr(BenchConn) conn = NULL;
    GPid pid;

    if (peer == NULL) {
        return FALSE;
    }
    pid = bench_peer_pid(peer);
    conn = bench_conn_connect(peer, socket, BENCH_CONNECT_TIMEOUT_MS, error);
    return conn && bench_vmlink_handshake(conn, error) && bench_proc_rss(pid, &ret->start, error) &&
           bench_time_requests(conn, ctx->requests, vmlink_ping, &ret->ping, error) &&
           bench_proc_rss(pid, &ret->after, error) && bench_peer_check(peer, error);
}

static gboolean
run_qemu_ga(BenchContext *ctx, Figures *ret, GError **error)
{
    g_autofree char *socket = NULL;
    g_autoptr(BenchPeer) peer = bench_start_qemu_ga(ctx, BENCH_NS_SHARED, &socket, error);
    g_autoptr(BenchConn) conn = NULL;
    GPid pid;

    if (peer == NULL) {
        return FALSE;
    }
    pid = bench_peer_pid(peer);
    conn = bench_conn_connect(peer, socket, BENCH_CONNECT_TIMEOUT_MS, error);
    return conn && bench_qga_sync(conn, error) && bench_proc_rss(pid, &ret->start, error) &&
           bench_time_requests(conn, ctx->requests, qga_ping, &ret->ping, error) &&
           bench_proc_rss(pid, &ret->after, error) &&
           bench_time_requests(conn, ctx->requests, qga_info, &ret->info, error) &&
           bench_proc_rss(pid, &ret->after_more, error) && bench_peer_check(peer, error);
}

gboolean
bench_requests(BenchContext *ctx, GError **error)
{
    Figures vmlink = {0}, qga = {0};

    g_print("memory and round trips: vmlink-agent, %u pings\n", ctx->requests);
    if (!run_vmlink(ctx, &vmlink, error)) {
        g_prefix_error(error, "vmlink-agent: ");
        return FALSE;
    }
    g_print("memory and round trips: qemu-ga, %u guest-ping, %u guest-info\n", ctx->requests,
            ctx->requests);
    if (!run_qemu_ga(ctx, &qga, error)) {
        g_prefix_error(error, "qemu-ga: ");
        return FALSE;
    }
    write_report(ctx, &vmlink, &qga);
    return TRUE;
}
