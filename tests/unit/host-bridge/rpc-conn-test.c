/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's connections under a hostile or careless client (rpc-server-test.c has the
 * listeners and the TLS policy): events to a client that has gone, requests pipelined past
 * max_inflight, a record left half sent, strangers (output cap, idle timeout, connections per
 * source), closing connections whose certificate is no longer allowed, TCP_NODELAY.
 *
 * Clients run on threads while this one runs the server's loop; the tests look into the server
 * (vl-rpc-private.h) where the outside cannot tell, e.g. its socket options.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/ssl.h>

#include "rpc-test-util.h"
#include "vl-check.h"
#include "vl-openssl.h"
#include "vl-rpc-private.h"
#include "vl-test-tls.h"
#include "vl-test-util.h"
#include "vl-tls-context.h"
#include "vl-tls-identity.h"

#define BIG_RESULT (40 * 1024) /* a guest.info with a big report */
#define HOST_INFO "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"host.info\"}\n"
#define VM_LIST "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"vm.list\"}\n"

static struct {
    char *root;
    VlTlsIdentity *server_id, *client_id;
    SSL_CTX *ctx;
    VlRpcServer *server;
    VlEvents *events;
    guint calls;
    gboolean trust; /* the handler trusts client_id's connections (the owner's check) */
    gboolean hold;  /* the handler keeps its calls in held, unanswered */
    GPtrArray *held;
} f;

static const VlRpcLimits default_limits = {
    .max_request = 4096,
    .max_output = 16 * 1024 * 1024,
    .max_inflight = 8,
    .max_connections = 32,
    .handshake_timeout_s = 30,
};

/* The server's side ---------------------------------------------------------------------------- */

static void
handler(VlCall *call, gpointer user_data)
{
    X509 *cert = vl_call_peer_cert(call);
    const char *method = vl_call_method(call);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;

    f.calls++;
    if (f.trust && cert && X509_cmp(cert, vl_tls_identity_cert(f.client_id)) == 0) {
        vl_rpc_conn_set_trusted(vl_call_conn(call), TRUE);
    }
    if (f.hold) {
        g_ptr_array_add(f.held, call);
        return;
    }
    vl_json_builder_begin_object(b);
    if (g_str_equal(method, "events.subscribe")) {
        /* As vl-dispatch-events.c does it. */
        const VlJson *since = vl_json_object_get(vl_call_params(call), "since");
        VlRpcConn *conn = vl_call_conn(call);

        if (conn && since) {
            vl_rpc_conn_replay(conn, f.events, NULL, (guint64)vl_json_get_int(since));
        }
        if (conn) {
            vl_rpc_conn_subscribe(conn, f.events, NULL);
        }
    } else if (g_str_equal(method, "vm.list")) {
        g_autofree char *filler = g_strnfill(BIG_RESULT, 'x');

        vl_json_builder_member(b, "filler");
        vl_json_builder_add_string(b, filler);
    }
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}

static void
start(const VlRpcLimits *limits)
{
    g_autoptr(GError) error = NULL;

    memset(&f, 0, sizeof(f));
    f.root = vl_test_make_tmp_dir("vl-rpc-conn-XXXXXX");
    rpc_test_log_start();
    f.held = g_ptr_array_new();
    f.events = vl_events_new(16);
    f.server_id = vl_test_identity(f.root, "bridge.test");
    f.client_id = vl_test_identity(f.root, "manager.test");
    f.ctx = vl_tls_context_new_server(f.server_id, &error);
    ck_assert_msg(f.ctx != NULL, "%s", error ? error->message : "");
    f.server = vl_rpc_server_new_tls("127.0.0.1", 0, f.ctx, limits, handler, NULL, &error);
    ck_assert_msg(f.server != NULL, "%s", error ? error->message : "");
}

static void
stop(void)
{
    g_clear_pointer(&f.server, vl_rpc_server_free);
    g_clear_pointer(&f.events, vl_events_free);
    g_clear_pointer(&f.ctx, SSL_CTX_free);
    g_clear_pointer(&f.server_id, vl_tls_identity_free);
    g_clear_pointer(&f.client_id, vl_tls_identity_free);
    g_ptr_array_unref(f.held);
    vl_test_remove_tree(f.root);
    g_free(f.root);
    rpc_test_log_stop();
}

/* The newest connection: the server prepends. */
static VlRpcConn *
newest_conn(void)
{
    ck_assert_ptr_nonnull(f.server->conns);
    return f.server->conns->data;
}

/* Running the loop ----------------------------------------------------------------------------- */

static gboolean
time_is_up(gpointer data)
{
    return g_get_monotonic_time() >= *(gint64 *)data;
}

static void
run_for_ms(guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    rpc_test_loop_until(time_is_up, &end, "time to pass");
}

/* Runs whatever is ready until nothing is; FALSE if that never happens (a source always ready:
 * the loop spins). */
static gboolean
settle(void)
{
    for (guint i = 0; i < 10000; i++) {
        if (!g_main_context_iteration(NULL, FALSE)) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Clients -------------------------------------------------------------------------------------- */

typedef struct {
    const VlTlsIdentity *id; /* NULL: no certificate */
    int rcvbuf;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    GString *out;   /* sent by client_send */
    GString *input; /* read, not yet taken */
    guint lines;    /* expected by client_exchange */
    gboolean close_after_send;
} Client;

static void
client_init(Client *c, const VlTlsIdentity *id)
{
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->fd = -1;
    c->out = g_string_new(NULL);
    c->input = g_string_new(NULL);
}

static void
client_clear(Client *c)
{
    rpc_test_tls_close(&c->ssl, &c->ctx, &c->fd);
    g_string_free(c->out, TRUE);
    g_string_free(c->input, TRUE);
}

static gpointer
client_open(gpointer data)
{
    Client *c = data;

    c->ctx = vl_tls_context_new_client(c->id, NULL);
    return GINT_TO_POINTER(
        rpc_test_tls_connect(c->ctx, vl_rpc_server_port(f.server), c->rcvbuf, &c->fd, &c->ssl));
}

static void
client_open_ok(Client *c)
{
    ck_assert(rpc_test_in_thread(client_open, c));
}

/* Sends c->out (then closes the socket, without close_notify, if asked). */
static gpointer
client_send(gpointer data)
{
    Client *c = data;
    gboolean ok = SSL_write(c->ssl, c->out->str, (int)c->out->len) == (int)c->out->len;

    if (c->close_after_send) {
        close(c->fd);
        c->fd = -1;
    }
    return GINT_TO_POINTER(ok);
}

/* Reads until c->lines lines came or the server closed; returns how many came. */
static gpointer
client_read(gpointer data)
{
    Client *c = data;
    char buf[16384];
    guint lines = 0;

    for (const char *p = c->input->str; (p = strchr(p, '\n')); p++) {
        lines++;
    }
    while (lines < c->lines) {
        int n = SSL_read(c->ssl, buf, sizeof(buf));

        if (n <= 0) {
            break;
        }
        g_string_append_len(c->input, buf, n);
        for (int i = 0; i < n; i++) {
            lines += buf[i] == '\n';
        }
    }
    return GUINT_TO_POINTER(lines);
}

/* Sends c->out and reads c->lines lines back; returns how many came. */
static gpointer
client_exchange(gpointer data)
{
    return client_send(data) ? client_read(data) : GUINT_TO_POINTER(0);
}

/* Calls method with ids 1..n, in one write, and waits for n answers. */
static void
client_calls(Client *c, const char *method, guint n)
{
    g_string_truncate(c->out, 0);
    g_string_truncate(c->input, 0);
    for (guint i = 1; i <= n; i++) {
        g_string_append_printf(c->out, "{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"%s\"}\n", i,
                               method);
    }
    c->lines = n;
    ck_assert_uint_eq(GPOINTER_TO_UINT(rpc_test_in_thread(client_exchange, c)), n);
}

/* Connections that go away -------------------------------------------------------------------- */

/* An event to a subscribed client that has gone: the failed write closes the connection, and
 * with it the last reference, inside the event's delivery (a use after free under ASan). */
START_TEST(test_event_to_gone_client)
{
    Client c;

    start(&default_limits);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    client_calls(&c, "events.subscribe", 1);
    close(c.fd);
    c.fd = -1;
    /* Before the loop sees the hangup. */
    for (guint i = 0; i < 4; i++) {
        vl_events_emit(f.events, "vm.lifecycle", "a", NULL, NULL);
    }
    rpc_test_wait_connections(f.server, 0);
    vl_events_emit(f.events, "vm.lifecycle", "a", NULL, NULL);
    client_clear(&c);
    stop();
}
END_TEST

/* events.subscribe {since} from a client that asks and goes: the replay's write fails and closes
 * the connection; it must not be subscribed after that (the next event used it, freed). */
START_TEST(test_replay_to_gone_client)
{
    Client c;

    start(&default_limits);
    for (guint i = 0; i < 4; i++) {
        vl_events_emit(f.events, "vm.lifecycle", "a", NULL, NULL);
    }
    client_init(&c, f.client_id);
    client_open_ok(&c);
    g_string_assign(c.out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\","
                           "\"params\":{\"since\":0}}\n");
    c.close_after_send = TRUE;
    ck_assert(rpc_test_in_thread(client_send, &c));
    rpc_test_wait_connections(f.server, 0);
    ck_assert_uint_eq(f.calls, 1);
    vl_events_emit(f.events, "vm.lifecycle", "b", NULL, NULL);
    client_clear(&c);
    stop();
}
END_TEST

/* Pipelining ----------------------------------------------------------------------------------- */

static gboolean
held_are(gpointer data)
{
    return f.held->len == GPOINTER_TO_UINT(data);
}

static void
answer_held(guint n)
{
    for (guint i = 0; i < n; i++) {
        vl_call_return(g_ptr_array_steal_index(f.held, 0), NULL);
    }
}

/* A hundred requests in one write, then EOF: never more than max_inflight in flight, and every
 * one answered, in order, before the server closes. */
START_TEST(test_inflight_bound)
{
    RpcTestJob job;
    Client c;

    start(&default_limits);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    for (guint i = 1; i <= 100; i++) {
        g_string_append_printf(c.out, HOST_INFO, i);
    }
    c.lines = 1000; /* until the server closes */
    f.hold = TRUE;
    ck_assert(rpc_test_in_thread(client_send, &c));
    shutdown(c.fd, SHUT_WR);
    rpc_test_job_start(&job, client_read, &c);

    rpc_test_loop_until(held_are, GUINT_TO_POINTER(8), "8 calls");
    ck_assert(settle());
    ck_assert_uint_eq(f.held->len, 8);
    /* Three answered: three more start, no more. */
    answer_held(3);
    rpc_test_loop_until(held_are, GUINT_TO_POINTER(8), "8 calls again");
    ck_assert(settle());
    ck_assert_uint_eq(f.calls, 11);
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 1);

    f.hold = FALSE;
    answer_held(8);
    ck_assert_uint_eq(GPOINTER_TO_UINT(rpc_test_job_finish(&job)), 100);
    ck_assert_uint_eq(f.calls, 100);
    for (guint i = 1; i <= 100; i++) {
        g_autofree char *id = g_strdup_printf("\"id\":%u,", i);
        const char *at = strstr(c.input->str, id);

        ck_assert_msg(at != NULL, "no answer to %u", i);
        g_string_erase(c.input, 0, at - c.input->str); /* in order */
    }
    rpc_test_wait_connections(f.server, 0);
    client_clear(&c);
    stop();
}
END_TEST

static gboolean
part_read(gpointer data)
{
    return SSL_has_pending(newest_conn()->ssl);
}

/* A TLS record sent in part, and then nothing: the loop waits for the socket, it does not spin
 * (SSL_has_pending() is true for the part). */
START_TEST(test_stalled_record)
{
    static const unsigned char part[] = {0x17, 0x03, 0x03, 0x00, 0x40, 1, 2, 3, 4, 5, 6, 7, 8};
    Client c;

    start(&default_limits);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    ck_assert_int_eq(write(c.fd, part, sizeof(part)), sizeof(part));
    rpc_test_loop_until(part_read, NULL, "the server to read the part");
    ck_assert_msg(settle(), "the loop spins on a stalled record");
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 1);
    client_clear(&c);
    stop();
}
END_TEST

/* Strangers ------------------------------------------------------------------------------------ */

/* Requests for big answers, none read: a stranger is cut off at its small cap, a trusted
 * connection queues up to limits.max_output. */
START_TEST(test_stranger_output_cap)
{
    int sndbuf = 4096;
    Client stranger, owner;
    VlRpcConn *conn;

    start(&default_limits);
    f.trust = TRUE;
    client_init(&stranger, NULL);
    stranger.rcvbuf = 4096;
    client_open_ok(&stranger);
    /* The kernel's buffers would hold megabytes: the queue is what is tested. */
    setsockopt(newest_conn()->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    for (guint i = 1; i <= 64; i++) {
        g_string_append_printf(stranger.out, VM_LIST, i);
    }
    ck_assert(rpc_test_in_thread(client_send, &stranger));
    rpc_test_wait_connections(f.server, 0);
    ck_assert(rpc_test_log_contains("stranger's output cap reached"));
    ck_assert_uint_lt(f.calls, 64);

    f.calls = 0;
    client_init(&owner, f.client_id);
    owner.rcvbuf = 4096;
    client_open_ok(&owner);
    conn = newest_conn();
    setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    g_string_assign(owner.out, stranger.out->str);
    ck_assert(rpc_test_in_thread(client_send, &owner));
    while (f.calls < 64) {
        g_main_context_iteration(NULL, TRUE);
    }
    ck_assert_uint_gt(conn->output_len, VL_RPC_STRANGER_MAX_OUTPUT);
    owner.lines = 64;
    ck_assert_uint_eq(GPOINTER_TO_UINT(rpc_test_in_thread(client_read, &owner)), 64);
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 1);
    client_clear(&stranger);
    client_clear(&owner);
    stop();
}
END_TEST

/* A stranger that sends no request for a while is closed; a trusted connection is not. */
START_TEST(test_stranger_idle)
{
    Client stranger, owner;

    start(&default_limits);
    f.trust = TRUE;
    f.server->stranger_idle_ms = 500;
    client_init(&stranger, NULL);
    client_open_ok(&stranger);
    client_init(&owner, f.client_id);
    client_open_ok(&owner);
    client_calls(&owner, "host.info", 1);
    /* Requests keep a stranger: more than an idle period, a request every 100 ms. */
    for (guint i = 0; i < 6; i++) {
        client_calls(&stranger, "host.info", 1);
        run_for_ms(100);
    }
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 2);
    rpc_test_wait_connections(f.server, 1);
    ck_assert(rpc_test_log_contains("a stranger sent no request in time"));
    run_for_ms(900);
    client_calls(&owner, "host.info", 2);
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 1);
    client_clear(&stranger);
    client_clear(&owner);
    stop();
}
END_TEST

/* At most VL_RPC_STRANGER_PER_SOURCE strangers per source; trusted connections do not count. */
static gboolean
closed_by_server(gpointer data)
{
    char buf[16];
    ssize_t n = recv(GPOINTER_TO_INT(data), buf, sizeof(buf), MSG_DONTWAIT);

    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Closed at accept, before any handshake. */
static void
wait_refused(int fd)
{
    rpc_test_loop_until(closed_by_server, GINT_TO_POINTER(fd), "the server to refuse a connection");
}

START_TEST(test_strangers_per_source)
{
    VlRpcLimits limits = default_limits;
    int fds[VL_RPC_STRANGER_PER_SOURCE], extra, extra2, other, more;
    Client owner;

    limits.handshake_timeout_s = 0; /* the limit closes them, nothing else */
    start(&limits);
    f.trust = TRUE;
    for (guint i = 0; i < VL_RPC_STRANGER_PER_SOURCE; i++) {
        fds[i] = rpc_test_tcp_connect(vl_rpc_server_port(f.server), "127.0.0.1", 0);
    }
    rpc_test_wait_connections(f.server, VL_RPC_STRANGER_PER_SOURCE);
    extra = rpc_test_tcp_connect(vl_rpc_server_port(f.server), "127.0.0.1", 0);
    wait_refused(extra);
    ck_assert(rpc_test_log_contains("not vouched for"));
    /* Another source has its own count. */
    other = rpc_test_tcp_connect(vl_rpc_server_port(f.server), "127.0.0.2", 0);
    rpc_test_wait_connections(f.server, VL_RPC_STRANGER_PER_SOURCE + 1);
    /* One stranger becomes the owner's connection: a stranger's place frees. */
    close(fds[0]);
    rpc_test_wait_connections(f.server, VL_RPC_STRANGER_PER_SOURCE);
    client_init(&owner, f.client_id);
    client_open_ok(&owner);
    client_calls(&owner, "host.info", 1);
    more = rpc_test_tcp_connect(vl_rpc_server_port(f.server), "127.0.0.1", 0);
    rpc_test_wait_connections(f.server, VL_RPC_STRANGER_PER_SOURCE + 2);
    extra2 = rpc_test_tcp_connect(vl_rpc_server_port(f.server), "127.0.0.1", 0);
    wait_refused(extra2);
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), VL_RPC_STRANGER_PER_SOURCE + 2);
    for (guint i = 1; i < VL_RPC_STRANGER_PER_SOURCE; i++) {
        close(fds[i]);
    }
    close(extra);
    close(extra2);
    close(other);
    close(more);
    client_clear(&owner);
    stop();
}
END_TEST

START_TEST(test_source_key)
{
    static const struct {
        const char *address, *key;
    } cases[] = {
        {"192.0.2.7", "192.0.2.7"},
        {"::ffff:192.0.2.7", "192.0.2.7"},
        {"2001:db8:1:2:aaaa:bbbb:cccc:7", "2001:db8:1:2::/64"},
        {"2001:db8:1:2::9", "2001:db8:1:2::/64"},
        {"2001:db8:1:3::9", "2001:db8:1:3::/64"},
        {"::1", "::/64"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct sockaddr_storage ss = {0};
        socklen_t len;
        g_autofree char *key = NULL;

        if (strchr(cases[i].address, ':')) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

            in6->sin6_family = AF_INET6;
            ck_assert_int_eq(inet_pton(AF_INET6, cases[i].address, &in6->sin6_addr), 1);
            len = sizeof(*in6);
        } else {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;

            in->sin_family = AF_INET;
            ck_assert_int_eq(inet_pton(AF_INET, cases[i].address, &in->sin_addr), 1);
            len = sizeof(*in);
        }
        key = vl_rpc_source_key((struct sockaddr *)&ss, len);
        ck_assert_str_eq(key, cases[i].key);
    }
}
END_TEST

/* The pin or the owner changed ----------------------------------------------------------------- */

static gboolean
keep_client_id(X509 *peer_cert, gpointer user_data)
{
    return peer_cert && X509_cmp(peer_cert, vl_tls_identity_cert(user_data)) == 0;
}

START_TEST(test_close_unless)
{
    g_autoptr(VlTlsIdentity) other_id = NULL;
    Client owner, other, none;

    start(&default_limits);
    other_id = vl_test_identity(f.root, "other.test");
    client_init(&owner, f.client_id);
    client_init(&other, other_id);
    client_init(&none, NULL);
    client_open_ok(&owner);
    client_open_ok(&other);
    client_open_ok(&none);
    client_calls(&owner, "host.info", 1);
    client_calls(&other, "host.info", 1);
    client_calls(&none, "host.info", 1);
    vl_rpc_server_close_unless(f.server, keep_client_id, f.client_id);
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 1);
    ck_assert(rpc_test_log_contains("no longer allowed"));
    other.lines = none.lines = 1;
    g_string_truncate(other.input, 0);
    g_string_truncate(none.input, 0);
    ck_assert_uint_eq(GPOINTER_TO_UINT(rpc_test_in_thread(client_read, &other)), 0);
    ck_assert_uint_eq(GPOINTER_TO_UINT(rpc_test_in_thread(client_read, &none)), 0);
    client_calls(&owner, "host.info", 1);
    client_clear(&owner);
    client_clear(&other);
    client_clear(&none);
    stop();
}
END_TEST

/* Latency -------------------------------------------------------------------------------------- */

/* Big answers one after the other on one connection: Nagle held each one's last segment for the
 * client's delayed ACK (some 40 ms a call). The figure is printed, not checked. */
START_TEST(test_nodelay)
{
    int nodelay = 0;
    socklen_t len = sizeof(nodelay);
    gint64 t0;
    Client c;

    start(&default_limits);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    ck_assert_int_eq(getsockopt(newest_conn()->fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
    ck_assert_int_eq(nodelay, 1);
    t0 = g_get_monotonic_time();
    for (guint i = 0; i < 50; i++) {
        client_calls(&c, "vm.list", 1);
    }
    g_print("rpc-conn: %.2f ms per call with a %d KiB answer\n",
            (g_get_monotonic_time() - t0) / 50 / 1000.0, BIG_RESULT / 1024);
    client_clear(&c);
    stop();
}
END_TEST

/* OpenSSL wipes the plaintext it has handed out (requests carry passwords). */
START_TEST(test_cleanse_plaintext)
{
    g_autoptr(SSL_CTX) client = NULL;

    start(&default_limits);
    client = vl_tls_context_new_client(f.client_id, NULL);
    ck_assert(SSL_CTX_get_options(f.ctx) & SSL_OP_CLEANSE_PLAINTEXT);
    ck_assert(SSL_CTX_get_options(client) & SSL_OP_CLEANSE_PLAINTEXT);
    stop();
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_event_to_gone_client, test_replay_to_gone_client,
        test_inflight_bound,       test_stalled_record,
        test_stranger_output_cap,  test_stranger_idle,
        test_strangers_per_source, test_source_key,
        test_close_unless,         test_nodelay,
        test_cleanse_plaintext,    NULL,
    };

    return vl_check_run(vl_check_suite("rpc-conn", tests));
}
