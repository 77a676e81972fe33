/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Integration: the vmlink-agent process on unix-listen, driven by a scripted host. Every
 * message the agent sends is validated against the catalogue.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "agent-host.h"
#include "vl-logind-mock.h"

static AgentHost *host;

static void
start_agent_with(const char *config_text, const char *const *prefix)
{
    host = agent_host_start(config_text, prefix, NULL, FALSE);
}

/* As root, the agent gets a network namespace of its own: changes to this machine's interfaces
 * (other tests add and remove some) must not push reports into the middle of a conversation. */
static void
start_agent(const char *config_text)
{
    static const char *const prefix[] = {"unshare", "--net", NULL};

    start_agent_with(config_text, geteuid() == 0 ? prefix : NULL);
}

static void
setup(void)
{
    start_agent("[agent]\nheartbeat-interval = 1\n"
                "[commands]\nblocked = log_off\n");
}

static void
teardown(void)
{
    g_clear_pointer(&host, agent_host_stop);
}

/*
 * The next report that carries section, skipping reports of changes elsewhere on this shared
 * machine (a mount coming or going is pushed as a filesystems report at any moment).
 */
static VlJson *
receive_report_with(VlLineSocket *sock, const char *section)
{
    for (;;) {
        g_autoptr(VlJson) report = agent_host_receive_type(sock, "report");

        if (vl_json_object_get(vl_json_object_get(report, "sections"), section)) {
            return g_steal_pointer(&report);
        }
    }
}

/* Connects and does the handshake; returns the connection after the first full report. */
static VlLineSocket *
connect_and_greet(const char *nonce)
{
    return agent_host_connect_and_greet(host, nonce);
}

START_TEST(test_handshake_and_full_report)
{
    vl_line_socket_free(connect_and_greet("nonce-0123456789abcdef"));
}
END_TEST

START_TEST(test_commands)
{
    g_autoptr(VlLineSocket) sock = connect_and_greet("nonce-0123456789abcdef");
    g_autoptr(VlJson) pong = NULL;
    g_autoptr(VlJson) refreshed = NULL;
    g_autoptr(VlJson) partial = NULL;
    g_autoptr(VlJson) blocked = NULL;
    g_autoptr(VlJson) login = NULL;
    const VlJson *sections;

    agent_host_send_line(sock,
                         "{\"type\":\"command\",\"id\":\"p1\",\"name\":\"ping\",\"args\":{}}");
    pong = agent_host_receive_type(sock, "reply");
    ck_assert_str_eq(agent_host_member(pong, "id"), "p1");
    ck_assert(vl_json_get_int(vl_json_object_get(vl_json_object_get(pong, "result"), "time")) >
              1700000000);

    agent_host_send_line(sock, "{\"type\":\"command\",\"id\":\"r1\",\"name\":\"refresh\","
                               "\"args\":{\"sections\":[\"os\",\"memory\"]}}");
    refreshed = agent_host_receive_type(sock, "reply");
    ck_assert_str_eq(agent_host_member(refreshed, "id"), "r1");
    partial = receive_report_with(sock, "os");
    ck_assert(!vl_json_get_bool(vl_json_object_get(partial, "full")));
    sections = vl_json_object_get(partial, "sections");
    ck_assert_uint_eq(vl_json_object_size(sections), 2);
    ck_assert(vl_json_object_get(sections, "os") != NULL);
    ck_assert(vl_json_object_get(sections, "memory") != NULL);

    agent_host_send_line(sock,
                         "{\"type\":\"command\",\"id\":\"b1\",\"name\":\"log_off\",\"args\":{}}");
    blocked = agent_host_receive_type(sock, "error");
    ck_assert_str_eq(agent_host_member(blocked, "id"), "b1");
    ck_assert_str_eq(agent_host_member(blocked, "code"), "disabled");

    /* Answered (tests/integration/sso-test.c has the rest of single sign-on): a console outside
     * the policy. */
    agent_host_send_line(sock, "{\"type\":\"command\",\"id\":\"l1\",\"name\":\"login\","
                               "\"args\":{\"user\":\"vl-no-such-user\",\"password\":"
                               "\"secret\",\"console\":\"hvc9\"}}");
    login = agent_host_receive_type(sock, "reply");
    ck_assert_str_eq(agent_host_member(login, "id"), "l1");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(login, "result"), "outcome")),
        "not_allowed");
}
END_TEST

START_TEST(test_bad_input_keeps_agent_running)
{
    g_autoptr(VlLineSocket) sock = connect_and_greet("nonce-0123456789abcdef");
    g_autoptr(GString) huge = g_string_new("{\"type\":\"command\",\"id\":\"x\",\"pad\":\"");
    static const struct {
        const char *line;
        const char *code;
    } bad[] = {
        {"this is not json", "invalid_json"},
        {"[1,2,3]", "not_object"},
        {"{\"type\":\"format_disk\"}", "unknown_type"},
        {"{\"type\":\"report\",\"seq\":1,\"full\":true,\"sections\":{}}", "unknown_type"},
        {"{\"type\":\"command\",\"id\":\"c\",\"name\":\"shutdown\",\"args\":{\"mode\":\"halt\"}}",
         "out_of_range"},
        {"{\"type\":\"command\",\"id\":\"c\",\"name\":\"ping\"}", "missing_field"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(VlJson) error = NULL;

        agent_host_send_line(sock, bad[i].line);
        error = agent_host_receive_type(sock, "error");
        ck_assert_msg(g_str_equal(agent_host_member(error, "code"), bad[i].code),
                      "%s: expected %s, got %s", bad[i].line, bad[i].code,
                      agent_host_member(error, "code"));
    }
    /* Over the 1 MiB cap: refused as soon as it passes the cap. */
    while (huge->len < 2 * 1024 * 1024) {
        g_string_append(huge, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    }
    g_string_append(huge, "\"}");
    agent_host_send_line(sock, huge->str);
    {
        g_autoptr(VlJson) error = agent_host_receive_type(sock, "error");
        ck_assert_str_eq(agent_host_member(error, "code"), "frame_too_large");
    }
    /* Still answering. */
    agent_host_send_line(sock,
                         "{\"type\":\"command\",\"id\":\"p2\",\"name\":\"ping\",\"args\":{}}");
    {
        g_autoptr(VlJson) pong = agent_host_receive_type(sock, "reply");
        ck_assert_str_eq(agent_host_member(pong, "id"), "p2");
    }
}
END_TEST

START_TEST(test_reconnect)
{
    for (int round = 0; round < 3; round++) {
        g_autofree char *nonce = g_strdup_printf("nonce-round-%d-0123456789", round);

        /* Closing the connection ends the round; the next connection greets afresh. */
        vl_line_socket_free(connect_and_greet(nonce));
    }
}
END_TEST

START_TEST(test_heartbeat)
{
    g_autoptr(VlLineSocket) sock = connect_and_greet("nonce-0123456789abcdef");
    g_autoptr(VlJson) beat = NULL;

    /* Reports of changes elsewhere on this machine (mounts) may come first. */
    for (;;) {
        const VlEntry *entry = NULL;
        g_autoptr(VlJson) m = agent_host_receive(sock, &entry);

        if (g_str_equal(entry->name, "heartbeat")) {
            beat = g_steal_pointer(&m);
            break;
        }
    }
    ck_assert(vl_json_get_int(vl_json_object_get(vl_json_object_get(beat, "memory"), "total_kib")) >
              0);
}
END_TEST

/* Push on change: the agent in a network namespace of its own, where the test adds an address. */
static void
setup_netns(void)
{
    start_agent("[agent]\nheartbeat-interval = 0\n");
}

static gboolean
report_has_address(const VlJson *report, const char *address)
{
    const VlJson *interfaces = vl_json_object_get(
        vl_json_object_get(vl_json_object_get(report, "sections"), "network"), "interfaces");

    for (guint i = 0; i < vl_json_array_length(interfaces); i++) {
        const VlJson *addresses = vl_json_object_get(vl_json_array_get(interfaces, i), "addresses");

        for (guint j = 0; j < vl_json_array_length(addresses); j++) {
            const char *a = agent_host_member(vl_json_array_get(addresses, j), "address");
            if (a && g_str_equal(a, address)) {
                return TRUE;
            }
        }
    }
    return FALSE;
}

START_TEST(test_network_change_is_pushed)
{
    g_autoptr(VlLineSocket) sock = NULL;
    g_autoptr(VlJson) update = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *pid = NULL;
    const VlJson *sections;

    if (geteuid() != 0) {
        printf("skipped: adding an address in the agent's namespace needs root\n");
        return;
    }
    sock = connect_and_greet("nonce-push-0123456789ab");
    pid = g_strdup(g_subprocess_get_identifier(host->process));
    {
        /* unshare(1) execs the agent, so the agent's pid is the subprocess's. */
        const char *argv[] = {"nsenter",         "-t",  pid,  "-n", "ip", "addr", "add",
                              "198.51.100.7/24", "dev", "lo", NULL};
        g_autoptr(GSubprocess) ip =
            g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);

        ck_assert_msg(ip != NULL, "%s", error ? error->message : "");
        ck_assert(g_subprocess_wait_check(ip, NULL, &error));
    }
    update = receive_report_with(sock, "network");
    ck_assert(!vl_json_get_bool(vl_json_object_get(update, "full")));
    sections = vl_json_object_get(update, "sections");
    ck_assert_uint_eq(vl_json_object_size(sections), 1);
    ck_assert_msg(report_has_address(update, "198.51.100.7"),
                  "the pushed network section lacks the new address");
}
END_TEST

/* Sessions, lock and unlock, through a logind mock on a private bus. */
static VlLogindMock *logind;

static void
setup_logind(void)
{
    g_autoptr(GError) error = NULL;

    logind = vl_logind_mock_start(TRUE, &error);
    ck_assert_msg(logind != NULL, "%s", error ? error->message : "");
    /* The agent's system bus is the private one (this runs in the test's own process). */
    g_setenv("DBUS_SYSTEM_BUS_ADDRESS", vl_logind_mock_address(logind), TRUE);
    start_agent("[agent]\nheartbeat-interval = 0\n");
}

static void
teardown_logind(void)
{
    teardown();
    g_clear_pointer(&logind, vl_logind_mock_stop);
}

/* The next event, skipping reports (a session change is pushed both as an event and as a
 * users report, in either order) and heartbeats; checks its name and session. */
static VlJson *
receive_event(VlLineSocket *sock, const char *name, const char *session)
{
    g_autoptr(VlJson) event = NULL;
    const VlJson *data;

    for (;;) {
        const VlEntry *entry = NULL;
        g_autoptr(VlJson) m = agent_host_receive(sock, &entry);

        if (g_str_equal(entry->name, "event")) {
            event = g_steal_pointer(&m);
            break;
        }
        ck_assert_msg(g_str_equal(entry->name, "report") || g_str_equal(entry->name, "heartbeat"),
                      "expected an event, got %s", entry->name);
    }
    data = vl_json_object_get(event, "data");

    /* agent_started comes once after the first handshake. */
    if (g_str_equal(agent_host_member(event, "event"), "agent_started")) {
        return receive_event(sock, name, session);
    }
    ck_assert_str_eq(agent_host_member(event, "event"), name);
    ck_assert_str_eq(agent_host_member(data, "session"), session);
    return g_steal_pointer(&event);
}

START_TEST(test_session_events)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock = connect_and_greet("nonce-logind-0123456789");
    g_autofree char *path = NULL;
    g_autoptr(VlJson) logon = NULL;
    g_autoptr(VlJson) lock = NULL;
    g_autoptr(VlJson) unlock = NULL;
    g_autoptr(VlJson) logoff = NULL;

    path = vl_logind_mock_add_session(logind, "5", 1000, "alice", TRUE, TRUE, &error);
    ck_assert_msg(path != NULL, "%s", error ? error->message : "");
    logon = receive_event(sock, "session_logon", "5");
    ck_assert_str_eq(agent_host_member(vl_json_object_get(logon, "data"), "user"), "alice");

    ck_assert(vl_logind_mock_set_locked(logind, path, TRUE, &error));
    lock = receive_event(sock, "session_lock", "5");
    ck_assert(vl_logind_mock_set_locked(logind, path, FALSE, &error));
    unlock = receive_event(sock, "session_unlock", "5");

    ck_assert_msg(vl_logind_mock_remove_session(logind, "5", path, &error), "%s",
                  error ? error->message : "");
    logoff = receive_event(sock, "session_logoff", "5");
}
END_TEST

/* The users section follows the sessions as they come and go. */
START_TEST(test_users_section_pushed)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock = connect_and_greet("nonce-logind-users-0123");
    g_autofree char *path =
        vl_logind_mock_add_session(logind, "7", 1001, "bob", TRUE, TRUE, &error);

    ck_assert_msg(path != NULL, "%s", error ? error->message : "");
    for (;;) {
        g_autoptr(VlJson) report = receive_report_with(sock, "users");
        const VlJson *users = vl_json_object_get(vl_json_object_get(report, "sections"), "users");

        if (vl_json_array_length(users) == 1) {
            ck_assert_str_eq(agent_host_member(vl_json_array_get(users, 0), "name"), "bob");
            ck_assert_str_eq(agent_host_member(vl_json_array_get(users, 0), "session"), "7");
            break;
        }
    }
}
END_TEST

/* lock_screen and log_off reach logind with the session asked for. */
START_TEST(test_session_actions)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock = connect_and_greet("nonce-logind-actions-01");
    g_autoptr(VlJson) locked = NULL;
    g_autoptr(VlJson) logged_off = NULL;
    g_autoptr(GVariant) calls = NULL;
    g_autofree char *path =
        vl_logind_mock_add_session(logind, "9", 1002, "carol", TRUE, FALSE, &error);
    const char *session = NULL;

    ck_assert(path != NULL);
    agent_host_send_line(sock, "{\"type\":\"command\",\"id\":\"k1\",\"name\":\"lock_screen\","
                               "\"args\":{\"session\":\"9\"}}");
    locked = agent_host_receive_type(sock, "reply");
    ck_assert_str_eq(agent_host_member(locked, "id"), "k1");
    calls = vl_logind_mock_call(logind, "/org/freedesktop/login1", "org.freedesktop.DBus.Mock",
                                "GetMethodCalls", g_variant_new("(s)", "LockSession"), &error);
    ck_assert_msg(calls != NULL, "%s", error ? error->message : "");
    {
        g_autoptr(GVariant) list = g_variant_get_child_value(calls, 0);
        g_autoptr(GVariant) call = NULL;
        g_autoptr(GVariant) args = NULL;
        g_autoptr(GVariant) first = NULL;
        g_autoptr(GVariant) inner = NULL;

        ck_assert_uint_eq(g_variant_n_children(list), 1);
        call = g_variant_get_child_value(list, 0);
        args = g_variant_get_child_value(call, 1);
        first = g_variant_get_child_value(args, 0);
        inner = g_variant_get_variant(first);
        session = g_variant_get_string(inner, NULL);
        ck_assert_str_eq(session, "9");
    }

    /* Without a session the agent ends the active user session: carol's. */
    agent_host_send_line(sock,
                         "{\"type\":\"command\",\"id\":\"o1\",\"name\":\"log_off\",\"args\":{}}");
    logged_off = agent_host_receive_type(sock, "reply");
    ck_assert_str_eq(agent_host_member(logged_off, "id"), "o1");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("agent");
    TCase *tc = tcase_create("unix-listen");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_handshake_and_full_report);
    tcase_add_test(tc, test_commands);
    tcase_add_test(tc, test_bad_input_keeps_agent_running);
    tcase_add_test(tc, test_reconnect);
    tcase_add_test(tc, test_heartbeat);
    suite_add_tcase(s, tc);
    tc = tcase_create("logind");
    tcase_add_checked_fixture(tc, setup_logind, teardown_logind);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_session_events);
    tcase_add_test(tc, test_users_section_pushed);
    tcase_add_test(tc, test_session_actions);
    suite_add_tcase(s, tc);
    tc = tcase_create("push");
    tcase_add_checked_fixture(tc, setup_netns, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_network_change_is_pushed);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
