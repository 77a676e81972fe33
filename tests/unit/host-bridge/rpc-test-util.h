/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What rpc-server-test.c and rpc-conn-test.c share: the log captured, the server's loop run
 * until something happens, clients' work on threads meanwhile, and plain TCP and TLS
 * connections to the server.
 */
#pragma once

#include <check.h>
#include <glib.h>
#include <openssl/ssl.h>

#include "vl-rpc-server.h"

G_BEGIN_DECLS

/* A safety net against a hang (then the test fails), never a measured threshold. */
#define RPC_TEST_WAIT_US (30 * G_USEC_PER_SEC)

/* Captures every log line, debug included, from now until rpc_test_log_stop(). */
void rpc_test_log_start(void);
void rpc_test_log_stop(void);
/* Whether a captured line holds text. */
gboolean rpc_test_log_contains(const char *text);

/* Runs the main loop until done(data); fails after RPC_TEST_WAIT_US, naming what. */
void rpc_test_loop_until(gboolean (*done)(gpointer data), gpointer data, const char *what);
/* Runs the loop until server has n connections. */
void rpc_test_wait_connections(VlRpcServer *server, guint n);

/* A client's work on a thread (SIGPIPE blocked there), while this one runs the server. */
typedef struct {
    GThreadFunc func;
    gpointer data;
    gpointer result;
    gint done;
    GThread *thread;
} RpcTestJob;

void rpc_test_job_start(RpcTestJob *job, GThreadFunc func, gpointer data);
/* Runs the loop until the job is done; returns what func returned. */
gpointer rpc_test_job_finish(RpcTestJob *job);
/* func(data) on a thread, the loop running meanwhile. */
gpointer rpc_test_in_thread(GThreadFunc func, gpointer data);

/* A TCP connection to 127.0.0.1:port from source (NULL: any address), receive buffer rcvbuf
 * (0: the default). */
int rpc_test_tcp_connect(guint16 port, const char *source, int rcvbuf);

/* A TLS client of 127.0.0.1:port with ctx: sets *ret_fd and *ret_ssl, even when the handshake
 * fails; whether it succeeded. */
gboolean rpc_test_tls_connect(SSL_CTX *ctx, guint16 port, int rcvbuf, int *ret_fd, SSL **ret_ssl);
/* Frees *ssl and *ctx and closes *fd (when >= 0), as a client's end. */
void rpc_test_tls_close(SSL **ssl, SSL_CTX **ctx, int *fd);

G_END_DECLS
