/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What guards vmlinkd's TLS control plane, end to end: the TLS policy checked with the openssl
 * command and a plain-TCP client, a damaged state file, the state file moved away while the owner
 * is connected, and bad input over TLS. (Ownership itself: control-test.c.)
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <glib/gstdio.h>

#include "control-harness.h"
#include "vl-check.h"
#include "vl-json.h"

static ChBridge b;

START_TEST(test_tls_policy)
{
    g_autofree char *target = NULL;
    g_autofree char *out = NULL;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    struct timeval timeout = {.tv_sec = 15};
    char buf[512];
    ssize_t n;
    int fd;

    ch_start(&b, 1, NULL);
    target = g_strdup_printf("127.0.0.1:%u", b.port);
    {
        const char *argv[] = {"openssl", "s_client", "-connect", target, "-tls1_1", NULL};

        ck_assert_int_ne(ch_run(argv, "", NULL, NULL), 0);
    }
    {
        const char *argv[] = {"openssl", "s_client", "-connect", target, "-tls1_2", NULL};

        ck_assert_int_eq(ch_run(argv, "", &out, NULL), 0);
        ck_assert_msg(strstr(out, "TLSv1.2") != NULL && strstr(out, "GCM") != NULL, "%s", out);
        g_clear_pointer(&out, g_free);
    }
    {
        const char *argv[] = {"openssl", "s_client", "-connect", target, NULL};

        ck_assert_int_eq(ch_run(argv, "", &out, NULL), 0);
        ck_assert_msg(strstr(out, "TLSv1.3") != NULL, "%s", out);
    }
    /* A JSON-RPC request in clear gets no answer, only the end of the connection. */
    addr.sin_port = htons(b.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert(write(fd, CH_VM_LIST, strlen(CH_VM_LIST)) == (ssize_t)strlen(CH_VM_LIST));
    n = read(fd, buf, sizeof(buf) - 1);
    /* The handshake fails: an alert then the end, or a reset; never a timeout. */
    ck_assert_msg(n >= 0 || errno == ECONNRESET, "the connection was not closed: %s",
                  g_strerror(errno));
    ck_assert_msg(n <= 0 || memmem(buf, (size_t)n, "jsonrpc", 7) == NULL, "answered in clear");
    close(fd);
    ch_finish(&b);
}
END_TEST

START_TEST(test_damaged_state)
{
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *local = NULL;
    g_autofree char *log = NULL;
    g_autoptr(VlJson) info = NULL;
    char *at;
    int status;

    ch_start(&b, 1, NULL);
    ch_take_ownership(&b, "a");
    ch_bridge_stop(&b);
    path = g_build_filename(b.state, "state.json", NULL);
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    at = strstr(text, "manager");
    ck_assert_ptr_nonnull(at);
    at[0] = 'M'; /* one byte: the digest no longer matches */
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    g_chmod(path, 0600);
    ch_bridge_start(&b);
    /* Nobody owns a bridge whose state cannot be trusted; the host's root sees why. */
    ch_assert_cannot_list_vms(&b, "a");
    local = g_strconcat("unix:", b.local, NULL);
    status =
        ch_ctl(&b, "root", NULL, &out, &err, "--connect", local, "--json", "host", "info", NULL);
    ck_assert_msg(status == 0, "%s", err);
    info = ch_parse(out);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(info, "ownership")), "damaged");
    log = ch_bridge_log(&b);
    ck_assert_msg(strstr(log, "state.json") != NULL, "the log does not name the file: %s", log);
    ch_finish(&b);
}
END_TEST

START_TEST(test_state_removed_while_running)
{
    g_autofree char *home = NULL;
    g_autofree char *path = NULL;
    g_autofree char *moved = NULL;
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autoptr(GSubprocess) follow = NULL;
    g_autofree char *follow_err = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = {g_getenv("VL_CTL"), "--connect", NULL, "events", "--follow", NULL};
    gint64 deadline;

    ch_start(&b, 1, NULL);
    argv[2] = b.address;
    ch_take_ownership(&b, "a");
    home = g_build_filename(b.work, "a", NULL);
    follow_err = g_build_filename(b.work, "follow.err", NULL);
    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", home, TRUE);
    g_subprocess_launcher_set_stderr_file_path(launcher, follow_err);
    follow = g_subprocess_launcher_spawnv(launcher, argv, &error);
    ck_assert_msg(follow != NULL, "%s", error ? error->message : "");
    g_usleep(G_USEC_PER_SEC);
    ck_assert_msg(g_subprocess_get_identifier(follow) != NULL, "events --follow ended early");
    /* The administrator moves the state away: nobody owns the bridge now, and the owner's open
     * stream ends without any call being made. */
    path = g_build_filename(b.state, "state.json", NULL);
    moved = g_build_filename(b.work, "state.json.moved", NULL);
    ck_assert_int_eq(g_rename(path, moved), 0);
    deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (g_subprocess_get_identifier(follow) != NULL) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "the owner's stream was not cut");
        g_usleep(100000);
    }
    g_subprocess_wait(follow, NULL, NULL);
    ck_assert_int_ne(g_subprocess_get_exit_status(follow), 0);
    ch_finish(&b);
}
END_TEST

START_TEST(test_bad_input)
{
    g_autofree char *big = NULL;
    g_autofree char *answer = NULL;

    ch_start(&b, 1, "max-request-size = 4096\n");
    ch_take_ownership(&b, "a");
    big = g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\",\"params\":"
                          "{\"pad\":\"%0*d\"}}\n" CH_VM_LIST,
                          8000, 0);
    answer = ch_call_as(&b, "a", big);
    ck_assert_int_eq(ch_error_code(answer, NULL), -32700);
    g_free(answer);
    answer = ch_call_as(&b, "a", "{\"jsonrpc\":\"2.0\",\"id\":1}\n");
    ck_assert_int_eq(ch_error_code(answer, NULL), -32600);
    g_free(answer);
    answer = ch_call_as(&b, "a", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.fly\"}\n");
    ck_assert_int_eq(ch_error_code(answer, NULL), -32601);
    g_free(answer);
    answer = ch_call_as(&b, "a", "not json at all\n");
    ck_assert_int_eq(ch_error_code(answer, NULL), -32700);
    g_free(answer);
    answer = ch_call_as(&b, "a", CH_VM_LIST);
    ck_assert_msg(answer && strstr(answer, "\"result\"") != NULL, "%s", answer);
    ch_finish(&b);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_tls_policy, test_damaged_state, test_state_removed_while_running, test_bad_input, NULL,
    };

    return vl_check_run(vl_check_suite("control-guard", tests));
}
