/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge.conf: every key, its defaults, and every kind of error with the key it names.
 */
#include <string.h>

#include "vl-bridge-config.h"
#include "vl-check.h"

/* Configuration -------------------------------------------------------------------------------- */

static void
expect_config_error(const char *text, int code, const char *fragment)
{
    g_autoptr(VlBridgeConfig) c = vl_bridge_config_new();
    g_autoptr(GError) error = NULL;

    ck_assert_msg(!vl_bridge_config_load_data(c, text, strlen(text), "bridge.conf", &error),
                  "accepted: %s", text);
    ck_assert_msg(g_error_matches(error, VL_BRIDGE_CONFIG_ERROR, code), "%s: %s", text,
                  error->message);
    ck_assert_msg(strstr(error->message, fragment), "%s: \"%s\" lacks \"%s\"", text, error->message,
                  fragment);
    ck_assert_ptr_nonnull(strstr(error->message, "bridge.conf"));
}

START_TEST(test_config)
{
    g_autoptr(VlBridgeConfig) c = vl_bridge_config_new();
    g_autoptr(GError) error = NULL;
    static const char text[] = "[bridge]\nlibvirt-uri = test:///default\n"
                               "local-socket = /tmp/x.sock\nstate-dir = /tmp/s\n"
                               "default-accel = tcg\n"
                               "[channels]\nmax-frame-size = 65536\nrate-messages = 0\n"
                               "rate-burst = 7\nrate-bytes = 1000\nheartbeat-interval = 2\n"
                               "reconnect-max-delay = 9\ncommand-timeout = 4\n"
                               "[control]\nqmp-passthrough = true\nmax-request-size = 8192\n"
                               "max-output-buffer = 2097152\nmax-requests-in-flight = 3\n";

    /* Defaults */
    ck_assert_str_eq(c->libvirt_uri, "qemu:///system");
    ck_assert_str_eq(c->local_socket, VL_BRIDGE_DEFAULT_SOCKET);
    ck_assert_uint_eq(c->max_frame, 1024 * 1024);
    ck_assert(!c->qmp_passthrough);

    ck_assert_msg(vl_bridge_config_load_data(c, text, strlen(text), "bridge.conf", &error), "%s",
                  error ? error->message : "");
    ck_assert_str_eq(c->libvirt_uri, "test:///default");
    ck_assert_str_eq(c->local_socket, "/tmp/x.sock");
    ck_assert_str_eq(c->state_dir, "/tmp/s");
    ck_assert_str_eq(c->default_accel, "tcg");
    ck_assert_uint_eq(c->max_frame, 65536);
    ck_assert_uint_eq(c->rate_messages, 0);
    ck_assert_uint_eq(c->rate_burst, 7);
    ck_assert_uint_eq(c->rate_bytes, 1000);
    ck_assert_uint_eq(c->heartbeat_s, 2);
    ck_assert_uint_eq(c->reconnect_max_s, 9);
    ck_assert_uint_eq(c->command_timeout_s, 4);
    ck_assert(c->qmp_passthrough);
    ck_assert_uint_eq(c->max_request, 8192);
    ck_assert_uint_eq(c->max_output, 2097152);
    ck_assert_uint_eq(c->max_inflight, 3);

    expect_config_error("[bridge\n", VL_BRIDGE_CONFIG_ERROR_READ, "bridge.conf");
    expect_config_error("[nope]\nx = 1\n", VL_BRIDGE_CONFIG_ERROR_UNKNOWN, "[nope]");
    expect_config_error("[channels]\nmax-frame = 1\n", VL_BRIDGE_CONFIG_ERROR_UNKNOWN,
                        "max-frame-size");
    expect_config_error("[channels]\nmax-frame-size = 10\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "[channels] max-frame-size = \"10\"");
    expect_config_error("[channels]\nrate-burst = many\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "rate-burst");
    expect_config_error("[control]\nqmp-passthrough = yes\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "neither true nor false");
    expect_config_error("[bridge]\ndefault-accel = xen\n", VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "neither kvm nor tcg");
    expect_config_error("[bridge]\nstate-dir =\n", VL_BRIDGE_CONFIG_ERROR_INVALID, "empty");
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_config, NULL};

    return vl_check_run(vl_check_suite("bridge-config", tests));
}
