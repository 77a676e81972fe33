/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System test: vmlinkd on this host under the real libvirtd, attached to a Debian guest (TCG)
 * that runs vmlink-agent as installed by meson install. Through vmlinkd's control socket: the
 * guest's info arrives and matches what the guest says; an address added in the guest shows up
 * as an event and in guest info; a libvirtd restart, a vmlinkd restart and a guest reboot each
 * end with the VM attached again and nothing stale.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "harness.h"
#include "vl-client.h"
#include "vl-protocol.h"

#define BOOT_TIMEOUT 300
#define WAIT_MS 120000

static VlHarness *harness;
static VlGuest *guest;
static GSubprocess *bridge;
static char *work_dir;
static char *control_path;

static void
start_bridge(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *state = g_build_filename(work_dir, "state", NULL);
    g_autofree char *config = g_build_filename(work_dir, "bridge.conf", NULL);
    const char *argv[] = {g_getenv("VL_BRIDGE"),
                          "--foreground",
                          "--config",
                          config,
                          "--libvirt-uri",
                          "qemu:///system",
                          "--state-dir",
                          state,
                          "--local-socket",
                          control_path,
                          "--listen",
                          "none",
                          NULL};

    ck_assert_msg(argv[0] != NULL, "VL_BRIDGE names vmlinkd");
    {
        g_autofree char *audit = g_build_filename(work_dir, "audit.log", NULL);
        g_autofree char *text = g_strdup_printf(
            "[channels]\nreconnect-max-delay = 2\n[control]\naudit-log = %s\n", audit);

        ck_assert(g_file_set_contents(config, text, -1, NULL));
    }
    bridge = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &error);
    ck_assert_msg(bridge != NULL, "%s", error ? error->message : "");
}

static void
stop_bridge(void)
{
    if (bridge) {
        g_subprocess_send_signal(bridge, SIGTERM);
        g_subprocess_wait(bridge, NULL, NULL);
        ck_assert_msg(
            g_subprocess_get_if_exited(bridge) && g_subprocess_get_exit_status(bridge) == 0,
            "vmlinkd did not exit cleanly (wait status %d)", g_subprocess_get_status(bridge));
        g_clear_object(&bridge);
    }
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    /* No NIC: a Debian guest with one takes minutes to reboot under TCG (docs/testing.md); the
     * address test uses lo. */
    VlGuestSpec spec = {.image = VL_IMAGE_DEBIAN};

    harness = vl_harness_new(&error);
    if (harness == NULL && g_error_matches(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP)) {
        printf("SKIP: %s\n", error->message);
        exit(77);
    }
    ck_assert_msg(harness != NULL, "harness: %s", error->message);
    ck_assert_msg(vl_harness_agent_spec(harness, &spec, &error), "%s", error ? error->message : "");
    guest = vl_guest_start(harness, "bridge", &spec, &error);
    ck_assert_msg(guest != NULL, "%s", error ? error->message : "");

    work_dir = g_dir_make_tmp("vl-bridge-system-XXXXXX", NULL);
    control_path = g_build_filename(work_dir, "vmlinkd.sock", NULL);
    start_bridge();
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");
}

static void
teardown(void)
{
    stop_bridge();
    g_clear_pointer(&guest, vl_guest_free);
    g_clear_pointer(&harness, vl_harness_free);
    if (work_dir) {
        g_autofree char *state = g_build_filename(work_dir, "state", NULL);
        g_autofree char *config = g_build_filename(work_dir, "bridge.conf", NULL);

        g_rmdir(state);
        g_unlink(config);
        g_rmdir(work_dir);
    }
    g_clear_pointer(&work_dir, g_free);
    g_clear_pointer(&control_path, g_free);
}

/* Helpers ---------------------------------------------------------------------------------------
 */

static VlClient *
client(void)
{
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GError) error = NULL;
        VlClient *c = vl_client_connect(control_path, &error);

        if (c) {
            return c;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "vmlinkd does not answer: %s", error->message);
        g_usleep(50000);
    }
}

static VlJson *
vm_params(void)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vl_guest_name(guest));
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

static VlJson *
call_ok(VlClient *c, const char *method, const VlJson *params)
{
    g_autoptr(GError) error = NULL;
    VlJson *result = vl_client_call(c, method, params, 60000, &error);

    ck_assert_msg(result != NULL, "%s: %s", method, error ? error->message : "");
    return result;
}

static char *
run(const char *command)
{
    g_autoptr(GError) error = NULL;
    char *output = NULL;
    int status = -1;

    ck_assert_msg(vl_guest_run(guest, command, &output, &status, 60, &error), "%s: %s", command,
                  error ? error->message : "");
    ck_assert_msg(status == 0, "%s: exit %d: %s", command, status, output);
    return g_strstrip(output);
}

static const char *
section_string(const VlJson *info, const char *section, const char *member)
{
    return vl_json_get_string(vl_json_object_get(
        vl_json_object_get(vl_json_object_get(info, "sections"), section), member));
}

/* Whether guest info lists address on any interface. */
static gboolean
has_address(const VlJson *info, const char *address)
{
    const VlJson *ifaces = vl_json_object_get(
        vl_json_object_get(vl_json_object_get(info, "sections"), "network"), "interfaces");

    for (guint i = 0; i < vl_json_array_length(ifaces); i++) {
        const VlJson *addrs = vl_json_object_get(vl_json_array_get(ifaces, i), "addresses");

        for (guint j = 0; j < vl_json_array_length(addrs); j++) {
            if (g_strcmp0(
                    vl_json_get_string(vl_json_object_get(vl_json_array_get(addrs, j), "address")),
                    address) == 0) {
                return TRUE;
            }
        }
    }
    return FALSE;
}

/* guest.info once the agent is responsive, has reported the host section, and (when given)
 * the boot id differs from not_boot_id. */
static VlJson *
wait_info(VlClient *c, const char *not_boot_id)
{
    g_autoptr(VlJson) params = vm_params();
    gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;

    for (;;) {
        VlJson *info = call_ok(c, "guest.info", params);
        const char *state =
            vl_json_get_string(vl_json_object_get(vl_json_object_get(info, "agent"), "state"));
        const char *boot_id = section_string(info, "host", "boot_id");

        if (g_strcmp0(state, "responsive") == 0 && boot_id &&
            g_strcmp0(boot_id, not_boot_id) != 0) {
            return info;
        }
        vl_json_unref(info);
        ck_assert_msg(g_get_monotonic_time() < end, "no guest info from %s (agent %s)",
                      vl_guest_name(guest), state);
        g_usleep(200000);
    }
}

/* The next event of kind about our guest (others are skipped). */
static VlJson *
wait_event(VlClient *c, const char *kind, const char *section)
{
    gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GError) error = NULL;
        VlJson *event = vl_client_next_event(c, WAIT_MS, &error);
        const VlJson *sections;
        gboolean match;

        ck_assert_msg(event != NULL, "no %s event: %s", kind, error ? error->message : "");
        match = g_strcmp0(vl_json_get_string(vl_json_object_get(event, "event")), kind) == 0 &&
                g_strcmp0(vl_json_get_string(vl_json_object_get(event, "vm")),
                          vl_guest_name(guest)) == 0;
        sections = vl_json_object_get(vl_json_object_get(event, "data"), "sections");
        if (match && section) {
            match = FALSE;
            for (guint i = 0; i < vl_json_array_length(sections); i++) {
                match |=
                    g_strcmp0(vl_json_get_string(vl_json_array_get(sections, i)), section) == 0;
            }
        }
        if (match) {
            return event;
        }
        vl_json_unref(event);
        ck_assert_msg(g_get_monotonic_time() < end, "no %s event in time", kind);
    }
}

/* Adds an address to lo in the guest; returns once vmlinkd has announced it and shows it. */
static void
add_address_and_see_it(VlClient *c, const char *address)
{
    g_autofree char *command = g_strdup_printf("ip addr add %s/32 dev lo", address);
    g_autoptr(VlJson) params = vm_params();
    g_autoptr(VlJson) info = NULL;
    g_autofree char *out = NULL;
    gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;

    out = run(command);
    for (;;) {
        vl_json_unref(wait_event(c, "guest.report", "network"));

        info = call_ok(c, "guest.info", params);
        if (has_address(info, address)) {
            break;
        }
        g_clear_pointer(&info, vl_json_unref);
        ck_assert_msg(g_get_monotonic_time() < end, "%s never showed up", address);
    }
    printf("%s: %s added in the guest, seen through vmlinkd\n", vl_guest_name(guest), address);
}

/* The test ---------------------------------------------------------------------------------------
 */

START_TEST(test_bridge_follows_the_guest)
{
    g_autoptr(VlClient) c = client();
    g_autoptr(VlJson) info = wait_info(c, NULL);
    g_autoptr(VlJson) subscribed = NULL;
    g_autoptr(VlJson) host = NULL;
    g_autoptr(VlJson) after_libvirtd = NULL;
    g_autoptr(VlJson) after_bridge = NULL;
    g_autoptr(VlJson) after_reboot = NULL;
    g_autoptr(VlJson) reboot_params = NULL;
    g_autoptr(VlJson) reply = NULL;
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *hostname = run("hostname");
    g_autofree char *os_id = run(". /etc/os-release && echo $ID");
    g_autofree char *boot_id = run("tr -d - < /proc/sys/kernel/random/boot_id");
    g_autofree char *packages = run("dpkg-query -W | wc -l");
    g_autofree char *first_boot_id = NULL;

    /* What vmlinkd keeps is what the guest says. */
    ck_assert_str_eq(section_string(info, "host", "hostname"), hostname);
    ck_assert_str_eq(section_string(info, "os", "id"), os_id);
    ck_assert_str_eq(section_string(info, "host", "boot_id"), boot_id);
    ck_assert_int_eq(vl_json_array_length(
                         vl_json_object_get(vl_json_object_get(info, "sections"), "applications")),
                     atoi(packages));
    first_boot_id = g_strdup(boot_id);
    printf("%s: guest info through vmlinkd: %s, %s, %s applications\n", vl_guest_name(guest),
           hostname, os_id, packages);

    subscribed = call_ok(c, "events.subscribe", NULL);
    add_address_and_see_it(c, "198.51.100.201");

    /* libvirtd restarts: vmlinkd reconnects; the channel (QEMU's) never went away. */
    if (!vl_harness_restart_libvirtd(harness, &error)) {
        ck_assert_msg(g_error_matches(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP), "%s",
                      error->message);
        printf("not restarting libvirtd: %s\n", error->message);
        g_clear_error(&error);
    } else {
        gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;

        for (;;) {
            g_clear_pointer(&host, vl_json_unref);
            host = call_ok(c, "host.info", NULL);
            if (vl_json_get_bool(vl_json_object_get(host, "libvirt_connected")) &&
                vl_json_get_int(vl_json_object_get(host, "agents")) >= 1) {
                break;
            }
            ck_assert_msg(g_get_monotonic_time() < end, "vmlinkd did not reconnect to libvirtd");
            g_usleep(200000);
        }
        add_address_and_see_it(c, "198.51.100.202");
        after_libvirtd = wait_info(c, NULL);
        ck_assert(has_address(after_libvirtd, "198.51.100.201"));
        printf("%s: attached through a libvirtd restart\n", vl_guest_name(guest));
    }

    /* vmlinkd restarts: it finds the VM and its channel again, and gets a full report. */
    g_clear_pointer(&c, vl_client_free);
    stop_bridge();
    start_bridge();
    c = client();
    after_bridge = wait_info(c, NULL);
    ck_assert(has_address(after_bridge, "198.51.100.201"));
    ck_assert_str_eq(section_string(after_bridge, "host", "boot_id"), first_boot_id);
    printf("%s: attached again after a vmlinkd restart\n", vl_guest_name(guest));

    /* The guest reboots (asked through vmlinkd): attached again, and nothing of before stays. */
    g_clear_pointer(&subscribed, vl_json_unref);
    subscribed = call_ok(c, "events.subscribe", NULL);
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vl_guest_name(guest));
    vl_json_builder_member(b, "mode");
    vl_json_builder_add_string(b, "reboot");
    vl_json_builder_end_object(b);
    reboot_params = vl_json_builder_finish(b);
    vl_guest_mark_console(guest);
    reply = call_ok(c, "guest.shutdown", reboot_params);
    {
        g_autoptr(VlJson) gone = wait_event(c, "guest.event", NULL);

        ck_assert_str_eq(
            vl_json_get_string(vl_json_object_get(vl_json_object_get(gone, "data"), "event")),
            "guest_shutdown");
    }
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");
    after_reboot = wait_info(c, first_boot_id);
    ck_assert(!has_address(after_reboot, "198.51.100.201"));
    printf("%s: attached again after a guest reboot, boot id %s\n", vl_guest_name(guest),
           section_string(after_reboot, "host", "boot_id"));
}
END_TEST

static Suite *
bridge_suite(void)
{
    Suite *s = suite_create("bridge-system");
    TCase *tc = tcase_create("debian");

    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 1500);
    tcase_add_test(tc, test_bridge_follows_the_guest);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(bridge_suite());
    int failed;

    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
