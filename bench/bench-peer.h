/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peers: the agents a benchmark starts, and line-oriented connections to their UNIX sockets.
 * A peer dies with the benchmark, even when the benchmark itself is killed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BenchPeer BenchPeer;

/* Starts argv (searched in PATH), its output appended to log_path. */
BenchPeer *bench_peer_spawn(const char *name, const char *const *argv, const char *log_path,
                            GError **error);
/* Stops the peer (SIGTERM, SIGKILL after 2 s) and reaps it. */
void bench_peer_free(BenchPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BenchPeer, bench_peer_free)
GPid bench_peer_pid(BenchPeer *peer);
/* FALSE, with an error quoting the end of its log, when the peer has exited. */
gboolean bench_peer_check(BenchPeer *peer, GError **error);

typedef struct _BenchConn BenchConn;

/* Connects to the peer's socket, retrying while it starts (fails at once if it exits). */
BenchConn *bench_conn_connect(BenchPeer *peer, const char *path, guint timeout_ms, GError **error);
void bench_conn_free(BenchConn *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BenchConn, bench_conn_free)
/* Sends line and a newline. */
gboolean bench_conn_send(BenchConn *conn, const char *line, GError **error);
/*
 * The next line, without its newline. ret_time (may be NULL) is the monotonic time in
 * microseconds at which the line's last byte was read.
 */
char *bench_conn_recv(BenchConn *conn, guint timeout_ms, gint64 *ret_time, GError **error);
/* Lines received so far on this connection. */
guint64 bench_conn_lines(BenchConn *conn);

G_END_DECLS
