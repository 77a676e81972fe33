/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The agent's configuration: defaults, every key, and errors that name the key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vl-agent-config.h"

static VlAgentConfig *
load(const char *text, GError **error)
{
    VlAgentConfig *c = vl_agent_config_new();

    if (!vl_agent_config_load_data(c, text, strlen(text), "test.conf", error)) {
        vl_agent_config_free(c);
        return NULL;
    }
    return c;
}

static void
assert_error(const char *text, int code, const char *must_mention)
{
    g_autoptr(GError) error = NULL;
    VlAgentConfig *c = load(text, &error);

    ck_assert_msg(c == NULL, "accepted: %s", text);
    ck_assert_msg(g_error_matches(error, VL_AGENT_CONFIG_ERROR, code), "wrong error for %s: %s",
                  text, error ? error->message : "");
    ck_assert_msg(strstr(error->message, must_mention) != NULL, "\"%s\" does not mention \"%s\"",
                  error->message, must_mention);
}

START_TEST(test_defaults)
{
    g_autoptr(VlAgentConfig) c = vl_agent_config_new();

    ck_assert_str_eq(c->channel, VL_AGENT_DEFAULT_CHANNEL);
    ck_assert_uint_eq(c->heartbeat_s, 5);
    ck_assert_uint_eq(c->max_frame, 1024 * 1024);
    ck_assert(g_strv_contains((const char *const *)c->net_exclude, "docker*"));
    ck_assert(g_strv_contains((const char *const *)c->net_exclude, "cni*"));
    ck_assert_uint_eq(g_strv_length(c->net_exclude), 6);
    ck_assert_uint_eq(g_strv_length(c->fs_exclude), 0);
    ck_assert(vl_agent_config_command_allowed(c, "shutdown"));
    ck_assert(vl_agent_config_command_allowed(c, "log_off"));
}
END_TEST

START_TEST(test_every_key)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAgentConfig) c = load("[agent]\n"
                                      "channel = unix-listen:/run/vl.sock\n"
                                      "heartbeat-interval = 0\n"
                                      "max-frame-size = 65536\n"
                                      "[report]\n"
                                      "network-exclude = lo;tap*\n"
                                      "filesystem-exclude = /mnt/*\n"
                                      "[commands]\n"
                                      "allowed = ping;refresh;shutdown\n"
                                      "blocked = shutdown\n",
                                      &error);

    ck_assert_msg(c != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(c->channel, "unix-listen:/run/vl.sock");
    ck_assert_uint_eq(c->heartbeat_s, 0);
    ck_assert_uint_eq(c->max_frame, 65536);
    ck_assert_uint_eq(g_strv_length(c->net_exclude), 2);
    ck_assert_str_eq(c->net_exclude[1], "tap*");
    ck_assert_str_eq(c->fs_exclude[0], "/mnt/*");
    ck_assert(vl_agent_config_command_allowed(c, "ping"));
    ck_assert(vl_agent_config_command_allowed(c, "refresh"));
    ck_assert(!vl_agent_config_command_allowed(c, "shutdown")); /* blocked wins */
    ck_assert(!vl_agent_config_command_allowed(c, "log_off"));  /* not allowed */
}
END_TEST

START_TEST(test_empty_list_means_none)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAgentConfig) c = load("[report]\nnetwork-exclude =\n", &error);

    ck_assert_msg(c != NULL, "%s", error ? error->message : "");
    ck_assert_uint_eq(g_strv_length(c->net_exclude), 0);
}
END_TEST

START_TEST(test_errors_name_the_key)
{
    assert_error("[agent]\nheartbeat = 5\n", VL_AGENT_CONFIG_ERROR_UNKNOWN, "heartbeat");
    assert_error("[agnet]\n", VL_AGENT_CONFIG_ERROR_UNKNOWN, "agnet");
    assert_error("[agent]\nheartbeat-interval = five\n", VL_AGENT_CONFIG_ERROR_INVALID,
                 "heartbeat-interval");
    assert_error("[agent]\nheartbeat-interval = -1\n", VL_AGENT_CONFIG_ERROR_INVALID,
                 "heartbeat-interval");
    assert_error("[agent]\nheartbeat-interval = 99999\n", VL_AGENT_CONFIG_ERROR_INVALID,
                 "heartbeat-interval");
    assert_error("[agent]\nmax-frame-size = 10\n", VL_AGENT_CONFIG_ERROR_INVALID, "max-frame-size");
    assert_error("[agent]\nchannel = serial\n", VL_AGENT_CONFIG_ERROR_INVALID, "channel");
    assert_error("[agent]\nchannel = tcp:1234\n", VL_AGENT_CONFIG_ERROR_INVALID, "tcp");
    assert_error("[agent]\nchannel = unix-listen:relative.sock\n", VL_AGENT_CONFIG_ERROR_INVALID,
                 "absolute");
    assert_error("[agent]\nchannel = vsock-listen:port\n", VL_AGENT_CONFIG_ERROR_INVALID, "vsock");
    assert_error("[commands]\nblocked = reboot\n", VL_AGENT_CONFIG_ERROR_INVALID, "reboot");
    assert_error("[commands]\nallowed = ping;format_disk\n", VL_AGENT_CONFIG_ERROR_INVALID,
                 "format_disk");
    assert_error("not a key file", VL_AGENT_CONFIG_ERROR_READ, "test.conf");
}
END_TEST

/* The QEMU guest agent protocol's channel (issue 8), and QEMU guest agent commands in the
 * lists. */
START_TEST(test_qga)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAgentConfig) defaults = vl_agent_config_new();
    g_autoptr(VlAgentConfig) c = load("[agent]\nchannel = none\n"
                                      "qga-channel = unix-listen:/run/qga.sock\n"
                                      "[commands]\nblocked = guest-shutdown;shutdown\n",
                                      &error);

    ck_assert_str_eq(defaults->qga_channel, VL_AGENT_DEFAULT_QGA_CHANNEL);
    ck_assert_msg(c != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(c->channel, "none");
    ck_assert_str_eq(c->qga_channel, "unix-listen:/run/qga.sock");
    ck_assert(!vl_agent_config_command_allowed(c, "guest-shutdown"));
    ck_assert(vl_agent_config_command_allowed(c, "guest-ping"));
    assert_error("[agent]\nqga-channel = tcp:1\n", VL_AGENT_CONFIG_ERROR_INVALID, "qga-channel");
    assert_error("[commands]\nblocked = guest-exec\n", VL_AGENT_CONFIG_ERROR_INVALID, "guest-exec");
}
END_TEST

START_TEST(test_sso_defaults)
{
    g_autoptr(VlAgentConfig) c = vl_agent_config_new();

    ck_assert(c->sso.normal_users);
    ck_assert(!c->sso.allow_root);
    ck_assert_uint_eq(c->sso.uid_min, 0); /* from login.defs */
    ck_assert_uint_eq(c->sso.uid_max, 0);
    ck_assert_uint_eq(g_strv_length(c->sso.users), 0);
    ck_assert_uint_eq(g_strv_length(c->sso.groups), 0);
    ck_assert_uint_eq(g_strv_length(c->sso.consoles), 4);
    ck_assert_str_eq(c->sso.consoles[0], "graphical");
    ck_assert_str_eq(c->sso.consoles[1], "tty1");
    ck_assert_str_eq(c->sso.consoles[2], "ttyS0");
    ck_assert_str_eq(c->sso.consoles[3], "hvc0");
    ck_assert_uint_eq(c->sso.token_ttl_s, 30);
    ck_assert_uint_eq(c->sso.session_timeout_s, 20);
    ck_assert_str_eq(c->sso.pam_service, "vmlink-sso");
    ck_assert_str_eq(c->sso.socket_path, "/run/vmlink/sso.sock");
}
END_TEST

START_TEST(test_sso_every_key)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAgentConfig) c = load("[sso]\n"
                                      "allow-normal-users = false\n"
                                      "uid-min = 2000\n"
                                      "uid-max = 2999\n"
                                      "users = alice;svc-kiosk\n"
                                      "groups = console-users\n"
                                      "allow-root = yes\n"
                                      "consoles = ttyS0;hvc0\n"
                                      "token-lifetime = 10\n"
                                      "session-timeout = 45\n"
                                      "pam-service = vmlink-sso-ldap\n"
                                      "credential-socket = /run/vl-test/sso.sock\n",
                                      &error);

    ck_assert_msg(c != NULL, "%s", error ? error->message : "");
    ck_assert(!c->sso.normal_users);
    ck_assert(c->sso.allow_root);
    ck_assert_uint_eq(c->sso.uid_min, 2000);
    ck_assert_uint_eq(c->sso.uid_max, 2999);
    ck_assert_uint_eq(g_strv_length(c->sso.users), 2);
    ck_assert_str_eq(c->sso.users[1], "svc-kiosk");
    ck_assert_str_eq(c->sso.groups[0], "console-users");
    ck_assert_uint_eq(g_strv_length(c->sso.consoles), 2);
    ck_assert_str_eq(c->sso.consoles[0], "ttyS0");
    ck_assert_uint_eq(c->sso.token_ttl_s, 10);
    ck_assert_uint_eq(c->sso.session_timeout_s, 45);
    ck_assert_str_eq(c->sso.pam_service, "vmlink-sso-ldap");
    ck_assert_str_eq(c->sso.socket_path, "/run/vl-test/sso.sock");
}
END_TEST

START_TEST(test_sso_errors_name_the_key)
{
    assert_error("[sso]\nallow-root = maybe\n", VL_AGENT_CONFIG_ERROR_INVALID, "allow-root");
    assert_error("[sso]\nuid-min = 0\n", VL_AGENT_CONFIG_ERROR_INVALID, "uid-min");
    assert_error("[sso]\nuid-max = -5\n", VL_AGENT_CONFIG_ERROR_INVALID, "uid-max");
    assert_error("[sso]\nuid-min = 5000\nuid-max = 1000\n", VL_AGENT_CONFIG_ERROR_INVALID,
                 "uid-min");
    assert_error("[sso]\nusers = alice;-rf\n", VL_AGENT_CONFIG_ERROR_INVALID, "-rf");
    assert_error("[sso]\ngroups = wheel;a b\n", VL_AGENT_CONFIG_ERROR_INVALID, "a b");
    assert_error("[sso]\nconsoles = ttyS0;/dev/tty1\n", VL_AGENT_CONFIG_ERROR_INVALID, "/dev/tty1");
    assert_error("[sso]\ntoken-lifetime = 1\n", VL_AGENT_CONFIG_ERROR_INVALID, "token-lifetime");
    assert_error("[sso]\ntoken-lifetime = 61\n", VL_AGENT_CONFIG_ERROR_INVALID, "token-lifetime");
    assert_error("[sso]\nsession-timeout = 0\n", VL_AGENT_CONFIG_ERROR_INVALID, "session-timeout");
    assert_error("[sso]\npam-service = ../shadow\n", VL_AGENT_CONFIG_ERROR_INVALID, "pam-service");
    assert_error("[sso]\ncredential-socket = sso.sock\n", VL_AGENT_CONFIG_ERROR_INVALID,
                 "credential-socket");
    assert_error("[sso]\nallow-everyone = true\n", VL_AGENT_CONFIG_ERROR_UNKNOWN, "allow-everyone");
}
END_TEST

START_TEST(test_missing_file)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAgentConfig) c = vl_agent_config_new();

    ck_assert(!vl_agent_config_load(c, "/nonexistent/agent.conf", &error));
    ck_assert(g_error_matches(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_READ));
    ck_assert(strstr(error->message, "/nonexistent/agent.conf") != NULL);
}
END_TEST

START_TEST(test_example_config_loads)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAgentConfig) c = vl_agent_config_new();
    const char *root = g_getenv("VL_SOURCE_ROOT");
    g_autofree char *path =
        g_build_filename(root ? root : ".", "packaging", "agent.conf.example", NULL);

    ck_assert_msg(vl_agent_config_load(c, path, &error), "%s", error ? error->message : "");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("agent-config");
    TCase *tc = tcase_create("config");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_every_key);
    tcase_add_test(tc, test_empty_list_means_none);
    tcase_add_test(tc, test_errors_name_the_key);
    tcase_add_test(tc, test_qga);
    tcase_add_test(tc, test_sso_defaults);
    tcase_add_test(tc, test_sso_every_key);
    tcase_add_test(tc, test_sso_errors_name_the_key);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_example_config_loads);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
