/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System test: both guest images boot under libvirt, their virtio-serial ports exist, bytes
 * cross the vmlink channel both ways, and the channel survives the host side reconnecting and
 * the guest rebooting. One guest per image serves the test cases of its image, in order.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "harness.h"

#define AGENT_PORT "org.vmlink.agent.0"
#define QGA_PORT "org.qemu.guest_agent.0"
#define TINY_BOOT_TIMEOUT 60
#define DEBIAN_BOOT_TIMEOUT 240
#define LINE_TIMEOUT_MS 30000
#define SYNC_TIMEOUT 30

static VlHarness *harness;
static VlGuest *guest;
static const char *ready_marker;
static guint boot_timeout;

static char *
source_path(const char *relative)
{
    const char *root = g_getenv("VL_SOURCE_ROOT");
    return g_build_filename(root ? root : ".", relative, NULL);
}

static void
start_harness(void)
{
    g_autoptr(GError) error = NULL;

    harness = vl_harness_new(&error);
    if (harness == NULL && g_error_matches(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP)) {
        printf("SKIP: %s\n", error->message);
        exit(77);
    }
    ck_assert_msg(harness != NULL, "harness: %s", error->message);
}

static void
stop_all(void)
{
    g_clear_pointer(&guest, vl_guest_free);
    g_clear_pointer(&harness, vl_harness_free);
}

static void
setup_tiny(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *echo = source_path("tests/system/guest/echo.sh");
    const VlGuestFile files[] = {{echo, "/vl/echo.sh"}, {NULL, NULL}};
    const VlGuestSpec spec = {
        .image = VL_IMAGE_TINY,
        .network = TRUE,
        .address = 10,
        /* The link may come up a moment after init starts: ping up to 10 times. */
        .init_script = "#!/bin/sh\n"
                       "try() { for i in 1 2 3 4 5 6 7 8 9 10; do \"$@\" && return 0; done; "
                       "return 1; }\n"
                       "try ping -c 1 -W 1 $VL_HOST4 >/dev/null "
                       "&& echo VL-PING4-OK || echo VL-PING4-FAIL\n"
                       "try ping -6 -c 1 -W 1 $VL_HOST6 >/dev/null "
                       "&& echo VL-PING6-OK || echo VL-PING6-FAIL\n"
                       "exec /vl/echo.sh " AGENT_PORT "\n",
        .files = files,
    };

    start_harness();
    guest = vl_guest_start(harness, "tiny", &spec, &error);
    ck_assert_msg(guest != NULL, "starting tiny guest: %s", error ? error->message : "");
    ready_marker = "VL-TINY-READY";
    boot_timeout = TINY_BOOT_TIMEOUT;
}

static void
setup_debian(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *echo = source_path("tests/system/guest/echo.sh");
    g_autofree char *unit = source_path("tests/system/guest/echo.service");
    const VlGuestFile files[] = {
        {echo, "/vl/echo.sh"},
        {unit, "/etc/systemd/system/vl-echo.service"},
        {NULL, NULL},
    };
    const char *const links[] = {
        "/etc/systemd/system/multi-user.target.wants/vl-echo.service",
        "/etc/systemd/system/vl-echo.service",
        NULL,
    };
    /* No NIC: under TCG a Debian guest with a virtio NIC takes minutes to reboot (see
     * docs/testing.md); the tiny guest covers the network. */
    const VlGuestSpec spec = {
        .image = VL_IMAGE_DEBIAN,
        .files = files,
        .symlinks = links,
    };

    start_harness();
    guest = vl_guest_start(harness, "debian", &spec, &error);
    ck_assert_msg(guest != NULL, "starting debian guest: %s", error ? error->message : "");
    ready_marker = "VL-DEBIAN-READY";
    boot_timeout = DEBIAN_BOOT_TIMEOUT;
}

/* Connects to the guest's end of the vmlink channel and waits until its echo answers. */
static VlLineSocket *
connect_synced(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock =
        vl_line_socket_connect(vl_guest_channel_path(guest, AGENT_PORT), 10, &error);

    ck_assert_msg(sock != NULL, "%s", error ? error->message : "");
    ck_assert_msg(vl_line_socket_sync(sock, "guest:", SYNC_TIMEOUT, &error), "%s",
                  error ? error->message : "");
    return g_steal_pointer(&sock);
}

/* Sends a line on a channel connection and expects the guest's echo of it. */
static void
assert_echo(VlLineSocket *sock, const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = g_strconcat(text, "\n", NULL);
    g_autofree char *expected = g_strconcat("guest:", text, NULL);
    g_autofree char *reply = NULL;

    ck_assert_msg(vl_line_socket_send(sock, line, strlen(line), &error), "send: %s",
                  error ? error->message : "");
    reply = vl_line_socket_recv(sock, LINE_TIMEOUT_MS, &error);
    ck_assert_msg(reply != NULL, "no echo of \"%s\": %s", text, error ? error->message : "");
    ck_assert_str_eq(reply, expected);
}

START_TEST(test_boots_with_ports)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = NULL;

    ck_assert_msg(vl_guest_wait_console(guest, ready_marker, boot_timeout, &error), "%s",
                  error ? error->message : "");
    line = vl_guest_console_line(guest, ready_marker);
    printf("%s: %s reached after %.1f s (%s)\n", vl_guest_name(guest), ready_marker,
           vl_guest_elapsed(guest), line);

    /* echo.sh lists the ports the guest kernel sees (before or after the ready marker). */
    ck_assert_msg(vl_guest_wait_console(guest, "VL-PORT " AGENT_PORT, boot_timeout, &error), "%s",
                  error ? error->message : "");
    /* Printed one after the other: the second may still be on its way (a CI run caught it). */
    ck_assert_msg(vl_guest_wait_console(guest, "VL-PORT " QGA_PORT, boot_timeout, &error),
                  "the guest does not see the %s port: %s", QGA_PORT, error ? error->message : "");
}
END_TEST

START_TEST(test_network)
{
    g_autoptr(GError) error = NULL;

    ck_assert_msg(vl_guest_console_line(guest, "VL-PING4-OK") != NULL,
                  "the tiny guest could not ping %s on the test bridge",
                  vl_harness_host_ipv4(harness));
    ck_assert_msg(vl_guest_console_line(guest, "VL-PING6-OK") != NULL,
                  "the tiny guest could not ping %s on the test bridge",
                  vl_harness_host_ipv6(harness));
    (void)error;
}
END_TEST

START_TEST(test_channel_both_ways)
{
    g_autoptr(VlLineSocket) sock = connect_synced();
    g_autoptr(GString) big = g_string_new(NULL);

    assert_echo(sock, "hello from the host");
    /* Many lines back to back, and one long line that spans many virtio buffers. */
    for (int i = 0; i < 200; i++) {
        g_autofree char *text = g_strdup_printf("line %d", i);
        assert_echo(sock, text);
    }
    for (int i = 0; i < 3000; i++) {
        g_string_append_printf(big, "%04d", i);
    }
    assert_echo(sock, big->str);
}
END_TEST

START_TEST(test_channel_reconnect)
{
    for (int round = 0; round < 3; round++) {
        g_autoptr(VlLineSocket) sock = connect_synced();
        g_autofree char *text = g_strdup_printf("round %d", round);

        assert_echo(sock, text);
        /* Leaving the scope closes the host side; the guest must see it and reopen. */
    }
}
END_TEST

START_TEST(test_channel_survives_reboot)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock = connect_synced();
    g_autofree char *reply = NULL;

    assert_echo(sock, "before reboot");
    vl_guest_mark_console(guest);
    ck_assert(vl_line_socket_send(sock, "REBOOT\n", 7, &error));
    reply = vl_line_socket_recv(sock, LINE_TIMEOUT_MS, &error);
    ck_assert_msg(reply != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(reply, "guest:rebooting");

    /* The same QEMU process runs the rebooted guest: the host connection stays open. */
    ck_assert_msg(vl_guest_wait_console(guest, ready_marker, boot_timeout, &error), "%s",
                  error ? error->message : "");
    ck_assert_msg(vl_guest_wait_console(guest, "VL-PORT " AGENT_PORT, boot_timeout, &error), "%s",
                  error ? error->message : "");
    printf("%s: rebooted, %s again after %.1f s in all\n", vl_guest_name(guest), ready_marker,
           vl_guest_elapsed(guest));
    /* The connection is the same, but the new echo process may not have the port open yet. */
    ck_assert_msg(vl_line_socket_sync(sock, "guest:", SYNC_TIMEOUT, &error), "%s",
                  error ? error->message : "");
    assert_echo(sock, "after reboot");
}
END_TEST

static TCase *
image_case(const char *name, void (*setup)(void), gboolean with_network_check)
{
    TCase *tc = tcase_create(name);

    tcase_add_unchecked_fixture(tc, setup, stop_all);
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_boots_with_ports);
    if (with_network_check) {
        tcase_add_test(tc, test_network);
    }
    tcase_add_test(tc, test_channel_both_ways);
    tcase_add_test(tc, test_channel_reconnect);
    tcase_add_test(tc, test_channel_survives_reboot);
    return tc;
}

int
main(void)
{
    Suite *s = suite_create("boot");
    SRunner *sr;
    int failed;

    suite_add_tcase(s, image_case("tiny", setup_tiny, TRUE));
    suite_add_tcase(s, image_case("debian", setup_debian, FALSE));
    sr = srunner_create(s);
    /* One guest serves the cases of its image in order, so the cases share this process. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
