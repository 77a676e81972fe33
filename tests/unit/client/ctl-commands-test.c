/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl's command table (vl-ctl-commands.c), command line parser (vl-ctl-args.c) and help
 * (vl-ctl-help.c), without I/O: the table agrees with the control catalogue, every example in
 * the help builds params the catalogue accepts, and each mistake gets its message.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "test-util.h"
#include "vl-ctl.h"
#include "vl-protocol.h"

/* Parses a command line written as a shell would split it. */
static VlCtlArgs *
parse_line(const char *line, GError **error)
{
    g_autofree char *full = g_strconcat("vmlinkctl ", line, NULL);
    g_auto(GStrv) argv = NULL;
    int argc = 0;

    ck_assert(g_shell_parse_argv(full, &argc, &argv, NULL));
    return vl_ctl_args_parse(argc, argv, error);
}

static VlCtlArgs *
parse_ok(const char *line)
{
    g_autoptr(GError) error = NULL;
    VlCtlArgs *args = parse_line(line, &error);

    ck_assert_msg(args != NULL, "%s: %s", line, error ? error->message : "?");
    return args;
}

static void
expect_usage_error(const char *line, const char *message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlCtlArgs) args = parse_line(line, &error);
    g_autoptr(VlJson) params = NULL;

    /* Some mistakes show when the line is read, others when params are built from it. */
    if (args) {
        params = vl_ctl_command_params(args, &error);
        ck_assert_msg(params == NULL, "%s: accepted", line);
    }
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(error->domain == VL_CTL_ERROR, "%s: %s", line, error->message);
    ck_assert_msg(strcmp(error->message, message) == 0, "%s:\n  got      %s\n  expected %s", line,
                  error->message, message);
}

/* The params a command line builds, compared as compact JSON. */
static void
expect_params(const char *line, const char *expected)
{
    g_autoptr(VlCtlArgs) args = parse_ok(line);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) params = vl_ctl_command_params(args, &error);
    g_autoptr(VlJson) want = test_util_parse(expected);
    g_autofree char *got_text = NULL;
    g_autofree char *want_text = vl_json_to_string(want, NULL);

    ck_assert_msg(params != NULL, "%s: %s", line, error ? error->message : "?");
    got_text = vl_json_to_string(params, NULL);
    ck_assert_msg(strcmp(got_text, want_text) == 0, "%s:\n  got      %s\n  expected %s", line,
                  got_text, want_text);
}

/* The table and the catalogue ---------------------------------------------------------------- */

/* The catalogue field at a dotted path of a field list ("device.format"); arrays give their
 * item. */
static const VlField *
field_at(const VlField *fields, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    const VlField *found = NULL;

    for (char **p = parts; *p; p++) {
        found = NULL;
        for (const VlField *f = fields; f && f->name; f++) {
            if (strcmp(f->name, *p) == 0) {
                found = f;
            }
        }
        ck_assert_msg(found != NULL, "no field %s in the catalogue", path);
        if (found->type == VL_TYPE_ARRAY) {
            found = found->items;
        }
        fields = found->fields;
    }
    return found;
}

START_TEST(test_table_matches_catalogue)
{
    /* Options whose values the catalogue restricts: the same lists, so messages never lie. */
    static const struct {
        const char *words, *option, *path;
    } restricted[] = {
        {"vm shutdown", "via", "via"},
        {"vm attach-disk", "format", "device.format"},
        {"vm attach-nic", "model", "device.model"},
        {"guest info", "section", "sections"},
        {"guest refresh", "section", "sections"},
        {"events", "kind", "events"},
    };

    for (const VlCtlCommand *c = vl_ctl_commands; c->name; c++) {
        const VlEntry *entry =
            c->method ? vl_catalogue_lookup(&vl_control_catalogue, c->method, VL_SENDER_CLIENT)
                      : NULL;
        g_autofree char *words = vl_ctl_command_words(c);

        if (c->local) {
            continue; /* connects to no vmlinkd: nothing of the catalogue's */
        }
        ck_assert_msg(entry != NULL, "%s calls %s, which the catalogue lacks", words, c->method);
        if (c->secret) {
            /* Added by the run function only: a required field the table leaves out. */
            ck_assert_msg(c->run != NULL, "%s: a secret without a run function", words);
            ck_assert_msg(field_at(entry->fields, c->secret)->flags & VL_FIELD_REQUIRED, "%s: %s",
                          words, c->secret);
        }
        ck_assert_msg(c->show != NULL || c->follows_events || c->run, "%s shows nothing", words);
        ck_assert_msg(c->group == NULL || vl_ctl_group_index(c->group) >= 0, "%s: no group", words);
        ck_assert_ptr_eq(vl_ctl_command_find(c->group, c->name), c);
        for (const VlCtlOption *o = c->options; o && o->name; o++) {
            if (o->member) {
                field_at(entry->fields, o->member); /* the member exists */
            }
            if (o->choices == NULL) {
                continue;
            }
            for (gsize i = 0; i < G_N_ELEMENTS(restricted); i++) {
                const VlField *field;
                g_autofree char *ours = NULL;
                g_autofree char *theirs = NULL;

                if (strcmp(restricted[i].words, words) != 0 ||
                    strcmp(restricted[i].option, o->name) != 0) {
                    continue;
                }
                field = field_at(entry->fields, restricted[i].path);
                ck_assert_ptr_nonnull(field->choices);
                ours = g_strjoinv(",", (char **)o->choices);
                theirs = g_strjoinv(",", (char **)field->choices);
                ck_assert_msg(strcmp(ours, theirs) == 0, "%s --%s: %s, catalogue: %s", words,
                              o->name, ours, theirs);
            }
        }
    }
}
END_TEST

START_TEST(test_examples_build_valid_params)
{
    /* "vm define web1.json" reads a file: give it the catalogue's own example spec. */
    g_autofree char *dir = g_dir_make_tmp("vl-ctl-XXXXXX", NULL);
    g_autofree char *old_dir = g_get_current_dir();
    const VlEntry *define =
        vl_catalogue_lookup(&vl_control_catalogue, "vm.define", VL_SENDER_CLIENT);
    g_autoptr(VlJson) example = test_util_parse(define->example);
    g_autofree char *spec =
        vl_json_to_string(vl_json_object_get(vl_json_object_get(example, "params"), "spec"), NULL);
    g_autofree char *spec_path = g_build_filename(dir, "web1.json", NULL);

    ck_assert(g_file_set_contents(spec_path, spec, -1, NULL));
    ck_assert_int_eq(chdir(dir), 0);
    for (const VlCtlCommand *c = vl_ctl_commands; c->name; c++) {
        g_autoptr(VlCtlArgs) args = parse_ok(c->example);
        g_autoptr(GError) error = NULL;
        g_autoptr(VlJson) params = NULL;

        ck_assert_ptr_eq(args->command, c);
        params = vl_ctl_command_params(args, &error);
        ck_assert_msg(params != NULL, "vmlinkctl %s: %s", c->example, error ? error->message : "?");
    }
    ck_assert_int_eq(chdir(old_dir), 0);
    g_unlink(spec_path);
    g_rmdir(dir);
}
END_TEST

/* Params ------------------------------------------------------------------------------------- */

START_TEST(test_params)
{
    expect_params("host info", "{}");
    expect_params("vm list", "{}");
    expect_params("vm start web1", "{\"vm\":\"web1\"}");
    expect_params("vm start web1 --paused", "{\"vm\":\"web1\",\"paused\":true}");
    expect_params("vm shutdown web1 --via=agent", "{\"vm\":\"web1\",\"via\":\"agent\"}");
    expect_params("vm stats", "{}");
    expect_params("vm stats web1", "{\"vm\":\"web1\"}");
    expect_params("vm attach-disk web1 /srv/d.img --readonly --format qcow2 --target vdc",
                  "{\"vm\":\"web1\",\"device\":{\"kind\":\"disk\",\"path\":\"/srv/d.img\","
                  "\"target\":\"vdc\",\"format\":\"qcow2\",\"readonly\":true}}");
    expect_params("vm detach-disk web1 vdc",
                  "{\"vm\":\"web1\",\"device\":{\"kind\":\"disk\",\"target\":\"vdc\"}}");
    expect_params("vm attach-nic web1 --bridge br0 --mac 52:54:00:00:00:01",
                  "{\"vm\":\"web1\",\"device\":{\"kind\":\"nic\",\"bridge\":\"br0\","
                  "\"mac\":\"52:54:00:00:00:01\"}}");
    expect_params("vm detach-nic web1 52:54:00:00:00:01",
                  "{\"vm\":\"web1\",\"device\":{\"kind\":\"nic\",\"mac\":\"52:54:00:00:00:01\"}}");
    expect_params("vm qmp web1 query-status",
                  "{\"vm\":\"web1\",\"command\":{\"execute\":\"query-status\"}}");
    expect_params("vm qmp web1 '{\"execute\":\"x\",\"arguments\":{\"a\":1}}'",
                  "{\"vm\":\"web1\",\"command\":{\"execute\":\"x\",\"arguments\":{\"a\":1}}}");
    expect_params("guest info web1 --section os --section network",
                  "{\"vm\":\"web1\",\"sections\":[\"os\",\"network\"]}");
    expect_params("guest logoff web1 --session 3", "{\"vm\":\"web1\",\"session\":\"3\"}");
    /* The password is the run function's; the rest is checked without it. */
    expect_params("guest login web1 alice", "{\"vm\":\"web1\",\"user\":\"alice\"}");
    expect_params("guest login web1 alice --domain CORP --console ttyS0 --password-stdin",
                  "{\"vm\":\"web1\",\"console\":\"ttyS0\",\"domain\":\"CORP\",\"user\":\"alice\"}");
    expect_params("guest shutdown web1", "{\"vm\":\"web1\",\"mode\":\"poweroff\"}");
    expect_params("guest shutdown web1 --reboot --delay 060 --message 'Back soon'",
                  "{\"vm\":\"web1\",\"delay_s\":60,\"message\":\"Back soon\",\"mode\":\"reboot\"}");
    expect_params("events", "{}");
    expect_params("events --count 2 --kind agent.state --kind vm.lifecycle",
                  "{\"events\":[\"agent.state\",\"vm.lifecycle\"]}");
    expect_params("events --kind host.ownership --kind host.certificate",
                  "{\"events\":[\"host.ownership\",\"host.certificate\"]}");
    expect_params("events --since 40 --follow", "{\"since\":40}");
    /* Alone, --since makes an events.since call at run time; the subscription's params stay. */
    expect_params("events --since 40", "{}");
    /* Ownership commands build their params when they run (after asking for the password). */
    expect_params("host take-ownership --fingerprint AB:CD", "{}");
    expect_params("host rotate-certificate --bridge", "{}");
    /* After "--", a word that looks like an option is an argument. */
    expect_params("vm start -- -odd-name", "{\"vm\":\"-odd-name\"}");
}
END_TEST

START_TEST(test_define_reads_file)
{
    g_autofree char *dir = g_dir_make_tmp("vl-ctl-XXXXXX", NULL);
    g_autofree char *good = g_build_filename(dir, "good.json", NULL);
    g_autofree char *bad = g_build_filename(dir, "bad.json", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.json", NULL);
    g_autofree char *line = g_strdup_printf("vm define %s", good);
    g_autofree char *bad_line = g_strdup_printf("vm define %s", bad);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlCtlArgs) args = NULL;

    ck_assert(g_file_set_contents(good, "{\"name\":\"web1\",\"memory_mib\":512}\n", -1, NULL));
    ck_assert(g_file_set_contents(bad, "{\"name\":\"web1\",}", -1, NULL));
    expect_params(line, "{\"spec\":{\"name\":\"web1\",\"memory_mib\":512}}");

    args = parse_ok(bad_line);
    ck_assert_ptr_null(vl_ctl_command_params(args, &error));
    ck_assert_int_eq(error->code, VL_CTL_ERROR_INPUT);
    ck_assert_msg(g_str_has_prefix(error->message, "vm define: the spec in "), "%s",
                  error->message);
    ck_assert_ptr_nonnull(strstr(error->message, "is not valid JSON"));
    g_clear_error(&error);
    g_clear_pointer(&args, vl_ctl_args_free);

    g_free(line);
    line = g_strdup_printf("vm define %s", missing);
    args = parse_ok(line);
    ck_assert_ptr_null(vl_ctl_command_params(args, &error));
    ck_assert_msg(g_str_has_prefix(error->message, "vm define: cannot read the spec: "), "%s",
                  error->message);

    g_unlink(good);
    g_unlink(bad);
    g_rmdir(dir);
}
END_TEST

/* The command line --------------------------------------------------------------------------- */

START_TEST(test_global_options_anywhere)
{
    g_autoptr(VlCtlArgs) before = parse_ok("--json --connect unix:/a --timeout 2.5 vm list");
    g_autoptr(VlCtlArgs) after = parse_ok("vm list --json --connect=unix:/b --timeout=0");
    g_autoptr(VlCtlArgs) between = parse_ok("vm --json list");
    g_autoptr(VlCtlArgs) none = parse_ok("vm list");

    ck_assert(before->json);
    ck_assert_str_eq(vl_ctl_args_address(before), "unix:/a");
    ck_assert_int_eq(vl_ctl_args_timeout_ms(before), 2500);
    ck_assert(after->json);
    ck_assert_str_eq(vl_ctl_args_address(after), "unix:/b");
    ck_assert_int_eq(vl_ctl_args_timeout_ms(after), -1); /* 0: no limit */
    ck_assert(between->json);
    ck_assert_ptr_eq(between->command, vl_ctl_command_find("vm", "list"));

    ck_assert(!none->json);
    ck_assert_int_eq(vl_ctl_args_timeout_ms(none), VL_CTL_DEFAULT_TIMEOUT_S * 1000);
    g_setenv("VMLINK_CONNECT", "unix:/from/env", TRUE);
    ck_assert_str_eq(vl_ctl_args_address(none), "unix:/from/env");
    ck_assert_str_eq(vl_ctl_args_address(before), "unix:/a"); /* --connect wins */
    g_setenv("VMLINK_CONNECT", "", TRUE);
    ck_assert_str_eq(vl_ctl_args_address(none), VL_CLIENT_DEFAULT_ADDRESS);
    g_unsetenv("VMLINK_CONNECT");
    ck_assert_str_eq(vl_ctl_args_address(none), VL_CLIENT_DEFAULT_ADDRESS);
}
END_TEST

START_TEST(test_command_timeouts)
{
    g_autoptr(VlCtlArgs) login = parse_ok("guest login web1 alice");
    g_autoptr(VlCtlArgs) login_given = parse_ok("guest login web1 alice --timeout 5");
    g_autoptr(VlCtlArgs) login_unbounded = parse_ok("--timeout 0 guest login web1 alice");
    g_autoptr(VlCtlArgs) logoff = parse_ok("guest logoff web1");

    /* The agent may take long over a login: its own default, unless --timeout says. */
    ck_assert_int_eq(vl_ctl_args_timeout_ms(login), 180 * 1000);
    ck_assert_int_eq(vl_ctl_args_timeout_ms(login_given), 5000);
    ck_assert_int_eq(vl_ctl_args_timeout_ms(login_unbounded), -1);
    ck_assert_int_eq(vl_ctl_args_timeout_ms(logoff), VL_CTL_DEFAULT_TIMEOUT_S * 1000);
}
END_TEST

START_TEST(test_user_too_long)
{
    g_autofree char *user = g_strnfill(257, 'u');
    g_autofree char *line = g_strdup_printf("guest login web1 %s", user);

    /* Told before connecting, and so before the password is asked for. */
    expect_usage_error(line, "guest login: params.user: length 257 is outside 1..256 (see "
                             "vmlinkctl guest login --help)");
}
END_TEST

START_TEST(test_help_requests)
{
    g_autoptr(VlCtlArgs) top = parse_ok("--help");
    g_autoptr(VlCtlArgs) group = parse_ok("vm --help");
    g_autoptr(VlCtlArgs) command = parse_ok("vm start -h");
    g_autoptr(VlCtlArgs) missing_args = parse_ok("vm attach-disk --help"); /* no NAME: fine */
    g_autoptr(VlCtlArgs) nothing = parse_ok("");
    g_autoptr(VlCtlArgs) version = parse_ok("--version");

    ck_assert(top->help && top->command == NULL && top->group == NULL);
    ck_assert(group->help && group->command == NULL);
    ck_assert_str_eq(group->group, "vm");
    ck_assert(command->help);
    ck_assert_ptr_eq(command->command, vl_ctl_command_find("vm", "start"));
    ck_assert(missing_args->help);
    ck_assert(!nothing->help && nothing->command == NULL);
    ck_assert(version->version);
}
END_TEST

START_TEST(test_usage_errors)
{
    expect_usage_error("frob", "unknown command \"frob\" (see vmlinkctl --help)");
    expect_usage_error("vm frob", "unknown command \"vm frob\" (see vmlinkctl vm --help)");
    expect_usage_error("guest", "guest needs a command: info, lock, login, logoff, refresh, "
                                "shutdown (see vmlinkctl guest --help)");
    expect_usage_error("--frob vm list", "unknown option --frob (see vmlinkctl --help)");
    expect_usage_error("-x vm list",
                       "unknown option -x (options are written --name) (see vmlinkctl --help)");
    expect_usage_error("vm start", "vm start: NAME is missing (see vmlinkctl vm start --help)");
    expect_usage_error("vm attach-disk web1",
                       "vm attach-disk: PATH is missing (see vmlinkctl vm attach-disk --help)");
    expect_usage_error("vm start web1 web2",
                       "vm start: unexpected argument \"web2\" (see vmlinkctl vm start --help)");
    expect_usage_error("vm list --paused",
                       "vm list: unknown option --paused (see vmlinkctl vm list --help)");
    expect_usage_error("vm start web1 --paused=yes",
                       "vm start: --paused takes no value (see vmlinkctl vm start --help)");
    expect_usage_error("vm start web1 --paused --paused",
                       "vm start: --paused given twice (see vmlinkctl vm start --help)");
    expect_usage_error("vm shutdown web1 --via",
                       "vm shutdown: --via needs a value (WAY) (see vmlinkctl vm shutdown --help)");
    expect_usage_error("vm shutdown web1 --via smoke",
                       "vm shutdown: --via: \"smoke\" is not one of auto, acpi, agent (see "
                       "vmlinkctl vm shutdown --help)");
    expect_usage_error("guest shutdown web1 --delay soon",
                       "guest shutdown: --delay: \"soon\" is not a whole number (see vmlinkctl "
                       "guest shutdown --help)");
    expect_usage_error("guest shutdown web1 --delay 90000",
                       "guest shutdown: params.delay_s: value 90000 is outside 0..86400 (see "
                       "vmlinkctl guest shutdown --help)");
    expect_usage_error("vm list --timeout -1", "vm list: --timeout: \"-1\" is not a number of "
                                               "seconds from 0 (no limit) to 2000000 (see "
                                               "vmlinkctl vm list --help)");
    expect_usage_error("vm attach-nic web1",
                       "vm attach-nic: give either --network NAME (a libvirt network) or "
                       "--bridge NAME (a host bridge) (see vmlinkctl vm attach-nic --help)");
    expect_usage_error("vm attach-nic web1 --network default --bridge br0",
                       "vm attach-nic: give either --network NAME (a libvirt network) or "
                       "--bridge NAME (a host bridge) (see vmlinkctl vm attach-nic --help)");
    expect_usage_error("vm qmp web1 '{\"execute\":'",
                       "vm qmp: the QMP command is not valid JSON: invalid JSON at byte 11: value "
                       "expected, found end of text");
    expect_usage_error("events --follow --count 3",
                       "events: --follow prints events until interrupted and --count stops "
                       "after N: give one of them (see vmlinkctl events --help)");
    expect_usage_error("events --count 0", "events: --count: give 1 or more events to wait for "
                                           "(see vmlinkctl events --help)");
    expect_usage_error("guest login web1",
                       "guest login: USER is missing (see vmlinkctl guest login --help)");
    expect_usage_error("guest login web1 alice --console ''",
                       "guest login: params.console: length 0 is outside 1..64 (see vmlinkctl "
                       "guest login --help)");
    expect_usage_error("guest login web1 alice --password-stdin=yes",
                       "guest login: --password-stdin takes no value (see vmlinkctl guest login "
                       "--help)");
    expect_usage_error("vm start 'a name far too long to be the name of any libvirt domain at "
                       "all, really'",
                       "vm start: params.vm: length 71 is outside 1..64 (see vmlinkctl vm start "
                       "--help)");
}
END_TEST

/* Help --------------------------------------------------------------------------------------- */

static char *
help_for(const char *line)
{
    g_autoptr(VlCtlArgs) args = parse_ok(line);
    GString *out = g_string_new(NULL);

    vl_ctl_help(args, out);
    return g_string_free(out, FALSE);
}

START_TEST(test_help_texts)
{
    g_autofree char *top = help_for("--help");
    g_autofree char *vm = help_for("vm --help");
    g_autofree char *shutdown = help_for("vm shutdown --help");
    g_autofree char *info = help_for("guest info --help");
    g_autofree char *nic = help_for("vm attach-nic --help");
    g_autofree char *login = help_for("guest login --help");

    test_util_assert_contains(top,
                              "Usage: vmlinkctl [--connect ADDRESS] [--json] [--timeout SECONDS] "
                              "COMMAND ...\n");
    test_util_assert_contains(top, "Exit status:\n  0  success\n");
    test_util_assert_contains(top, "  3  cannot connect to vmlinkd, or the connection was lost;");
    for (const VlCtlCommand *c = vl_ctl_commands; c->name; c++) {
        g_autofree char *words = vl_ctl_command_words(c);
        g_autofree char *listed = g_strdup_printf("  %s ", words);
        g_autofree char *line = g_strdup_printf("%s --help", words);
        g_autofree char *text = help_for(line);
        g_autofree char *example = g_strdup_printf("Example:\n  vmlinkctl %s\n", c->example);

        test_util_assert_contains(top, listed);
        test_util_assert_contains(top, c->summary);
        /* Each command's help has an example and names the method. */
        test_util_assert_contains(text, example);
        if (c->method) {
            test_util_assert_contains(text, c->method);
        }
    }
    test_util_assert_contains(vm, "Usage: vmlinkctl vm COMMAND ...\n");
    test_util_assert_contains(vm, "  vm attach-disk  ");
    ck_assert_ptr_null(strstr(vm, "guest info"));
    test_util_assert_contains(shutdown, "Usage: vmlinkctl vm shutdown NAME [--via WAY]\n");
    test_util_assert_contains(shutdown, "  --via WAY  agent: ask the vmlink agent");
    test_util_assert_contains(info, "Usage: vmlinkctl guest info NAME [--section SECTION]...\n");
    test_util_assert_contains(
        nic, "Usage: vmlinkctl vm attach-nic NAME (--network NAME | --bridge NAME) "
             "[--mac MAC] [--model MODEL]\n");
    ck_assert_ptr_null(strstr(nic, "for this command"));
    test_util_assert_contains(login, "Usage: vmlinkctl guest login NAME USER [--console NAME] "
                                     "[--domain NAME] [--password-stdin]\n");
    test_util_assert_contains(login, "  --password-stdin  Read the password from the standard "
                                     "input");
    test_util_assert_contains(login, "--timeout SECONDS (default 180 for this command)");
}
END_TEST

static Suite *
commands_suite(void)
{
    Suite *s = suite_create("ctl-commands");
    TCase *table = tcase_create("table");
    TCase *params = tcase_create("params");
    TCase *line = tcase_create("command-line");

    tcase_add_test(table, test_table_matches_catalogue);
    tcase_add_test(table, test_examples_build_valid_params);
    tcase_add_test(table, test_help_texts);
    suite_add_tcase(s, table);

    tcase_add_test(params, test_params);
    tcase_add_test(params, test_define_reads_file);
    suite_add_tcase(s, params);

    tcase_add_test(line, test_global_options_anywhere);
    tcase_add_test(line, test_command_timeouts);
    tcase_add_test(line, test_user_too_long);
    tcase_add_test(line, test_help_requests);
    tcase_add_test(line, test_usage_errors);
    suite_add_tcase(s, line);
    return s;
}

int
main(void)
{
    return vl_check_run(commands_suite());
}
