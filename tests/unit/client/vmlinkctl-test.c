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

static Suite *
vmlinkctl_suite(void)
{
    Suite *s = suite_create("vmlinkctl");
    TCase *success = tcase_create("success");
    TCase *failures = tcase_create("failures");

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
