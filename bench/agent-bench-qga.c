/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU guest agent protocol (issue 8): vmlink-agent started as qemu-ga is (-m unix-listen
 * -p PATH) beside qemu-ga, the same commands asked of both the same way, one at a time on one
 * connection each: the round trip of each command, the CPU time each agent spends per request
 * (from /proc/PID/schedstat), and their resident memory.
 */
#include <errno.h>
#include <stdio.h>

#include "agent-bench.h"
#include "bench-common.h"

/* Issue 8's goals: CPU per request at most this fraction of qemu-ga's, RSS at most this. */
#define CPU_GOAL 0.5
#define RSS_GOAL 0.75

/* The commands timed: guest-info, the three the issue names, and the smallest for the cost of
 * the exchange itself. */
static const char *const commands[] = {"guest-get-host-name", "guest-info", "guest-get-osinfo",
                                       "guest-network-get-interfaces", "guest-get-fsinfo"};
#define N_COMMANDS G_N_ELEMENTS(commands)

typedef struct {
    BenchStats rtt[N_COMMANDS];
    double cpu_us[N_COMMANDS]; /* the agent's CPU time per request */
    BenchRss start;
    BenchRss after;
} Figures;

/* CPU time a process has used, in nanoseconds: schedstat's first field. */
static gboolean
cpu_time_ns(GPid pid, guint64 *ret_ns, GError **error)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/schedstat", pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;

    if (!g_file_get_contents(path, &text, NULL, error)) {
        return FALSE;
    }
    fields = g_strsplit(text, " ", 2);
    if (!g_ascii_string_to_unsigned(fields[0], 10, 0, G_MAXUINT64, ret_ns, NULL)) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: %s", path, text);
        return FALSE;
    }
    return TRUE;
}

static gboolean
time_command(BenchConn *conn, GPid pid, const char *command, guint count, BenchStats *ret_stats,
             double *ret_cpu_us, GError **error)
{
    g_autoptr(GArray) samples = g_array_sized_new(FALSE, FALSE, sizeof(gint64), count);
    guint64 cpu_before = 0;
    guint64 cpu_after = 0;

    /* One request first: whatever the first of a kind costs is not counted. */
    if (!bench_qga_execute(conn, command, NULL, error) || !cpu_time_ns(pid, &cpu_before, error)) {
        return FALSE;
    }
    for (guint i = 0; i < count; i++) {
        gint64 sent = g_get_monotonic_time();
        gint64 answered = 0;

        if (!bench_qga_execute(conn, command, &answered, error) || bench_interrupted(error)) {
            return FALSE;
        }
        g_array_append_val(samples, (gint64){answered - sent});
    }
    if (!cpu_time_ns(pid, &cpu_after, error)) {
        return FALSE;
    }
    bench_stats_compute(samples, ret_stats);
    *ret_cpu_us = (double)(cpu_after - cpu_before) / 1000.0 / count;
    return TRUE;
}

static gboolean
measure(BenchContext *ctx, BenchPeer *peer, const char *socket, Figures *ret, GError **error)
{
    g_autoptr(BenchConn) conn = NULL;
    GPid pid = bench_peer_pid(peer);

    conn = bench_conn_connect(peer, socket, BENCH_CONNECT_TIMEOUT_MS, error);
    if (conn == NULL || !bench_qga_sync(conn, error) || !bench_proc_rss(pid, &ret->start, error)) {
        return FALSE;
    }
    for (gsize c = 0; c < N_COMMANDS; c++) {
        if (!time_command(conn, pid, commands[c], ctx->requests, &ret->rtt[c], &ret->cpu_us[c],
                          error)) {
            g_prefix_error(error, "%s: ", commands[c]);
            return FALSE;
        }
    }
    return bench_proc_rss(pid, &ret->after, error) && bench_peer_check(peer, error);
}

/* A row of the memory table: each agent's figure in KiB and their ratio. */
static void
memory_row(GString *out, const char *what, guint64 vmlink, guint64 qga)
{
    g_string_append_printf(
        out, "| %s | %" G_GUINT64_FORMAT " KiB | %" G_GUINT64_FORMAT " KiB | %.2fx |\n", what,
        vmlink, qga, (double)vmlink / (double)qga);
}

static void
write_report(BenchContext *ctx, const Figures *v, const Figures *q)
{
    GString *out = ctx->report;
    gboolean cpu_met = TRUE;

    g_string_append_printf(
        out,
        "### The QEMU guest agent protocol\n\n"
        "vmlink-agent is started as scripts start qemu-ga (`-m unix-listen -p PATH`) and qemu-ga "
        "beside it; after guest-sync, %u requests of each command go one at a time over one "
        "connection to each, each sent when the previous answer has arrived. CPU is the agent's "
        "own time per request (user and system, /proc/PID/schedstat, over the whole series); "
        "the round trip also holds the benchmark's work and the kernel's.\n\n"
        "| Command | vmlink-agent median | p99 | qemu-ga median | p99 | vmlink-agent CPU | "
        "qemu-ga CPU | CPU ratio |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n",
        ctx->requests);
    for (gsize c = 0; c < N_COMMANDS; c++) {
        g_autofree char *vm = bench_format_us(v->rtt[c].p50);
        g_autofree char *v99 = bench_format_us(v->rtt[c].p99);
        g_autofree char *qm = bench_format_us(q->rtt[c].p50);
        g_autofree char *q99 = bench_format_us(q->rtt[c].p99);
        double ratio = v->cpu_us[c] / q->cpu_us[c];

        /* The goal is the commands': guest-get-host-name only shows the exchange. */
        if (!g_str_equal(commands[c], "guest-get-host-name")) {
            cpu_met = cpu_met && ratio <= CPU_GOAL;
        }
        g_string_append_printf(out, "| %s | %s | %s | %s | %s | %.1f µs | %.1f µs | %.2fx |\n",
                               commands[c], vm, v99, qm, q99, v->cpu_us[c], q->cpu_us[c], ratio);
    }
    g_string_append(out, "\n| Memory | vmlink-agent | qemu-ga | ratio |\n|---|---:|---:|---:|\n");
    memory_row(out, "VmRSS after guest-sync", v->start.total, q->start.total);
    memory_row(out, "VmRSS after the requests", v->after.total, q->after.total);
    memory_row(out, "of which files mapped (RssFile)", v->after.file, q->after.file);
    memory_row(out, "of which heap and stacks (RssAnon)", v->after.anon, q->after.anon);
    memory_row(out, "Private (USS) after the requests", v->after.private, q->after.private);
    memory_row(out, "PSS after the requests", v->after.pss, q->after.pss);
    g_string_append_printf(
        out,
        "\nGoals (issue 8): CPU per request at most %.2fx qemu-ga's: %s; VmRSS at most %.2fx "
        "qemu-ga's: %s. Most of VmRSS is the pages of shared libraries this process touched "
        "(RssFile), which every process using libc and GLib shares: qemu-ga links GLib too; "
        "vmlink-agent links also GObject, GIO and json-glib (and through GIO libmount, "
        "libblkid, libselinux, zlib) and PAM. Heap and stacks (RssAnon) are what the agent's "
        "own work costs.\n\n",
        CPU_GOAL, cpu_met ? "met" : "not met", RSS_GOAL,
        v->after.total <= RSS_GOAL * (double)q->after.total ? "met" : "not met");
}

gboolean
bench_qga(BenchContext *ctx, GError **error)
{
    Figures v = {0}, q = {0};
    g_autofree char *vsocket = NULL;
    g_autofree char *qsocket = NULL;

    {
        g_autoptr(BenchPeer) peer = bench_start_vmlink_qga(ctx, &vsocket, error);

        g_print("QEMU guest agent protocol: vmlink-agent, %u requests of each of %u commands\n",
                ctx->requests, (guint)N_COMMANDS);
        if (peer == NULL || !measure(ctx, peer, vsocket, &v, error)) {
            g_prefix_error(error, "vmlink-agent: ");
            return FALSE;
        }
    }
    {
        g_autoptr(BenchPeer) peer = bench_start_qemu_ga(ctx, BENCH_NS_SHARED, &qsocket, error);

        g_print("QEMU guest agent protocol: qemu-ga, the same\n");
        if (peer == NULL || !measure(ctx, peer, qsocket, &q, error)) {
            g_prefix_error(error, "qemu-ga: ");
            return FALSE;
        }
    }
    write_report(ctx, &v, &q);
    return TRUE;
}
