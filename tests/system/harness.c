/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

G_DEFINE_QUARK(vl - harness - error - quark, vl_harness_error)

#define NAME_PREFIX "vltest-"
#define BRIDGE_PREFIX "vlbr"
#define WORK_PREFIX "vmlink-test-"
#define CONSOLE_TAIL_LINES 40

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
    GPtrArray *guests; /* VlGuest, borrowed: still running */
    guint next_id;
};

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
};

static const char *const channel_names[] = {"org.vmlink.agent.0", "org.qemu.guest_agent.0",
                                            VL_TEST_PORT};

/* Helpers ----------------------------------------------------------------------------------- */

gboolean
vl_run(const char *const *argv, GError **error)
{
    g_autofree char *err = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, NULL, &err, &status, error)) {
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP, "'%s' failed: %s", cmd,
                    err ? g_strstrip(err) : "");
        return FALSE;
    }
    return TRUE;
}

/* Runs a command and returns its standard output. */
static char *
run_capture(const char *const *argv, GError **error)
{
    g_autofree char *out = NULL;
    int status = 0;

    /* stderr is inherited: progress of long steps (debootstrap) reaches the test log. */
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN,
                      NULL, NULL, &out, NULL, &status, error)) {
        return NULL;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP, "'%s' failed", argv[0]);
        return NULL;
    }
    return g_steal_pointer(&out);
}

static gboolean
set_libvirt_error(GError **error, const char *what)
{
    virErrorPtr e = virGetLastError();

    g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_LIBVIRT, "%s: %s", what,
                e && e->message ? e->message : "unknown libvirt error");
    return FALSE;
}

/* The pid in a name made of prefix and pid (and "-N"), or 0. */
static pid_t
owner_pid(const char *name, const char *prefix)
{
    if (!g_str_has_prefix(name, prefix)) {
        return 0;
    }
    return (pid_t)g_ascii_strtoll(name + strlen(prefix), NULL, 10);
}

static gboolean
pid_gone(pid_t pid)
{
    return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static void
remove_tree(const char *path)
{
    const char *argv[] = {"rm", "-rf", "--one-file-system", path, NULL};

    vl_run(argv, NULL);
}

/* Destroys what earlier test programs that died left behind: their pid is in every name. */
static void
sweep_leftovers(VlHarness *h)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(h->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    g_autoptr(GDir) tmp = NULL;
    g_autoptr(GDir) nets = NULL;
    const char *entry;

    for (int i = 0; i < n; i++) {
        if (pid_gone(owner_pid(virDomainGetName(doms[i]), NAME_PREFIX))) {
            g_printerr("harness: destroying leftover domain %s\n", virDomainGetName(doms[i]));
            virDomainDestroy(doms[i]);
        }
        virDomainFree(doms[i]);
    }
    free(doms);

    nets = g_dir_open("/sys/class/net", 0, NULL);
    while (nets && (entry = g_dir_read_name(nets))) {
        if (pid_gone(owner_pid(entry, BRIDGE_PREFIX))) {
            const char *argv[] = {"ip", "link", "del", entry, NULL};
            g_printerr("harness: removing leftover bridge %s\n", entry);
            vl_run(argv, NULL);
        }
    }

    tmp = g_dir_open(g_get_tmp_dir(), 0, NULL);
    while (tmp && (entry = g_dir_read_name(tmp))) {
        if (pid_gone(owner_pid(entry, WORK_PREFIX))) {
            g_autofree char *path = g_build_filename(g_get_tmp_dir(), entry, NULL);
            remove_tree(path);
        }
    }
}

/* Reads VAR=VALUE lines printed by mkimages.sh. */
static gboolean
load_images(VlHarness *h, GError **error)
{
    g_autofree char *script =
        g_build_filename(h->source_root, "tests/system/images/mkimages.sh", NULL);
    const char *argv[] = {script, "all", NULL};
    g_autofree char *out = run_capture(argv, error);
    g_auto(GStrv) lines = NULL;

    if (out == NULL) {
        g_prefix_error(error, "building the guest images: ");
        return FALSE;
    }
    lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "VL_KERNEL=")) {
            h->kernel = g_strdup(*l + strlen("VL_KERNEL="));
        } else if (g_str_has_prefix(*l, "VL_IMAGE_TINY=")) {
            h->images[VL_IMAGE_TINY] = g_strdup(*l + strlen("VL_IMAGE_TINY="));
        } else if (g_str_has_prefix(*l, "VL_IMAGE_DEBIAN=")) {
            h->images[VL_IMAGE_DEBIAN] = g_strdup(*l + strlen("VL_IMAGE_DEBIAN="));
        }
    }
    if (!h->kernel || !h->images[VL_IMAGE_TINY] || !h->images[VL_IMAGE_DEBIAN]) {
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP,
                    "mkimages.sh did not name the kernel and both images");
        return FALSE;
    }
    return TRUE;
}

/* Harness ----------------------------------------------------------------------------------- */

/* libvirt prints every error to stderr by default; the harness reports the ones that matter
 * through GError (and asking for the state of a domain that just powered off is not one). */
static void
quiet_libvirt(void *user_data, virErrorPtr error)
{
}

VlHarness *
vl_harness_new(GError **error)
{
    g_autoptr(VlHarness) h = NULL;
    const char *build_root = g_getenv("VL_BUILD_ROOT");
    g_autofree char *up = NULL;

    if (geteuid() != 0) {
        g_set_error_literal(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP,
                            "system tests need root (libvirtd qemu:///system, bridges)");
        return NULL;
    }

    h = g_new0(VlHarness, 1);
    h->guests = g_ptr_array_new();
    h->source_root = g_strdup(g_getenv("VL_SOURCE_ROOT") ? g_getenv("VL_SOURCE_ROOT") : ".");
    h->console_dir = build_root ? g_build_filename(build_root, "meson-logs", "console", NULL)
                                : g_build_filename(g_get_tmp_dir(), "vmlink-console", NULL);
    g_mkdir_with_parents(h->console_dir, 0755);

    up = g_build_filename(h->source_root, "tests/system/libvirt-up.sh", NULL);
    {
        const char *argv[] = {up, NULL};
        if (!vl_run(argv, error)) {
            return NULL;
        }
    }
    if (!load_images(h, error)) {
        return NULL;
    }

    virSetErrorFunc(NULL, quiet_libvirt);
    h->conn = virConnectOpen("qemu:///system");
    if (h->conn == NULL) {
        set_libvirt_error(error, "connecting to qemu:///system");
        return NULL;
    }
    sweep_leftovers(h);

    h->work_dir = g_strdup_printf("%s/%s%d", g_get_tmp_dir(), WORK_PREFIX, (int)getpid());
    if (g_mkdir_with_parents(h->work_dir, 0700) < 0) {
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP, "cannot create %s: %s",
                    h->work_dir, g_strerror(errno));
        return NULL;
    }
    return g_steal_pointer(&h);
}

static void
delete_bridge(VlHarness *h)
{
    if (h->bridge) {
        const char *argv[] = {"ip", "link", "del", h->bridge, NULL};
        vl_run(argv, NULL);
        g_clear_pointer(&h->bridge, g_free);
    }
}

void
vl_harness_free(VlHarness *h)
{
    if (h == NULL) {
        return;
    }
    while (h->guests && h->guests->len > 0) {
        vl_guest_free(g_ptr_array_index(h->guests, h->guests->len - 1));
    }
    delete_bridge(h);
    if (h->work_dir) {
        remove_tree(h->work_dir);
    }
    if (h->conn) {
        virConnectClose(h->conn);
    }
    g_clear_pointer(&h->guests, g_ptr_array_unref);
    g_free(h->source_root);
    g_free(h->work_dir);
    g_free(h->console_dir);
    g_free(h->kernel);
    g_free(h->net4);
    g_free(h->host4);
    g_free(h->host6);
    g_free(h->images[0]);
    g_free(h->images[1]);
    g_free(h);
}

const char *
vl_harness_kernel(VlHarness *h)
{
    return h->kernel;
}

const char *
vl_harness_image(VlHarness *h, VlImage image)
{
    return h->images[image];
}

#define TEST_NET6 "2001:db8:76::"

/*
 * The first documentation range this machine does not already use: some build machines sit in
 * 192.0.2.0/24 themselves, and a second route into it would cut them off.
 */
static gboolean
choose_network(VlHarness *h, GError **error)
{
    static const char *const candidates[] = {"198.51.100", "203.0.113", "192.0.2"};
    const char *addr_argv[] = {"ip", "-o", "addr", "show", NULL};
    const char *route_argv[] = {"ip", "route", "show", NULL};
    const char *route6_argv[] = {"ip", "-6", "route", "show", NULL};
    g_autofree char *addrs = run_capture(addr_argv, error);
    g_autofree char *routes = addrs ? run_capture(route_argv, error) : NULL;
    g_autofree char *routes6 = routes ? run_capture(route6_argv, error) : NULL;

    if (routes6 == NULL) {
        return FALSE;
    }
    if (strstr(addrs, TEST_NET6) || strstr(routes6, TEST_NET6)) {
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP,
                    "%s/64 is already in use on this machine (a leftover vlbr bridge?)", TEST_NET6);
        return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(candidates); i++) {
        g_autofree char *prefix = g_strdup_printf(" %s.", candidates[i]);
        g_autofree char *route = g_strdup_printf("%s.", candidates[i]);

        if (!strstr(addrs, prefix) && !strstr(routes, route)) {
            h->net4 = g_strdup(candidates[i]);
            h->host4 = g_strdup_printf("%s.1", candidates[i]);
            h->host6 = g_strdup(TEST_NET6 "1");
            return TRUE;
        }
    }
    g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP,
                "every IPv4 documentation range is in use on this machine");
    return FALSE;
}

/* An isolated bridge without uplink: nothing a guest sends can leave the machine. */
static gboolean
ensure_bridge(VlHarness *h, GError **error)
{
    g_autofree char *name = NULL;
    g_autofree char *cidr4 = NULL;
    g_autofree char *cidr6 = NULL;

    if (h->bridge) {
        return TRUE;
    }
    if (!choose_network(h, error)) {
        return FALSE;
    }
    name = g_strdup_printf("%s%d", BRIDGE_PREFIX, (int)getpid());
    cidr4 = g_strdup_printf("%s/24", h->host4);
    cidr6 = g_strdup_printf("%s/64", h->host6);
    {
        const char *add[] = {"ip", "link", "add", name, "type", "bridge", NULL};
        const char *addr4[] = {"ip", "addr", "add", cidr4, "dev", name, NULL};
        const char *addr6[] = {"ip", "-6", "addr", "add", cidr6, "dev", name, "nodad", NULL};
        const char *up[] = {"ip", "link", "set", name, "up", NULL};

        if (!vl_run(add, error)) {
            return FALSE;
        }
        h->bridge = g_steal_pointer(&name);
        return vl_run(addr4, error) && vl_run(addr6, error) && vl_run(up, error);
    }
}

const char *
vl_harness_host_ipv4(VlHarness *h)
{
    return h->host4;
}

const char *
vl_harness_host_ipv6(VlHarness *h)
{
    return h->host6;
}

/* Guests ------------------------------------------------------------------------------------ */

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
domain_xml(VlGuest *g, const VlGuestSpec *spec, const char *initrd)
{
    VlHarness *h = g->harness;
    gboolean debian = spec->image == VL_IMAGE_DEBIAN;
    guint memory = spec->memory_mib ? spec->memory_mib : (debian ? 1536 : 256);
    /* One vCPU: under TCG on two host cores a second one made boots three times slower. */
    guint vcpus = spec->vcpus ? spec->vcpus : 1;
    g_autofree char *net =
        spec->network
            ? g_strdup_printf(" vl.ip=%s.%u/24 vl.ip6=%s%x/64 vl.host4=%s "
                              "vl.host6=%s",
                              h->net4, spec->address, TEST_NET6, spec->address, h->host4, h->host6)
            : g_strdup("");
    g_autofree char *cmdline = g_strdup_printf(
        "console=ttyS0 panic=-1%s%s", debian ? " rdinit=/sbin/init net.ifnames=0" : "", net);
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

VlGuest *
vl_guest_start(VlHarness *h, const char *label, const VlGuestSpec *spec, GError **error)
{
    g_autoptr(VlGuest) g = g_new0(VlGuest, 1);
    g_autofree char *initrd = NULL;
    g_autofree char *xml = NULL;
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
        if (!ensure_bridge(h, error)) {
            return NULL;
        }
    }
    initrd = g_build_filename(g->dir, "initrd", NULL);
    if (!build_initrd(g, spec, initrd, error)) {
        return NULL;
    }
    xml = domain_xml(g, spec, initrd);
    g->started_us = g_get_monotonic_time();
    g->dom = virDomainCreateXML(h->conn, xml, 0);
    if (g->dom == NULL) {
        set_libvirt_error(error, "starting the guest");
        return NULL;
    }
    g_ptr_array_add(h->guests, g);
    return g_steal_pointer(&g);
}

void
vl_guest_free(VlGuest *g)
{
    if (g == NULL) {
        return;
    }
    if (g->dom) {
        virDomainDestroy(g->dom);
        virDomainFree(g->dom);
    }
    if (g->harness) {
        g_ptr_array_remove(g->harness->guests, g);
    }
    if (g->dir) {
        remove_tree(g->dir);
    }
    g_free(g->name);
    g_free(g->dir);
    g_free(g->console);
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
        return set_libvirt_error(error, "resetting the guest");
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
