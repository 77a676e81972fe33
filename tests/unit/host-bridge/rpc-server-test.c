/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's server, with real OpenSSL clients (on threads, while this thread runs the
 * server's loop) and the real openssl command: TLS 1.3 and 1.2 round trips, what calls know of
 * their peer, old TLS and plain TCP refused, the handshake timeout, max_connections, the output
 * cap, oversized requests, a new certificate for new connections; and the local UNIX socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rpc-test-util.h"
#include "vl-bridge-tls.h"
#include "vl-check.h"
#include "vl-openssl.h"
#include "vl-rpc-server.h"
#include "vl-test-tls.h"
#include "vl-test-util.h"
#include "vl-tls-context.h"
#include "vl-tls-identity.h"

#define BIG_RESULT (32 * 1024)
#define HOST_INFO "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"host.info\"}\n"
#define VM_LIST "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\"}\n"

typedef struct {
    char *root;
    VlTlsIdentity *server_id;
    VlTlsIdentity *client_id;
    SSL_CTX *ctx;
    VlRpcServer *server;
    /* What the handler saw of the last call. */
    guint calls;
    gboolean local;
    gboolean had_cert;
    gboolean cert_is_client;
    char *peer;
    char *address;
    char *fingerprint;
} Fixture;

static Fixture f;

static const VlRpcLimits default_limits = {
    .max_request = 4096,
    .max_output = 1024 * 1024,
    .max_inflight = 8,
    .max_connections = 8,
    .handshake_timeout_s = 30,
};

/* The server's side ---------------------------------------------------------------------------- */

static void
handler(VlCall *call, gpointer user_data)
{
    X509 *cert = vl_call_peer_cert(call);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;

    f.calls++;
    f.local = vl_call_is_local(call);
    f.had_cert = cert != NULL;
    f.cert_is_client =
        cert && f.client_id && X509_cmp(cert, vl_tls_identity_cert(f.client_id)) == 0;
    g_free(f.peer);
    f.peer = g_strdup(vl_call_peer(call));
    g_free(f.address);
    f.address = g_strdup(vl_call_peer_address(call));
    g_free(f.fingerprint);
    f.fingerprint = g_strdup(vl_call_peer_fingerprint(call));

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "method");
    vl_json_builder_add_string(b, vl_call_method(call));
    if (g_str_equal(vl_call_method(call), "vm.list")) {
        g_autofree char *filler = g_strnfill(BIG_RESULT, 'x');

        vl_json_builder_member(b, "filler");
        vl_json_builder_add_string(b, filler);
    }
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}

static SSL_CTX *
server_ctx(const VlTlsIdentity *id)
{
    g_autoptr(GError) error = NULL;
    SSL_CTX *ctx = vl_tls_context_new_server(id, &error);

    ck_assert_msg(ctx != NULL, "%s", error ? error->message : "");
    return ctx;
}

static void
setup(void)
{
    f.calls = 0;
    f.local = f.had_cert = f.cert_is_client = FALSE;
    f.root = vl_test_make_tmp_dir("vl-rpc-XXXXXX");
    rpc_test_log_start();
    f.server_id = vl_test_identity(f.root, "bridge.test");
    f.client_id = vl_test_identity(f.root, "manager.test");
    f.ctx = server_ctx(f.server_id);
}

static void
start_tls_on(const char *address, const VlRpcLimits *limits)
{
    g_autoptr(GError) error = NULL;

    setup();
    f.server = vl_rpc_server_new_tls(address, 0, f.ctx, limits, handler, NULL, &error);
    ck_assert_msg(f.server != NULL, "%s", error ? error->message : "");
    ck_assert_uint_ne(vl_rpc_server_port(f.server), 0);
}

static void
start_tls(const VlRpcLimits *limits)
{
    start_tls_on("127.0.0.1", limits);
}

static void
teardown(void)
{
    g_clear_pointer(&f.server, vl_rpc_server_free);
    g_clear_pointer(&f.ctx, SSL_CTX_free);
    g_clear_pointer(&f.server_id, vl_tls_identity_free);
    g_clear_pointer(&f.client_id, vl_tls_identity_free);
    vl_test_remove_tree(f.root);
    g_clear_pointer(&f.root, g_free);
    g_clear_pointer(&f.peer, g_free);
    g_clear_pointer(&f.address, g_free);
    g_clear_pointer(&f.fingerprint, g_free);
    rpc_test_log_stop();
}

/* Clients -------------------------------------------------------------------------------------- */

typedef struct {
    const VlTlsIdentity *id; /* NULL: present no certificate */
    int max_version;         /* 0: any */
    int rcvbuf;              /* 0: the default */
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char *error;
    GString *input;
    const char *request;
    guint count;
} Client;

static void
client_init(Client *c, const VlTlsIdentity *id)
{
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->fd = -1;
    c->input = g_string_new(NULL);
}

static void
client_clear(Client *c)
{
    rpc_test_tls_close(&c->ssl, &c->ctx, &c->fd);
    g_free(c->error);
    g_string_free(c->input, TRUE);
}

/* On the client's thread: connects and handshakes; NULL or an error message. */
static gpointer
client_open(gpointer data)
{
    Client *c = data;
    g_autoptr(GError) error = NULL;

    c->ctx = vl_tls_context_new_client(c->id, &error);
    if (c->ctx == NULL) {
        return g_strdup(error->message);
    }
    if (c->max_version) {
        SSL_CTX_set_max_proto_version(c->ctx, c->max_version);
    }
    if (!rpc_test_tls_connect(c->ctx, vl_rpc_server_port(f.server), c->rcvbuf, &c->fd, &c->ssl)) {
        g_autofree char *why = vl_tls_error_string();

        return g_strdup_printf("handshake failed: %s", why);
    }
    return NULL;
}

static void
client_open_ok(Client *c)
{
    g_autofree char *why = rpc_test_in_thread(client_open, c);

    ck_assert_msg(why == NULL, "%s", why);
}

/* On the client's thread: sends c->request, returns the answer's line (NULL when none came). */
static gpointer
client_call(gpointer data)
{
    Client *c = data;
    char buf[4096];
    const char *nl;

    if (SSL_write(c->ssl, c->request, (int)strlen(c->request)) <= 0) {
        return NULL;
    }
    while (!(nl = strchr(c->input->str, '\n'))) {
        int n = SSL_read(c->ssl, buf, sizeof(buf));

        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(c->input, buf, n);
    }
    {
        char *line = g_strndup(c->input->str, nl - c->input->str);

        g_string_erase(c->input, 0, nl - c->input->str + 1);
        return line;
    }
}

/* Sends request and returns the answer, parsed. */
static VlJson *
call(Client *c, const char *request)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = NULL;
    VlJson *answer;

    c->request = request;
    line = rpc_test_in_thread(client_call, c);
    ck_assert_msg(line != NULL, "no answer to %s", request);
    answer = vl_json_parse(line, strlen(line), &error);
    ck_assert_msg(answer != NULL, "%s: %s", line, error ? error->message : "");
    return answer;
}

/* The answer's result.method, asserting it is one. */
static void
assert_result(const VlJson *answer, const char *method)
{
    const VlJson *result = vl_json_object_get(answer, "result");

    ck_assert_ptr_nonnull(result);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(result, "method")), method);
}

static void
assert_host_info(Client *c, int id)
{
    g_autofree char *request = g_strdup_printf(HOST_INFO, id);
    g_autoptr(VlJson) answer = call(c, request);

    assert_result(answer, "host.info");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(answer, "id")), id);
}

static char *
server_fingerprint_seen(Client *c)
{
    g_autoptr(X509) cert = SSL_get1_peer_certificate(c->ssl);

    ck_assert_ptr_nonnull(cert);
    return vl_tls_x509_fingerprint(cert);
}

static char *
local_peer(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    return g_strdup_printf("127.0.0.1:%u", ntohs(sa.sin_port));
}

/* A plain socket's EOF, and what came before it. */
typedef struct {
    int fd;
    GString *got;
} Drain;

static gboolean
drained(gpointer data)
{
    Drain *d = data;
    char buf[4096];
    ssize_t n;

    while ((n = recv(d->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        g_string_append_len(d->got, buf, n);
    }
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Runs the loop until the server closed fd; returns what it had sent. */
static char *
wait_closed(int fd)
{
    Drain d = {fd, g_string_new(NULL)};

    rpc_test_loop_until(drained, &d, "the server to close a connection");
    return g_string_free(d.got, FALSE);
}

/* TLS ------------------------------------------------------------------------------------------ */

START_TEST(test_tls13_round_trip)
{
    Client c;
    g_autofree char *seen = NULL;
    g_autofree char *peer = NULL;
    g_autofree char *address = NULL;

    start_tls(&default_limits);
    address = g_strdup_printf("127.0.0.1:%u", vl_rpc_server_port(f.server));
    ck_assert_str_eq(vl_rpc_server_address(f.server), address);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    ck_assert_int_eq(SSL_version(c.ssl), TLS1_3_VERSION);
    seen = server_fingerprint_seen(&c);
    ck_assert_str_eq(seen, vl_tls_identity_fingerprint(f.server_id));

    assert_host_info(&c, 7);
    assert_host_info(&c, 8);
    ck_assert_uint_eq(f.calls, 2);
    /* The call knows its client: address, port, certificate. */
    peer = local_peer(c.fd);
    ck_assert(!f.local);
    ck_assert_str_eq(f.peer, peer);
    ck_assert_str_eq(f.address, "127.0.0.1");
    ck_assert(f.cert_is_client);
    ck_assert_str_eq(f.fingerprint, vl_tls_identity_fingerprint(f.client_id));
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 1);

    client_clear(&c);
    rpc_test_wait_connections(f.server, 0);
    teardown();
}
END_TEST

START_TEST(test_every_address)
{
    Client c;
    g_autofree char *address = NULL;

    /* Dual stack: an IPv4 client of the IPv6 socket is shown as IPv4. */
    start_tls_on(NULL, &default_limits);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    assert_host_info(&c, 1);
    ck_assert_str_eq(f.address, "127.0.0.1");
    ck_assert(g_str_has_prefix(f.peer, "127.0.0.1:"));
    address = g_strdup_printf(":%u", vl_rpc_server_port(f.server));
    ck_assert(g_str_has_suffix(vl_rpc_server_address(f.server), address));
    client_clear(&c);
    teardown();
}
END_TEST

START_TEST(test_no_client_certificate)
{
    Client c;

    start_tls(&default_limits);
    client_init(&c, NULL);
    client_open_ok(&c);
    assert_host_info(&c, 1);
    ck_assert_uint_eq(f.calls, 1);
    ck_assert(!f.had_cert);
    ck_assert_ptr_null(f.fingerprint);
    ck_assert_str_eq(f.address, "127.0.0.1");
    client_clear(&c);
    teardown();
}
END_TEST

START_TEST(test_tls12_aead)
{
    Client c;

    start_tls(&default_limits);
    client_init(&c, f.client_id);
    c.max_version = TLS1_2_VERSION;
    client_open_ok(&c);
    ck_assert_int_eq(SSL_version(c.ssl), TLS1_2_VERSION);
    ck_assert_int_eq(SSL_CIPHER_is_aead(SSL_get_current_cipher(c.ssl)), 1);
    assert_host_info(&c, 1);
    ck_assert_str_eq(f.fingerprint, vl_tls_identity_fingerprint(f.client_id));
    client_clear(&c);
    teardown();
}
END_TEST

typedef struct {
    const char *version; /* -tls1_1, -tls1_2 */
    int status;
    char *output;
} SClient;

/* On a thread: the openssl command as a client, its input empty (it connects and leaves). */
static gpointer
run_s_client(gpointer data)
{
    SClient *s = data;
    g_autofree char *target = g_strdup_printf("127.0.0.1:%u", vl_rpc_server_port(f.server));
    /* OpenSSL 3 allows TLS 1.1 only at security level 0: lower it, so that the refusal is the
     * server's. */
    const char *argv[] = {"openssl",  "s_client", "-connect",           target,
                          s->version, "-cipher",  "DEFAULT@SECLEVEL=0", NULL};
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL,
                      NULL, NULL, &out, &err, &s->status, NULL)) {
        s->status = -1;
    }
    s->output = g_strconcat(out ? out : "", err ? err : "", NULL);
    return NULL;
}

START_TEST(test_old_tls_refused)
{
    SClient old = {.version = "-tls1_1"};
    SClient ok = {.version = "-tls1_2"};

    start_tls(&default_limits);
    rpc_test_in_thread(run_s_client, &old);
    ck_assert_msg(old.status != 0, "openssl s_client -tls1_1 succeeded:\n%s", old.output);
    ck_assert_msg(strstr(old.output, "alert protocol version"), "%s", old.output);
    rpc_test_wait_connections(f.server, 0);
    ck_assert(rpc_test_log_contains("TLS handshake with 127.0.0.1:"));

    /* The same command with TLS 1.2 gets through: the version is what was refused. */
    rpc_test_in_thread(run_s_client, &ok);
    ck_assert_msg(ok.status == 0, "openssl s_client -tls1_2 failed:\n%s", ok.output);
    ck_assert_msg(strstr(ok.output, "Protocol  : TLSv1.2"), "%s", ok.output);
    ck_assert_uint_eq(f.calls, 0);
    g_free(old.output);
    g_free(ok.output);
    teardown();
}
END_TEST

START_TEST(test_plain_tcp_dropped)
{
    static const char request[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}\n";
    g_autofree char *got = NULL;
    int fd;

    start_tls(&default_limits);
    fd = rpc_test_tcp_connect(vl_rpc_server_port(f.server), NULL, 0);
    ck_assert_int_eq(send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL), sizeof(request) - 1);
    got = wait_closed(fd);
    ck_assert_msg(!strstr(got, "jsonrpc"), "answered in clear: %s", got);
    ck_assert_uint_eq(f.calls, 0);
    rpc_test_wait_connections(f.server, 0);
    ck_assert(rpc_test_log_contains("TLS handshake with 127.0.0.1:"));
    close(fd);
    teardown();
}
END_TEST

START_TEST(test_handshake_timeout)
{
    VlRpcLimits limits = default_limits;
    g_autofree char *got = NULL;
    int fd;

    limits.handshake_timeout_s = 1;
    start_tls(&limits);
    fd = rpc_test_tcp_connect(vl_rpc_server_port(f.server), NULL, 0);
    rpc_test_wait_connections(f.server, 1);
    got = wait_closed(fd); /* it says nothing: the server gives up */
    ck_assert_str_eq(got, "");
    rpc_test_wait_connections(f.server, 0);
    ck_assert(rpc_test_log_contains("no TLS handshake in time"));
    close(fd);
    teardown();
}
END_TEST

START_TEST(test_max_connections)
{
    VlRpcLimits limits = default_limits;
    g_autofree char *got = NULL;
    Client c;
    int a, b, extra;

    limits.max_connections = 2;
    start_tls(&limits);
    a = rpc_test_tcp_connect(vl_rpc_server_port(f.server), NULL, 0);
    b = rpc_test_tcp_connect(vl_rpc_server_port(f.server), NULL, 0);
    rpc_test_wait_connections(f.server, 2);
    extra = rpc_test_tcp_connect(vl_rpc_server_port(f.server), NULL, 0);
    got = wait_closed(extra);
    ck_assert_str_eq(got, "");
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 2);
    ck_assert(rpc_test_log_contains("max-connections"));

    /* A place frees: the next client is served. */
    close(a);
    rpc_test_wait_connections(f.server, 1);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    assert_host_info(&c, 1);
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 2);
    client_clear(&c);
    close(b);
    close(extra);
    teardown();
}
END_TEST

/* On a thread: sends requests for big answers without reading any, until the server hangs up;
 * returns whether it did. */
static gpointer
flood(gpointer data)
{
    Client *c = data;

    for (c->count = 0; c->count < 100000; c->count++) {
        if (SSL_write(c->ssl, VM_LIST, sizeof(VM_LIST) - 1) <= 0) {
            return GINT_TO_POINTER(TRUE);
        }
    }
    return GINT_TO_POINTER(FALSE);
}

/* On a thread: 20 calls, each answered; returns how many were. */
static gpointer
steady(gpointer data)
{
    Client *c = data;
    guint answered = 0;

    for (int i = 0; i < 20; i++) {
        g_autofree char *line = NULL;

        c->request = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}\n";
        line = client_call(c);
        answered += line && strstr(line, "\"host.info\"");
    }
    return GUINT_TO_POINTER(answered);
}

START_TEST(test_output_cap)
{
    VlRpcLimits limits = default_limits;
    RpcTestJob flood_job = {0}, steady_job = {0};
    Client deaf, good;

    limits.max_output = 256 * 1024;
    start_tls(&limits);
    client_init(&deaf, f.client_id);
    deaf.rcvbuf = 4096;
    client_open_ok(&deaf);
    client_init(&good, f.client_id);
    client_open_ok(&good);

    rpc_test_job_start(&flood_job, flood, &deaf);
    rpc_test_job_start(&steady_job, steady, &good);
    ck_assert_msg(GPOINTER_TO_INT(rpc_test_job_finish(&flood_job)),
                  "never cut off after %u requests", deaf.count);
    ck_assert_uint_eq(GPOINTER_TO_UINT(rpc_test_job_finish(&steady_job)), 20);
    ck_assert(rpc_test_log_contains("output cap reached"));
    ck_assert_uint_eq(vl_rpc_server_connections(f.server), 1);
    assert_host_info(&good, 2);
    client_clear(&deaf);
    client_clear(&good);
    teardown();
}
END_TEST

START_TEST(test_oversized_request)
{
    VlRpcLimits limits = default_limits;
    g_autofree char *filler = g_strnfill(4000, 'x');
    g_autofree char *big = NULL;
    g_autoptr(VlJson) answer = NULL;
    Client c;

    limits.max_request = 1024;
    start_tls(&limits);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    big = g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\",\"params\":"
                          "{\"x\":\"%s\"}}\n",
                          filler);
    answer = call(&c, big);
    ck_assert_int_eq(
        vl_json_get_int(vl_json_object_get(vl_json_object_get(answer, "error"), "code")), -32700);
    ck_assert_uint_eq(f.calls, 0);
    /* The connection goes on. */
    assert_host_info(&c, 2);
    ck_assert_uint_eq(f.calls, 1);
    client_clear(&c);
    teardown();
}
END_TEST

START_TEST(test_new_context)
{
    g_autoptr(VlTlsIdentity) renewed = NULL;
    g_autoptr(SSL_CTX) ctx = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    Client old, fresh;

    start_tls(&default_limits);
    client_init(&old, f.client_id);
    client_open_ok(&old);
    before = server_fingerprint_seen(&old);
    ck_assert_str_eq(before, vl_tls_identity_fingerprint(f.server_id));

    renewed = vl_test_identity(f.root, "bridge2.test");
    ctx = server_ctx(renewed);
    vl_rpc_server_set_tls_context(f.server, ctx);
    client_init(&fresh, f.client_id);
    client_open_ok(&fresh);
    after = server_fingerprint_seen(&fresh);
    ck_assert_str_eq(after, vl_tls_identity_fingerprint(renewed));
    assert_host_info(&fresh, 1);
    /* An established connection goes on as it was. */
    assert_host_info(&old, 2);
    client_clear(&old);
    client_clear(&fresh);
    teardown();
}
END_TEST

START_TEST(test_client_gone)
{
    g_autofree char *requests = g_strdup_printf(HOST_INFO HOST_INFO HOST_INFO, 1, 2, 3);
    Client c;

    start_tls(&default_limits);
    client_init(&c, f.client_id);
    client_open_ok(&c);
    /* Requests, then the client is gone before the answers: the server's writes meet a reset
     * socket, an error for that connection (SIGPIPE is not blocked on this thread). */
    ck_assert_int_eq(SSL_write(c.ssl, requests, (int)strlen(requests)), (int)strlen(requests));
    close(c.fd);
    c.fd = -1;
    rpc_test_wait_connections(f.server, 0);
    /* The first was answered into the void; the rest went with the connection. */
    ck_assert_uint_ge(f.calls, 1);
    client_clear(&c);
    /* And the server goes on. */
    client_init(&c, f.client_id);
    client_open_ok(&c);
    assert_host_info(&c, 4);
    client_clear(&c);
    teardown();
}
END_TEST

/* The bridge's listener ------------------------------------------------------------------------ */

static void
on_bridge_event(const VlEvent *event, gpointer user_data)
{
    VlJson **last = user_data;

    if (g_str_equal(event->kind, "host.certificate")) {
        g_clear_pointer(last, vl_json_unref);
        *last = vl_json_ref((VlJson *)event->params);
    }
}

/* The fingerprint a new client of server sees. */
static char *
fingerprint_via(VlRpcServer *server)
{
    VlRpcServer *saved = f.server;
    g_autofree char *why = NULL;
    char *fp;
    Client c;

    f.server = server; /* client_open connects to f.server's port */
    client_init(&c, f.client_id);
    why = rpc_test_in_thread(client_open, &c);
    ck_assert_msg(why == NULL, "%s", why);
    fp = server_fingerprint_seen(&c);
    client_clear(&c);
    f.server = saved;
    return fp;
}

START_TEST(test_bridge_rotate)
{
    g_autoptr(VlBridgeConfig) config = vl_bridge_config_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) event = NULL;
    g_autofree char *old_fp = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    const VlJson *data;
    VlBridge *bridge;

    setup();
    g_free(config->listen);
    config->listen = g_strdup("127.0.0.1:0");
    g_free(config->audit_log);
    config->audit_log = g_strdup("none");
    bridge = vl_bridge_new(config, &error);
    ck_assert_msg(bridge != NULL, "%s", error ? error->message : "");
    bridge->identity = f.server_id;
    old_fp = g_strdup(vl_bridge_fingerprint(bridge));
    ck_assert_msg(vl_bridge_tls_start(bridge, &error), "%s", error ? error->message : "");
    ck_assert_ptr_nonnull(bridge->tls_server);
    ck_assert(rpc_test_log_contains("control plane: TLS on 127.0.0.1:"));
    before = fingerprint_via(bridge->tls_server);
    ck_assert_str_eq(before, old_fp);
    vl_events_subscribe(bridge->events, on_bridge_event, &event);

    ck_assert_msg(vl_bridge_tls_rotate(bridge, &error), "%s", error ? error->message : "");
    /* A new certificate: the bridge's fingerprint, the event to the owner, new connections. */
    ck_assert_str_ne(vl_bridge_fingerprint(bridge), old_fp);
    ck_assert_str_eq(vl_bridge_fingerprint(bridge), vl_tls_identity_fingerprint(f.server_id));
    ck_assert_ptr_nonnull(event);
    data = vl_json_object_get(event, "data");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(data, "fingerprint")),
                     vl_bridge_fingerprint(bridge));
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(data, "certificate")),
                     vl_tls_identity_cert_pem(f.server_id));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(data, "not_after")),
                     vl_tls_identity_not_after(f.server_id));
    after = fingerprint_via(bridge->tls_server);
    ck_assert_str_eq(after, vl_bridge_fingerprint(bridge));

    vl_bridge_tls_stop(bridge);
    ck_assert_ptr_null(bridge->tls_server);
    vl_bridge_free(bridge);
    teardown();
}
END_TEST

/* The local socket ----------------------------------------------------------------------------- */

START_TEST(test_unix_socket)
{
    static const char request[] = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"host.info\"}\n";
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;
    g_autofree char *got = NULL;
    int fd;

    if (geteuid() != 0) {
        return; /* only root may use the socket */
    }
    setup();
    path = g_build_filename(f.root, "run", "vmlinkd.sock", NULL);
    f.server = vl_rpc_server_new_unix(path, &default_limits, handler, NULL, &error);
    ck_assert_msg(f.server != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(vl_rpc_server_address(f.server), path);
    ck_assert_uint_eq(vl_rpc_server_port(f.server), 0);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL), sizeof(request) - 1);
    /* A half-close: the answer still comes, then the server closes. */
    shutdown(fd, SHUT_WR);
    got = wait_closed(fd);
    ck_assert_msg(strstr(got, "\"id\":3") && strstr(got, "\"result\""), "%s", got);
    ck_assert_uint_eq(f.calls, 1);
    ck_assert(f.local);
    ck_assert(g_str_has_prefix(f.peer, "uid 0 pid "));
    ck_assert_ptr_null(f.address);
    ck_assert_ptr_null(f.fingerprint);
    ck_assert(!f.had_cert);
    close(fd);
    teardown();
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_tls13_round_trip,  test_every_address,   test_no_client_certificate,
        test_tls12_aead,        test_old_tls_refused, test_plain_tcp_dropped,
        test_handshake_timeout, test_max_connections, test_output_cap,
        test_oversized_request, test_new_context,     test_client_gone,
        test_bridge_rotate,     test_unix_socket,     NULL,
    };

    return vl_check_run(vl_check_suite("rpc-server", tests));
}
