/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Single sign-on (issue 7) in the vmlink-agent process, driven by a scripted host, with the real
 * parts that run on this machine: PAM through pam_wrapper (the agent's vmlink-sso service is
 * pam_vmlink.so, then pam_exec judging PAM_AUTHTOK as pam_unix use_first_pass does, then
 * pam_matrix for the account), the agent's credential socket, a private D-Bus bus with
 * python-dbusmock's logind, and pamtester as the greeter's PAM stack. This machine's own user
 * database names the users (nobody is allowed by the test's policy; root and daemon are not).
 *
 * What needs systemd and a real console (agetty on the terminal, logind's session) is the
 * system test's (tests/system/sso-system-test.c): here no systemd answers on the bus, so a
 * login whose credentials pass PAM ends in an error naming systemd.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "agent-host.h"
#include "vl-logind-mock.h"
#include "vl-sso-greeter.h"
#include "vl-test-util.h"

#define PASSWORD "nobody-Secret-4711-sso"
#define GREETER_SERVICE "greeter-test"
#define SEAT0 "/org/freedesktop/login1/seat/seat0"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"

/* Judges PAM_AUTHTOK (on stdin, NUL-terminated) for PAM_USER against pam_matrix's passdb. */
#define CHECK_PASSWORD_SCRIPT                                                                      \
    "#!/bin/sh\n"                                                                                  \
    "pw=$(tr -d '\\000')\n"                                                                        \
    "exec grep -qxF -- \"$PAM_USER:$pw:$PAM_SERVICE\" \"$1\"\n"

static VlLogindMock *logind;
static AgentHost *host;
static VlLineSocket *sock;
static char *pam_dir; /* the passdb, the password check and the PAM services */
static char *service_dir;
static int next_id;

/* The PAM service NAME: pam_vmlink on the agent's socket, the password judged, the account. */
static void
write_service(const char *name, const char *socket_path, const char *script)
{
    g_autofree char *path = g_build_filename(service_dir, name, NULL);
    g_autofree char *passdb_name = g_strdup_printf("passdb-%s", name);
    /* pam_matrix reads a user's first line only: a passdb for each service. */
    g_autofree char *passdb = g_build_filename(pam_dir, passdb_name, NULL);
    g_autofree char *passdb_text = g_strdup_printf("nobody:%s:%s\n", PASSWORD, name);
    g_autofree char *modules = g_path_get_dirname(g_getenv("VL_PAM_EXEC"));
    /* pam_exec fails with PAM_SYSTEM_ERR whatever made its program fail; a wrong password must
     * be PAM_AUTH_ERR, as pam_unix says it: so pam_deny says it instead. */
    g_autofree char *text =
        g_strdup_printf("auth requisite %s socket=%s\n"
                        "auth [success=1 default=ignore] %s expose_authtok quiet %s %s\n"
                        "auth requisite %s/pam_deny.so\n"
                        "auth required %s/pam_permit.so\n"
                        "account required %s/pam_matrix.so passdb=%s\n",
                        g_getenv("VL_PAM_VMLINK"), socket_path, g_getenv("VL_PAM_EXEC"), script,
                        passdb, modules, modules, g_getenv("VL_PAM_WRAPPER_MODULES"), passdb);

    ck_assert(g_file_set_contents(passdb, passdb_text, -1, NULL));
    ck_assert(g_file_set_contents(path, text, -1, NULL));
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *script = NULL;
    g_autofree char *socket_path = NULL;
    g_autofree char *config = NULL;
    /* pam_wrapper's RTLD_DEEPBIND cannot load libpam into a sanitized agent; this pam_wrapper
     * reads the switch that turns it off under uid_wrapper's name. */
    const char *env[] = {"DBUS_SYSTEM_BUS_ADDRESS",
                         NULL, /* the bus of the logind mock */
                         "LD_PRELOAD",
                         "libpam_wrapper.so",
                         "PAM_WRAPPER",
                         "1",
                         "PAM_WRAPPER_SERVICE_DIR",
                         NULL, /* the test's services */
                         "UID_WRAPPER_DISABLE_DEEPBIND",
                         "1",
                         NULL};

    ck_assert_msg(g_getenv("VL_PAM_VMLINK") && g_getenv("VL_PAM_EXEC") &&
                      g_getenv("VL_PAM_WRAPPER_MODULES") && g_getenv("VL_PAMTESTER"),
                  "the PAM paths come from meson");
    if (geteuid() != 0) {
        /* The credential socket serves root only, and PAM reads the user database as root. */
        printf("SKIP: single sign-on needs root\n");
        exit(77);
    }
    logind = vl_logind_mock_start(TRUE, &error);
    ck_assert_msg(logind != NULL, "%s", error ? error->message : "");

    pam_dir = vl_test_make_tmp_dir("vl-sso-test-XXXXXX");
    service_dir = g_build_filename(pam_dir, "pam.d", NULL);
    ck_assert_int_eq(g_mkdir(service_dir, 0700), 0);
    script = g_build_filename(pam_dir, "check-password", NULL);
    ck_assert(g_file_set_contents(script, CHECK_PASSWORD_SCRIPT, -1, NULL));
    ck_assert_int_eq(g_chmod(script, 0700), 0);
    socket_path = g_build_filename(pam_dir, "sso.sock", NULL);
    write_service("vmlink-sso", socket_path, script);
    write_service(GREETER_SERVICE, socket_path, script);

    /* nobody (65534) is outside the normal range: allowed by name. "tty" is a terminal every
     * Linux machine has; hvc7 is one it lacks. */
    config = g_strdup_printf("[agent]\nheartbeat-interval = 0\n"
                             "[sso]\nusers = nobody\nconsoles = graphical;tty;hvc7\n"
                             "token-lifetime = 5\nsession-timeout = 2\ncredential-socket = %s\n",
                             socket_path);
    env[1] = vl_logind_mock_address(logind);
    env[7] = service_dir;
    host = agent_host_start(config, NULL, env, TRUE);
    sock = agent_host_connect_and_greet(host, "nonce-sso-0123456789abcdef");
}

static void
teardown(void)
{
    g_autofree char *log = NULL;

    g_clear_pointer(&sock, vl_line_socket_free);
    if (host) {
        /* Whatever happened, the agent's log never holds the password. */
        int status = agent_host_stop_process(host);

        ck_assert(g_file_get_contents(host->log_path, &log, NULL, NULL));
        printf("--- the agent's log:\n%s---\n", log); /* shown when the test fails */
        ck_assert_msg(status == 0, "the agent did not exit cleanly (wait status %d)", status);
        ck_assert_msg(strstr(log, PASSWORD) == NULL, "the password is in the agent's log");
        ck_assert_msg(strstr(log, "single sign-on of") != NULL, "the agent logged no login");
    }
    g_clear_pointer(&host, agent_host_stop);
    g_clear_pointer(&logind, vl_logind_mock_stop);
    if (pam_dir) {
        vl_test_remove_tree(pam_dir);
    }
    g_clear_pointer(&pam_dir, g_free);
    g_clear_pointer(&service_dir, g_free);
}

/* Helpers ------------------------------------------------------------------------------------ */

/* Sends a login; returns its id. console may be NULL. */
static char *
send_login(const char *user, const char *password, const char *console)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) m = NULL;
    g_autofree char *text = NULL;
    char *id = g_strdup_printf("login-%d", ++next_id);

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "command");
    vl_json_builder_member(b, "id");
    vl_json_builder_add_string(b, id);
    vl_json_builder_member(b, "name");
    vl_json_builder_add_string(b, "login");
    vl_json_builder_member(b, "args");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "user");
    vl_json_builder_add_string(b, user);
    vl_json_builder_member(b, "password");
    vl_json_builder_add_string(b, password);
    if (console) {
        vl_json_builder_member(b, "console");
        vl_json_builder_add_string(b, console);
    }
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    m = vl_json_builder_finish(b);
    text = vl_json_to_string(m, NULL);
    agent_host_send_line(sock, text);
    return id;
}

/* The agent's answer to the command ID (a reply or an error), skipping what it pushes. */
static VlJson *
receive_answer(const char *id)
{
    for (;;) {
        const VlEntry *entry = NULL;
        g_autoptr(VlJson) m = agent_host_receive(sock, &entry);

        if ((g_str_equal(entry->name, "reply") || g_str_equal(entry->name, "error")) &&
            g_strcmp0(agent_host_member(m, "id"), id) == 0) {
            return g_steal_pointer(&m);
        }
        ck_assert_msg(!g_str_equal(entry->name, "reply") && !g_str_equal(entry->name, "error"),
                      "an answer to %s, not to %s", agent_host_member(m, "id"), id);
    }
}

static const char *
outcome_of(const VlJson *reply)
{
    return vl_json_get_string(vl_json_object_get(vl_json_object_get(reply, "result"), "outcome"));
}

static const char *
console_of(const VlJson *reply)
{
    return vl_json_get_string(vl_json_object_get(vl_json_object_get(reply, "result"), "console"));
}

/* Logs in and returns the reply, which must carry outcome. */
static VlJson *
login_expect(const char *user, const char *password, const char *console, const char *outcome)
{
    g_autofree char *id = send_login(user, password, console);
    VlJson *answer = receive_answer(id);

    ck_assert_msg(g_str_equal(agent_host_member(answer, "type"), "reply"), "login of %s: %s: %s",
                  user, agent_host_member(answer, "code"), agent_host_member(answer, "message"));
    ck_assert_msg(g_strcmp0(outcome_of(answer), outcome) == 0, "login of %s: %s, not %s", user,
                  outcome_of(answer), outcome);
    return answer;
}

static void
set_can_graphical(gboolean value)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) seat = NULL;
    g_autoptr(GVariant) reply = NULL;
    GVariantBuilder props;

    seat = vl_logind_mock_call(logind, "/org/freedesktop/login1", MOCK_IFACE, "AddSeat",
                               g_variant_new("(s)", "seat0"), NULL);
    g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&props, "{sv}", "CanGraphical", g_variant_new_boolean(value));
    reply = vl_logind_mock_call(logind, SEAT0, MOCK_IFACE, "UpdateProperties",
                                g_variant_new("(sa{sv})", "org.freedesktop.login1.Seat", &props),
                                &error);
    ck_assert_msg(reply != NULL, "%s", error ? error->message : "");
}

/* Waits until the agent owns its name on the bus, so a greeter could trust its signal. */
static void
wait_agent_name(void)
{
    GDBusConnection *bus = vl_logind_mock_bus(logind);
    gint64 end = g_get_monotonic_time() + AGENT_HOST_WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GVariant) owner = g_dbus_connection_call_sync(
            bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", g_variant_new("(s)", VL_SSO_GREETER_BUS_NAME), G_VARIANT_TYPE("(b)"),
            G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
        gboolean has = FALSE;

        if (owner) {
            g_variant_get(owner, "(b)", &has);
        }
        if (has) {
            return;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "the agent never owned %s",
                      VL_SSO_GREETER_BUS_NAME);
        g_usleep(20000);
    }
}

static void
on_token(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
         const char *signal, GVariant *params, gpointer user_data)
{
    char **token = user_data;

    g_free(*token);
    g_variant_get(params, "(s)", token);
}

/*
 * A login for the graphical console (CONSOLE: "graphical" or NULL), with a greeter that can
 * hear it: seat0 can show one, the agent owns its name; returns the login's id and sets *token
 * to the token the agent announced, heard the way a greeter hears it.
 */
static char *
greeter_login(const char *console, char **token)
{
    GDBusConnection *bus = vl_logind_mock_bus(logind);
    gint64 end = g_get_monotonic_time() + AGENT_HOST_WAIT_MS * 1000;
    guint subscription;
    char *id;

    set_can_graphical(TRUE);
    wait_agent_name();
    subscription = g_dbus_connection_signal_subscribe(
        bus, VL_SSO_GREETER_BUS_NAME, VL_SSO_GREETER_INTERFACE, VL_SSO_GREETER_SIGNAL,
        VL_SSO_GREETER_OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_token, token, NULL);
    id = send_login("nobody", PASSWORD, console);
    while (*token == NULL) {
        g_main_context_iteration(NULL, FALSE);
        ck_assert_msg(g_get_monotonic_time() < end, "no TokenReady signal");
        g_usleep(5000);
    }
    g_dbus_connection_signal_unsubscribe(bus, subscription);
    return id;
}

/* The greeter's PAM stack: pamtester GREETER_SERVICE user authenticate acct_mgmt with token. */
static gboolean
greeter_pam(const char *user, const char *token)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *input = g_strdup_printf("%s\n", token);
    g_autofree char *out = NULL;

    g_subprocess_launcher_setenv(launcher, "LD_PRELOAD", "libpam_wrapper.so", TRUE);
    g_subprocess_launcher_setenv(launcher, "PAM_WRAPPER", "1", TRUE);
    g_subprocess_launcher_setenv(launcher, "PAM_WRAPPER_SERVICE_DIR", service_dir, TRUE);
    proc = g_subprocess_launcher_spawn(launcher, &error, g_getenv("VL_PAMTESTER"), "-v",
                                       GREETER_SERVICE, user, "authenticate", "acct_mgmt", NULL);
    ck_assert_msg(proc != NULL, "%s", error ? error->message : "");
    ck_assert(g_subprocess_communicate_utf8(proc, input, NULL, &out, NULL, &error));
    ck_assert_msg(strstr(out, PASSWORD) == NULL, "the password reached the greeter's output");
    printf("greeter's PAM stack: %s", out);
    return g_subprocess_get_if_exited(proc) && g_subprocess_get_exit_status(proc) == 0;
}

/* Text consoles ------------------------------------------------------------------------------ */

START_TEST(test_wrong_password)
{
    /* No console named, no greeter: the policy's first terminal that exists. */
    g_autoptr(VlJson) reply = login_expect("nobody", "not-the-password", NULL, "wrong_credentials");

    ck_assert_str_eq(console_of(reply), "tty");
}
END_TEST

START_TEST(test_right_password_passes_pam)
{
    g_autofree char *id = send_login("nobody", PASSWORD, "tty");
    g_autoptr(VlJson) answer = receive_answer(id);

    /* PAM took the password; starting the console's login needs the systemd this bus lacks. */
    ck_assert_str_eq(agent_host_member(answer, "type"), "error");
    ck_assert_str_eq(agent_host_member(answer, "code"), "failed");
    ck_assert_msg(strstr(agent_host_member(answer, "message"), "systemd") != NULL, "%s",
                  agent_host_member(answer, "message"));
}
END_TEST

START_TEST(test_refusals_look_alike)
{
    g_autoptr(VlJson) root = login_expect("root", PASSWORD, "tty", "not_allowed");
    g_autoptr(VlJson) daemon = login_expect("daemon", PASSWORD, "tty", "not_allowed");
    g_autoptr(VlJson) nobody_here = login_expect("vl-no-such-user", PASSWORD, "tty", "not_allowed");
    g_autoptr(VlJson) bad_name = login_expect("-f root", PASSWORD, "tty", "not_allowed");
    g_autofree char *a = vl_json_to_string(vl_json_object_get(root, "result"), NULL);
    g_autofree char *b = vl_json_to_string(vl_json_object_get(daemon, "result"), NULL);
    g_autofree char *c = vl_json_to_string(vl_json_object_get(nobody_here, "result"), NULL);
    g_autofree char *d = vl_json_to_string(vl_json_object_get(bad_name, "result"), NULL);

    /* Root, a system user, nobody at all and no name at all: the same answer. */
    ck_assert_str_eq(a, b);
    ck_assert_str_eq(a, c);
    ck_assert_str_eq(a, d);
}
END_TEST

START_TEST(test_consoles)
{
    g_autoptr(VlJson) missing = login_expect("nobody", PASSWORD, "hvc7", "no_console");

    ck_assert_str_eq(console_of(missing), "hvc7");
    vl_json_unref(login_expect("nobody", PASSWORD, "tty5", "not_allowed"));
    vl_json_unref(login_expect("nobody", PASSWORD, "../tty", "not_allowed"));
    /* Without a greeter, the graphical console is not there either. */
    set_can_graphical(FALSE);
    vl_json_unref(login_expect("nobody", PASSWORD, "graphical", "no_console"));
}
END_TEST

START_TEST(test_already_logged_in)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path =
        vl_logind_mock_add_session(logind, "c1", 65534, "nobody", TRUE, FALSE, &error);
    g_autoptr(GVariant) reply = NULL;
    GVariantBuilder props;

    ck_assert_msg(path != NULL, "%s", error ? error->message : "");
    g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&props, "{sv}", "TTY", g_variant_new_string("tty"));
    reply = vl_logind_mock_call(logind, path, MOCK_IFACE, "UpdateProperties",
                                g_variant_new("(sa{sv})", "org.freedesktop.login1.Session", &props),
                                &error);
    ck_assert_msg(reply != NULL, "%s", error ? error->message : "");
    vl_json_unref(login_expect("nobody", PASSWORD, "tty", "already_logged_in"));
}
END_TEST

START_TEST(test_domain_refused)
{
    g_autofree char *id = NULL;
    g_autoptr(VlJson) answer = NULL;

    /* Never the local user of that name instead. */
    agent_host_send_line(sock, "{\"type\":\"command\",\"id\":\"d1\",\"name\":\"login\","
                               "\"args\":{\"user\":\"nobody\",\"password\":\"x\","
                               "\"domain\":\"CORP\"}}");
    id = g_strdup("d1");
    answer = receive_answer(id);
    ck_assert_str_eq(agent_host_member(answer, "type"), "error");
    ck_assert_str_eq(agent_host_member(answer, "code"), "unsupported");
    ck_assert_msg(strstr(agent_host_member(answer, "message"), "domain") != NULL, "%s",
                  agent_host_member(answer, "message"));
}
END_TEST

/* The graphical console -------------------------------------------------------------------- */

START_TEST(test_greeter_uses_the_token)
{
    g_autofree char *token = NULL;
    /* No console named: a greeter comes first. */
    g_autofree char *id = greeter_login(NULL, &token);
    g_autoptr(VlJson) reply = NULL;

    ck_assert_uint_eq(strlen(token), 43);
    ck_assert_msg(greeter_pam("nobody", token), "the greeter's PAM stack refused the token");
    reply = receive_answer(id);
    ck_assert_str_eq(outcome_of(reply), "handed_to_greeter");
    ck_assert_str_eq(console_of(reply), "graphical");
    /* A token works once. */
    ck_assert(!greeter_pam("nobody", token));
}
END_TEST

START_TEST(test_greeter_for_another_user_refused)
{
    g_autofree char *token = NULL;
    g_autofree char *id = greeter_login("graphical", &token);
    g_autoptr(VlJson) reply = NULL;

    /* A greeter that chose another user gets nothing, and the token is spent. */
    ck_assert(!greeter_pam("daemon", token));
    reply = receive_answer(id);
    ck_assert_str_eq(outcome_of(reply), "handed_to_greeter");
    ck_assert(!greeter_pam("nobody", token));
}
END_TEST

START_TEST(test_greeter_times_out)
{
    g_autofree char *token = NULL;
    g_autofree char *id = greeter_login("graphical", &token);
    g_autofree char *busy_id = NULL;
    g_autoptr(VlJson) busy = NULL;
    g_autoptr(VlJson) reply = NULL;

    /* One login at a time. */
    busy_id = send_login("nobody", PASSWORD, "tty");
    busy = receive_answer(busy_id);
    ck_assert_str_eq(agent_host_member(busy, "type"), "error");
    ck_assert_msg(strstr(agent_host_member(busy, "message"), "in progress") != NULL, "%s",
                  agent_host_member(busy, "message"));
    /* Nobody uses the token within its 5 s: timed out, and it is worth nothing after. */
    reply = receive_answer(id);
    ck_assert_str_eq(outcome_of(reply), "timed_out");
    ck_assert(!greeter_pam("nobody", token));
    /* The next login goes ahead. */
    vl_json_unref(login_expect("nobody", "not-the-password", "tty", "wrong_credentials"));
}
END_TEST

START_TEST(test_agent_stops_while_greeter_waits)
{
    g_autofree char *token = NULL;
    g_autofree char *id = greeter_login("graphical", &token);
    g_autoptr(VlJson) answer = NULL;

    /* The host still gets its answer, the token dies with the agent, and the agent exits
     * cleanly (in the sanitized build: no leak, no error). */
    g_subprocess_send_signal(host->process, SIGTERM);
    answer = receive_answer(id);
    ck_assert_str_eq(agent_host_member(answer, "type"), "error");
    ck_assert_msg(strstr(agent_host_member(answer, "message"), "stopped") != NULL, "%s",
                  agent_host_member(answer, "message"));
    ck_assert(g_subprocess_wait(host->process, NULL, NULL));
    ck_assert_int_eq(g_subprocess_get_status(host->process), 0);
    g_clear_object(&host->process);
    ck_assert(!greeter_pam("nobody", token));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sso");
    TCase *text = tcase_create("text");
    TCase *graphical = tcase_create("graphical");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(text, setup, teardown);
    tcase_set_timeout(text, 120);
    tcase_add_test(text, test_wrong_password);
    tcase_add_test(text, test_right_password_passes_pam);
    tcase_add_test(text, test_refusals_look_alike);
    tcase_add_test(text, test_consoles);
    tcase_add_test(text, test_already_logged_in);
    tcase_add_test(text, test_domain_refused);
    suite_add_tcase(s, text);
    tcase_add_checked_fixture(graphical, setup, teardown);
    tcase_set_timeout(graphical, 120);
    tcase_add_test(graphical, test_greeter_uses_the_token);
    tcase_add_test(graphical, test_greeter_for_another_user_refused);
    tcase_add_test(graphical, test_greeter_times_out);
    tcase_add_test(graphical, test_agent_stops_while_greeter_waits);
    suite_add_tcase(s, graphical);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
