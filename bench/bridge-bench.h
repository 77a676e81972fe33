/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge-bench: vmlinkd, the host bridge, measured with scripted guests on UNIX sockets and
 * libvirt's test driver (no QEMU). Each benchmark appends its results, as Markdown, to the
 * context's report.
 */
#pragma once

#include <glib.h>

#include "bench-common.h"
#include "bench-peer.h"
#include "vl-client.h"

G_BEGIN_DECLS

typedef struct {
    /* Options */
    char *bridge;               /* the vmlinkd binary */
    GArray *channels;           /* guint: the numbers of channels to measure, ascending */
    guint messages;             /* heartbeats sent at each number of channels */
    guint lifecycle;            /* vm.start + vm.destroy pairs of each kind */
    guint qemu_rounds;          /* the same with a real VM under libvirtd (0: not measured) */
    int cpu;                    /* every process runs on this CPU; -1: anywhere */
    char *agent;                /* vmlink-agent, for the flood benchmark (NULL: not run) */
    const char *vmlinkd_config; /* bridge.conf of the next vmlinkd started; NULL: limits off */
    /* Run state */
    char *tmpdir;     /* sockets, node files, configurations and logs; removed at the end */
    guint serial;     /* numbers the folders of each vmlinkd started */
    GString *report;  /* Markdown */
    GString *samples; /* per number of channels: the figures of the plot */
} BridgeBench;

/* The benchmarks, in the order they run. */
gboolean bench_scale(BridgeBench *ctx, GError **error);
gboolean bench_lifecycle(BridgeBench *ctx, GError **error);
gboolean bench_lifecycle_qemu(BridgeBench *ctx, GError **error);
gboolean bench_flood(BridgeBench *ctx, GError **error);

/* vmlinkd and its libvirt domains (bridge-bench-vmlinkd.c) ------------------------------------ */

/* VM number i: its name and UUID in the node file. */
char *bench_vm_name(guint i);
char *bench_vm_uuid(guint i);

/*
 * Writes a libvirt test driver node file of count running domains. channels: the path of each
 * domain's vmlink channel socket, or NULL for domains without one.
 */
gboolean bench_write_node(const char *path, guint count, const char *const *channels,
                          GError **error);

typedef struct {
    BenchPeer *peer;
    char *folder;   /* its state, configuration, control socket and log */
    char *node;     /* the node file: libvirt URI test://NODE */
    char *control;  /* the local control socket */
    gint64 started; /* monotonic time of the spawn */
} BenchVmlinkd;

/*
 * Starts vmlinkd in the foreground on a new folder of ctx->tmpdir, on the node file written by
 * write_node (called with the folder's node path), rate limits off, allowed nofile descriptors.
 * write_node NULL: on qemu:///system, the real libvirtd.
 */
typedef gboolean (*BenchNodeFunc)(const char *node_path, gpointer user_data, GError **error);
BenchVmlinkd *bench_vmlinkd_start(BridgeBench *ctx, BenchNodeFunc write_node, gpointer user_data,
                                  guint nofile, GError **error);
void bench_vmlinkd_free(BenchVmlinkd *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BenchVmlinkd, bench_vmlinkd_free)
/* A client of its control socket, once it answers host.info (then it knows every domain). */
VlClient *bench_vmlinkd_client(BenchVmlinkd *v, GError **error);
/* Calls method; the result, or NULL with the error prefixed by the method. */
VlJson *bench_call(VlClient *client, const char *method, const VlJson *params, GError **error);
/* {"vm": VM}, and sections when not NULL. */
VlJson *bench_params_vm(const char *vm, const char *section);

/* A process's figures from /proc ----------------------------------------------------------------
 */

/* Time on a CPU of every live thread, in microseconds (utime + stime, to the nanosecond). */
gboolean bench_proc_cpu_us(GPid pid, guint64 *ret_us, GError **error);
/* User and kernel time of the whole process (its threads, live and ended), in microseconds,
 * from /proc/PID/stat: clock ticks, so only good over seconds. */
gboolean bench_proc_cpu_split_us(GPid pid, guint64 *ret_user_us, guint64 *ret_kernel_us,
                                 GError **error);
/* Open file descriptors and threads. */
gboolean bench_proc_counts(GPid pid, guint *ret_fds, guint *ret_threads, GError **error);

/* Scripted guests (bridge-bench-guests.c)
 * ---------------------------------------------------------- */

typedef struct _BenchGuests BenchGuests;

/* count listening sockets in folder, socket i the channel of VM i. */
BenchGuests *bench_guests_new(const char *folder, guint count, GError **error);
void bench_guests_free(BenchGuests *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BenchGuests, bench_guests_free)
const char *const *bench_guests_paths(BenchGuests *g);
/* Accepts vmlinkd's connections and answers every hello until each guest has answered one;
 * ret_first: monotonic time of the first connection. */
gboolean bench_guests_handshake(BenchGuests *g, BenchPeer *bridge, guint timeout_ms,
                                gint64 *ret_first, GError **error);

typedef struct {
    guint64 sent;    /* heartbeats written */
    guint64 min_per; /* fewest written to one channel */
    guint64 max_per; /* most written to one channel */
    guint64 late;    /* paced: heartbeats not sent, the channel's previous one still unread */
} BenchSendStats;

/*
 * Writes count heartbeats over every channel, one write per heartbeat, keeping one waiting in
 * each channel: a channel gets its next heartbeat as soon as vmlinkd has read the previous one.
 * Returns when vmlinkd has read them all. Once per run of vmlinkd: the connections' readiness is
 * watched for writing from then on.
 */
gboolean bench_guests_send(BenchGuests *g, BenchPeer *bridge, guint64 count,
                           BenchSendStats *ret_stats, GError **error);
/* Writes heartbeats for duration_ms at the pace of real agents: each channel one every
 * interval_ms, the channels evenly spread over the interval. */
gboolean bench_guests_pace(BenchGuests *g, BenchPeer *bridge, guint interval_ms, guint duration_ms,
                           BenchSendStats *ret_stats, GError **error);
/* What guest i sent last: its heartbeats so far, and memory.available_kib of the last one. */
guint64 bench_guests_sent(BenchGuests *g, guint i);
guint64 bench_guests_last_value(BenchGuests *g, guint i);
/* Accepts and closes every connection waiting on the listeners (lifecycle: the channel of a VM
 * that has been destroyed). */
void bench_guests_drop_pending(BenchGuests *g);

#define BENCH_HANDSHAKE_TIMEOUT_MS 300000
#define BENCH_CALL_TIMEOUT_MS 60000

G_END_DECLS
