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
static VlClient *client;

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *state = NULL;
    g_autofree char *config = NULL;
    VlGuestSpec spec = {.image = VL_IMAGE_DEBIAN};
    gint64 end;

    harness = vl_harness_new(&error);
    if (harness == NULL && g_error_matches(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP)) {
        printf("SKIP: %s\n", error->message);
        exit(77);
    }
    ck_assert_msg(harness != NULL, "harness: %s", error->message);
    ck_assert_msg(vl_harness_agent_spec(harness, &spec, &error), "%s", error ? error->message : "");
    guest = vl_guest_prepare(harness, "lifecycle", &spec, &error);
    ck_assert_msg(guest != NULL, "%s", error ? error->message : "");

    work_dir = g_dir_make_tmp("vl-lifecycle-XXXXXX", NULL);
    control_path = g_build_filename(work_dir, "vmlinkd.sock", NULL);
    state = g_build_filename(work_dir, "state", NULL);
    config = g_build_filename(work_dir, "bridge.conf", NULL);
    {
        g_autofree char *audit = g_build_filename(work_dir, "audit.log", NULL);
        g_autofree char *text = g_strdup_printf(
            "[bridge]\ndefault-accel = tcg\n[control]\nqmp-passthrough = true\naudit-log = %s\n",
            audit);

        ck_assert(g_file_set_contents(config, text, -1, NULL));
    }
    {
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
        bridge = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &error);
        ck_assert_msg(bridge != NULL, "%s", error ? error->message : "");
    }
    end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while ((client = vl_client_connect(control_path, NULL)) == NULL) {
        ck_assert_msg(g_get_monotonic_time() < end, "vmlinkd does not answer");
        g_usleep(50000);
    }
}

static void
teardown(void)
{
    g_clear_pointer(&client, vl_client_free);
    if (bridge) {
        g_subprocess_send_signal(bridge, SIGTERM);
        g_subprocess_wait(bridge, NULL, NULL);
        ck_assert_msg(
            g_subprocess_get_if_exited(bridge) && g_subprocess_get_exit_status(bridge) == 0,
            "vmlinkd did not exit cleanly (wait status %d)", g_subprocess_get_status(bridge));
        g_clear_object(&bridge);
    }
    g_clear_pointer(&guest, vl_guest_free);
    g_clear_pointer(&harness, vl_harness_free);
    if (work_dir) {
        g_autofree char *state = g_build_filename(work_dir, "state", NULL);
        g_autofree char *config = g_build_filename(work_dir, "bridge.conf", NULL);
        g_autofree char *disk = g_build_filename(work_dir, "data.img", NULL);

        g_rmdir(state);
        g_unlink(config);
        g_unlink(disk);
        g_rmdir(work_dir);
    }
    g_clear_pointer(&work_dir, g_free);
    g_clear_pointer(&control_path, g_free);
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

/* guest.info once the agent is responsive and has reported host. */
static VlJson *
wait_info(const char *name)
{
    g_autofree char *params = g_strdup_printf("{\"vm\":\"%s\"}", name);
    gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;

    for (;;) {
        VlJson *info = call("guest.info", params);

        if (g_strcmp0(member(vl_json_object_get(info, "agent"), "state"), "responsive") == 0 &&
            vl_json_object_get(vl_json_object_get(info, "sections"), "host")) {
            return info;
        }
        vl_json_unref(info);
        ck_assert_msg(g_get_monotonic_time() < end, "no guest info for %s", name);
        g_usleep(200000);
    }
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
    g_autofree char *disk = g_build_filename(work_dir, "data.img", NULL);
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
    info = wait_info(name);
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

static Suite *
lifecycle_suite(void)
{
    Suite *s = suite_create("bridge-lifecycle");
    TCase *tc = tcase_create("debian");

    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 1500);
    tcase_add_test(tc, test_life_of_a_vm);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(lifecycle_suite());
    int failed;

    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
