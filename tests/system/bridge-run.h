/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkd on this host for the system tests (the built binary, $VL_BRIDGE), under the real
 * libvirtd on qemu:///system, with its control socket, state, configuration, audit log and
 * its own log (stdout and stderr) in a work folder of its own; and the calls the tests make to
 * it and to their guest. Failures are libcheck assertions.
 */
#pragma once

#include <check.h>

#include "harness.h"
#include "vl-client.h"
#include "vl-protocol.h"

G_BEGIN_DECLS

#define VL_BRIDGE_RUN_WAIT_MS 120000

typedef struct {
    char *config_extra; /* appended to bridge.conf, whose last group is [control] */
    char *work_dir;
    char *control_path; /* the local control socket */
    char *log_path;     /* vmlinkd's stdout and stderr, appended over restarts */
    char *audit_path;
    GSubprocess *process;
} VlBridgeRun;

/* A work folder; vmlinkd not started yet. CONFIG_EXTRA (may be NULL) is appended to its
 * bridge.conf, whose last group is [control]. */
VlBridgeRun *vl_bridge_run_new(const char *config_extra);
/* Stops vmlinkd if it runs and removes the work folder. */
void vl_bridge_run_free(VlBridgeRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlBridgeRun, vl_bridge_run_free)

void vl_bridge_run_start(VlBridgeRun *run);
/* SIGTERM, and vmlinkd must exit 0. */
void vl_bridge_run_stop(VlBridgeRun *run);
/* A client of the control socket, waiting up to 30 s for vmlinkd to answer. */
VlClient *vl_bridge_run_client(VlBridgeRun *run);

/* {"vm": NAME} */
VlJson *vl_bridge_vm_params(const char *name);
/* The call's result; fails the test on an error. */
VlJson *vl_bridge_call_ok(VlClient *client, const char *method, const VlJson *params);
/* guest.info of GUEST once its agent is responsive and has reported the host section, with a
 * boot id other than NOT_BOOT_ID when that is given. */
VlJson *vl_bridge_wait_info(VlClient *client, VlGuest *guest, const char *not_boot_id);
/* A member of a section of guest info. */
const char *vl_bridge_section_string(const VlJson *info, const char *section, const char *member);
/* Whether guest info lists address on any interface. */
gboolean vl_bridge_has_address(const VlJson *info, const char *address);

/* The test's harness; exits 77 (skipped) when it cannot run here (not root). */
VlHarness *vl_system_harness(void);

/* main() of a system test: SUITE's one test, in a test case of its own with SETUP and TEARDOWN
 * around it, in the test's own process (the harness holds daemons and guests), with a bound of
 * 25 minutes. Returns the exit status. */
int vl_system_test_main(const char *suite, SFun setup, SFun teardown, const TTest *test);

/* Runs COMMAND in the guest's test shell; it must exit 0. Its output, stripped. */
char *vl_guest_run_ok(VlGuest *guest, const char *command);

G_END_DECLS
