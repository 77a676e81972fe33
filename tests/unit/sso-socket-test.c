/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The credential socket over real UNIX sockets: clients in threads, the socket on the main
 * loop of this thread. */
#include <check.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl-secmem.h"
#include "vl-sso-socket.h"
#include "vl-sso.h"

typedef struct {
    char *dir;
    char *path;
    VlSsoTokens *tokens;
    VlSsoSocket *socket;
} Fixture;

static void
fixture_init(Fixture *f)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("vl-sso-XXXXXX", &error);
    ck_assert_msg(f->dir != NULL, "%s", error ? error->message : "");
    /* A directory the socket creates itself. */
    f->path = g_build_filename(f->dir, "run", "sso.sock", NULL);
    f->tokens = vl_sso_tokens_new(VL_SSO_MAX_TOKENS, VL_SSO_TOKEN_TTL_S);
    f->socket = vl_sso_socket_new(f->tokens, f->path, &error);
    ck_assert_msg(f->socket != NULL, "%s", error ? error->message : "");
}

static void
fixture_clear(Fixture *f)
{
    g_autofree char *run = g_path_get_dirname(f->path);

    vl_sso_socket_free(f->socket);
    ck_assert_msg(!g_file_test(f->path, G_FILE_TEST_EXISTS), "socket file left behind");
    vl_sso_tokens_free(f->tokens);
    g_rmdir(run);
    g_rmdir(f->dir);
    g_free(f->path);
    g_free(f->dir);
}

static int
connect_to(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = 20};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    /* A hang is a failure, not a stuck test. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* One client: sends REQUEST (if any) on FD, then reads until the agent closes. */
typedef struct {
    int fd;
    const char *request;
    gsize request_len;
    gboolean shut_write; /* end the stream after the request */
    GByteArray *answer;
    gint64 closed_us; /* when the agent closed */
    gint done;
} Client;

static gpointer
client_thread(gpointer data)
{
    Client *c = data;
    char buf[512];
    ssize_t n;

    if (c->request_len > 0) {
        /* May fail (EPIPE) when the agent refused the peer and closed before reading: the
         * answer is still there to read, as a real client should do too. */
        (void)send(c->fd, c->request, c->request_len, MSG_NOSIGNAL);
    }
    if (c->shut_write) {
        shutdown(c->fd, SHUT_WR);
    }
    c->answer = g_byte_array_new();
    while ((n = recv(c->fd, buf, sizeof(buf), 0)) > 0) {
        g_byte_array_append(c->answer, (guint8 *)buf, (guint)n);
    }
    c->closed_us = g_get_monotonic_time();
    close(c->fd);
    g_atomic_int_set(&c->done, 1);
    g_main_context_wakeup(NULL);
    return NULL;
}

static GThread *
client_start(Client *c)
{
    return g_thread_new("client", client_thread, c);
}

/* Runs the main loop until the client is done. */
static void
client_finish(Client *c, GThread *thread)
{
    while (!g_atomic_int_get(&c->done)) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_thread_join(thread);
}

static GByteArray *
exchange_raw(const char *path, const char *request, gsize len, gboolean shut_write)
{
    Client c = {
        .fd = connect_to(path), .request = request, .request_len = len, .shut_write = shut_write};

    client_finish(&c, client_start(&c));
    return c.answer;
}

static GByteArray *
exchange(const char *path, const char *request)
{
    return exchange_raw(path, request, strlen(request), FALSE);
}

static void
assert_answer(GByteArray *answer, const char *expected, gsize expected_len)
{
    g_autofree char *got = g_strndup((const char *)answer->data, answer->len);

    ck_assert_msg(answer->len == expected_len && memcmp(answer->data, expected, expected_len) == 0,
                  "got \"%s\" (%u bytes), expected \"%s\"", got, answer->len, expected);
    g_byte_array_unref(answer);
}

static char *
add(Fixture *f, const char *user, const char *password, gint64 now_us)
{
    g_autoptr(GError) error = NULL;
    char *token = vl_sso_tokens_add(f->tokens, user, password, strlen(password), now_us, &error);

    ck_assert_msg(token != NULL, "%s", error ? error->message : "");
    return token;
}

static char *
get(const char *token)
{
    return g_strdup_printf("GET %s\n", token);
}

#define ERR_UNKNOWN "ERR unknown-token\n"
#define ERR_BAD "ERR bad-request\n"

typedef struct {
    guint released;
    guint dirty;
} Releases;

static void
on_release(const void *mem, gsize size, gpointer user_data)
{
    Releases *r = user_data;

    r->released++;
    for (gsize i = 0; i < size; i++) {
        if (((const guint8 *)mem)[i] != 0) {
            r->dirty++;
            break;
        }
    }
}

START_TEST(test_right_token_then_used)
{
    static const char expected[] = "OK\nalice\0pa ss\nword\0";
    Fixture f;
    Releases r = {0};
    g_autofree char *token = NULL;
    g_autofree char *request = NULL;
    g_autofree char *run = NULL;
    struct stat st;

    fixture_init(&f);
    token = add(&f, "alice", "pa ss\nword", g_get_monotonic_time());
    request = get(token);

    /* Born 0600 in a directory made 0755. */
    ck_assert_int_eq(stat(f.path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    run = g_path_get_dirname(f.path);
    ck_assert_int_eq(stat(run, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0755);

    vl_secmem_set_release_hook(on_release, &r);
    assert_answer(exchange(f.path, request), expected, sizeof(expected) - 1);
    /* The store's copy, the taken password, the request and the reply: all wiped. */
    ck_assert_uint_ge(r.released, 4);
    ck_assert_uint_eq(r.dirty, 0);
    vl_secmem_set_release_hook(NULL, NULL);
    ck_assert_uint_eq(vl_sso_tokens_count(f.tokens), 0);

    assert_answer(exchange(f.path, request), ERR_UNKNOWN, strlen(ERR_UNKNOWN));
    fixture_clear(&f);
}
END_TEST

START_TEST(test_wrong_and_expired_token)
{
    Fixture f;
    g_autofree char *token = NULL;
    g_autofree char *old = NULL;
    g_autofree char *wrong = NULL;
    g_autofree char *request = NULL;

    fixture_init(&f);
    token = add(&f, "alice", "pw", g_get_monotonic_time());
    wrong = g_strdup(token);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    request = get(wrong);
    assert_answer(exchange(f.path, request), ERR_UNKNOWN, strlen(ERR_UNKNOWN));
    ck_assert_uint_eq(vl_sso_tokens_count(f.tokens), 1);

    /* Added a TTL and a second ago: expired, answered like any unknown token, and swept. */
    old = add(&f, "bob", "pw", g_get_monotonic_time() - (VL_SSO_TOKEN_TTL_S + 1) * G_USEC_PER_SEC);
    g_free(request);
    request = get(old);
    assert_answer(exchange(f.path, request), ERR_UNKNOWN, strlen(ERR_UNKNOWN));
    ck_assert_uint_eq(vl_sso_tokens_count(f.tokens), 1);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_bad_requests)
{
    Fixture f;
    g_autofree char *token = NULL;
    g_autofree char *lower = NULL;
    g_autofree char *no_newline = NULL;
    g_autofree char *bad_char = NULL;
    g_autofree char *full = g_strnfill(VL_SSO_REQUEST_MAX, 'x');
    g_autofree char *request = NULL;
    g_autofree char *user = NULL;
    g_autoptr(VlSecret) password = NULL;

    fixture_init(&f);
    token = add(&f, "alice", "pw", g_get_monotonic_time());
    lower = g_strdup_printf("get %s\n", token);
    no_newline = g_strdup_printf("GET %s", token);
    bad_char = get(token);
    bad_char[4] = '!';

    assert_answer(exchange(f.path, "GET short\n"), ERR_BAD, strlen(ERR_BAD));
    assert_answer(exchange(f.path, "\n"), ERR_BAD, strlen(ERR_BAD));
    assert_answer(exchange(f.path, lower), ERR_BAD, strlen(ERR_BAD));
    assert_answer(exchange(f.path, bad_char), ERR_BAD, strlen(ERR_BAD));
    /* More than a request may hold, without a line end. */
    assert_answer(exchange(f.path, full), ERR_BAD, strlen(ERR_BAD));
    /* The stream ends before the line does. */
    assert_answer(exchange_raw(f.path, no_newline, strlen(no_newline), TRUE), ERR_BAD,
                  strlen(ERR_BAD));
    /* A NUL inside the line. */
    request = get(token);
    request[10] = '\0';
    assert_answer(exchange_raw(f.path, request, strlen(token) + 5, FALSE), ERR_BAD,
                  strlen(ERR_BAD));
    /* Bytes after the line. */
    assert_answer(exchange(f.path, "GET x\nmore"), ERR_BAD, strlen(ERR_BAD));

    /* None of it used the token up. */
    ck_assert(vl_sso_tokens_take(f.tokens, token, g_get_monotonic_time(), &user, &password));
    fixture_clear(&f);
}
END_TEST

START_TEST(test_not_root)
{
    static const char expected[] = "OK\nalice\0pw\0";
    Fixture f;
    g_autofree char *token = NULL;
    g_autofree char *request = NULL;

    fixture_init(&f);
    token = add(&f, "alice", "pw", g_get_monotonic_time());
    request = get(token);
    /* Whoever runs the test is not the peer the socket now wants. */
    vl_sso_socket_set_required_uid(f.socket, getuid() + 1);
    assert_answer(exchange(f.path, request), "ERR not-root\n", strlen("ERR not-root\n"));
    ck_assert_uint_eq(vl_sso_tokens_count(f.tokens), 1);

    vl_sso_socket_set_required_uid(f.socket, getuid());
    assert_answer(exchange(f.path, request), expected, sizeof(expected) - 1);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_silent_client_closed_after_deadline)
{
    static const char expected[] = "OK\nbob\0pw\0";
    Fixture f;
    g_autofree char *token = NULL;
    g_autofree char *request = NULL;
    Client silent = {0};
    Client served = {0};
    GThread *silent_thread;
    GThread *served_thread;
    gint64 start;

    fixture_init(&f);
    vl_sso_socket_set_timeout(f.socket, 500);
    token = add(&f, "bob", "pw", g_get_monotonic_time());
    request = get(token);

    start = g_get_monotonic_time();
    silent.fd = connect_to(f.path);
    silent_thread = client_start(&silent);
    served.fd = connect_to(f.path);
    served.request = request;
    served.request_len = strlen(request);
    served_thread = client_start(&served);

    client_finish(&served, served_thread);
    assert_answer(served.answer, expected, sizeof(expected) - 1);
    client_finish(&silent, silent_thread);
    ck_assert_uint_eq(silent.answer->len, 0);
    g_byte_array_unref(silent.answer);
    /* Served while the silent one was still waiting, which was closed at its deadline. */
    ck_assert_int_lt(served.closed_us, silent.closed_us);
    ck_assert_int_ge(silent.closed_us - start, 500 * 1000);
    ck_assert_int_lt(silent.closed_us - start, 10 * G_USEC_PER_SEC);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_stale_and_busy_paths)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("vl-sso-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "sso.sock", NULL);
    g_autofree char *request = NULL;
    g_autofree char *token = NULL;
    g_autoptr(VlSsoTokens) tokens = vl_sso_tokens_new(4, 30);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    VlSsoSocket *s;
    VlSsoSocket *second;
    int fd;

    /* A socket file nobody listens on, as a crashed agent leaves it. */
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);
    s = vl_sso_socket_new(tokens, path, &error);
    ck_assert_msg(s != NULL, "%s", error ? error->message : "");
    token = vl_sso_tokens_add(tokens, "alice", "pw", 2, g_get_monotonic_time(), NULL);
    request = get(token);
    assert_answer(exchange(path, request), "OK\nalice\0pw\0", 12);

    /* A live one is not taken over. */
    second = vl_sso_socket_new(tokens, path, &error);
    ck_assert_ptr_null(second);
    ck_assert(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE));
    vl_sso_socket_free(s);

    /* Nor is anything that is not a socket. */
    ck_assert(g_file_set_contents(path, "data", -1, NULL));
    g_clear_error(&error);
    ck_assert_ptr_null(vl_sso_socket_new(tokens, path, &error));
    ck_assert(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_EXISTS));
    g_unlink(path);

    /* Nor a directory others may write to. */
    ck_assert_int_eq(chmod(dir, 0777), 0);
    g_clear_error(&error);
    ck_assert_ptr_null(vl_sso_socket_new(tokens, path, &error));
    ck_assert(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED));
    g_rmdir(dir);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sso-socket");
    TCase *tc = tcase_create("socket");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_right_token_then_used);
    tcase_add_test(tc, test_wrong_and_expired_token);
    tcase_add_test(tc, test_bad_requests);
    tcase_add_test(tc, test_not_root);
    tcase_add_test(tc, test_silent_client_closed_after_deadline);
    tcase_add_test(tc, test_stale_and_busy_paths);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
