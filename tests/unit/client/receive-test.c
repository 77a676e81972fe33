/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vmlinkctl receive-events` run as a process, posted to with libcurl as a bridge would: what
 * it answers (204, or 400/403/405/411 with a reason), what it prints (--json lines, a batch
 * sent twice printed once, a line when "dropped" grows) and that --count ends it; and, with a
 * TLS client of its own, that a client that is not an owned bridge is refused before it sends
 * anything, and that a client that sends its request a byte at a time is cut off while other
 * bridges are served. Its manager folder is a temporary $XDG_CONFIG_HOME.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "test-util.h"
#include "vl-manager.h"
#include "vl-tls-context.h"
#include "vl-tls-identity.h"

#define EVENT(seq)                                                                                 \
    "{\"seq\":" #seq ",\"time\":1763769700123,\"event\":\"vm.lifecycle\",\"vm\":\"web1\","         \
    "\"uuid\":\"0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f\",\"data\":{\"state\":\"running\"}}"
#define FP                                                                                         \
    "3A:5F:0C:91:7E:22:B4:D8:61:0F:AA:93:4C:E2:17:58:C9:30:6D:BE:11:72:8A:F4:05:E9:3B:C6:20:7D:"   \
    "94:1A"
#define BATCH(dropped, events)                                                                     \
    "{\"jsonrpc\":\"2.0\",\"method\":\"push.events\",\"params\":{\"host\":\"kvm1\","               \
    "\"fingerprint\":\"" FP "\",\"dropped\":" #dropped ",\"events\":[" events "]}}"
#define STATS                                                                                      \
    "{\"jsonrpc\":\"2.0\",\"method\":\"push.stats\",\"params\":{\"host\":\"kvm1\","                \
    "\"fingerprint\":\"" FP "\",\"time\":1763769700123,\"vms\":[]}}"

typedef struct {
    char *dir;
    VlTlsIdentity *bridge;
    GPid pid;
    int out_fd;
    int err_fd;
    guint port;
    GString *err; /* stderr read so far */
} Receiver;

static void
setup_dirs(Receiver *r)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *bridge_dir = NULL;

    r->dir = g_dir_make_tmp("vl-receive-XXXXXX", &error);
    ck_assert(r->dir != NULL);
    bridge_dir = g_build_filename(r->dir, "bridge", NULL);
    r->bridge = vl_tls_identity_load_or_create(bridge_dir, "vmlinkd test", 30, &error);
    ck_assert_msg(r->bridge != NULL, "%s", error ? error->message : "");
    r->err = g_string_new(NULL);
}

/* Reads stderr until the "listening on" line, and the port from it. */
static void
read_port(Receiver *r)
{
    char buf[1024];
    const char *line;

    while ((line = strstr(r->err->str, "(port ")) == NULL) {
        ssize_t n = read(r->err_fd, buf, sizeof(buf));

        ck_assert_msg(n > 0, "vmlinkctl ended: %s", r->err->str);
        g_string_append_len(r->err, buf, n);
    }
    r->port = (guint)g_ascii_strtoull(line + strlen("(port "), NULL, 10);
    ck_assert_uint_gt(r->port, 0);
}

static void
start(Receiver *r, const char *const *extra)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(GStrv) env = g_get_environ();

    env = g_environ_setenv(env, "XDG_CONFIG_HOME", r->dir, TRUE);
    g_ptr_array_add(argv, (gpointer)VMLINKCTL_PATH);
    g_ptr_array_add(argv, (gpointer) "receive-events");
    g_ptr_array_add(argv, (gpointer) "--listen");
    g_ptr_array_add(argv, (gpointer) "127.0.0.1:0");
    for (guint i = 0; extra[i]; i++) {
        g_ptr_array_add(argv, (gpointer)extra[i]);
    }
    g_ptr_array_add(argv, NULL);
    ck_assert_msg(g_spawn_async_with_pipes(NULL, (char **)argv->pdata, env,
                                           G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &r->pid, NULL,
                                           &r->out_fd, &r->err_fd, &error),
                  "%s", error ? error->message : "");
    read_port(r);
}

static char *
read_all(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(s, buf, n);
    }
    return g_string_free(s, FALSE);
}

/* Waits for the process to exit with status 0 (what --count ends with). */
static void
expect_exit_0(Receiver *r)
{
    int status = 0;

    ck_assert_int_eq(waitpid(r->pid, &status, 0), r->pid);
    g_spawn_close_pid(r->pid);
    r->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_autofree char *err = read_all(r->err_fd);

        ck_abort_msg("vmlinkctl ended with wait status %d: %s%s", status, r->err->str, err);
    }
}

static void
finish(Receiver *r)
{
    if (r->pid) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        g_spawn_close_pid(r->pid);
    }
    if (r->out_fd >= 0) {
        close(r->out_fd);
        close(r->err_fd);
    }
    vl_tls_identity_free(r->bridge);
    g_string_free(r->err, TRUE);
    vl_test_remove_tree(r->dir);
    g_free(r->dir);
}

/* A TLS client of the test's own, to do what libcurl will not: send nothing, or dribble. */
typedef struct {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} Raw;

static int
tcp_connect(const Receiver *r)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r->port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Connects and completes the handshake, presenting id (NULL: no certificate). */
static void
raw_connect(Raw *c, const Receiver *r, const VlTlsIdentity *id)
{
    g_autoptr(GError) error = NULL;

    c->fd = tcp_connect(r);
    c->ctx = vl_tls_context_new_client(id, &error);
    ck_assert_msg(c->ctx != NULL, "%s", error ? error->message : "");
    c->ssl = SSL_new(c->ctx);
    ck_assert_int_eq(SSL_set_fd(c->ssl, c->fd), 1);
    ck_assert_int_eq(SSL_connect(c->ssl), 1);
}

static void
raw_close(Raw *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
}

/* What the receiver sends until it closes the connection. */
static char *
raw_read_all(Raw *c)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    int n;

    while ((n = SSL_read(c->ssl, buf, sizeof(buf))) > 0) {
        g_string_append_len(s, buf, n);
    }
    return g_string_free(s, FALSE);
}

static void
raw_send(Raw *c, const char *text)
{
    ck_assert_int_eq(SSL_write(c->ssl, text, (int)strlen(text)), (int)strlen(text));
}

/* Whether the receiver has something to say (an answer, or the end) within timeout_ms. */
static gboolean
readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    return poll(&pfd, 1, timeout_ms) > 0;
}

/* The answers' reasons are not looked at here. */
static size_t
discard(char *data, size_t size, size_t nmemb, void *user_data)
{
    return size * nmemb;
}

/* libcurl as the bridge: with its identity as client certificate (or none). The receiver's
 * certificate is not checked here: this tests the receiver's side. */
static long
post(Receiver *r, const char *body, const char *header, gboolean with_cert, gboolean get)
{
    CURL *e = curl_easy_init();
    g_autofree char *url = g_strdup_printf("https://127.0.0.1:%u/events", r->port);
    g_autofree char *cert = g_build_filename(vl_tls_identity_dir(r->bridge), "cert.pem", NULL);
    g_autofree char *key = g_build_filename(vl_tls_identity_dir(r->bridge), "key.pem", NULL);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    long status = 0;
    CURLcode code;

    if (header) {
        headers = curl_slist_append(headers, header);
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    if (with_cert) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, cert);
        curl_easy_setopt(e, CURLOPT_SSLKEY, key);
    }
    if (get) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    code = curl_easy_perform(e);
    ck_assert_msg(code == CURLE_OK, "%s", curl_easy_strerror(code));
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(e);
    return status;
}

START_TEST(test_answers_and_prints)
{
    Receiver r = {0};
    const char *const extra[] = {"--accept-any-bridge", "--json", "--count", "3", NULL};
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_auto(GStrv) lines = NULL;

    setup_dirs(&r);
    start(&r, extra);
    ck_assert_ptr_nonnull(strstr(r.err->str, "WARNING: --accept-any-bridge"));

    ck_assert_int_eq(post(&r, NULL, NULL, TRUE, TRUE), 405);
    ck_assert_int_eq(post(&r, "{}", "Transfer-Encoding: chunked", TRUE, FALSE), 411);
    ck_assert_int_eq(post(&r, "{\"jsonrpc\":", NULL, TRUE, FALSE), 400);
    ck_assert_int_eq(
        post(&r, "{\"jsonrpc\":\"2.0\",\"method\":\"vm.list\",\"params\":{}}", NULL, TRUE, FALSE),
        400);
    ck_assert_int_eq(post(&r, BATCH(0, EVENT(1)), NULL, FALSE, FALSE), 403); /* no certificate */

    ck_assert_int_eq(post(&r, BATCH(0, EVENT(1) "," EVENT(2)), NULL, TRUE, FALSE), 204);
    /* Sent again (its answer was lost): not printed twice. */
    ck_assert_int_eq(post(&r, BATCH(0, EVENT(1) "," EVENT(2)), NULL, TRUE, FALSE), 204);
    ck_assert_int_eq(post(&r, STATS, NULL, TRUE, FALSE), 204);
    ck_assert_int_eq(post(&r, BATCH(4, EVENT(7) "," EVENT(8)), NULL, TRUE, FALSE), 204);
    expect_exit_0(&r); /* --count 3 reached */

    out = read_all(r.out_fd);
    err = read_all(r.err_fd);
    lines = g_strsplit(out, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 5); /* 4 lines and the empty rest */
    ck_assert_ptr_nonnull(strstr(lines[0], "\"seq\":1"));
    ck_assert_ptr_nonnull(strstr(lines[1], "\"seq\":2"));
    ck_assert_ptr_nonnull(strstr(lines[2], "\"vms\":[]"));
    ck_assert_ptr_nonnull(strstr(lines[3], "\"seq\":7"));
    ck_assert_str_eq(lines[4], "");
    ck_assert_ptr_nonnull(strstr(err, "4 events dropped"));
    finish(&r);
}
END_TEST

START_TEST(test_only_owned_bridges)
{
    Receiver r = {0};
    const char *const extra[] = {"--count", "1", NULL};
    g_autoptr(GError) error = NULL;
    g_autofree char *manager_dir = NULL;
    g_autoptr(VlManager) manager = NULL;
    g_autofree char *out = NULL;

    setup_dirs(&r);
    start(&r, extra);
    ck_assert_ptr_null(strstr(r.err->str, "WARNING"));
    ck_assert_int_eq(post(&r, BATCH(0, EVENT(1)), NULL, TRUE, FALSE), 403);

    /* The manager takes ownership of the bridge: it pins the bridge's certificate. */
    manager_dir = g_build_filename(r.dir, "vmlink", NULL);
    manager = vl_manager_open(manager_dir, &error);
    ck_assert_msg(manager != NULL, "%s", error ? error->message : "");
    ck_assert(vl_manager_pin(manager, "kvm1", 8899, vl_tls_identity_cert_pem(r.bridge), &error));
    ck_assert_int_eq(post(&r, BATCH(0, EVENT(1)), NULL, TRUE, FALSE), 204);
    expect_exit_0(&r);
    out = read_all(r.out_fd);
    ck_assert_ptr_nonnull(strstr(out, "#1 "));
    ck_assert_ptr_nonnull(strstr(out, "vm.lifecycle"));
    finish(&r);
}
END_TEST

/* Refused right after the handshake: the client has sent nothing, and is answered anyway. */
START_TEST(test_refused_before_reading)
{
    Receiver r = {0};
    const char *const extra[] = {NULL};
    Raw none = {0};
    Raw unknown = {0};
    g_autofree char *answer_none = NULL;
    g_autofree char *answer_unknown = NULL;

    setup_dirs(&r);
    start(&r, extra);

    raw_connect(&none, &r, NULL);
    answer_none = raw_read_all(&none);
    ck_assert_msg(g_str_has_prefix(answer_none, "HTTP/1.1 403 "), "%s", answer_none);
    ck_assert_ptr_nonnull(strstr(answer_none, "no client certificate"));

    raw_connect(&unknown, &r, r.bridge); /* a bridge this manager does not own */
    answer_unknown = raw_read_all(&unknown);
    ck_assert_msg(g_str_has_prefix(answer_unknown, "HTTP/1.1 403 "), "%s", answer_unknown);
    ck_assert_ptr_nonnull(strstr(answer_unknown, vl_tls_identity_fingerprint(r.bridge)));

    raw_close(&none);
    raw_close(&unknown);
    finish(&r);
}
END_TEST

/* The time the test waits at most for the receiver to cut a connection: far beyond --timeout. */
#define CUT_OFF_WAIT_MS (90 * 1000)

START_TEST(test_slow_clients_cut_off)
{
    Receiver r = {0};
    const char *const extra[] = {"--accept-any-bridge", "--json", "--count", "2",
                                 "--timeout",           "3",      NULL};
    Raw slow = {0};
    int silent;
    char byte;
    gboolean cut = FALSE;
    g_autofree char *answer = NULL;
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;

    setup_dirs(&r);
    start(&r, extra);

    /* One client that never starts its handshake, one that sends its request a byte at a time. */
    silent = tcp_connect(&r);
    raw_connect(&slow, &r, r.bridge);
    raw_send(&slow, "POST /events HTTP/1.1\r\nHost: x\r\n");

    /* Meanwhile, a bridge is served. */
    ck_assert_int_eq(post(&r, BATCH(0, EVENT(1)), NULL, TRUE, FALSE), 204);

    for (int waited = 0; waited < CUT_OFF_WAIT_MS && !cut; waited += 200) {
        cut = readable(slow.fd, 200);
        if (!cut) {
            raw_send(&slow, "X");
        }
    }
    ck_assert_msg(cut, "a client sending a byte every 200 ms was not cut off");
    answer = raw_read_all(&slow);
    ck_assert_msg(g_str_has_prefix(answer, "HTTP/1.1 408 "), "%s", answer);

    ck_assert(readable(silent, CUT_OFF_WAIT_MS));
    ck_assert_int_eq(read(silent, &byte, 1), 0);

    /* And a bridge posting afterwards is served too. */
    ck_assert_int_eq(post(&r, BATCH(0, EVENT(2)), NULL, TRUE, FALSE), 204);

    expect_exit_0(&r); /* --count 2 reached */
    out = read_all(r.out_fd);
    lines = g_strsplit(out, "\n", -1);
    ck_assert_msg(g_strv_length(lines) == 3, "%s", out);
    ck_assert_ptr_nonnull(strstr(lines[0], "\"seq\":1"));
    ck_assert_ptr_nonnull(strstr(lines[1], "\"seq\":2"));
    raw_close(&slow);
    close(silent);
    finish(&r);
}
END_TEST

START_TEST(test_timeout_zero_refused)
{
    Receiver r = {0};
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = {VMLINKCTL_PATH, "--timeout",   "0", "receive-events",
                          "--listen",     "127.0.0.1:0", NULL};
    int status = 0;

    setup_dirs(&r);
    {
        g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "XDG_CONFIG_HOME", r.dir, TRUE);

        ck_assert(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err,
                               &status, &error));
    }
    ck_assert(g_spawn_check_wait_status(status, NULL) == FALSE);
    ck_assert_msg(strstr(err, "--timeout 0") != NULL, "%s", err);
    r.out_fd = r.err_fd = -1;
    finish(&r);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("receive");
    TCase *tc = tcase_create("receive");
    int status;

    /* Writing to a connection the receiver cut is a failed write here, not the test's end. */
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_answers_and_prints);
    tcase_add_test(tc, test_only_owned_bridges);
    tcase_add_test(tc, test_refused_before_reading);
    tcase_add_test(tc, test_slow_clients_cut_off);
    tcase_add_test(tc, test_timeout_zero_refused);
    suite_add_tcase(s, tc);
    status = vl_check_run(s);
    curl_global_cleanup();
    return status;
}
