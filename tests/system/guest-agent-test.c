/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System test: vmlink-agent installed into the Debian guest the way a package would install it
 * (meson install --destdir, prefix /usr), started by its udev rule when the port appears, and
 * read from the host end of the channel. What it reports must match the guest.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vl-protocol.h"

#define AGENT_PORT "org.vmlink.agent.0"
#define BOOT_TIMEOUT 240
#define WAIT_MS 60000
#define GUEST_ADDRESS 20

static VlHarness *harness;
static VlGuest *guest;
static VlLineSocket *agent_sock; /* the host end of the agent's channel, after the handshake */

static void
boot_guest(gboolean network)
{
    g_autoptr(GError) error = NULL;
    VlGuestSpec spec = {
        .image = VL_IMAGE_DEBIAN,
        .network = network,
        .address = GUEST_ADDRESS,
    };

    harness = vl_harness_new(&error);
    if (harness == NULL && g_error_matches(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP)) {
        printf("SKIP: %s\n", error->message);
        exit(77);
    }
    ck_assert_msg(harness != NULL, "harness: %s", error->message);

    ck_assert_msg(vl_harness_agent_spec(harness, &spec, &error), "%s", error ? error->message : "");
    guest = vl_guest_start(harness, "guest-agent", &spec, &error);
    ck_assert_msg(guest != NULL, "%s", error ? error->message : "");
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");
}

static void
setup(void)
{
    boot_guest(TRUE);
}

/* No NIC: a Debian guest with one takes minutes to reboot under TCG (docs/testing.md). */
static void
setup_without_network(void)
{
    boot_guest(FALSE);
}

static void
teardown(void)
{
    g_clear_pointer(&agent_sock, vl_line_socket_free);
    g_clear_pointer(&guest, vl_guest_free);
    g_clear_pointer(&harness, vl_harness_free);
}

static VlJson *
receive_type(VlLineSocket *sock, const char *type)
{
    for (;;) {
        g_autoptr(GError) error = NULL;
        g_autofree char *line = vl_line_socket_recv(sock, WAIT_MS, &error);
        g_autoptr(VlJson) m = NULL;
        const VlEntry *entry = NULL;

        ck_assert_msg(line != NULL, "waiting for %s: %s", type, error ? error->message : "");
        ck_assert(vl_json_check(line, strlen(line), VL_FRAME_DEFAULT_MAX_DEPTH, &error));
        m = vl_json_parse(line, strlen(line), &error);
        ck_assert(m != NULL);
        ck_assert_msg(
            vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_GUEST, m, &entry, &error),
            "invalid message from the agent: %s", error ? error->message : "");
        if (g_str_equal(entry->name, type)) {
            return g_steal_pointer(&m);
        }
    }
}

/* The output of a command run inside the guest, without its last newline. */
static char *
guest_says(const char *command)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *output = NULL;
    int status = -1;

    ck_assert_msg(vl_guest_run(guest, command, &output, &status, 60, &error), "%s",
                  error ? error->message : "");
    ck_assert_msg(status == 0, "\"%s\" failed in the guest (%d): %s", command, status, output);
    return g_strchomp(g_steal_pointer(&output));
}

static const VlJson *
find_by_name(const VlJson *array, const char *name)
{
    for (guint i = 0; i < vl_json_array_length(array); i++) {
        const VlJson *item = vl_json_array_get(array, i);
        const char *n = vl_json_get_string(vl_json_object_get(item, "name"));
        if (n && g_str_equal(n, name)) {
            return item;
        }
    }
    return NULL;
}

START_TEST(test_report_matches_guest)
{
    g_autoptr(GError) error = NULL;
    VlLineSocket *sock = agent_sock =
        vl_line_socket_connect(vl_guest_channel_path(guest, AGENT_PORT), 10, &error);
    g_autofree char *hostname = guest_says("hostname");
    g_autofree char *os_release = guest_says(". /etc/os-release; echo \"$ID $VERSION_ID\"");
    g_autofree char *kernel = guest_says("uname -r");
    g_autofree char *mem_total = guest_says("awk '/^MemTotal:/ {print $2}' /proc/meminfo");
    g_autofree char *packages =
        guest_says("dpkg-query -W -f='${db:Status-Status}\\n' | grep -c '^installed$'");
    g_autofree char *systemd_version = guest_says("dpkg-query -W -f='${Version}' systemd");
    g_autofree char *reported_os = NULL;
    g_autoptr(VlJson) hello = NULL;
    g_autoptr(VlJson) report = NULL;
    g_autofree char *address = NULL;
    const VlJson *sections, *os, *host, *memory, *apps, *eth0, *addresses;
    gboolean found_address = FALSE;
    const char *nonce = "vl-system-test-nonce-0001";
    g_autofree char *line = NULL;

    ck_assert_msg(sock != NULL, "%s", error ? error->message : "");
    /* The agent greets first once it sees the host attach (SIGIO on the port). */
    hello = receive_type(sock, "hello");
    g_clear_pointer(&hello, vl_json_unref);
    line = g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"%s\"}\n", nonce);
    ck_assert(vl_line_socket_send(sock, line, strlen(line), &error));
    hello = receive_type(sock, "hello");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(hello, "nonce")), nonce);
    report = receive_type(sock, "report");
    sections = vl_json_object_get(report, "sections");

    /* Everything below is compared with what the guest itself says. */
    os = vl_json_object_get(sections, "os");
    reported_os = g_strdup_printf("%s %s", vl_json_get_string(vl_json_object_get(os, "id")),
                                  vl_json_get_string(vl_json_object_get(os, "version_id")));
    ck_assert_str_eq(reported_os, os_release);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(os, "kernel_release")), kernel);

    host = vl_json_object_get(sections, "host");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(host, "hostname")), hostname);

    memory = vl_json_object_get(sections, "memory");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(memory, "total_kib")),
                     g_ascii_strtoll(mem_total, NULL, 10));

    apps = vl_json_object_get(sections, "applications");
    ck_assert_int_eq(vl_json_array_length(apps), g_ascii_strtoll(packages, NULL, 10));
    ck_assert_msg(find_by_name(apps, "systemd") != NULL, "systemd missing from applications");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(find_by_name(apps, "systemd"), "version")),
        systemd_version);

    eth0 = find_by_name(vl_json_object_get(vl_json_object_get(sections, "network"), "interfaces"),
                        "eth0");
    ck_assert_msg(eth0 != NULL, "eth0 missing from the network section");
    addresses = vl_json_object_get(eth0, "addresses");
    address = g_strdup_printf("%s", vl_harness_host_ipv4(harness));
    /* The guest is .20 in the same /24 as the host's .1. */
    address[strlen(address) - 1] = '\0';
    for (guint i = 0; i < vl_json_array_length(addresses); i++) {
        const VlJson *a = vl_json_array_get(addresses, i);
        g_autofree char *want = g_strdup_printf("%s%d", address, GUEST_ADDRESS);
        if (g_str_equal(vl_json_get_string(vl_json_object_get(a, "address")), want) &&
            vl_json_get_int(vl_json_object_get(a, "prefix")) == 24) {
            found_address = TRUE;
        }
    }
    ck_assert_msg(found_address, "eth0 does not carry the guest's address");
    printf("%s: agent report: %u applications, %u interfaces\n", vl_guest_name(guest),
           vl_json_array_length(apps),
           vl_json_array_length(
               vl_json_object_get(vl_json_object_get(sections, "network"), "interfaces")));
}
END_TEST

/* An address added inside the guest reaches the host as a partial report, unasked. */
START_TEST(test_address_change_is_pushed)
{
    g_autofree char *prefix = g_strdup(vl_harness_host_ipv4(harness));
    g_autofree char *address = NULL;
    g_autofree char *command = NULL;
    g_autofree char *ignored = NULL;
    gint64 sent;

    ck_assert_msg(agent_sock != NULL, "the handshake test did not run");
    prefix[strlen(prefix) - 1] = '\0'; /* "198.51.100." */
    address = g_strdup_printf("%s77", prefix);
    command = g_strdup_printf("ip addr add %s/24 dev eth0", address);
    sent = g_get_monotonic_time();
    ignored = guest_says(command);

    for (;;) {
        g_autoptr(VlJson) report = receive_type(agent_sock, "report");
        const VlJson *sections = vl_json_object_get(report, "sections");
        const VlJson *eth0 = find_by_name(
            vl_json_object_get(vl_json_object_get(sections, "network"), "interfaces"), "eth0");
        const VlJson *addresses = vl_json_object_get(eth0, "addresses");

        ck_assert(!vl_json_get_bool(vl_json_object_get(report, "full")));
        for (guint i = 0; i < vl_json_array_length(addresses); i++) {
            const char *a =
                vl_json_get_string(vl_json_object_get(vl_json_array_get(addresses, i), "address"));
            if (a && g_str_equal(a, address)) {
                printf("%s: %s pushed to the host %.0f ms after the command was sent\n",
                       vl_guest_name(guest), address,
                       (double)(g_get_monotonic_time() - sent) / 1000);
                return;
            }
        }
    }
}
END_TEST

/* Connects to the agent and does the handshake; returns after the full report. */
static VlLineSocket *
greet_agent(const char *nonce)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock =
        vl_line_socket_connect(vl_guest_channel_path(guest, AGENT_PORT), 10, &error);
    g_autofree char *line = NULL;
    g_autoptr(VlJson) hello = NULL;
    g_autoptr(VlJson) report = NULL;

    ck_assert_msg(sock != NULL, "%s", error ? error->message : "");
    line = g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"%s\"}\n", nonce);
    /* The agent may have greeted first; its answer to this hello carries the nonce. */
    for (;;) {
        ck_assert(vl_line_socket_send(sock, line, strlen(line), &error));
        hello = receive_type(sock, "hello");
        if (g_strcmp0(vl_json_get_string(vl_json_object_get(hello, "nonce")), nonce) == 0) {
            break;
        }
        g_clear_pointer(&hello, vl_json_unref);
    }
    report = receive_type(sock, "report");
    return g_steal_pointer(&sock);
}

/* shutdown through the agent: the guest announces it, reboots, and the agent comes back. */
START_TEST(test_reboot_and_poweroff)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock = greet_agent("nonce-reboot-0123456789");
    g_autoptr(VlJson) reply = NULL;
    g_autoptr(VlJson) event = NULL;
    const char *reboot = "{\"type\":\"command\",\"id\":\"r1\",\"name\":\"shutdown\","
                         "\"args\":{\"mode\":\"reboot\"}}\n";
    const char *poweroff = "{\"type\":\"command\",\"id\":\"p1\",\"name\":\"shutdown\","
                           "\"args\":{\"mode\":\"poweroff\"}}\n";

    vl_guest_mark_console(guest);
    ck_assert(vl_line_socket_send(sock, reboot, strlen(reboot), &error));
    reply = receive_type(sock, "reply");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(reply, "id")), "r1");
    /* logind's PrepareForShutdown reaches the host as an event before the guest goes down. */
    event = receive_type(sock, "event");
    while (!g_str_equal(vl_json_get_string(vl_json_object_get(event, "event")), "guest_shutdown")) {
        g_clear_pointer(&event, vl_json_unref);
        event = receive_type(sock, "event");
    }
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");
    printf("%s: rebooted by the agent, ready again after %.1f s in all\n", vl_guest_name(guest),
           vl_guest_elapsed(guest));

    /* The same connection: the new agent greets, and the handshake starts over. */
    g_clear_pointer(&sock, vl_line_socket_free);
    sock = greet_agent("nonce-poweroff-01234567");
    ck_assert(vl_line_socket_send(sock, poweroff, strlen(poweroff), &error));
    g_clear_pointer(&reply, vl_json_unref);
    reply = receive_type(sock, "reply");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(reply, "id")), "p1");
    for (int i = 0; i < BOOT_TIMEOUT * 10 && vl_guest_state(guest) == 1 /* running */; i++) {
        g_usleep(100 * 1000);
    }
    ck_assert_msg(vl_guest_state(guest) != 1, "the guest is still running after poweroff");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("guest-agent");
    TCase *tc = tcase_create("debian");
    SRunner *sr;
    int failed;

    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_report_matches_guest);
    tcase_add_test(tc, test_address_change_is_pushed);
    suite_add_tcase(s, tc);
    tc = tcase_create("actions");
    tcase_add_unchecked_fixture(tc, setup_without_network, teardown);
    tcase_add_test(tc, test_reboot_and_poweroff);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
