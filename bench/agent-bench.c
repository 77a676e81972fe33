/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent-bench: measures vmlink-agent beside qemu-ga on this machine (memory, request round
 * trips, change-to-report latency, idle wakeups) and writes the figures as Markdown. Run by
 * bench/agent.sh (`./dev bench agent`), which adds the plot and updates docs/performance.md.
 */
#include <errno.h>
#include <locale.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "agent-bench.h"

static gboolean
parse_options(int *argc, char ***argv, BenchContext *ctx, BenchOutputs *out, GError **error)
{
    gint requests = 10000, changes = 200, polls = 1000, idle_s = 60, cpu = 0;
    gboolean qga = FALSE;
    const GOptionEntry entries[] = {
        {"agent", 0, 0, G_OPTION_ARG_FILENAME, &ctx->agent, "The vmlink-agent to measure", "PATH"},
        {"qemu-ga", 0, 0, G_OPTION_ARG_FILENAME, &ctx->qemu_ga,
         "The qemu-ga to compare with (default: qemu-ga in PATH)", "PATH"},
        {"requests", 0, 0, G_OPTION_ARG_INT, &requests,
         "Requests of each kind on one connection (default 10000)", "N"},
        {"changes", 0, 0, G_OPTION_ARG_INT, &changes,
         "Address changes, adds and removes alternating (default 200)", "N"},
        {"polls", 0, 0, G_OPTION_ARG_INT, &polls,
         "Network polls of each agent to time (default 1000)", "N"},
        {"idle-seconds", 0, 0, G_OPTION_ARG_INT, &idle_s,
         "How long the idle agents are watched (default 60)", "SECONDS"},
        {"cpu", 0, 0, G_OPTION_ARG_INT, &cpu,
         "Run the benchmark and every agent on this CPU (default 0; -1: let the scheduler "
         "choose)",
         "N"},
        {"qga", 0, 0, G_OPTION_ARG_NONE, &qga,
         "Only the QEMU guest agent protocol, both agents answering it (./dev bench qga)", NULL},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &out->report_path,
         "Write the Markdown report to FILE (default: standard output)", "FILE"},
        {"samples", 0, 0, G_OPTION_ARG_FILENAME, &out->samples_path,
         "Write the change-to-report latencies to FILE, for the plot", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);

    g_option_context_set_summary(context, "Measures vmlink-agent beside qemu-ga. Needs root "
                                          "(network namespaces).");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, argc, argv, error)) {
        return FALSE;
    }
    if (ctx->agent == NULL) {
        g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--agent is required");
        return FALSE;
    }
    if (requests < 1 || changes < 1 || polls < 1 || idle_s < 1 || requests > 10000000 ||
        changes > 100000 || polls > 1000000 || idle_s > 86400) {
        g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "--requests, --changes, --polls and --idle-seconds must be positive "
                            "and reasonable");
        return FALSE;
    }
    if (cpu < -1 || cpu >= CPU_SETSIZE) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no CPU %d", cpu);
        return FALSE;
    }
    ctx->cpu = cpu;
    ctx->requests = (guint)requests;
    ctx->changes = (guint)changes;
    ctx->polls = (guint)polls;
    ctx->idle_s = (guint)idle_s;
    ctx->qga = qga;
    if (ctx->qemu_ga == NULL) {
        ctx->qemu_ga = g_strdup("qemu-ga");
    }
    return TRUE;
}

static void
describe_run(BenchContext *ctx)
{
    if (ctx->cpu >= 0) {
        g_string_append_printf(ctx->report,
                               "The benchmark and every agent it starts run on CPU %d (`--cpu`): "
                               "a round trip then costs the agents' work and two context "
                               "switches, not the wakeup of an idle CPU, which on this virtual "
                               "machine costs more than that work and varies from run to run.\n\n",
                               ctx->cpu);
    } else {
        g_string_append(ctx->report,
                        "The scheduler placed the benchmark and the agents on any "
                        "CPU (`--cpu -1`): round trips include cross-CPU wakeups.\n\n");
    }
}

int
main(int argc, char **argv)
{
    BenchContext ctx = {0};
    BenchOutputs out = {0};
    g_autoptr(GError) error = NULL;
    gboolean ok;

    setlocale(LC_ALL, "");
    if (!parse_options(&argc, &argv, &ctx, &out, &error)) {
        g_printerr("agent-bench: %s (see --help)\n", error->message);
        return 2;
    }
    if (geteuid() != 0) {
        g_printerr("agent-bench: needs root: the agents run in network namespaces of their own "
                   "(unshare --net) and the benchmark changes addresses in them\n");
        return 2;
    }
    if (!bench_pin_cpu(ctx.cpu, &error)) {
        g_printerr("agent-bench: --cpu: %s\n", error->message);
        return 2;
    }
    ctx.tmpdir = g_dir_make_tmp("vmlink-bench-XXXXXX", &error);
    if (ctx.tmpdir == NULL) {
        g_printerr("agent-bench: %s\n", error->message);
        return 1;
    }
    ctx.report = g_string_new(NULL);
    ctx.samples = g_string_new(NULL);
    describe_run(&ctx);
    bench_catch_signals();

    if (ctx.qga) {
        ok = bench_qga(&ctx, &error);
    } else {
        ok = bench_requests(&ctx, &error) && bench_change(&ctx, &error) && bench_idle(&ctx, &error);
    }
    ok = ok && bench_write_outputs(&out, ctx.report, ctx.samples, &error);
    if (!ok) {
        g_printerr("agent-bench: %s\n", error->message);
    }

    /* Every peer has been stopped by now: each benchmark frees the ones it started. */
    bench_remove_tree(ctx.tmpdir);
    g_free(ctx.tmpdir);
    g_free(ctx.agent);
    g_free(ctx.qemu_ga);
    g_string_free(ctx.report, TRUE);
    g_string_free(ctx.samples, TRUE);
    g_free(out.report_path);
    g_free(out.samples_path);
    return ok ? 0 : 1;
}
