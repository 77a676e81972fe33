/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pam_vmlink.so (issue 7) in a real PAM stack: pamtester under pam_wrapper runs
 *
 *     auth     requisite  pam_vmlink.so socket=<the test's socket>
 *     auth     required   pam_exec.so expose_authtok <check-password> <passdb>
 *     account  required   pam_matrix.so passdb=<passdb>
 *
 * against a scripted credential socket served by a thread of the test (the vl-sso.h protocol
 * from a table of tokens, each usable once).
 *
 * The password is judged after pam_vmlink, as pam_unix use_first_pass does in the real service:
 * pam_exec hands PAM_AUTHTOK (asking "Password:" only if it is unset) and PAM_USER to a small
 * script that looks for "user:password:service" in pam_matrix's passdb. pam_matrix itself cannot
 * be that module: it always prompts and never reads PAM_AUTHTOK. It checks the account instead,
 * which proves PAM_USER. So a success shows that pam_vmlink set both items, and a failure with
 * the agent's password wrong that the decision is the next module's.
 *
 * Paths come from meson: VL_PAM_VMLINK (the module), VL_PAMTESTER, VL_PAM_WRAPPER_MODULES
 * (the folder of pam_matrix.so), VL_PAM_EXEC (the system's pam_exec.so).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pam-vmlink-wire.h"
#include "vl-check.h"
#include "vl-sso.h"
#include "vl-test-util.h"

/* The module copies the contract's constants to stay free of GLib: they must agree. */
G_STATIC_ASSERT(PAM_VMLINK_TOKEN_LEN == VL_SSO_TOKEN_LEN);
G_STATIC_ASSERT(PAM_VMLINK_USER_MAX == VL_SSO_USER_MAX);
G_STATIC_ASSERT(PAM_VMLINK_PASSWORD_MAX == VL_SSO_PASSWORD_MAX);
G_STATIC_ASSERT(PAM_VMLINK_REQUEST_MAX == VL_SSO_REQUEST_MAX);

#define SERVICE "vmlink-sso-test"

/* Tokens are 43 characters of base64url, like the agent's. */
#define TOKEN_ALICE "alice-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_CAROL "carol-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_UNKNOWN "zzzzz-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_QUIET "quiet-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_TRUNC "trunc-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_EXTRA "extra-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_NOUSR "nousr-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_LARGE "large-token-0123456789-abcdefghijklmnopqrst"
#define TOKEN_CTRL_ "ctrl_-token-0123456789-abcdefghijklmnopqrst"
G_STATIC_ASSERT(sizeof(TOKEN_ALICE) - 1 == VL_SSO_TOKEN_LEN);

#define ALICE_PASSWORD "alice-Secret-4711"
/* The agent hands out a password for carol that the passdb does not accept. */
#define CAROL_PASSWORD "carol-Right-0815"
#define CAROL_AGENT_PASSWORD "carol-Wrong-0815"

/* Judges PAM_AUTHTOK (on stdin, NUL-terminated) for PAM_USER against pam_matrix's passdb. */
#define CHECK_PASSWORD_SCRIPT                                                                      \
    "#!/bin/sh\n"                                                                                  \
    "pw=$(tr -d '\\000')\n"                                                                        \
    "exec grep -qxF -- \"$PAM_USER:$pw:$PAM_SERVICE\" \"$1\"\n"

#define PASSDB                                                                                     \
    "alice:" ALICE_PASSWORD ":" SERVICE "\n"                                                       \
    "bob:bob-Secret-1234:" SERVICE "\n"                                                            \
    "carol:" CAROL_PASSWORD ":" SERVICE "\n"

/* One token of the scripted agent: an "OK" answer with user and password, or raw bytes. */
typedef struct {
    const char *token;
    const char *user;
    const char *password;
    const char *raw; /* sent as is (raw_len bytes) instead of an OK answer */
    size_t raw_len;
    gboolean silent; /* accept, read the request, never answer */
    gboolean used;
} FakeToken;

typedef struct {
    char *dir;
    char *socket_path;
    char *service_dir;
    int listen_fd;
    int stop_pipe[2];
    GThread *thread;
    gint connections;
    GMutex lock;
    char *last_request; /* under lock */
    FakeToken *tokens;
    gsize n_tokens;
} FakeAgent;

typedef struct {
    gboolean ok;
    char *output; /* pamtester's stdout and stderr, with pam_wrapper's log of pam_syslog */
} PamResult;

static void
pam_result_clear(PamResult *r)
{
    g_clear_pointer(&r->output, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PamResult, pam_result_clear)

static gboolean
wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int r;

    do {
        r = poll(&pfd, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

static void
fake_agent_serve(FakeAgent *agent, int fd)
{
    char request[VL_SSO_REQUEST_MAX + 1] = {0};
    size_t len = 0;
    FakeToken *found = NULL;
    GString *answer = g_string_new(NULL);

    while (len < VL_SSO_REQUEST_MAX && !memchr(request, '\n', len) && wait_fd(fd, POLLIN, 2000)) {
        ssize_t n = recv(fd, request + len, VL_SSO_REQUEST_MAX - len, 0);

        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    g_mutex_lock(&agent->lock);
    g_free(agent->last_request);
    agent->last_request = g_strndup(request, len);
    for (gsize i = 0; i < agent->n_tokens; i++) {
        FakeToken *t = &agent->tokens[i];
        g_autofree char *expected = g_strdup_printf("GET %s\n", t->token);

        if (strlen(expected) == len && memcmp(expected, request, len) == 0 && !t->used) {
            t->used = TRUE;
            found = t;
        }
    }
    g_mutex_unlock(&agent->lock);

    if (found && found->silent) {
        /* Until the module gives up and closes its end. */
        while (wait_fd(fd, POLLIN, 20000) && recv(fd, request, sizeof(request), 0) > 0) {
        }
    } else {
        if (found && found->raw) {
            g_string_append_len(answer, found->raw, (gssize)found->raw_len);
        } else if (found) {
            g_string_append(answer, "OK\n");
            g_string_append_len(answer, found->user, (gssize)strlen(found->user) + 1);
            g_string_append_len(answer, found->password, (gssize)strlen(found->password) + 1);
        } else {
            g_string_append(answer, "ERR unknown-token\n");
        }
        ck_assert_int_eq(send(fd, answer->str, answer->len, MSG_NOSIGNAL), (ssize_t)answer->len);
    }
    g_string_free(answer, TRUE);
    close(fd);
}

static gpointer
fake_agent_thread(gpointer data)
{
    FakeAgent *agent = data;

    for (;;) {
        struct pollfd pfds[2] = {{.fd = agent->listen_fd, .events = POLLIN},
                                 {.fd = agent->stop_pipe[0], .events = POLLIN}};
        int fd;

        if (poll(pfds, 2, -1) < 0) {
            ck_assert_int_eq(errno, EINTR);
            continue;
        }
        if (pfds[1].revents) {
            return NULL;
        }
        fd = accept4(agent->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        g_atomic_int_inc(&agent->connections);
        fake_agent_serve(agent, fd);
    }
}

/* A temporary folder with the passdb and the service file; with tokens, an agent listening. */
static FakeAgent *
fake_agent_new(FakeToken *tokens, gsize n_tokens, gboolean listen_on_socket)
{
    FakeAgent *agent = g_new0(FakeAgent, 1);
    const char *module = g_getenv("VL_PAM_VMLINK");
    const char *modules = g_getenv("VL_PAM_WRAPPER_MODULES");
    const char *pam_exec = g_getenv("VL_PAM_EXEC");
    g_autofree char *script = NULL;
    g_autofree char *passdb = NULL;
    g_autofree char *service = NULL;
    g_autofree char *service_path = NULL;
    GError *error = NULL;

    ck_assert_msg(module && modules && pam_exec, "VL_PAM_VMLINK, VL_PAM_WRAPPER_MODULES and "
                                                 "VL_PAM_EXEC come from meson");
    agent->dir = vl_test_make_tmp_dir("pam-vmlink-XXXXXX");
    agent->socket_path = g_build_filename(agent->dir, "sso.sock", NULL);
    agent->service_dir = g_build_filename(agent->dir, "pam.d", NULL);
    agent->tokens = tokens;
    agent->n_tokens = n_tokens;
    agent->listen_fd = -1;
    agent->stop_pipe[0] = agent->stop_pipe[1] = -1;
    g_mutex_init(&agent->lock);

    passdb = g_build_filename(agent->dir, "passdb", NULL);
    ck_assert(g_file_set_contents(passdb, PASSDB, -1, &error));
    script = g_build_filename(agent->dir, "check-password", NULL);
    ck_assert(g_file_set_contents(script, CHECK_PASSWORD_SCRIPT, -1, &error));
    ck_assert_int_eq(g_chmod(script, 0700), 0);
    service =
        g_strdup_printf("auth requisite %s socket=%s debug\n"
                        "auth required %s expose_authtok quiet %s %s\n"
                        "account required %s/pam_matrix.so passdb=%s\n",
                        module, agent->socket_path, pam_exec, script, passdb, modules, passdb);
    ck_assert_int_eq(g_mkdir(agent->service_dir, 0700), 0);
    service_path = g_build_filename(agent->service_dir, SERVICE, NULL);
    ck_assert(g_file_set_contents(service_path, service, -1, &error));

    if (listen_on_socket) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};

        ck_assert_uint_lt(strlen(agent->socket_path), sizeof(addr.sun_path));
        strcpy(addr.sun_path, agent->socket_path);
        agent->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(agent->listen_fd, 0);
        ck_assert_int_eq(bind(agent->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        ck_assert_int_eq(listen(agent->listen_fd, 8), 0);
        ck_assert_int_eq(pipe2(agent->stop_pipe, O_CLOEXEC), 0);
        agent->thread = g_thread_new("fake-agent", fake_agent_thread, agent);
    }
    return agent;
}

static void
fake_agent_free(FakeAgent *agent)
{
    if (agent->thread) {
        ck_assert_int_eq(write(agent->stop_pipe[1], "x", 1), 1);
        g_thread_join(agent->thread);
        close(agent->stop_pipe[0]);
        close(agent->stop_pipe[1]);
        close(agent->listen_fd);
    }
    vl_test_remove_tree(agent->dir);
    g_free(agent->dir);
    g_free(agent->socket_path);
    g_free(agent->service_dir);
    g_free(agent->last_request);
    g_mutex_clear(&agent->lock);
    g_free(agent);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeAgent, fake_agent_free)

static int
fake_agent_connections(FakeAgent *agent)
{
    return g_atomic_int_get(&agent->connections);
}

/* pamtester SERVICE user authenticate acct_mgmt, answering the token prompt with input. */
static PamResult
run_pamtester(FakeAgent *agent, const char *user, const char *input)
{
    const char *pamtester = g_getenv("VL_PAMTESTER");
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GBytes) in = g_bytes_new(input, strlen(input));
    g_autoptr(GBytes) out = NULL;
    g_autoptr(GBytes) err = NULL;
    GError *error = NULL;
    GString *output;
    PamResult result = {0};

    ck_assert_msg(pamtester != NULL, "VL_PAMTESTER comes from meson");
    launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_setenv(launcher, "LD_PRELOAD", "libpam_wrapper.so", TRUE);
    g_subprocess_launcher_setenv(launcher, "PAM_WRAPPER", "1", TRUE);
    g_subprocess_launcher_setenv(launcher, "PAM_WRAPPER_SERVICE_DIR", agent->service_dir, TRUE);
    /* pam_syslog's lines on stderr, down to LOG_DEBUG; level 3 would trace items. */
    g_subprocess_launcher_setenv(launcher, "PAM_WRAPPER_DEBUGLEVEL", "2", TRUE);
    proc = g_subprocess_launcher_spawn(launcher, &error, pamtester, "-v", SERVICE, user,
                                       "authenticate", "acct_mgmt", NULL);
    ck_assert_msg(proc != NULL, "%s", error ? error->message : "");
    ck_assert_msg(g_subprocess_communicate(proc, in, NULL, &out, &err, &error), "%s",
                  error ? error->message : "");
    ck_assert(g_subprocess_get_if_exited(proc));
    result.ok = g_subprocess_get_exit_status(proc) == 0;
    output = g_string_new(NULL);
    g_string_append_len(output, g_bytes_get_data(out, NULL), (gssize)g_bytes_get_size(out));
    g_string_append_len(output, g_bytes_get_data(err, NULL), (gssize)g_bytes_get_size(err));
    result.output = g_string_free(output, FALSE);

    /* Whatever happened, no password reaches a log or the terminal. */
    ck_assert_msg(!strstr(result.output, ALICE_PASSWORD), "password leaked: %s", result.output);
    ck_assert_msg(!strstr(result.output, CAROL_AGENT_PASSWORD), "password leaked: %s",
                  result.output);
    return result;
}

static void
assert_mentions(const PamResult *r, const char *text)
{
    ck_assert_msg(strstr(r->output, text) != NULL, "\"%s\" not in:\n%s", text, r->output);
}

START_TEST(test_constants_agree)
{
    ck_assert_str_eq(PAM_VMLINK_SOCKET_PATH, VL_SSO_SOCKET_PATH);
}
END_TEST

START_TEST(test_right_token_right_password)
{
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) r = run_pamtester(agent, "alice", TOKEN_ALICE "\n");

    ck_assert_msg(r.ok, "%s", r.output);
    assert_mentions(&r, "vmlink SSO token: ");
    /* The next module took the password from PAM_AUTHTOK: nobody asked for one. */
    ck_assert_msg(!strstr(r.output, "Password"), "%s", r.output);
    ck_assert_int_eq(fake_agent_connections(agent), 1);
    ck_assert_str_eq(agent->last_request, "GET " TOKEN_ALICE "\n");
}
END_TEST

/* pamtester needs a user argument; an empty one leaves PAM_USER empty, so the module sets it. */
START_TEST(test_sets_pam_user)
{
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) r = run_pamtester(agent, "", TOKEN_ALICE "\n");

    ck_assert_msg(r.ok, "%s", r.output);
    assert_mentions(&r, "credentials for user alice handed to the next module");
}
END_TEST

START_TEST(test_agent_password_wrong)
{
    FakeToken tokens[] = {
        {.token = TOKEN_CAROL, .user = "carol", .password = CAROL_AGENT_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) r = run_pamtester(agent, "carol", TOKEN_CAROL "\n");

    /* pam_vmlink succeeded (it asked the agent and handed over); the next module said no. */
    ck_assert_msg(!r.ok, "%s", r.output);
    ck_assert_int_eq(fake_agent_connections(agent), 1);
    assert_mentions(&r, "credentials for user carol handed to the next module");
    assert_mentions(&r, "check-password failed: exit code 1");
}
END_TEST

START_TEST(test_wrong_token)
{
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) r = run_pamtester(agent, "alice", TOKEN_UNKNOWN "\n");

    ck_assert_msg(!r.ok, "%s", r.output);
    ck_assert_int_eq(fake_agent_connections(agent), 1);
    assert_mentions(&r, "the vmlink agent refused the token: unknown-token");
}
END_TEST

START_TEST(test_token_used_twice)
{
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) first = run_pamtester(agent, "alice", TOKEN_ALICE "\n");
    g_auto(PamResult) second = run_pamtester(agent, "alice", TOKEN_ALICE "\n");

    ck_assert_msg(first.ok, "%s", first.output);
    ck_assert_msg(!second.ok, "%s", second.output);
    ck_assert_int_eq(fake_agent_connections(agent), 2);
    assert_mentions(&second, "refused the token: unknown-token");
}
END_TEST

START_TEST(test_user_mismatch)
{
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) r = run_pamtester(agent, "bob", TOKEN_ALICE "\n");

    ck_assert_msg(!r.ok, "%s", r.output);
    ck_assert_int_eq(fake_agent_connections(agent), 1);
    assert_mentions(&r, "SSO token is for user alice, not for the requested user bob");
}
END_TEST

/* A socket at the path that is not the agent's (root's): nothing it says is believed. */
START_TEST(test_socket_not_served_by_root)
{
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), FALSE);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int ready[2];
    char byte;
    pid_t pid;

    if (geteuid() != 0) {
        printf("skipped: a socket of another user needs root to make\n");
        return;
    }
    ck_assert_int_eq(g_chmod(agent->dir, 0777), 0);
    strcpy(addr.sun_path, agent->socket_path);
    ck_assert_int_eq(pipe(ready), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* nobody serves alice's credentials, as the real agent would. */
        static const char answer[] = "OK\nalice\0" ALICE_PASSWORD;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        int client;

        if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0 ||
            bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0 ||
            write(ready[1], "x", 1) != 1) {
            _exit(1);
        }
        client = accept(fd, NULL, NULL);
        if (client >= 0) {
            (void)!write(client, answer, sizeof(answer));
            close(client);
        }
        _exit(0);
    }
    close(ready[1]);
    ck_assert_int_eq(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    {
        g_auto(PamResult) r = run_pamtester(agent, "alice", TOKEN_ALICE "\n");

        ck_assert_msg(!r.ok, "%s", r.output);
        assert_mentions(&r, "is not served by root: refused");
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(test_malformed_token_never_connects)
{
    static const char *const inputs[] = {
        "\n",
        "short\n",
        TOKEN_ALICE "x\n",                                  /* 44 characters */
        "alice-token-0123456789-abcdefghijklmnopqrs\n",     /* 42 */
        "alice+token/0123456789-abcdefghijklmnopqrst\n",    /* base64, not base64url */
        "alice token-0123456789-abcdefghijklmnopqrst\n",    /* a space */
        "alice-token-0123456789-abcdefghijklmnopqr==\n",    /* padding */
        "alice-token-0123456789-abcdefghijklmnopqrs\xc3\n", /* not ASCII */
        "",                                                 /* no answer at all */
    };
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);

    for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
        g_auto(PamResult) r = run_pamtester(agent, "alice", inputs[i]);

        ck_assert_msg(!r.ok, "accepted \"%s\": %s", inputs[i], r.output);
    }
    ck_assert_int_eq(fake_agent_connections(agent), 0);
}
END_TEST

START_TEST(test_agent_not_running)
{
    g_autoptr(FakeAgent) agent = fake_agent_new(NULL, 0, FALSE);
    g_auto(PamResult) r = run_pamtester(agent, "alice", TOKEN_ALICE "\n");

    ck_assert_msg(!r.ok, "%s", r.output);
    assert_mentions(&r, "vmlink agent not reachable at");
    assert_mentions(&r, "Authentication service cannot retrieve authentication info");
}
END_TEST

/* A socket file left behind by an agent that died: refused, not hung. */
START_TEST(test_agent_gone)
{
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = "alice", .password = ALICE_PASSWORD}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) r = {0};

    ck_assert_int_eq(write(agent->stop_pipe[1], "x", 1), 1);
    g_thread_join(g_steal_pointer(&agent->thread));
    close(agent->listen_fd);
    close(agent->stop_pipe[0]);
    close(agent->stop_pipe[1]);
    r = run_pamtester(agent, "alice", TOKEN_ALICE "\n");
    ck_assert_msg(!r.ok, "%s", r.output);
    assert_mentions(&r, "Authentication service cannot retrieve authentication info");
}
END_TEST

START_TEST(test_agent_silent)
{
    FakeToken tokens[] = {{.token = TOKEN_QUIET, .silent = TRUE}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    gint64 start = g_get_monotonic_time();
    g_auto(PamResult) r = run_pamtester(agent, "alice", TOKEN_QUIET "\n");
    gint64 elapsed_ms = (g_get_monotonic_time() - start) / 1000;

    ck_assert_msg(!r.ok, "%s", r.output);
    assert_mentions(&r, "did not answer within 5000 ms");
    ck_assert_int_ge(elapsed_ms, 4900);
    ck_assert_int_lt(elapsed_ms, 15000);
}
END_TEST

/* Answers that break the protocol are refused, however close to right they are. */
START_TEST(test_malformed_answers)
{
    static const char trunc[] = "OK\nalice\0" ALICE_PASSWORD; /* no final NUL */
    static const char extra[] = "OK\nalice\0" ALICE_PASSWORD "\0more";
    static const char nousr[] = "OK\n\0" ALICE_PASSWORD "";
    static const char ctrl[] = "OK\nali\nce\0" ALICE_PASSWORD "";
    g_autofree char *large = g_malloc0(4 + VL_SSO_USER_MAX + 2 + VL_SSO_PASSWORD_MAX + 2);
    gsize large_len = 0;
    FakeToken tokens[] = {
        {.token = TOKEN_TRUNC, .raw = trunc, .raw_len = sizeof(trunc) - 1},
        {.token = TOKEN_EXTRA, .raw = extra, .raw_len = sizeof(extra)},
        {.token = TOKEN_NOUSR, .raw = nousr, .raw_len = sizeof(nousr)},
        {.token = TOKEN_CTRL_, .raw = ctrl, .raw_len = sizeof(ctrl)},
        {.token = TOKEN_LARGE, .raw = large},
    };
    static const char *const order[] = {TOKEN_TRUNC, TOKEN_EXTRA, TOKEN_NOUSR, TOKEN_CTRL_,
                                        TOKEN_LARGE};
    g_autoptr(FakeAgent) agent = NULL;

    /* A user one byte over the limit, and a password at its limit. */
    memcpy(large, "OK\n", 3);
    large_len = 3;
    memset(large + large_len, 'a', VL_SSO_USER_MAX + 1);
    large_len += VL_SSO_USER_MAX + 2;
    memset(large + large_len, 'p', VL_SSO_PASSWORD_MAX);
    large_len += VL_SSO_PASSWORD_MAX + 1;
    tokens[4].raw_len = large_len;

    agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    for (gsize i = 0; i < G_N_ELEMENTS(order); i++) {
        g_autofree char *input = g_strconcat(order[i], "\n", NULL);
        g_auto(PamResult) r = run_pamtester(agent, "alice", input);

        ck_assert_msg(!r.ok, "accepted the answer for %s: %s", order[i], r.output);
        assert_mentions(&r, "the vmlink agent");
        ck_assert_msg(!strstr(r.output, "handed to the next module"), "%s", r.output);
    }
    ck_assert_int_eq(fake_agent_connections(agent), (int)G_N_ELEMENTS(order));
}
END_TEST

/* The longest answer the contract allows is taken whole. */
START_TEST(test_longest_answer)
{
    g_autofree char *user = g_strnfill(VL_SSO_USER_MAX, 'u');
    g_autofree char *password = g_strnfill(VL_SSO_PASSWORD_MAX, 'p');
    FakeToken tokens[] = {{.token = TOKEN_ALICE, .user = user, .password = password}};
    g_autoptr(FakeAgent) agent = fake_agent_new(tokens, G_N_ELEMENTS(tokens), TRUE);
    g_auto(PamResult) r = run_pamtester(agent, "", TOKEN_ALICE "\n");

    /* No such user in the passdb: the next module refuses, after pam_vmlink handed over. */
    ck_assert_msg(!r.ok, "%s", r.output);
    assert_mentions(&r, "handed to the next module");
    ck_assert_msg(!strstr(r.output, password), "password leaked: %s", r.output);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_constants_agree,
        test_right_token_right_password,
        test_sets_pam_user,
        test_agent_password_wrong,
        test_wrong_token,
        test_token_used_twice,
        test_user_mismatch,
        test_malformed_token_never_connects,
        test_agent_not_running,
        test_agent_gone,
        test_agent_silent,
        test_malformed_answers,
        test_longest_answer,
        test_socket_not_served_by_root,
        NULL,
    };

    return vl_check_run(vl_check_suite("pam-vmlink", tests));
}
