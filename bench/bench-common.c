/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bench-common.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* clang-format off */
G_DEFINE_QUARK(bench-error-quark, bench_error)
/* clang-format on */

/* Set by the handler only; the waits notice it when poll() returns EINTR. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int signo)
{
    interrupted = 1;
}

void
bench_catch_signals(void)
{
    /* No SA_RESTART, so a wait returns at once; a second signal kills as usual. */
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESETHAND};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

gboolean
bench_interrupted(GError **error)
{
    if (!interrupted) {
        return FALSE;
    }
    g_set_error_literal(error, BENCH_ERROR, BENCH_ERROR_INTERRUPTED, "interrupted");
    return TRUE;
}

gboolean
bench_sleep_ms(guint ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    gint64 left;

    while ((left = deadline - g_get_monotonic_time()) > 0) {
        if (bench_interrupted(error)) {
            return FALSE;
        }
        poll(NULL, 0, (int)((left + 999) / 1000));
    }
    return !bench_interrupted(error);
}

/* Statistics -------------------------------------------------------------------------------- */

static int
compare_gint64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a;
    gint64 y = *(const gint64 *)b;

    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p percent of the samples at or below it. */
static gint64
percentile(GArray *sorted, guint p)
{
    gsize rank = (sorted->len * (gsize)p + 99) / 100;

    return g_array_index(sorted, gint64, rank > 0 ? rank - 1 : 0);
}

void
bench_stats_compute(GArray *samples, BenchStats *ret_stats)
{
    *ret_stats = (BenchStats){.count = samples->len};
    if (samples->len == 0) {
        return;
    }
    g_array_sort(samples, compare_gint64);
    ret_stats->p50 = percentile(samples, 50);
    ret_stats->p90 = percentile(samples, 90);
    ret_stats->p99 = percentile(samples, 99);
    ret_stats->max = g_array_index(samples, gint64, samples->len - 1);
}

char *
bench_format_us(gint64 us)
{
    if (us < 1000) {
        return g_strdup_printf("%" G_GINT64_FORMAT " µs", us);
    }
    if (us < G_USEC_PER_SEC) {
        return g_strdup_printf("%.2f ms", (double)us / 1000);
    }
    return g_strdup_printf("%.2f s", (double)us / G_USEC_PER_SEC);
}

/* /proc ------------------------------------------------------------------------------------- */

/* The number after "KEY:" in a /proc status file, or FALSE when the key is missing. */
static gboolean
status_field(const char *status, const char *key, guint64 *ret_value)
{
    g_autofree char *prefix = g_strconcat("\n", key, ":", NULL);
    const char *p = strstr(status, prefix);

    if (p == NULL) {
        return FALSE;
    }
    *ret_value = g_ascii_strtoull(p + strlen(prefix), NULL, 10);
    return TRUE;
}

static char *
read_proc_file(const char *path, GError **error)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, error)) {
        return NULL;
    }
    /* A leading newline lets status_field() match the first line too. */
    return g_strconcat("\n", text, NULL);
}

gboolean
bench_proc_rss(GPid pid, BenchRss *ret_rss, GError **error)
{
    g_autofree char *status_path = g_strdup_printf("/proc/%d/status", pid);
    g_autofree char *rollup_path = g_strdup_printf("/proc/%d/smaps_rollup", pid);
    g_autofree char *status = read_proc_file(status_path, error);
    g_autofree char *rollup = status ? read_proc_file(rollup_path, error) : NULL;
    guint64 clean = 0, dirty = 0;

    if (rollup == NULL) {
        return FALSE;
    }
    if (!status_field(status, "VmRSS", &ret_rss->total) ||
        !status_field(status, "RssAnon", &ret_rss->anon) ||
        !status_field(status, "RssFile", &ret_rss->file) ||
        !status_field(rollup, "Pss", &ret_rss->pss) ||
        !status_field(rollup, "Private_Clean", &clean) ||
        !status_field(rollup, "Private_Dirty", &dirty)) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "no memory figures in %s or %s",
                    status_path, rollup_path);
        return FALSE;
    }
    ret_rss->private = clean + dirty;
    return TRUE;
}

gboolean
bench_proc_context_switches(GPid pid, guint64 *ret_switches, guint *ret_threads, GError **error)
{
    g_autofree char *folder = g_strdup_printf("/proc/%d/task", pid);
    g_autoptr(GDir) dir = g_dir_open(folder, 0, error);
    const char *task;

    if (dir == NULL) {
        return FALSE;
    }
    *ret_switches = 0;
    *ret_threads = 0;
    while ((task = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(folder, task, "status", NULL);
        g_autoptr(GError) local_error = NULL;
        g_autofree char *status = read_proc_file(path, &local_error);
        guint64 voluntary = 0, involuntary = 0;

        /* A thread that ended since the folder was listed no longer counts. */
        if (status == NULL) {
            continue;
        }
        if (!status_field(status, "voluntary_ctxt_switches", &voluntary) ||
            !status_field(status, "nonvoluntary_ctxt_switches", &involuntary)) {
            g_set_error(error, BENCH_ERROR, BENCH_ERROR_FAILED, "no context switches in %s", path);
            return FALSE;
        }
        *ret_switches += voluntary + involuntary;
        (*ret_threads)++;
    }
    if (*ret_threads == 0) {
        g_set_error(error, BENCH_ERROR, BENCH_ERROR_CLOSED, "process %d has ended", pid);
        return FALSE;
    }
    return TRUE;
}

gboolean
bench_pin_cpu(int cpu, GError **error)
{
    cpu_set_t set;

    if (cpu < 0) {
        return TRUE;
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "cannot run on CPU %d: %s",
                    cpu, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

void
bench_remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK)) {
            bench_remove_tree(child);
        } else if (unlink(child) < 0) {
            g_printerr("%s: cannot remove %s: %s\n", g_get_prgname(), child, g_strerror(errno));
        }
    }
    if (rmdir(path) < 0) {
        g_printerr("%s: cannot remove %s: %s\n", g_get_prgname(), path, g_strerror(errno));
    }
}

gboolean
bench_write_outputs(const BenchOutputs *out, const GString *report, const GString *samples,
                    GError **error)
{
    if (out->samples_path && !g_file_set_contents(out->samples_path, samples->str, -1, error)) {
        return FALSE;
    }
    if (out->report_path) {
        return g_file_set_contents(out->report_path, report->str, -1, error);
    }
    fputs(report->str, stdout);
    return TRUE;
}
