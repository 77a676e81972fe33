/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rpc-test-util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The captured log: written by the server's thread and the clients', read by the test. */
static GMutex log_lock;
static GString *log_text;

static GLogWriterOutput
capture_log(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE")) {
            g_mutex_lock(&log_lock);
            if (log_text) {
                g_string_append_printf(log_text, "%s\n", (const char *)fields[i].value);
            }
            g_mutex_unlock(&log_lock);
        }
    }
    return G_LOG_WRITER_HANDLED;
}

void
rpc_test_log_start(void)
{
    static gsize writer_set;

    g_mutex_lock(&log_lock);
    log_text = g_string_new(NULL);
    g_mutex_unlock(&log_lock);
    /* Once per process (GLib allows no more), and every test has a process of its own unless
     * CK_FORK=no. */
    if (g_once_init_enter(&writer_set)) {
        g_log_set_writer_func(capture_log, NULL, NULL);
        g_once_init_leave(&writer_set, 1);
    }
}

void
rpc_test_log_stop(void)
{
    g_mutex_lock(&log_lock);
    g_string_free(log_text, TRUE);
    log_text = NULL;
    g_mutex_unlock(&log_lock);
}

gboolean
rpc_test_log_contains(const char *text)
{
    gboolean found;

    g_mutex_lock(&log_lock);
    found = log_text && strstr(log_text->str, text) != NULL;
    g_mutex_unlock(&log_lock);
    return found;
}

static gboolean
tick(gpointer user_data)
{
    return G_SOURCE_CONTINUE;
}

void
rpc_test_loop_until(gboolean (*done)(gpointer data), gpointer data, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + RPC_TEST_WAIT_US;
    /* What the test waits for may happen outside the loop (a socket's EOF): look every 10 ms. */
    guint tick_id = g_timeout_add(10, tick, NULL);

    while (!done(data)) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "still waiting for %s", what);
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_remove(tick_id);
}

typedef struct {
    VlRpcServer *server;
    guint n;
} Connections;

static gboolean
connections_are(gpointer data)
{
    Connections *c = data;

    return vl_rpc_server_connections(c->server) == c->n;
}

void
rpc_test_wait_connections(VlRpcServer *server, guint n)
{
    Connections c = {server, n};

    rpc_test_loop_until(connections_are, &c, "the server's connections");
}

static gpointer
job_main(gpointer data)
{
    RpcTestJob *job = data;
    sigset_t pipe_set;

    /* A server gone away is the client's error to see, not a signal; the server's thread keeps
     * SIGPIPE deadly, so that the server's own guard is tested. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
    job->result = job->func(job->data);
    g_atomic_int_set(&job->done, 1);
    g_main_context_wakeup(NULL);
    return NULL;
}

void
rpc_test_job_start(RpcTestJob *job, GThreadFunc func, gpointer data)
{
    memset(job, 0, sizeof(*job));
    job->func = func;
    job->data = data;
    job->thread = g_thread_new("client", job_main, job);
}

static gboolean
job_done(gpointer data)
{
    RpcTestJob *job = data;

    return g_atomic_int_get(&job->done);
}

gpointer
rpc_test_job_finish(RpcTestJob *job)
{
    rpc_test_loop_until(job_done, job, "a client");
    g_thread_join(job->thread);
    return job->result;
}

gpointer
rpc_test_in_thread(GThreadFunc func, gpointer data)
{
    RpcTestJob job;

    rpc_test_job_start(&job, func, data);
    return rpc_test_job_finish(&job);
}

int
rpc_test_tcp_connect(guint16 port, const char *source, int rcvbuf)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    if (source) {
        struct sockaddr_in from = {.sin_family = AF_INET};

        inet_pton(AF_INET, source, &from.sin_addr);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
    }
    if (rcvbuf) {
        /* Before connecting: the window the server sees stays small. */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

gboolean
rpc_test_tls_connect(SSL_CTX *ctx, guint16 port, int rcvbuf, int *ret_fd, SSL **ret_ssl)
{
    *ret_fd = rpc_test_tcp_connect(port, NULL, rcvbuf);
    *ret_ssl = SSL_new(ctx);
    SSL_set_fd(*ret_ssl, *ret_fd);
    return SSL_connect(*ret_ssl) == 1;
}

void
rpc_test_tls_close(SSL **ssl, SSL_CTX **ctx, int *fd)
{
    g_clear_pointer(ssl, SSL_free);
    g_clear_pointer(ctx, SSL_CTX_free);
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}
