/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl run as a process (the built binary, VMLINKCTL_PATH) against the scripted server:
 * what it prints on stdout and stderr, what it sent, and its exit code for success (0), a
 * failed call (1), a usage error (2) and a connection that cannot be made or is lost (3).
 */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ctl-process.h"
#include "script-server.h"
#include "test-util.h"
#include "vl-protocol.h"

#define UUID "0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f"
#define VM_LIST_RESULT                                                                             \
    "{\"vms\":[{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"state\":\"running\","                    \
    "\"agent\":\"responsive\",\"memory_kib\":1048576,\"vcpus\":2},{\"name\":\"db\",\"uuid\":"      \
    "\"" UUID                                                                                      \
    "\",\"state\":\"shutoff\",\"agent\":\"absent\",\"memory_kib\":4194304,\"vcpus\":4}]}"
#define EVENT_PARAMS(seq, kind, data)                                                              \
    "{\"seq\":" seq ",\"time\":1763769700123,\"event\":\"" kind                                    \
    "\",\"vm\":\"web1\",\"data\":" data "}"
#define NOTIFY(params) "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":" params "}\n"

#define EVENT_6 EVENT_PARAMS("6", "vm.lifecycle", "{\"state\":\"running\",\"reason\":\"booted\"}")
#define EVENT_7 EVENT_PARAMS("7", "agent.state", "{\"state\":\"responsive\"}")
#define EVENT_8 EVENT_PARAMS("8", "agent.state", "{\"state\":\"connected\"}")

/* $XDG_CONFIG_HOME of every run: the manager a tls: address opens is made there, never in the
 * home of whoever runs the tests. */
static char *config_home;

/* The one request the server read, parsed; its method must be method. */
static VlJson *
only_request(ScriptServer *server, const char *method)
{
    GPtrArray *requests = script_server_finish(server);
    VlJson *request;

    ck_assert_uint_eq(requests->len, 1);
    request = test_util_parse(g_ptr_array_index(requests, 0));
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(request, "method")), method);
    return request;
}

static void
expect_one_request(ScriptServer *server, const char *method)
{
    vl_json_unref(only_request(server, method));
}

/* Success ------------------------------------------------------------------------------------ */

START_TEST(test_vm_list_table)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};

    ctl_run(&run, config_home, NULL, NULL, "--connect", script_server_address(server), "vm", "list",
            NULL);
    ctl_assert_ran(&run, 0);
    ck_assert_str_eq(run.out, "NAME  STATE    AGENT       MEMORY  VCPUS\n"
                              "web1  running  responsive   1 GiB      2\n"
                              "db    shutoff  absent       4 GiB      4\n");
    ck_assert_str_eq(run.err, "");
    expect_one_request(server, "vm.list");
}
END_TEST

START_TEST(test_json_output_is_the_result)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) printed = NULL;

    /* The address from the environment, --json after the command. */
    ctl_run(&run, config_home, script_server_address(server), NULL, "vm", "list", "--json", NULL);
    ctl_assert_ran(&run, 0);
    printed = test_util_parse(run.out);
    test_util_assert_json_eq(printed, VM_LIST_RESULT);
    ck_assert(g_str_has_prefix(run.out, "{\n  \"vms\"")); /* pretty, for one result */
    ck_assert(g_str_has_suffix(run.out, "}\n"));
    expect_one_request(server, "vm.list");
}
END_TEST

START_TEST(test_define_from_stdin)
{
    const char *spec = "{\"name\":\"web1\",\"memory_mib\":512,\"accel\":\"tcg\"}";
    const ScriptStep steps[] = {
        READ, SEND(RESPONSE("{\"name\":\"web1\",\"uuid\":\"" UUID "\",\"state\":\"shutoff\"}")),
        END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) request = NULL;

    ctl_run(&run, config_home, NULL, spec, "--connect", script_server_address(server), "vm",
            "define", "-", NULL);
    ctl_assert_ran(&run, 0);
    ck_assert_str_eq(run.out, "web1: shutoff\n");
    request = only_request(server, "vm.define");
    test_util_assert_json_eq(vl_json_object_get(vl_json_object_get(request, "params"), "spec"),
                             spec);
}
END_TEST

START_TEST(test_events_count)
{
    const ScriptStep steps[] = {
        READ,
        SEND(RESPONSE("{\"seq\":5}")),
        SEND(NOTIFY(EVENT_6)),
        SEND(NOTIFY(EVENT_7)),
        SEND(NOTIFY(EVENT_8)),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) request = NULL;

    ctl_run(&run, config_home, NULL, NULL, "--connect", script_server_address(server), "events",
            "--count", "2", NULL);
    ctl_assert_ran(&run, 0);
    /* Two events, one line each; the third is not waited for. */
    ck_assert_str_eq(run.out, "2025-11-22 00:01:40.123  #6      vm.lifecycle  web1              "
                              "running (booted)\n"
                              "2025-11-22 00:01:40.123  #7      agent.state   web1              "
                              "responsive\n");
    request = only_request(server, "events.subscribe");
    test_util_assert_json_eq(vl_json_object_get(request, "params"), "{}");
}
END_TEST

START_TEST(test_events_json_lines)
{
    /* Events may even come before the subscription's answer: they are printed, in order. */
    const ScriptStep steps[] = {
        READ, SEND(NOTIFY(EVENT_6)), SEND(RESPONSE("{\"seq\":5}")), SEND(NOTIFY(EVENT_7)), END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) request = NULL;
    g_auto(GStrv) lines = NULL;

    ctl_run(&run, config_home, NULL, NULL, "--json", "--connect", script_server_address(server),
            "events", "--count", "2", "--kind", "vm.lifecycle", "--kind", "agent.state", NULL);
    ctl_assert_ran(&run, 0);
    lines = g_strsplit(run.out, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 3); /* two lines and the empty rest */
    ck_assert_str_eq(lines[2], "");
    for (int i = 0; i < 2; i++) {
        g_autoptr(VlJson) event = test_util_parse(lines[i]);

        ck_assert_ptr_null(strchr(lines[i], ' ')); /* compact */
        test_util_assert_json_eq(event, i == 0 ? EVENT_6 : EVENT_7);
    }
    request = only_request(server, "events.subscribe");
    test_util_assert_json_eq(vl_json_object_get(request, "params"),
                             "{\"events\":[\"vm.lifecycle\",\"agent.state\"]}");
}
END_TEST

START_TEST(test_help_and_version)
{
    g_auto(CtlRun) top = {0};
    g_auto(CtlRun) command = {0};
    g_auto(CtlRun) version = {0};
    g_auto(CtlRun) nothing = {0};

    ctl_run(&top, config_home, NULL, NULL, "--help", NULL);
    ctl_assert_ran(&top, 0);
    ck_assert(g_str_has_prefix(top.out, "Usage: vmlinkctl [--connect ADDRESS] [--json]"));
    ck_assert_ptr_nonnull(strstr(top.out, "Exit status:"));

    ctl_run(&command, config_home, NULL, NULL, "guest", "shutdown", "--help", NULL);
    ctl_assert_ran(&command, 0);
    ck_assert(g_str_has_prefix(command.out, "Usage: vmlinkctl guest shutdown NAME [--reboot] "
                                            "[--delay SECONDS] [--message TEXT]\n"));
    ck_assert_ptr_nonnull(strstr(command.out, "Example:\n  vmlinkctl guest shutdown web1"));

    ctl_run(&version, config_home, NULL, NULL, "--version", NULL);
    ctl_assert_ran(&version, 0);
    ck_assert_str_eq(version.out, "vmlinkctl " VL_VERSION " (control protocol 1)\n");

    ctl_run(&nothing, config_home, NULL, NULL, NULL);
    ctl_assert_ran(&nothing, 2);
    ck_assert_str_eq(nothing.err, "vmlinkctl: no command given (see vmlinkctl --help)\n");
}
END_TEST

/* Failures ----------------------------------------------------------------------------------- */

START_TEST(test_server_error_exits_1)
{
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"id\":$ID,\"error\":{\"code\":-32003,"
             "\"message\":\"no VM named web9\"}}\n"),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) request = NULL;

    ctl_run(&run, config_home, NULL, NULL, "--connect", script_server_address(server), "vm",
            "start", "web9", NULL);
    ctl_assert_ran(&run, 1);
    ck_assert_str_eq(run.out, "");
    ck_assert_str_eq(run.err, "vmlinkctl: vm start: no VM named web9 (not_found)\n");
    request = only_request(server, "vm.start");
    test_util_assert_json_eq(vl_json_object_get(request, "params"), "{\"vm\":\"web9\"}");
}
END_TEST

START_TEST(test_bad_answer_exits_1)
{
    const ScriptStep steps[] = {
        READ, SEND("{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":" VM_LIST_RESULT "}\n"), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autofree char *expected = g_strdup_printf(
        "vmlinkctl: %s answered request id 999, but the request waiting has id 1 (are vmlinkctl "
        "and vmlinkd the same version? vmlinkctl --version)\n",
        script_server_address(server));

    ctl_run(&run, config_home, NULL, NULL, "--connect", script_server_address(server), "vm", "list",
            NULL);
    ctl_assert_ran(&run, 1);
    ck_assert_str_eq(run.err, expected);
    expect_one_request(server, "vm.list");
}
END_TEST

START_TEST(test_timeout_exits_1)
{
    const ScriptStep steps[] = {READ, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autofree char *expected = g_strdup_printf(
        "vmlinkctl: host info: no answer to host.info from %s within 0.2 s (timeout)\n",
        script_server_address(server));

    ctl_run(&run, config_home, NULL, NULL, "--connect", script_server_address(server), "--timeout",
            "0.2", "host", "info", NULL);
    ctl_assert_ran(&run, 1);
    ck_assert_str_eq(run.err, expected);
    expect_one_request(server, "host.info");
}
END_TEST

START_TEST(test_usage_error_exits_2)
{
    g_auto(CtlRun) missing = {0};
    g_auto(CtlRun) unknown = {0};
    g_auto(CtlRun) bad_address = {0};

    /* Nothing listens at the address: a usage error must be told without trying to connect. */
    ctl_run(&missing, config_home, "unix:/nonexistent/vmlinkd.sock", NULL, "vm", "start", NULL);
    ctl_assert_ran(&missing, 2);
    ck_assert_str_eq(missing.err, "vmlinkctl: vm start: NAME is missing (see vmlinkctl vm start "
                                  "--help)\n");
    ck_assert_str_eq(missing.out, "");

    ctl_run(&unknown, config_home, "unix:/nonexistent/vmlinkd.sock", NULL, "vm", "strat", "web1",
            NULL);
    ctl_assert_ran(&unknown, 2);
    ck_assert_str_eq(unknown.err, "vmlinkctl: unknown command \"vm strat\" (see vmlinkctl vm "
                                  "--help)\n");

    ctl_run(&bad_address, config_home, NULL, NULL, "--connect", "kvm1:8899", "vm", "list", NULL);
    ctl_assert_ran(&bad_address, 2);
    ck_assert_str_eq(bad_address.err,
                     "vmlinkctl: \"kvm1:8899\" is not an address vmlinkd listens on: give "
                     "unix:PATH, an absolute PATH or tls://HOST[:PORT] (the address comes from "
                     "--connect, else $VMLINK_CONNECT)\n");
}
END_TEST

START_TEST(test_connect_failure_exits_3)
{
    g_autofree char *dir = g_dir_make_tmp("vl-ctl-XXXXXX", NULL);
    g_autofree char *address = g_strdup_printf("unix:%s/vmlinkd.sock", dir);
    g_autofree char *expected = g_strdup_printf(
        "vmlinkctl: cannot connect to %s: No such file or directory (is vmlinkd running? "
        "systemctl status vmlinkd)\n",
        address);
    g_auto(CtlRun) run = {0};
    g_auto(CtlRun) tls = {0};

    ctl_run(&run, config_home, address, NULL, "vm", "list", NULL);
    ctl_assert_ran(&run, 3);
    ck_assert_str_eq(run.err, expected);
    ck_assert_str_eq(run.out, "");

    /* A bridge this manager does not know: refused before connecting, with the fix. */
    ctl_run(&tls, config_home, NULL, NULL, "--connect", "tls:kvm1", "vm", "list", NULL);
    ctl_assert_ran(&tls, 3);
    ck_assert_msg(g_str_has_suffix(tls.err, "vmlinkctl: kvm1:8899 is not known to this manager: "
                                            "take ownership first (vmlinkctl --connect "
                                            "tls://kvm1 host take-ownership)\n"),
                  "%s", tls.err);
    g_rmdir(dir);
}
END_TEST

START_TEST(test_connection_lost_exits_3)
{
    const ScriptStep steps[] = {READ, CLOSE, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autofree char *expected = g_strdup_printf(
        "vmlinkctl: %s closed the connection while we waited for the answer to guest.info "
        "(vmlinkd's log may say why: journalctl -u vmlinkd)\n",
        script_server_address(server));

    ctl_run(&run, config_home, NULL, NULL, "--connect", script_server_address(server), "guest",
            "info", "web1", NULL);
    ctl_assert_ran(&run, 3);
    ck_assert_str_eq(run.err, expected);
    expect_one_request(server, "guest.info");
}
END_TEST

/* guest login -------------------------------------------------------------------------------- */

#define PASSWORD "Zq7-unlikely-anywhere"
#define LOGIN_RESULT(reply) "{\"reply\":" reply "}"

/* Fails if the password shows in anything vmlinkctl printed. */
static void
assert_password_unseen(const CtlRun *run, const char *password)
{
    ck_assert_msg(strstr(run->out, password) == NULL, "password on stdout: %s", run->out);
    ck_assert_msg(strstr(run->err, password) == NULL, "password on stderr: %s", run->err);
}

/*
 * guest login web1 alice with the password on stdin and the options given, answered with reply;
 * the params it sent are returned through ret_params (may be NULL).
 */
static void
run_login(CtlRun *run, const char *reply, const char *const *options, VlJson **ret_params)
{
    g_autofree char *response = g_strdup_printf(RESPONSE("%s"), reply);
    const ScriptStep steps[] = {READ, SEND(response), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_autoptr(VlJson) request = NULL;
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    const char *const login[] = {
        "--connect", script_server_address(server), "guest", "login", "web1", "alice"};

    for (gsize i = 0; i < G_N_ELEMENTS(login); i++) {
        g_ptr_array_add(args, (gpointer)login[i]);
    }
    for (; options && *options; options++) {
        g_ptr_array_add(args, (gpointer)*options);
    }
    g_ptr_array_add(args, NULL);
    ctl_runv(run, config_home, NULL, PASSWORD "\n", (const char *const *)args->pdata);
    request = only_request(server, "guest.login");
    if (ret_params) {
        *ret_params = vl_json_ref(vl_json_object_get(request, "params"));
    }
    assert_password_unseen(run, PASSWORD);
}

START_TEST(test_login_sends_what_was_given)
{
    static const char *const options[] = {"--console", "ttyS0", "--domain", "CORP", NULL};
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) params = NULL;

    run_login(&run,
              LOGIN_RESULT("{\"outcome\":\"logged_in\",\"console\":\"ttyS0\",\"session\":\"3\"}"),
              options, &params);
    ctl_assert_ran(&run, 0);
    ck_assert_str_eq(run.out, "alice is logged in on ttyS0 of web1 (session 3)\n");
    ck_assert_str_eq(run.err, "");
    /* The password from stdin (no terminal there), once; the options as given. */
    test_util_assert_json_eq(params, "{\"vm\":\"web1\",\"console\":\"ttyS0\",\"domain\":\"CORP\","
                                     "\"user\":\"alice\",\"password\":\"" PASSWORD "\"}");
}
END_TEST

START_TEST(test_login_without_console)
{
    static const char *const options[] = {"--password-stdin", NULL};
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) params = NULL;

    /* The agent chose the console: its choice is named. */
    run_login(&run, LOGIN_RESULT("{\"outcome\":\"logged_in\",\"console\":\"tty1\"}"), options,
              &params);
    ctl_assert_ran(&run, 0);
    ck_assert_str_eq(run.out, "alice is logged in on tty1 of web1\n");
    test_util_assert_json_eq(params,
                             "{\"vm\":\"web1\",\"user\":\"alice\",\"password\":\"" PASSWORD "\"}");
}
END_TEST

START_TEST(test_login_outcomes)
{
    static const char *const ttys0[] = {"--console", "ttyS0", NULL};
    static const char *const tty9[] = {"--console", "tty9", NULL};
    static const struct {
        const char *reply;
        const char *const *options;
        int status;
        const char *out, *err;
    } cases[] = {
        {"{\"outcome\":\"logged_in\"}", NULL, 0, "alice is logged in on web1\n", ""},
        {"{\"outcome\":\"handed_to_greeter\",\"console\":\"graphical\"}", NULL, 0,
         "the credentials for alice were handed to the graphical greeter of web1\n", ""},
        {"{\"outcome\":\"wrong_credentials\",\"console\":\"ttyS0\"}", ttys0, 1, "",
         "vmlinkctl: guest login: the guest refused the credentials of alice on ttyS0 of web1: "
         "check the user name and the password (and --domain, where the guest has domains)\n"},
        {"{\"outcome\":\"not_allowed\"}", ttys0, 1, "",
         "vmlinkctl: guest login: the single sign-on policy of web1 does not allow alice on "
         "ttyS0: see [sso] in /etc/vmlink/agent.conf of the guest\n"},
        {"{\"outcome\":\"no_console\"}", tty9, 1, "",
         "vmlinkctl: guest login: web1 has no console tty9: give --console one it has (tty1, "
         "ttyS0, hvc0 or graphical)\n"},
        {"{\"outcome\":\"no_console\"}", NULL, 1, "",
         "vmlinkctl: guest login: none of the consoles configured for single sign-on exists in "
         "web1: name one with --console, or see [sso] in /etc/vmlink/agent.conf of the guest\n"},
        {"{\"outcome\":\"already_logged_in\",\"console\":\"ttyS0\"}", NULL, 1, "",
         "vmlinkctl: guest login: ttyS0 of web1 has a session already: log it off first with "
         "vmlinkctl guest logoff web1 --session ID (vmlinkctl guest info web1 --section users "
         "lists the sessions)\n"},
        {"{\"outcome\":\"timed_out\",\"console\":\"graphical\"}", NULL, 1, "",
         "vmlinkctl: guest login: nobody used the credentials for alice on graphical of web1 in "
         "time: is its login screen showing? Try again\n"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *result = g_strdup_printf("{\"reply\":%s}", cases[i].reply);
        g_auto(CtlRun) run = {0};

        run_login(&run, result, cases[i].options, NULL);
        ctl_assert_ran(&run, cases[i].status);
        ck_assert_str_eq(run.out, cases[i].out);
        ck_assert_str_eq(run.err, cases[i].err);
    }
}
END_TEST

START_TEST(test_login_json)
{
    static const char *const json[] = {"--json", NULL};
    const char *done = LOGIN_RESULT("{\"outcome\":\"logged_in\",\"console\":\"ttyS0\","
                                    "\"session\":\"3\"}");
    const char *refused = LOGIN_RESULT("{\"outcome\":\"wrong_credentials\"}");
    g_auto(CtlRun) ok = {0};
    g_auto(CtlRun) failed = {0};
    g_autoptr(VlJson) ok_printed = NULL;
    g_autoptr(VlJson) failed_printed = NULL;

    run_login(&ok, done, json, NULL);
    ctl_assert_ran(&ok, 0);
    ok_printed = test_util_parse(ok.out);
    test_util_assert_json_eq(ok_printed, done);
    ck_assert_str_eq(ok.err, "");

    /* The same exit status as without --json; stdout is the result all the same. */
    run_login(&failed, refused, json, NULL);
    ctl_assert_ran(&failed, 1);
    failed_printed = test_util_parse(failed.out);
    test_util_assert_json_eq(failed_printed, refused);
    test_util_assert_contains(failed.err, "the guest refused the credentials of alice");
}
END_TEST

START_TEST(test_login_bad_reply_exits_1)
{
    g_auto(CtlRun) run = {0};

    run_login(&run, LOGIN_RESULT("{\"outcome\":\"maybe\"}"), NULL, NULL);
    ctl_assert_ran(&run, 1);
    ck_assert_str_eq(run.out, "");
    test_util_assert_contains(run.err, "to guest.login breaks the protocol: result.reply.outcome");
}
END_TEST

/* guest login whose password line is wrong: a usage error, and nothing is sent. */
static void
expect_password_refused(const char *stdin_text, const char *message)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE(LOGIN_RESULT("{\"outcome\":\"logged_in\"}"))),
                                END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autofree char *expected = g_strdup_printf("vmlinkctl: guest login: %s\n", message);

    ctl_run(&run, config_home, NULL, stdin_text, "--connect", script_server_address(server),
            "guest", "login", "web1", "alice", NULL);
    ctl_assert_ran(&run, 2);
    ck_assert_str_eq(run.out, "");
    ck_assert_str_eq(run.err, expected);
    ck_assert_uint_eq(script_server_finish(server)->len, 0);
}

START_TEST(test_login_password_refused)
{
    /* One byte more than the catalogue allows, on one line with nothing else. */
    g_autofree char *long_password = g_strnfill(VL_PASSWORD_MAX_LEN + 1, 'p');
    g_autofree char *long_line = g_strconcat(long_password, "\n", NULL);
    g_autofree char *just_fits = g_strnfill(VL_PASSWORD_MAX_LEN, 'q');
    g_autofree char *fits_line = g_strconcat(just_fits, "\n", NULL);
    const ScriptStep steps[] = {READ, SEND(RESPONSE(LOGIN_RESULT("{\"outcome\":\"logged_in\"}"))),
                                END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) fits = {0};
    g_autoptr(VlJson) request = NULL;

    expect_password_refused("\nsecond line\n", "the password for alice on web1 on the standard "
                                               "input is empty (an empty line)");
    expect_password_refused("", "no password for alice on web1 on the standard input (give it "
                                "as one line, e.g. --password-stdin < FILE)");
    expect_password_refused(long_line, "the password for alice on web1 on the standard input is "
                                       "longer than 1024 bytes");
    /* JSON carries UTF-8 only: a Latin-1 password would make a frame the bridge refuses. */
    expect_password_refused("caf\xe9\n", "the password for alice on web1 on the standard input is "
                                         "not UTF-8 text (or holds a NUL byte): it cannot be sent");

    /* The bound itself is sent. */
    ctl_run(&fits, config_home, NULL, fits_line, "--connect", script_server_address(server),
            "guest", "login", "web1", "alice", NULL);
    ctl_assert_ran(&fits, 0);
    assert_password_unseen(&fits, just_fits);
    request = only_request(server, "guest.login");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(request, "params"), "password")),
        just_fits);
}
END_TEST

static Suite *
vmlinkctl_suite(void)
{
    Suite *s = suite_create("vmlinkctl");
    TCase *success = tcase_create("success");
    TCase *failures = tcase_create("failures");
    TCase *login = tcase_create("login");

    tcase_add_test(success, test_vm_list_table);
    tcase_add_test(success, test_json_output_is_the_result);
    tcase_add_test(success, test_define_from_stdin);
    tcase_add_test(success, test_events_count);
    tcase_add_test(success, test_events_json_lines);
    tcase_add_test(success, test_help_and_version);
    suite_add_tcase(s, success);

    tcase_add_test(failures, test_server_error_exits_1);
    tcase_add_test(failures, test_bad_answer_exits_1);
    tcase_add_test(failures, test_timeout_exits_1);
    tcase_add_test(failures, test_usage_error_exits_2);
    tcase_add_test(failures, test_connect_failure_exits_3);
    tcase_add_test(failures, test_connection_lost_exits_3);
    suite_add_tcase(s, failures);

    tcase_add_test(login, test_login_sends_what_was_given);
    tcase_add_test(login, test_login_without_console);
    tcase_add_test(login, test_login_outcomes);
    tcase_add_test(login, test_login_json);
    tcase_add_test(login, test_login_bad_reply_exits_1);
    tcase_add_test(login, test_login_password_refused);
    suite_add_tcase(s, login);
    return s;
}

int
main(void)
{
    int status;

    config_home = g_dir_make_tmp("vl-ctl-config-XXXXXX", NULL);
    status = vl_check_run(vmlinkctl_suite());
    vl_test_remove_tree(config_home);
    return status;
}
