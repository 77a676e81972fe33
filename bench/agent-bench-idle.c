/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Idle cost: both agents connected to a host that says nothing, side by side. Every wakeup
 * is at least one context switch, so the switches of all their threads count the wakeups.
 */
#include "agent-bench.h"

/* Rest after the first exchange before counting, so its work is over. */
#define SETTLE_MS 1000
/* Messages read after the idle period, at most. */
#define MAX_DRAINED 100000

typedef struct {
    const char *name;
    BenchPeer *peer;
    BenchConn *conn;
    guint64 switches_before;
    guint64 switches_after;
    guint threads;
    guint messages; /* sent by the agent while idle */
} Idler;

static void
idler_clear(Idler *idler)
{
    g_clear_pointer(&idler->conn, bench_conn_free);
    g_clear_pointer(&idler->peer, bench_peer_free);
}

static gboolean
start_vmlink(BenchContext *ctx, Idler *idler, GError **error)
{
    g_autofree char *socket = NULL;

    idler->name = "vmlink-agent";
    idler->peer = bench_start_vmlink(ctx, BENCH_NS_OWN, &socket, error);
    if (idler->peer == NULL) {
        return FALSE;
    }
    idler->conn = bench_conn_connect(idler->peer, socket, BENCH_CONNECT_TIMEOUT_MS, error);
    return idler->conn && bench_vmlink_handshake(idler->conn, error);
}

static gboolean
start_qemu_ga(BenchContext *ctx, Idler *idler, GError **error)
{
    g_autofree char *socket = NULL;

    idler->name = "qemu-ga";
    idler->peer = bench_start_qemu_ga(ctx, BENCH_NS_OWN, &socket, error);
    if (idler->peer == NULL) {
        return FALSE;
    }
    idler->conn = bench_conn_connect(idler->peer, socket, BENCH_CONNECT_TIMEOUT_MS, error);
    return idler->conn && bench_qga_sync(idler->conn, error);
}

static gboolean
count_switches(Idler *idler, guint64 *ret_switches, GError **error)
{
    if (!bench_proc_context_switches(bench_peer_pid(idler->peer), ret_switches, &idler->threads,
                                     error)) {
        g_prefix_error(error, "%s: ", idler->name);
        return FALSE;
    }
    return TRUE;
}

/* Reads what the agent sent while the benchmark slept. */
static gboolean
drain(Idler *idler, GError **error)
{
    for (guint i = 0; i < MAX_DRAINED; i++) {
        g_autoptr(GError) local_error = NULL;
        g_autofree char *line = bench_conn_recv(idler->conn, 0, NULL, &local_error);

        if (line == NULL) {
            if (g_error_matches(local_error, BENCH_ERROR, BENCH_ERROR_TIMEOUT)) {
                return bench_peer_check(idler->peer, error);
            }
            g_propagate_prefixed_error(error, g_steal_pointer(&local_error), "%s: ", idler->name);
            return FALSE;
        }
        idler->messages++;
    }
    return TRUE;
}

static guint64
wakeups(const Idler *idler)
{
    return idler->switches_after - idler->switches_before;
}

static void
write_report(BenchContext *ctx, const Idler *vmlink, const Idler *qga)
{
    g_string_append_printf(
        ctx->report,
        "### Idle cost\n\n"
        "Both agents run at the same time, each in network and mount namespaces of its own (so "
        "changes elsewhere on this shared machine do not reach them), with a host connected "
        "after the first exchange (vmlink-agent: hello handshake; qemu-ga: guest-sync) that "
        "then sends nothing. vmlink-agent's heartbeat is off (heartbeat-interval = 0). After "
        "%u ms of rest, the context switches (voluntary + involuntary) of all threads "
        "(/proc/PID/task/*/status) are counted over %u s; every wakeup is at least one.\n\n"
        "| Idle, host connected, %u s | vmlink-agent | qemu-ga |\n"
        "|---|---:|---:|\n"
        "| threads | %u | %u |\n"
        "| context switches (wakeups) | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " |\n"
        "| messages to the host | %u | %u |\n\n"
        "Goal (issue 4): zero wakeups of vmlink-agent with the heartbeat off: %s.\n\n",
        SETTLE_MS, ctx->idle_s, ctx->idle_s, vmlink->threads, qga->threads, wakeups(vmlink),
        wakeups(qga), vmlink->messages, qga->messages, wakeups(vmlink) == 0 ? "met" : "not met");
}

gboolean
bench_idle(BenchContext *ctx, GError **error)
{
    Idler vmlink = {0}, qga = {0};
    gboolean ok;

    g_print("idle cost: vmlink-agent and qemu-ga, %u s\n", ctx->idle_s);
    ok = start_vmlink(ctx, &vmlink, error) && start_qemu_ga(ctx, &qga, error) &&
         bench_sleep_ms(SETTLE_MS, error) &&
         count_switches(&vmlink, &vmlink.switches_before, error) &&
         count_switches(&qga, &qga.switches_before, error) &&
         bench_sleep_ms(ctx->idle_s * 1000, error) &&
         count_switches(&vmlink, &vmlink.switches_after, error) &&
         count_switches(&qga, &qga.switches_after, error) && drain(&vmlink, error) &&
         drain(&qga, error);
    if (ok) {
        write_report(ctx, &vmlink, &qga);
    }
    idler_clear(&vmlink);
    idler_clear(&qga);
    return ok;
}
