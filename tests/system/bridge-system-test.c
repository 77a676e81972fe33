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

#include "bridge-run.h"

#define BOOT_TIMEOUT 300

static VlHarness *harness;
static VlGuest *guest;
static VlBridgeRun *bridge;

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    /* No NIC: a Debian guest with one takes minutes to reboot under TCG (docs/testing.md); the
     * address test uses lo. */
    VlGuestSpec spec = {.image = VL_IMAGE_DEBIAN};

    harness = vl_system_harness();
    ck_assert_msg(vl_harness_agent_spec(harness, &spec, &error), "%s", error ? error->message : "");
    guest = vl_guest_start(harness, "bridge", &spec, &error);
    ck_assert_msg(guest != NULL, "%s", error ? error->message : "");

    bridge = vl_bridge_run_new(NULL);
    vl_bridge_run_start(bridge);
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");
}

static void
teardown(void)
{
    g_clear_pointer(&bridge, vl_bridge_run_free);
    g_clear_pointer(&guest, vl_guest_free);
    g_clear_pointer(&harness, vl_harness_free);
}

/* Helpers ---------------------------------------------------------------------------------------
 */

static VlJson *
vm_params(void)
{
    return vl_bridge_vm_params(vl_guest_name(guest));
}

static char *
run(const char *command)
{
    return vl_guest_run_ok(guest, command);
}

/* The next event of kind about our guest (others are skipped). */
static VlJson *
wait_event(VlClient *c, const char *kind, const char *section)
{
    gint64 end = g_get_monotonic_time() + (gint64)VL_BRIDGE_RUN_WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GError) error = NULL;
        VlJson *event = vl_client_next_event(c, VL_BRIDGE_RUN_WAIT_MS, &error);
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
    gint64 end = g_get_monotonic_time() + (gint64)VL_BRIDGE_RUN_WAIT_MS * 1000;

    out = run(command);
    for (;;) {
        vl_json_unref(wait_event(c, "guest.report", "network"));

        info = vl_bridge_call_ok(c, "guest.info", params);
        if (vl_bridge_has_address(info, address)) {
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
    g_autoptr(VlClient) c = vl_bridge_run_client(bridge);
    g_autoptr(VlJson) info = vl_bridge_wait_info(c, guest, NULL);
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
    ck_assert_str_eq(vl_bridge_section_string(info, "host", "hostname"), hostname);
    ck_assert_str_eq(vl_bridge_section_string(info, "os", "id"), os_id);
    ck_assert_str_eq(vl_bridge_section_string(info, "host", "boot_id"), boot_id);
    ck_assert_int_eq(vl_json_array_length(
                         vl_json_object_get(vl_json_object_get(info, "sections"), "applications")),
                     atoi(packages));
    first_boot_id = g_strdup(boot_id);
    printf("%s: guest info through vmlinkd: %s, %s, %s applications\n", vl_guest_name(guest),
           hostname, os_id, packages);

    subscribed = vl_bridge_call_ok(c, "events.subscribe", NULL);
    add_address_and_see_it(c, "198.51.100.201");

    /* libvirtd restarts: vmlinkd reconnects; the channel (QEMU's) never went away. */
    if (!vl_harness_restart_libvirtd(harness, &error)) {
        ck_assert_msg(g_error_matches(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP), "%s",
                      error->message);
        printf("not restarting libvirtd: %s\n", error->message);
        g_clear_error(&error);
    } else {
        gint64 end = g_get_monotonic_time() + (gint64)VL_BRIDGE_RUN_WAIT_MS * 1000;

        for (;;) {
            g_clear_pointer(&host, vl_json_unref);
            host = vl_bridge_call_ok(c, "host.info", NULL);
            if (vl_json_get_bool(vl_json_object_get(host, "libvirt_connected")) &&
                vl_json_get_int(vl_json_object_get(host, "agents")) >= 1) {
                break;
            }
            ck_assert_msg(g_get_monotonic_time() < end, "vmlinkd did not reconnect to libvirtd");
            g_usleep(200000);
        }
        add_address_and_see_it(c, "198.51.100.202");
        after_libvirtd = vl_bridge_wait_info(c, guest, NULL);
        ck_assert(vl_bridge_has_address(after_libvirtd, "198.51.100.201"));
        printf("%s: attached through a libvirtd restart\n", vl_guest_name(guest));
    }

    /* vmlinkd restarts: it finds the VM and its channel again, and gets a full report. */
    g_clear_pointer(&c, vl_client_free);
    vl_bridge_run_stop(bridge);
    vl_bridge_run_start(bridge);
    c = vl_bridge_run_client(bridge);
    after_bridge = vl_bridge_wait_info(c, guest, NULL);
    ck_assert(vl_bridge_has_address(after_bridge, "198.51.100.201"));
    ck_assert_str_eq(vl_bridge_section_string(after_bridge, "host", "boot_id"), first_boot_id);
    printf("%s: attached again after a vmlinkd restart\n", vl_guest_name(guest));

    /* The guest reboots (asked through vmlinkd): attached again, and nothing of before stays. */
    g_clear_pointer(&subscribed, vl_json_unref);
    subscribed = vl_bridge_call_ok(c, "events.subscribe", NULL);
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vl_guest_name(guest));
    vl_json_builder_member(b, "mode");
    vl_json_builder_add_string(b, "reboot");
    vl_json_builder_end_object(b);
    reboot_params = vl_json_builder_finish(b);
    vl_guest_mark_console(guest);
    reply = vl_bridge_call_ok(c, "guest.shutdown", reboot_params);
    {
        g_autoptr(VlJson) gone = wait_event(c, "guest.event", NULL);

        ck_assert_str_eq(
            vl_json_get_string(vl_json_object_get(vl_json_object_get(gone, "data"), "event")),
            "guest_shutdown");
    }
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");
    after_reboot = vl_bridge_wait_info(c, guest, first_boot_id);
    ck_assert(!vl_bridge_has_address(after_reboot, "198.51.100.201"));
    printf("%s: attached again after a guest reboot, boot id %s\n", vl_guest_name(guest),
           vl_bridge_section_string(after_reboot, "host", "boot_id"));
}
END_TEST

int
main(void)
{
    return vl_system_test_main("bridge-system", setup, teardown, test_bridge_follows_the_guest);
}
