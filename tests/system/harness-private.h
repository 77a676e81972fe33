/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What harness.c (libvirtd, images, the test network) and guest.c (domains) share. */
#pragma once

#include <libvirt/libvirt.h>

#include "harness.h"

#define NAME_PREFIX "vltest-"
#define TEST_NET6 "2001:db8:76::"

struct _VlHarness {
    virConnectPtr conn;
    char *source_root;
    char *work_dir;
    char *console_dir;
    char *kernel;
    char *images[2];
    char *bridge; /* NULL until a guest asks for a network */
    char *net4;   /* the test network's first three IPv4 octets, "198.51.100" */
    char *host4;  /* the host's addresses on it */
    char *host6;
    GPtrArray *guests;          /* VlGuest, borrowed: still running */
    char *destdir;              /* vl_harness_install_build(), once */
    VlGuestFile agent_files[2]; /* vl_harness_agent_spec(): the agent's console drop-in */
    guint next_id;
};

/* Runs a command and returns its standard output (stderr goes to the test log). */
char *vl_harness_capture(const char *const *argv, GError **error);
/* Sets error from libvirt's last error; returns FALSE. */
gboolean vl_harness_libvirt_error(GError **error, const char *what);
void vl_harness_remove_tree(const char *path);
/* Creates the test bridge the first time a guest wants a network. */
gboolean vl_harness_ensure_bridge(VlHarness *harness, GError **error);

/* Looks the guest's domain up again on the harness's (new) connection. */
void vl_guest_reattach(VlGuest *guest);
