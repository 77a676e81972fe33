/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bridge-run.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "vl-test-util.h"

VlBridgeRun *
vl_bridge_run_new(const char *config_extra)
{
    VlBridgeRun *run = g_new0(VlBridgeRun, 1);

    run->config_extra = g_strdup(config_extra ? config_extra : "");
    run->work_dir = g_dir_make_tmp("vl-bridge-run-XXXXXX", NULL);
    ck_assert_ptr_nonnull(run->work_dir);
    run->control_path = g_build_filename(run->work_dir, "vmlinkd.sock", NULL);
    run->log_path = g_build_filename(run->work_dir, "vmlinkd.log", NULL);
    run->audit_path = g_build_filename(run->work_dir, "audit.log", NULL);
    return run;
}

void
vl_bridge_run_free(VlBridgeRun *run)
{
    if (run == NULL) {
        return;
    }
    vl_bridge_run_stop(run);
    vl_test_remove_tree(run->work_dir);
    g_free(run->config_extra);
    g_free(run->work_dir);
    g_free(run->control_path);
    g_free(run->log_path);
    g_free(run->audit_path);
    g_free(run);
}

void
vl_bridge_run_start(VlBridgeRun *run)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_autofree char *state = g_build_filename(run->work_dir, "state", NULL);
    g_autofree char *config = g_build_filename(run->work_dir, "bridge.conf", NULL);
    g_autofree char *text =
        g_strdup_printf("[channels]\nreconnect-max-delay = 2\n[control]\naudit-log = %s\n%s",
                        run->audit_path, run->config_extra);
    const char *argv[] = {g_getenv("VL_BRIDGE"),
                          "--foreground",
                          "--config",
                          config,
                          "--libvirt-uri",
                          "qemu:///system",
                          "--state-dir",
                          state,
                          "--local-socket",
                          run->control_path,
                          "--listen",
                          "none",
                          NULL};

    ck_assert_msg(argv[0] != NULL, "VL_BRIDGE names vmlinkd");
    ck_assert(g_file_set_contents(config, text, -1, NULL));
    /* Appended, so a restart keeps what the earlier run said. */
    {
        int fd = g_open(run->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

        ck_assert_int_ge(fd, 0);
        g_subprocess_launcher_take_stdout_fd(launcher, fd);
    }
    run->process = g_subprocess_launcher_spawnv(launcher, argv, &error);
    ck_assert_msg(run->process != NULL, "%s", error ? error->message : "");
}

void
vl_bridge_run_stop(VlBridgeRun *run)
{
    if (run->process) {
        g_subprocess_send_signal(run->process, SIGTERM);
        g_subprocess_wait(run->process, NULL, NULL);
        ck_assert_msg(g_subprocess_get_if_exited(run->process) &&
                          g_subprocess_get_exit_status(run->process) == 0,
                      "vmlinkd did not exit cleanly (wait status %d; its log: %s)",
                      g_subprocess_get_status(run->process), run->log_path);
        g_clear_object(&run->process);
    }
}

VlClient *
vl_bridge_run_client(VlBridgeRun *run)
{
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GError) error = NULL;
        VlClient *c = vl_client_connect(run->control_path, &error);

        if (c) {
            return c;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "vmlinkd does not answer: %s", error->message);
        g_usleep(50000);
    }
}

VlJson *
vl_bridge_vm_params(const char *name)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, name);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

VlJson *
vl_bridge_call_ok(VlClient *c, const char *method, const VlJson *params)
{
    g_autoptr(GError) error = NULL;
    VlJson *result = vl_client_call(c, method, params, 60000, &error);

    ck_assert_msg(result != NULL, "%s: %s", method, error ? error->message : "");
    return result;
}

const char *
vl_bridge_section_string(const VlJson *info, const char *section, const char *member)
{
    return vl_json_get_string(vl_json_object_get(
        vl_json_object_get(vl_json_object_get(info, "sections"), section), member));
}

gboolean
vl_bridge_has_address(const VlJson *info, const char *address)
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

VlJson *
vl_bridge_wait_info(VlClient *c, VlGuest *guest, const char *not_boot_id)
{
    g_autoptr(VlJson) params = vl_bridge_vm_params(vl_guest_name(guest));
    gint64 end = g_get_monotonic_time() + (gint64)VL_BRIDGE_RUN_WAIT_MS * 1000;

    for (;;) {
        VlJson *info = vl_bridge_call_ok(c, "guest.info", params);
        const char *state =
            vl_json_get_string(vl_json_object_get(vl_json_object_get(info, "agent"), "state"));
        const char *boot_id = vl_bridge_section_string(info, "host", "boot_id");

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

char *
vl_guest_run_ok(VlGuest *guest, const char *command)
{
    g_autoptr(GError) error = NULL;
    char *output = NULL;
    int status = -1;

    ck_assert_msg(vl_guest_run(guest, command, &output, &status, 60, &error), "%s: %s", command,
                  error ? error->message : "");
    ck_assert_msg(status == 0, "%s: exit %d: %s", command, status, output);
    return g_strstrip(output);
}

VlHarness *
vl_system_harness(void)
{
    g_autoptr(GError) error = NULL;
    VlHarness *harness = vl_harness_new(&error);

    if (harness == NULL && g_error_matches(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP)) {
        printf("SKIP: %s\n", error->message);
        exit(77);
    }
    ck_assert_msg(harness != NULL, "harness: %s", error ? error->message : "");
    return harness;
}

int
vl_system_test_main(const char *suite, SFun setup, SFun teardown, const TTest *test)
{
    Suite *s = suite_create(suite);
    TCase *tc = tcase_create("debian");
    SRunner *runner;
    int failed;

    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 1500);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
    runner = srunner_create(s);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
