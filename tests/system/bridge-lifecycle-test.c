/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System test: a VM's whole life through vmlinkd, under the real libvirtd and QEMU (TCG).
 * vm.define from a spec (direct kernel boot of the Debian image with vmlink-agent installed;
 * vmlinkd adds the agent channels), vm.start, guest info from the agent on the channel vmlinkd
 * added, vm.stats from QEMU, a disk attached and detached while it runs, a QMP command, a
 * shutdown through the agent, vm.undefine. These are the real paths that the unit tests can
 * only reach through libvirt's test driver.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bridge-run.h"

#define BOOT_TIMEOUT 300
#define WAIT_MS 120000

static VlHarness *harness;
static VlGuest *guest;
static VlBridgeRun *bridge;
static VlClient *client;

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    VlGuestSpec spec = {.image = VL_IMAGE_DEBIAN};

    harness = vl_system_harness();
    ck_assert_msg(vl_harness_agent_spec(harness, &spec, &error), "%s", error ? error->message : "");
    guest = vl_guest_prepare(harness, "lifecycle", &spec, &error);
    ck_assert_msg(guest != NULL, "%s", error ? error->message : "");
    bridge = vl_bridge_run_new("qmp-passthrough = true\n[bridge]\ndefault-accel = tcg\n");
    vl_bridge_run_start(bridge);
    client = vl_bridge_run_client(bridge);
}

static void
teardown(void)
{
    g_clear_pointer(&client, vl_client_free);
    g_clear_pointer(&bridge, vl_bridge_run_free);
    g_clear_pointer(&guest, vl_guest_free);
    g_clear_pointer(&harness, vl_harness_free);
}

static VlJson *
call(const char *method, const char *params_text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) params =
        params_text ? vl_json_parse(params_text, strlen(params_text), &error) : NULL;
    VlJson *result;

    ck_assert_msg(params_text == NULL || params != NULL, "%s", params_text);
    result = vl_client_call(client, method, params, 60000, &error);
    ck_assert_msg(result != NULL, "%s %s: %s", method, params_text ? params_text : "",
                  error ? error->message : "");
    return result;
}

static const char *
member(const VlJson *object, const char *name)
{
    return vl_json_get_string(vl_json_object_get(object, name));
}

static int
state_of(const char *name)
{
    g_autoptr(VlJson) list = call("vm.list", NULL);
    const VlJson *vms = vl_json_object_get(list, "vms");

    for (guint i = 0; i < vl_json_array_length(vms); i++) {
        if (g_strcmp0(member(vl_json_array_get(vms, i), "name"), name) == 0) {
            return g_str_equal(member(vl_json_array_get(vms, i), "state"), "running") ? 1 : 0;
        }
    }
    return -1;
}

START_TEST(test_life_of_a_vm)
{
    const char *name = vl_guest_name(guest);
    g_autoptr(GError) error = NULL;
    g_autofree char *spec =
        g_strdup_printf("{\"spec\":{\"name\":\"%s\",\"memory_mib\":1536,\"vcpus\":1,"
                        "\"boot\":{\"kernel\":\"%s\",\"initrd\":\"%s\",\"cmdline\":\"%s\"},"
                        "\"console_log\":\"%s\"}}",
                        name, vl_harness_kernel(harness), vl_guest_initrd(guest),
                        vl_guest_cmdline(guest), vl_guest_console_path(guest));
    g_autofree char *vm = g_strdup_printf("{\"vm\":\"%s\"}", name);
    g_autofree char *disk = g_build_filename(bridge->work_dir, "data.img", NULL);
    g_autofree char *attach = g_strdup_printf(
        "{\"vm\":\"%s\",\"device\":{\"kind\":\"disk\",\"path\":\"%s\",\"target\":\"vdb\"}}", name,
        disk);
    g_autofree char *detach =
        g_strdup_printf("{\"vm\":\"%s\",\"device\":{\"kind\":\"disk\",\"target\":\"vdb\"}}", name);
    g_autofree char *qmp =
        g_strdup_printf("{\"vm\":\"%s\",\"command\":{\"execute\":\"query-status\"}}", name);
    g_autofree char *shutdown = g_strdup_printf("{\"vm\":\"%s\",\"via\":\"agent\"}", name);
    g_autoptr(VlJson) defined = call("vm.define", spec);
    g_autoptr(VlJson) started = NULL;
    g_autoptr(VlJson) info = NULL;
    g_autoptr(VlJson) stats = NULL;
    g_autoptr(VlJson) attached = NULL;
    g_autoptr(VlJson) detached = NULL;
    g_autoptr(VlJson) status = NULL;
    g_autoptr(VlJson) stopping = NULL;
    g_autoptr(VlJson) undefined = NULL;
    const VlJson *one;
    gint64 end;

    ck_assert_str_eq(member(defined, "state"), "shutoff");
    started = call("vm.start", vm);
    ck_assert_str_eq(member(started, "state"), "running");
    ck_assert(vl_guest_adopt(guest, &error));
    ck_assert_msg(vl_guest_wait_console(guest, "VL-DEBIAN-READY", BOOT_TIMEOUT, &error), "%s",
                  error ? error->message : "");

    /* The agent answers on the channel vmlinkd put in the definition. */
    info = vl_bridge_wait_info(client, guest, NULL);
    ck_assert_str_eq(
        member(vl_json_object_get(vl_json_object_get(info, "sections"), "host"), "hostname"),
        "debian-guest");
    printf("%s: defined and started through vmlinkd; its agent reports\n", name);

    /* Statistics from QEMU itself. */
    stats = call("vm.stats", vm);
    one = vl_json_array_get(vl_json_object_get(stats, "vms"), 0);
    ck_assert_int_gt(vl_json_get_int(vl_json_object_get(one, "cpu_time_ns")), 0);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(one, "balloon_maximum_kib")), 1536 * 1024);

    /* A disk, hot-plugged and removed. */
    {
        const char *argv[] = {"truncate", "-s", "16M", disk, NULL};
        ck_assert(vl_run(argv, &error));
    }
    attached = call("vm.attach_device", attach);
    ck_assert_str_eq(member(vl_json_object_get(attached, "device"), "target"), "vdb");
    end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
    for (;;) {
        g_autoptr(VlJson) s = call("vm.stats", vm);
        const VlJson *block =
            vl_json_object_get(vl_json_array_get(vl_json_object_get(s, "vms"), 0), "block");
        gboolean seen = FALSE;

        for (guint i = 0; i < vl_json_array_length(block); i++) {
            seen |= g_strcmp0(member(vl_json_array_get(block, i), "name"), "vdb") == 0;
        }
        if (seen) {
            break;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "vdb never showed in vm.stats");
        g_usleep(200000);
    }
    detached = call("vm.detach_device", detach);

    /* QMP, allowed by this bridge.conf. */
    status = call("vm.qmp", qmp);
    ck_assert_str_eq(member(vl_json_object_get(status, "return"), "status"), "running");

    /* Off through the agent, then gone. */
    stopping = call("vm.shutdown", shutdown);
    ck_assert_str_eq(member(stopping, "via"), "agent");
    end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
    while (state_of(name) == 1) {
        ck_assert_msg(g_get_monotonic_time() < end, "%s did not power off", name);
        g_usleep(500000);
    }
    undefined = call("vm.undefine", vm);
    ck_assert_int_eq(state_of(name), -1);
    printf("%s: stats, disk hot-plug, QMP, shutdown through the agent and undefine done\n", name);
}
END_TEST

int
main(void)
{
    return vl_system_test_main("bridge-lifecycle", setup, teardown, test_life_of_a_vm);
}
