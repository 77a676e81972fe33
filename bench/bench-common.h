/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every benchmark needs: one error domain, an interruption flag set by SIGINT and
 * SIGTERM, statistics over samples, and a process's figures from /proc.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BENCH_ERROR (bench_error_quark())
GQuark bench_error_quark(void);

typedef enum {
    BENCH_ERROR_FAILED,      /* something did not work */
    BENCH_ERROR_TIMEOUT,     /* no answer in time */
    BENCH_ERROR_CLOSED,      /* the peer closed the connection or exited */
    BENCH_ERROR_INTERRUPTED, /* SIGINT or SIGTERM */
} BenchError;

/* Makes SIGINT and SIGTERM interrupt waits (they then fail with BENCH_ERROR_INTERRUPTED). */
void bench_catch_signals(void);
gboolean bench_interrupted(GError **error);
/* Sleeps, unless interrupted. */
gboolean bench_sleep_ms(guint ms, GError **error);

/* Figures of a set of samples, in microseconds; percentiles by nearest rank. */
typedef struct {
    guint count;
    gint64 p50;
    gint64 p90;
    gint64 p99;
    gint64 max;
} BenchStats;

/* Sorts samples (gint64 microseconds) in place and fills ret_stats. */
void bench_stats_compute(GArray *samples, BenchStats *ret_stats);
/* "51 µs", "2.31 ms", "1.20 s". */
char *bench_format_us(gint64 us);

/* Resident memory of a process, in KiB, from /proc/PID/status and smaps_rollup. */
typedef struct {
    guint64 total;   /* VmRSS */
    guint64 anon;    /* RssAnon: heap, stacks */
    guint64 file;    /* RssFile: mapped binaries and libraries */
    guint64 private; /* pages no other process maps (USS): what ending it would free */
    guint64 pss;     /* each page divided by the number of processes mapping it */
} BenchRss;

gboolean bench_proc_rss(GPid pid, BenchRss *ret_rss, GError **error);
/* Voluntary plus involuntary context switches of every thread of a process. */
gboolean bench_proc_context_switches(GPid pid, guint64 *ret_switches, guint *ret_threads,
                                     GError **error);

/*
 * Runs this process (and what it starts: children inherit it) on one CPU; cpu < 0 leaves it
 * to the scheduler. On one CPU a round trip costs the peers' work and two context switches,
 * not the wakeup of an idle CPU, which on these virtual machines costs more than the work
 * measured and varies from run to run.
 */
gboolean bench_pin_cpu(int cpu, GError **error);

/* Where a benchmark writes its Markdown report (NULL: standard output) and the samples of its
 * plot (NULL: nowhere). */
typedef struct {
    char *report_path;
    char *samples_path;
} BenchOutputs;

gboolean bench_write_outputs(const BenchOutputs *out, const GString *report, const GString *samples,
                             GError **error);

/* Removes a run's folder and everything in it (not following symbolic links); says on
 * standard error what it could not remove. */
void bench_remove_tree(const char *path);

G_END_DECLS
