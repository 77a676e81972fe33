/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guests: transient domains, their appended files, their consoles and test shells. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "harness-private.h"

#define CONSOLE_TAIL_LINES 40

struct _VlGuest {
    VlHarness *harness;
    virDomainPtr dom;
    char *name;
    char *dir;
    char *console;
    char *channels[3];   /* org.vmlink.agent.0, org.qemu.guest_agent.0, org.vmlink.test.0 */
    VlLineSocket *shell; /* connected to the test shell, once vl_guest_run() needed it */
    gsize mark;          /* console offset where waits start searching */
    gint64 started_us;
    gint64 matched_us;
    char *initrd;  /* the image with the overlay appended */
    char *cmdline; /* the kernel command line */
    char *disk;    /* the data disk's image (spec->disk_mib), or NULL */
};

static const char *const channel_names[] = {"org.vmlink.agent.0", "org.qemu.guest_agent.0",
                                            VL_TEST_PORT};

static gboolean
write_file(const char *path, const char *contents, int mode, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);

    g_mkdir_with_parents(dir, 0755);
    if (!g_file_set_contents(path, contents, -1, error)) {
        return FALSE;
    }
    g_chmod(path, mode);
    return TRUE;
}

/* The appended cpio: the test's files, packed with cpio(1) from a staging folder. */
static gboolean
build_overlay(VlGuest *g, const VlGuestSpec *spec, const char *out, GError **error)
{
    g_autofree char *stage = g_build_filename(g->dir, "overlay", NULL);
    g_autofree char *cmd = NULL;

    g_mkdir_with_parents(stage, 0755);
    if (spec->tree) {
        g_autofree char *from = g_build_filename(spec->tree, ".", NULL);
        const char *argv[] = {"cp", "-a", from, stage, NULL};
        if (!vl_run(argv, error)) {
            return FALSE;
        }
        /* cp gives the stage the tree's own mode (a mkdtemp folder is 0700); as the guest's /
         * that would lock every service user out. */
        g_chmod(stage, 0755);
    }
    if (spec->init_script) {
        g_autofree char *init = g_build_filename(stage, "vl", "init", NULL);
        if (!write_file(init, spec->init_script, 0755, error)) {
            return FALSE;
        }
    }
    if (spec->image == VL_IMAGE_DEBIAN) {
        /* Every Debian guest runs the test shell (vl_guest_run) on its own port. */
        g_autofree char *script =
            g_build_filename(g->harness->source_root, "tests/system/guest/testshell.sh", NULL);
        g_autofree char *unit =
            g_build_filename(g->harness->source_root, "tests/system/guest/testshell.service", NULL);
        g_autofree char *script_to = g_build_filename(stage, "vl", "testshell.sh", NULL);
        g_autofree char *unit_to =
            g_build_filename(stage, "etc/systemd/system/vl-testshell.service", NULL);
        g_autofree char *wants =
            g_build_filename(stage, "etc/systemd/system/multi-user.target.wants", NULL);
        g_autofree char *link = g_build_filename(wants, "vl-testshell.service", NULL);
        const char *cp_script[] = {"cp", script, script_to, NULL};
        const char *cp_unit[] = {"cp", unit, unit_to, NULL};
        g_autofree char *vl_dir = g_build_filename(stage, "vl", NULL);

        g_mkdir_with_parents(vl_dir, 0755);
        g_mkdir_with_parents(wants, 0755);
        if (!vl_run(cp_script, error) || !vl_run(cp_unit, error) ||
            symlink("/etc/systemd/system/vl-testshell.service", link) < 0) {
            g_prefix_error(error, "adding the test shell: ");
            return FALSE;
        }
        g_chmod(script_to, 0755);
    }
    for (const VlGuestFile *f = spec->files; f && f->source; f++) {
        g_autofree char *target = g_build_filename(stage, f->target, NULL);
        g_autofree char *dir = g_path_get_dirname(target);
        const char *argv[] = {"cp", "-p", f->source, target, NULL};

        g_mkdir_with_parents(dir, 0755);
        if (!vl_run(argv, error)) {
            return FALSE;
        }
    }
    for (const char *const *l = spec->symlinks; l && l[0] && l[1]; l += 2) {
        g_autofree char *link = g_build_filename(stage, l[0], NULL);
        g_autofree char *dir = g_path_get_dirname(link);

        g_mkdir_with_parents(dir, 0755);
        if (symlink(l[1], link) < 0) {
            g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP, "symlink %s: %s", link,
                        g_strerror(errno));
            return FALSE;
        }
    }
    cmd = g_strdup_printf("cd '%s' && find . | cpio -o -H newc -R 0:0 --quiet > '%s'", stage, out);
    {
        const char *argv[] = {"sh", "-c", cmd, NULL};
        return vl_run(argv, error);
    }
}

/*
 * initrd = the image, then the overlay; the kernel unpacks concatenated archives in order, later
 * files replacing earlier ones. After a gzip image, an uncompressed cpio must start on a 4-byte
 * boundary (zero padding is skipped); after an lz4 image (legacy format, whose chunks have no
 * end marker) only another lz4 stream is recognised, so the overlay is compressed alike.
 */
static gboolean
build_initrd(VlGuest *g, const VlGuestSpec *spec, const char *initrd, GError **error)
{
    const char *image = g->harness->images[spec->image];
    g_autofree char *overlay = g_build_filename(g->dir, "overlay.cpio", NULL);
    g_autofree char *cmd = NULL;

    if (!build_overlay(g, spec, overlay, error)) {
        return FALSE;
    }
    if (g_str_has_suffix(image, ".lz4")) {
        cmd = g_strdup_printf("cat '%s' > '%s' && lz4 -l -q -c '%s' >> '%s'", image, initrd,
                              overlay, initrd);
    } else {
        cmd = g_strdup_printf("cat '%s' > '%s' && "
                              "pad=$(( (4 - $(stat -c %%s '%s') %% 4) %% 4 )) && "
                              "head -c $pad /dev/zero >> '%s' && cat '%s' >> '%s'",
                              image, initrd, initrd, initrd, overlay, initrd);
    }
    {
        const char *argv[] = {"sh", "-c", cmd, NULL};
        return vl_run(argv, error);
    }
}

static char *
kernel_cmdline(VlHarness *h, const VlGuestSpec *spec)
{
    gboolean debian = spec->image == VL_IMAGE_DEBIAN;
    g_autofree char *net =
        spec->network
            ? g_strdup_printf(" vl.ip=%s.%u/24 vl.ip6=%s%x/64 vl.host4=%s "
                              "vl.host6=%s",
                              h->net4, spec->address, TEST_NET6, spec->address, h->host4, h->host6)
            : g_strdup("");

    return g_strdup_printf("console=ttyS0 panic=-1%s%s",
                           debian ? " rdinit=/sbin/init net.ifnames=0" : "", net);
}

static char *
domain_xml(VlGuest *g, const VlGuestSpec *spec, const char *initrd)
{
    VlHarness *h = g->harness;
    gboolean debian = spec->image == VL_IMAGE_DEBIAN;
    guint memory = spec->memory_mib ? spec->memory_mib : (debian ? 1536 : 256);
    /* One vCPU: under TCG on two host cores a second one made boots three times slower. */
    guint vcpus = spec->vcpus ? spec->vcpus : 1;
    const char *cmdline = g->cmdline;
    GString *xml = g_string_new(NULL);
    g_autofree char *head = g_markup_printf_escaped(
        "<domain type='qemu'>\n"
        "  <name>%s</name>\n"
        "  <memory unit='MiB'>%u</memory>\n"
        "  <vcpu>%u</vcpu>\n"
        "  <os>\n"
        "    <type arch='x86_64'>hvm</type>\n"
        "    <kernel>%s</kernel>\n"
        "    <initrd>%s</initrd>\n"
        "    <cmdline>%s</cmdline>\n"
        "  </os>\n"
        "  <features><acpi/></features>\n"
        "  <clock offset='utc'/>\n"
        "  <on_poweroff>destroy</on_poweroff>\n"
        "  <on_reboot>restart</on_reboot>\n"
        "  <on_crash>destroy</on_crash>\n"
        "  <devices>\n"
        "    <serial type='file'><source path='%s'/><target port='0'/></serial>\n",
        g->name, memory, vcpus, h->kernel, initrd, cmdline, g->console);

    g_string_append(xml, head);
    for (guint i = 0; i < G_N_ELEMENTS(channel_names); i++) {
        g_autofree char *channel =
            g_markup_printf_escaped("    <channel type='unix'><source mode='bind' path='%s'/>"
                                    "<target type='virtio' name='%s'/></channel>\n",
                                    g->channels[i], channel_names[i]);
        g_string_append(xml, channel);
    }
    if (g->disk) {
        g_autofree char *disk = g_markup_printf_escaped(
            "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            "<source file='%s'/><target dev='vda' bus='virtio'/><serial>%s</serial></disk>\n",
            g->disk, VL_GUEST_DISK_SERIAL);
        g_string_append(xml, disk);
    }
    if (spec->network) {
        g_autofree char *nic =
            g_markup_printf_escaped("    <interface type='bridge'><source bridge='%s'/><model "
                                    "type='virtio'/><rom enabled='no'/>"
                                    "</interface>\n",
                                    h->bridge);
        g_string_append(xml, nic);
    }
    g_string_append(xml, "    <memballoon model='virtio'/>\n"
                         "    <rng model='virtio'><backend model='random'>/dev/urandom</backend>"
                         "</rng>\n"
                         "  </devices>\n"
                         "</domain>\n");
    return g_string_free(xml, FALSE);
}

/* The data disk: a file of mib MiB, an empty ext4 file system on it. */
static gboolean
make_disk(VlGuest *g, guint mib, GError **error)
{
    g_autofree char *size = g_strdup_printf("%uM", mib);
    g_autofree char *err = NULL;
    int status = -1;

    g->disk = g_build_filename(g->dir, "data.img", NULL);
    {
        const char *argv[] = {"mkfs.ext4", "-q", "-F", "-L", "vl-data", g->disk, size, NULL};

        if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                          &status, error)) {
            g_prefix_error(error, "making the guest's data disk: ");
            return FALSE;
        }
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP,
                    "mkfs.ext4 %s failed: %s (e2fsprogs installed?)", g->disk, err ? err : "");
        return FALSE;
    }
    return TRUE;
}

VlGuest *
vl_guest_prepare(VlHarness *h, const char *label, const VlGuestSpec *spec, GError **error)
{
    g_autoptr(VlGuest) g = g_new0(VlGuest, 1);
    g_autofree char *console_name = NULL;

    g->harness = h;
    g->name = g_strdup_printf("%s%d-%u", NAME_PREFIX, (int)getpid(), h->next_id++);
    g->dir = g_build_filename(h->work_dir, g->name, NULL);
    console_name = g_strdup_printf("%s-%s.log", label, g->name);
    g->console = g_build_filename(h->console_dir, console_name, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(channel_names); i++) {
        g_autofree char *sock = g_strdup_printf("%s.sock", channel_names[i]);
        g->channels[i] = g_build_filename(g->dir, sock, NULL);
    }
    g_mkdir_with_parents(g->dir, 0700);
    g_unlink(g->console);

    if (spec->network) {
        if (spec->address < 2 || spec->address > 254) {
            g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP,
                        "guest address %u is not a host number in 2..254", spec->address);
            return NULL;
        }
        if (!vl_harness_ensure_bridge(h, error)) {
            return NULL;
        }
    }
    if (spec->disk_mib && !make_disk(g, spec->disk_mib, error)) {
        return NULL;
    }
    g->initrd = g_build_filename(g->dir, "initrd", NULL);
    if (!build_initrd(g, spec, g->initrd, error)) {
        return NULL;
    }
    g->cmdline = kernel_cmdline(h, spec);
    return g_steal_pointer(&g);
}

VlGuest *
vl_guest_start(VlHarness *h, const char *label, const VlGuestSpec *spec, GError **error)
{
    g_autoptr(VlGuest) g = vl_guest_prepare(h, label, spec, error);
    g_autofree char *xml = NULL;

    if (g == NULL) {
        return NULL;
    }
    xml = domain_xml(g, spec, g->initrd);
    g->started_us = g_get_monotonic_time();
    g->dom = virDomainCreateXML(h->conn, xml, 0);
    if (g->dom == NULL) {
        vl_harness_libvirt_error(error, "starting the guest");
        return NULL;
    }
    g_ptr_array_add(h->guests, g);
    return g_steal_pointer(&g);
}

const char *
vl_guest_initrd(VlGuest *g)
{
    return g->initrd;
}

const char *
vl_guest_cmdline(VlGuest *g)
{
    return g->cmdline;
}

gboolean
vl_guest_adopt(VlGuest *g, GError **error)
{
    g->started_us = g_get_monotonic_time();
    g->dom = virDomainLookupByName(g->harness->conn, g->name);
    if (g->dom == NULL) {
        return vl_harness_libvirt_error(error, "finding the guest's domain");
    }
    if (!g_ptr_array_find(g->harness->guests, g, NULL)) {
        g_ptr_array_add(g->harness->guests, g);
    }
    return TRUE;
}

void
vl_guest_free(VlGuest *g)
{
    if (g == NULL) {
        return;
    }
    if (g->dom) {
        virDomainDestroy(g->dom);
        /* A guest defined by someone else (vl_guest_adopt) goes with its definition. */
        virDomainUndefineFlags(g->dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
        virResetLastError();
        virDomainFree(g->dom);
    }
    if (g->harness) {
        g_ptr_array_remove(g->harness->guests, g);
    }
    if (g->dir) {
        vl_harness_remove_tree(g->dir);
    }
    g_free(g->name);
    g_free(g->dir);
    g_free(g->console);
    g_free(g->initrd);
    g_free(g->cmdline);
    g_free(g->disk);
    g_clear_pointer(&g->shell, vl_line_socket_free);
    for (guint i = 0; i < G_N_ELEMENTS(g->channels); i++) {
        g_free(g->channels[i]);
    }
    g_free(g);
}

const char *
vl_guest_name(VlGuest *g)
{
    return g->name;
}

const char *
vl_guest_channel_path(VlGuest *g, const char *port_name)
{
    for (guint i = 0; i < G_N_ELEMENTS(channel_names); i++) {
        if (g_str_equal(channel_names[i], port_name)) {
            return g->channels[i];
        }
    }
    return NULL;
}

const char *
vl_guest_console_path(VlGuest *g)
{
    return g->console;
}

double
vl_guest_elapsed(VlGuest *g)
{
    return (double)(g->matched_us - g->started_us) / G_USEC_PER_SEC;
}

static void
print_console_tail(VlGuest *g)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    guint n;

    if (!g_file_get_contents(g->console, &text, NULL, NULL)) {
        g_printerr("harness: no console output from %s\n", g->name);
        return;
    }
    lines = g_strsplit(text, "\n", -1);
    n = g_strv_length(lines);
    g_printerr("---- last lines of %s (whole log: %s) ----\n", g->name, g->console);
    for (guint i = n > CONSOLE_TAIL_LINES ? n - CONSOLE_TAIL_LINES : 0; i < n; i++) {
        g_printerr("%s\n", lines[i]);
    }
    g_printerr("---- end of console ----\n");
}

void
vl_guest_mark_console(VlGuest *g)
{
    GStatBuf st;

    g->mark = g_stat(g->console, &st) == 0 ? (gsize)st.st_size : 0;
}

/* The first occurrence of text in the console after the mark, or -1. */
static gssize
find_after_mark(VlGuest *g, const char *text, char **ret_contents)
{
    g_autofree char *contents = NULL;
    gsize len = 0;
    const char *hit;

    if (!g_file_get_contents(g->console, &contents, &len, NULL) || len <= g->mark) {
        return -1;
    }
    hit = g_strstr_len(contents + g->mark, (gssize)(len - g->mark), text);
    if (hit == NULL) {
        return -1;
    }
    if (ret_contents) {
        *ret_contents = g_steal_pointer(&contents);
        return hit - *ret_contents;
    }
    return hit - contents;
}

gboolean
vl_guest_wait_console(VlGuest *g, const char *text, guint timeout_s, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;

    for (;;) {
        if (find_after_mark(g, text, NULL) >= 0) {
            g->matched_us = g_get_monotonic_time();
            return TRUE;
        }
        if (g_get_monotonic_time() > deadline) {
            break;
        }
        if (vl_guest_state(g) != VIR_DOMAIN_RUNNING) {
            g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_TIMEOUT,
                        "%s stopped running while waiting for \"%s\" on its console", g->name,
                        text);
            print_console_tail(g);
            return FALSE;
        }
        g_usleep(50 * 1000);
    }
    g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_TIMEOUT,
                "\"%s\" did not appear on the console of %s within %u s", text, g->name, timeout_s);
    print_console_tail(g);
    return FALSE;
}

char *
vl_guest_console_line(VlGuest *g, const char *text)
{
    g_autofree char *contents = NULL;
    gssize at = find_after_mark(g, text, &contents);
    const char *start, *end;

    if (at < 0) {
        return NULL;
    }
    for (start = contents + at; start > contents && start[-1] != '\n'; start--) {
    }
    end = strchr(contents + at, '\n');
    return g_strstrip(g_strndup(start, end ? (gsize)(end - start) : strlen(start)));
}

int
vl_guest_state(VlGuest *g)
{
    int state = -1, reason = 0;

    if (g->dom == NULL || virDomainGetState(g->dom, &state, &reason, 0) < 0) {
        return -1;
    }
    return state;
}

gboolean
vl_guest_reset(VlGuest *g, GError **error)
{
    if (virDomainReset(g->dom, 0) < 0) {
        return vl_harness_libvirt_error(error, "resetting the guest");
    }
    return TRUE;
}

gboolean
vl_guest_run(VlGuest *g, const char *command, char **ret_output, int *ret_status, guint timeout_s,
             GError **error)
{
    g_autofree char *line = g_strconcat(command, "\n", NULL);
    g_autoptr(GString) output = g_string_new(NULL);

    g_return_val_if_fail(strchr(command, '\n') == NULL, FALSE);

    if (g->shell == NULL) {
        g->shell = vl_line_socket_connect(vl_guest_channel_path(g, VL_TEST_PORT), 10, error);
        if (g->shell == NULL || !vl_line_socket_sync(g->shell, "out:", timeout_s, error)) {
            g_clear_pointer(&g->shell, vl_line_socket_free);
            g_prefix_error(error, "the test shell of %s does not answer: ", g->name);
            return FALSE;
        }
    }
    if (!vl_line_socket_send(g->shell, line, strlen(line), error)) {
        return FALSE;
    }
    for (;;) {
        g_autofree char *reply = vl_line_socket_recv(g->shell, timeout_s * 1000, error);

        if (reply == NULL) {
            g_prefix_error(error, "running \"%s\" in %s: ", command, g->name);
            return FALSE;
        }
        if (g_str_has_prefix(reply, "out:")) {
            g_string_append_printf(output, "%s\n", reply + 4);
        } else if (g_str_has_prefix(reply, "rc:")) {
            if (ret_status) {
                *ret_status = (int)g_ascii_strtoll(reply + 3, NULL, 10);
            }
            break;
        }
    }
    if (ret_output) {
        *ret_output = g_string_free(g_steal_pointer(&output), FALSE);
    }
    return TRUE;
}

void
vl_guest_reattach(VlGuest *g)
{
    if (g->dom) {
        virDomainFree(g->dom);
    }
    g->dom = virDomainLookupByName(g->harness->conn, g->name);
}
