/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent-bench: vmlink-agent measured beside qemu-ga. Each benchmark appends its results, as
 * Markdown, to the context's report.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "bench-common.h"
#include "bench-peer.h"

G_BEGIN_DECLS

typedef struct {
    /* Options */
    char *agent;   /* the vmlink-agent binary */
    char *qemu_ga; /* the qemu-ga binary */
    guint requests;
    guint changes;
    guint polls;
    guint idle_s;
    int cpu;      /* every process runs on this CPU; -1: anywhere */
    gboolean qga; /* only bench_qga */
    /* Run state */
    char *tmpdir;     /* sockets, configurations and logs; removed at the end */
    guint serial;     /* numbers the sockets and logs of each peer started */
    GString *report;  /* Markdown */
    GString *samples; /* distributions of change-to-report latencies, for the plot */
} BenchContext;

/* The benchmarks, in the order they run. */
gboolean bench_requests(BenchContext *ctx, GError **error);
gboolean bench_change(BenchContext *ctx, GError **error);
gboolean bench_idle(BenchContext *ctx, GError **error);
/* Run alone (--qga, ./dev bench qga): the QEMU guest agent protocol beside qemu-ga. */
gboolean bench_qga(BenchContext *ctx, GError **error);

/* Starting the agents (agent-bench-peers.c) */

/* How a peer runs: in the benchmark's namespaces, or in new ones (`unshare --net --mount`). */
typedef enum {
    BENCH_NS_SHARED,
    BENCH_NS_OWN,
} BenchNamespaces;

/* vmlink-agent with heartbeats off, listening on a new socket (returned in ret_socket). */
BenchPeer *bench_start_vmlink(BenchContext *ctx, BenchNamespaces ns, char **ret_socket,
                              GError **error);
/* vmlink-agent started as qemu-ga is (-m unix-listen -p SOCKET), heartbeats off. */
BenchPeer *bench_start_vmlink_qga(BenchContext *ctx, char **ret_socket, GError **error);
/* qemu-ga listening on a new socket, with a state folder of its own. */
BenchPeer *bench_start_qemu_ga(BenchContext *ctx, BenchNamespaces ns, char **ret_socket,
                               GError **error);

/* Talking to them */

/* The guest channel's opening: the agent's hello, the host's, then the agent's hello, full
 * report and agent_started event. */
gboolean bench_vmlink_handshake(BenchConn *conn, GError **error);
/* The next message, as a JSON object; ret_time: when it arrived. */
JsonObject *bench_recv_object(BenchConn *conn, gint64 *ret_time, GError **error);
/* Sends a command and waits for its reply; ret_time: when the reply arrived. */
gboolean bench_vmlink_command(BenchConn *conn, const char *id, const char *name,
                              const char *args_json, gint64 *ret_time, GError **error);
/* Runs a qemu-ga command without arguments; ret_time: when its answer arrived. */
gboolean bench_qga_execute(BenchConn *conn, const char *command, gint64 *ret_time, GError **error);
/* qemu-ga's opening: guest-sync with a random id. */
gboolean bench_qga_sync(BenchConn *conn, GError **error);

/* One request of a timed series: sends request number i and waits for its answer. */
typedef gboolean (*BenchRequestFunc)(BenchConn *conn, guint i, gint64 *ret_answer_time,
                                     GError **error);
/* Sends count requests one after the other; the statistics of their round trips. */
gboolean bench_time_requests(BenchConn *conn, guint count, BenchRequestFunc request,
                             BenchStats *ret_stats, GError **error);

#define BENCH_CONNECT_TIMEOUT_MS 10000
#define BENCH_ANSWER_TIMEOUT_MS 5000

G_END_DECLS
