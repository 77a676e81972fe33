/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge-bench: measures vmlinkd with scripted guests and libvirt's test driver (CPU per
 * message and memory per channel from a few to thousands of channels, lifecycle calls through
 * vmlinkd against libvirt directly) and writes the figures as Markdown. Run by bench/bridge.sh
 * (`./dev bench bridge`), which adds the plot and updates docs/performance.md.
 */
#include <errno.h>
#include <locale.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "bridge-bench.h"

/* "10,100,1000" into ascending counts. */
static gboolean
parse_channels(const char *text, GArray *ret_counts, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);

    for (guint i = 0; parts[i]; i++) {
        guint64 n;

        if (!g_ascii_string_to_unsigned(g_strstrip(parts[i]), 10, 1, 100000, &n, NULL) ||
            (ret_counts->len > 0 && n <= g_array_index(ret_counts, guint, ret_counts->len - 1))) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--channels: \"%s\" is not a list of ascending numbers from 1 to 100000",
                        text);
            return FALSE;
        }
        g_array_append_val(ret_counts, (guint){(guint)n});
    }
    if (ret_counts->len == 0) {
        g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "--channels: no numbers");
        return FALSE;
    }
    return TRUE;
}

static gboolean
parse_options(int *argc, char ***argv, BridgeBench *ctx, BenchOutputs *out, GError **error)
{
    g_autofree char *channels = NULL;
    gint messages = 300000, lifecycle = 1000, qemu = 20, cpu = 0;
    const GOptionEntry entries[] = {
        {"bridge", 0, 0, G_OPTION_ARG_FILENAME, &ctx->bridge, "The vmlinkd to measure", "PATH"},
        {"agent", 0, 0, G_OPTION_ARG_FILENAME, &ctx->agent,
         "vmlink-agent, for a flooding guest beside a quiet one (default: not measured)", "PATH"},
        {"channels", 0, 0, G_OPTION_ARG_STRING, &channels,
         "Numbers of channels (VMs) to measure, ascending (default 10,100,1000,5000)", "N,N,..."},
        {"messages", 0, 0, G_OPTION_ARG_INT, &messages,
         "Heartbeats sent at each number of channels (default 300000)", "N"},
        {"lifecycle", 0, 0, G_OPTION_ARG_INT, &lifecycle,
         "vm.start + vm.destroy pairs through vmlinkd and directly (default 1000)", "N"},
        {"qemu-lifecycle", 0, 0, G_OPTION_ARG_INT, &qemu,
         "The same pairs with a real VM under libvirtd, qemu:///system (default 20; 0: skip)", "N"},
        {"cpu", 0, 0, G_OPTION_ARG_INT, &cpu,
         "Run the benchmark and vmlinkd on this CPU (default 0; -1: let the scheduler choose)",
         "N"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &out->report_path,
         "Write the Markdown report to FILE (default: standard output)", "FILE"},
        {"samples", 0, 0, G_OPTION_ARG_FILENAME, &out->samples_path,
         "Write the per-channel figures to FILE, for the plot", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);

    g_option_context_set_summary(context,
                                 "Measures vmlinkd with scripted guests on UNIX sockets and "
                                 "libvirt's test driver. Run as root.");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, argc, argv, error)) {
        return FALSE;
    }
    if (ctx->bridge == NULL) {
        g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--bridge is required");
        return FALSE;
    }
    if (messages < 1 || lifecycle < 1 || messages > 100000000 || lifecycle > 1000000) {
        g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "--messages and --lifecycle must be positive and reasonable");
        return FALSE;
    }
    if (cpu < -1 || cpu >= CPU_SETSIZE) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no CPU %d", cpu);
        return FALSE;
    }
    ctx->channels = g_array_new(FALSE, FALSE, sizeof(guint));
    if (!parse_channels(channels ? channels : "10,100,1000,5000", ctx->channels, error)) {
        return FALSE;
    }
    ctx->messages = (guint)messages;
    ctx->lifecycle = (guint)lifecycle;
    ctx->qemu_rounds = (guint)CLAMP(qemu, 0, 1000);
    ctx->cpu = cpu;
    return TRUE;
}

static void
describe_run(BridgeBench *ctx)
{
    if (ctx->cpu >= 0) {
        g_string_append_printf(ctx->report,
                               "The benchmark and vmlinkd, with all its threads, run on CPU %d "
                               "(`--cpu`): \"on one core\", and vmlinkd's CPU time is its own "
                               "work, not the wakeup of an idle CPU, which on this virtual "
                               "machine costs more than that work and varies from run to "
                               "run.\n\n",
                               ctx->cpu);
    } else {
        g_string_append(ctx->report, "The scheduler placed the benchmark and vmlinkd on any CPU "
                                     "(`--cpu -1`).\n\n");
    }
}

int
main(int argc, char **argv)
{
    BridgeBench ctx = {0};
    BenchOutputs out = {0};
    g_autoptr(GError) error = NULL;
    gboolean ok;

    setlocale(LC_ALL, "");
    if (!parse_options(&argc, &argv, &ctx, &out, &error)) {
        g_printerr("bridge-bench: %s (see --help)\n", error->message);
        return 2;
    }
    if (geteuid() != 0) {
        g_printerr("bridge-bench: needs root: it raises its own and vmlinkd's descriptor "
                   "limits for thousands of channels\n");
        return 2;
    }
    if (!bench_pin_cpu(ctx.cpu, &error)) {
        g_printerr("bridge-bench: --cpu: %s\n", error->message);
        return 2;
    }
    ctx.tmpdir = g_dir_make_tmp("vmlink-bridge-bench-XXXXXX", &error);
    if (ctx.tmpdir == NULL) {
        g_printerr("bridge-bench: %s\n", error->message);
        return 1;
    }
    ctx.report = g_string_new(NULL);
    ctx.samples = g_string_new(NULL);
    describe_run(&ctx);
    bench_catch_signals();

    ok = bench_scale(&ctx, &error) && bench_lifecycle(&ctx, &error) &&
         bench_lifecycle_qemu(&ctx, &error) && bench_flood(&ctx, &error) &&
         bench_write_outputs(&out, ctx.report, ctx.samples, &error);
    if (!ok) {
        g_printerr("bridge-bench: %s\n", error->message);
    }

    /* Every vmlinkd has been stopped by now: each benchmark frees the ones it started. */
    bench_remove_tree(ctx.tmpdir);
    g_free(ctx.tmpdir);
    g_free(ctx.bridge);
    g_free(ctx.agent);
    g_array_unref(ctx.channels);
    g_string_free(ctx.report, TRUE);
    g_string_free(ctx.samples, TRUE);
    g_free(out.report_path);
    g_free(out.samples_path);
    return ok ? 0 : 1;
}
