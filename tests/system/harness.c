/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "harness-private.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* clang-format off */
G_DEFINE_QUARK(vl-harness-error-quark, vl_harness_error)
/* clang-format on */

#define BRIDGE_PREFIX "vlbr"
#define WORK_PREFIX "vmlink-test-"

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
char *
vl_harness_capture(const char *const *argv, GError **error)
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

gboolean
vl_harness_libvirt_error(GError **error, const char *what)
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

void
vl_harness_remove_tree(const char *path)
{
    const char *argv[] = {"rm", "-rf", "--one-file-system", path, NULL};

    vl_run(argv, NULL);
}

/* Destroys what earlier test programs that died left behind: their pid is in every name. */
static void
sweep_leftovers(VlHarness *h)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(h->conn, &doms, 0);
    g_autoptr(GDir) tmp = NULL;
    g_autoptr(GDir) nets = NULL;
    const char *entry;

    for (int i = 0; i < n; i++) {
        if (pid_gone(owner_pid(virDomainGetName(doms[i]), NAME_PREFIX))) {
            g_printerr("harness: removing leftover domain %s\n", virDomainGetName(doms[i]));
            if (virDomainIsActive(doms[i]) == 1) {
                virDomainDestroy(doms[i]);
            }
            if (virDomainIsPersistent(doms[i]) == 1) {
                virDomainUndefineFlags(doms[i], VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
            }
            virResetLastError();
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
            vl_harness_remove_tree(path);
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
    g_autofree char *out = vl_harness_capture(argv, error);
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
        vl_harness_libvirt_error(error, "connecting to qemu:///system");
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
        vl_harness_remove_tree(h->work_dir);
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
    g_free(h->destdir);
    g_free((char *)h->agent_files[0].source);
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
    g_autofree char *addrs = vl_harness_capture(addr_argv, error);
    g_autofree char *routes = addrs ? vl_harness_capture(route_argv, error) : NULL;
    g_autofree char *routes6 = routes ? vl_harness_capture(route6_argv, error) : NULL;

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
gboolean
vl_harness_ensure_bridge(VlHarness *h, GError **error)
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

char *
vl_harness_install_build(VlHarness *h, GError **error)
{
    const char *build = g_getenv("VL_BUILD_ROOT");
    g_autofree char *destdir = g_build_filename(h->work_dir, "destdir", NULL);
    g_autofree char *agent = g_build_filename(destdir, "usr", "sbin", "vmlink-agent", NULL);
    const char *argv[] = {
        "meson",     "install", "-C", build ? build : ".", "--no-rebuild", "--quiet",
        "--destdir", destdir,   NULL};

    if (build == NULL) {
        g_set_error_literal(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP,
                            "VL_BUILD_ROOT does not name the build folder to install");
        return NULL;
    }
    if (!g_file_test(destdir, G_FILE_TEST_IS_DIR) && !vl_run(argv, error)) {
        g_prefix_error(error, "meson install: ");
        return NULL;
    }
    if (!g_file_test(agent, G_FILE_TEST_IS_EXECUTABLE)) {
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SETUP,
                    "meson install put no vmlink-agent in /usr/sbin: configure %s with "
                    "--prefix=/usr --sysconfdir=/etc, as ./dev does",
                    build);
        return NULL;
    }
    return g_steal_pointer(&destdir);
}

gboolean
vl_harness_agent_spec(VlHarness *h, VlGuestSpec *spec, GError **error)
{
    if (h->destdir == NULL && (h->destdir = vl_harness_install_build(h, error)) == NULL) {
        return FALSE;
    }
    if (h->agent_files[0].source == NULL) {
        h->agent_files[0].source =
            g_build_filename(h->source_root, "tests/system/guest/agent-console.conf", NULL);
        h->agent_files[0].target = "/etc/systemd/system/vmlink-agent.service.d/console.conf";
    }
    spec->image = VL_IMAGE_DEBIAN;
    spec->tree = h->destdir;
    spec->files = h->agent_files;
    return TRUE;
}

/* The pid of the libvirtd that libvirt-up.sh started, or 0 when it did not start the one that
 * runs (systemd's, on a normal host: the harness leaves that alone). */
static pid_t
started_libvirtd(void)
{
    const char *run_dir = g_getenv("VL_RUN_DIR") ? g_getenv("VL_RUN_DIR") : "/run/vmlink-test";
    g_autofree char *list = g_build_filename(run_dir, "started-daemons", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    pid_t found = 0;

    if (!g_file_get_contents(list, &text, NULL, NULL)) {
        return 0;
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_autofree char *comm_path = NULL;
        g_autofree char *comm = NULL;
        int pid = 0;

        if (sscanf(*l, "libvirtd %d", &pid) != 1 || pid <= 0) {
            continue;
        }
        comm_path = g_strdup_printf("/proc/%d/comm", pid);
        if (g_file_get_contents(comm_path, &comm, NULL, NULL) &&
            g_str_equal(g_strstrip(comm), "libvirtd")) {
            found = pid;
        }
    }
    return found;
}

gboolean
vl_harness_restart_libvirtd(VlHarness *h, GError **error)
{
    pid_t pid = started_libvirtd();
    g_autofree char *up = g_build_filename(h->source_root, "tests/system/libvirt-up.sh", NULL);
    const char *argv[] = {up, NULL};

    if (pid == 0) {
        g_set_error_literal(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_SKIP,
                            "libvirtd was not started by the harness; not restarting it");
        return FALSE;
    }
    kill(pid, SIGTERM);
    for (guint i = 0; i < 200 && kill(pid, 0) == 0; i++) {
        g_usleep(50000);
    }
    if (kill(pid, 0) == 0) {
        g_set_error(error, VL_HARNESS_ERROR, VL_HARNESS_ERROR_TIMEOUT,
                    "libvirtd (pid %d) did not stop within 10 s", (int)pid);
        return FALSE;
    }
    if (!vl_run(argv, error)) {
        return FALSE;
    }
    /* The old connection died with the daemon: open a new one and find the guests again. */
    virConnectClose(h->conn);
    h->conn = virConnectOpen("qemu:///system");
    if (h->conn == NULL) {
        return vl_harness_libvirt_error(error, "connecting to qemu:///system again");
    }
    for (guint i = 0; i < h->guests->len; i++) {
        vl_guest_reattach(h->guests->pdata[i]);
    }
    return TRUE;
}
