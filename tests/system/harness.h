/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system test harness: real QEMU guests (TCG) under a real libvirtd.
 *
 * A VlHarness belongs to one test program. It makes sure libvirtd answers (starting virtlogd
 * and libvirtd when nothing runs them, see libvirt-up.sh), makes sure the guest images are built
 * (images/mkimages.sh, cached), connects to qemu:///system and owns everything the test creates:
 * transient domains named vltest-PID-N, an isolated bridge vlbrPID with no uplink addressed
 * from the documentation ranges (the first of 198.51.100.0/24, 203.0.113.0/24 and 192.0.2.0/24
 * that this machine does not use itself, and 2001:db8:76::/64; the host side is .1), and a work
 * folder
 * /tmp/vmlink-test-PID. vl_harness_free() destroys all of it; vl_harness_new() also sweeps what
 * an earlier, crashed test program (its PID gone) left behind.
 *
 * Each guest's serial console goes to a file in $VL_BUILD_ROOT/meson-logs/console/; a wait
 * that times out prints the end of it, so a failed boot shows why.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "vl-line-socket.h"

G_BEGIN_DECLS

#define VL_HARNESS_ERROR (vl_harness_error_quark())
GQuark vl_harness_error_quark(void);

typedef enum {
    VL_HARNESS_ERROR_SKIP,    /* cannot run here (not root): the test should exit 77 */
    VL_HARNESS_ERROR_SETUP,   /* libvirtd, images or the bridge could not be set up */
    VL_HARNESS_ERROR_LIBVIRT, /* a libvirt call failed */
    VL_HARNESS_ERROR_TIMEOUT, /* a wait ran out */
} VlHarnessError;

/* The port of the test shell every Debian guest runs (guest/testshell.sh). */
#define VL_TEST_PORT "org.vmlink.test.0"

typedef struct _VlHarness VlHarness;
typedef struct _VlGuest VlGuest;

typedef enum {
    VL_IMAGE_TINY,   /* busybox initramfs; runs spec->init_script as /vl/init */
    VL_IMAGE_DEBIAN, /* Debian 12 with systemd; prints VL-DEBIAN-READY after multi-user.target */
} VlImage;

typedef struct {
    const char *source; /* a file on the host */
    const char *target; /* its absolute path in the guest; the file's mode is kept */
} VlGuestFile;

typedef struct {
    VlImage image;
    guint memory_mib; /* 0: 256 (tiny) or 1536 (debian) */
    guint vcpus;      /* 0: 1 */
    gboolean network; /* one virtio NIC on the harness bridge */
    /* With network: the guest's host number (2..254) on the test network. Both images set the
     * address from the kernel command line (vl.ip=, vl.ip6=); tiny's /vl/init finds the host's
     * addresses in $VL_HOST4 and $VL_HOST6. */
    guint address;
    const char *init_script;     /* tiny: the contents of /vl/init */
    const VlGuestFile *files;    /* more files for the appended cpio, ended by {NULL} */
    const char *const *symlinks; /* pairs "link path", "target", ended by NULL */
    const char *tree;            /* a folder copied whole into the guest's / (a DESTDIR) */
    /* Not 0: a virtio-blk disk of this many MiB (vda, serial VL_GUEST_DISK_SERIAL) holding an
     * empty ext4 file system labelled vl-data. */
    guint disk_mib;
} VlGuestSpec;

#define VL_GUEST_DISK_SERIAL "vl-data-0001"

VlHarness *vl_harness_new(GError **error);
void vl_harness_free(VlHarness *harness);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlHarness, vl_harness_free)

/*
 * Installs the build ($VL_BUILD_ROOT) the way a package would, with meson install --destdir
 * into a folder of the harness (removed with it), and returns that folder, to pass as a
 * guest's tree. The build must be configured with --prefix=/usr --sysconfdir=/etc, as ./dev
 * configures it.
 */
char *vl_harness_install_build(VlHarness *harness, GError **error);

/*
 * The spec of a Debian guest with this build installed (vl_harness_install_build) whose
 * vmlink-agent logs to the console: sets image, tree and files; the rest of spec is left as
 * it is. What it points to lives as long as the harness.
 */
gboolean vl_harness_agent_spec(VlHarness *harness, VlGuestSpec *spec, GError **error);

/* The host's addresses on the test network, once a guest with a network has started. */
const char *vl_harness_host_ipv4(VlHarness *harness);
const char *vl_harness_host_ipv6(VlHarness *harness);

/* The image paths and kernel the harness found (for the demo's output). */
const char *vl_harness_kernel(VlHarness *harness);
const char *vl_harness_image(VlHarness *harness, VlImage image);

/* Starts a transient domain; returns when QEMU runs (not when the guest has booted). */
VlGuest *vl_guest_start(VlHarness *harness, const char *label, const VlGuestSpec *spec,
                        GError **error);
/*
 * Prepares a guest without starting it, for a domain that someone else defines and starts
 * (vmlinkd's vm.define): its name (vltest-PID-N, so the sweep knows it), the initrd with the
 * overlay, the kernel command line, the console file. vl_guest_adopt() then looks the domain up
 * by name once it runs, after which the guest is like any other.
 */
VlGuest *vl_guest_prepare(VlHarness *harness, const char *label, const VlGuestSpec *spec,
                          GError **error);
const char *vl_guest_initrd(VlGuest *guest);
const char *vl_guest_cmdline(VlGuest *guest);
gboolean vl_guest_adopt(VlGuest *guest, GError **error);

/* Destroys the domain (and undefines it, if persistent) and removes its files; the console log
 * stays. */
void vl_guest_free(VlGuest *guest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlGuest, vl_guest_free)

const char *vl_guest_name(VlGuest *guest);
/* The host end (a UNIX socket QEMU listens on) of the virtio-serial port with that name. */
const char *vl_guest_channel_path(VlGuest *guest, const char *port_name);
const char *vl_guest_console_path(VlGuest *guest);
/* Seconds from vl_guest_start() to the last successful vl_guest_wait_console(). */
double vl_guest_elapsed(VlGuest *guest);

/*
 * Console waits search the output after a mark, at the start of the console until
 * vl_guest_mark_console() moves it to the current end (before a reboot, say). On timeout the
 * error says what was awaited and the end of the console is printed to stderr.
 */
void vl_guest_mark_console(VlGuest *guest);
gboolean vl_guest_wait_console(VlGuest *guest, const char *text, guint timeout_s, GError **error);
/* The whole console line holding the first occurrence of text after the mark, or NULL. */
char *vl_guest_console_line(VlGuest *guest, const char *text);

/*
 * Runs a shell command (one line) inside a Debian guest through its test shell, and returns
 * its output (stdout and stderr) and exit status. The first call connects and synchronises.
 */
gboolean vl_guest_run(VlGuest *guest, const char *command, char **ret_output, int *ret_status,
                      guint timeout_s, GError **error);

/* The domain's state per libvirt (VIR_DOMAIN_RUNNING...), or -1 when it is gone. */
int vl_guest_state(VlGuest *guest);
/* A hard reset of the guest (virDomainReset), as the reset button does. */
gboolean vl_guest_reset(VlGuest *guest, GError **error);

/*
 * Restarts libvirtd (guests keep running) and reconnects the harness, when libvirt-up.sh
 * started it; fails with VL_HARNESS_ERROR_SKIP when another manager (systemd) runs it.
 */
gboolean vl_harness_restart_libvirtd(VlHarness *harness, GError **error);

/* Runs a command (argv) and fails with its stderr when it exits non-zero. */
gboolean vl_run(const char *const *argv, GError **error);

G_END_DECLS
