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
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_example_config_loads);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
