/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System test of the QEMU guest agent protocol (issue 8), with real libvirt as the client: one
 * Debian guest (TCG), first with vmlink-agent installed by meson install and Debian's
 * qemu-guest-agent masked, then with vmlink-agent stopped and Debian's qemu-ga started instead.
 *
 * - The guest has a data disk (virtio-blk, with a serial) mounted on /mnt/data.
 * - `virsh guestinfo` and `virsh domifaddr --source agent` print the same fields and values
 *   for both agents (the values that change by themselves, used bytes and login times, within
 *   bounds).
 * - vmlinkd, under the same libvirtd: guest.info comes from the vmlink agent (kind vmlink)
 *   while it runs; once only qemu-ga runs, vmlinkd hears libvirt's agent events and fills
 *   guest.info through libvirt (kind qemu-ga, responsive, its version): the guest's host name,
 *   OS, an address added in the guest, its users and vCPUs, the data disk's file system;
 *   nothing of memory or applications; vm.list says which agent answers.
 *   vmlinkd never opens the agent's socket: libvirt keeps it throughout (virsh keeps working).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-run.h"

#define BOOT_TIMEOUT 300
#define AGENT_WAIT_S 120
#define LO_ADDRESS "198.51.100.203"
#define DATA_MIB 32
#define DATA_MOUNT "/mnt/data"

static VlHarness *harness;
static VlGuest *guest;
static VlBridgeRun *bridge;

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    VlGuestSpec spec = {.image = VL_IMAGE_DEBIAN, .disk_mib = DATA_MIB};

    harness = vl_system_harness();
    ck_assert_msg(vl_harness_agent_spec(harness, &spec, &error), "%s", error ? error->message : "");
    guest = vl_guest_start(harness, "qga", &spec, &error);
    ck_assert_msg(guest != NULL, "%s", error ? error->message : "");
    /* Asked every 5 s rather than 60: the test waits for the events, not for the interval. */
    bridge = vl_bridge_run_new("[qemu-ga]\ninterval = 5\n");
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

/* virsh ---------------------------------------------------------------------------------------- */

/* virsh's output, or NULL (with *ret_err) when it exits non-zero. */
static char *
virsh(const char *command, const char *extra, char **ret_err)
{
    const char *argv[] = {"virsh", "-c", "qemu:///system", command, vl_guest_name(guest),
                          extra,   NULL};
    g_autoptr(GError) error = NULL;
    char *out = NULL;
    int status = -1;

    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               ret_err, &status, &error),
                  "virsh: %s", error ? error->message : "");
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_free(out);
        return NULL;
    }
    return out;
}

/* `virsh guestinfo` once libvirt's agent answers it, as key → value. */
static GHashTable *
guestinfo(const char *who)
{
    gint64 end = g_get_monotonic_time() + (gint64)AGENT_WAIT_S * G_USEC_PER_SEC;
    GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;

    for (;;) {
        g_autofree char *err = NULL;

        out = virsh("guestinfo", NULL, &err);
        if (out) {
            break;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "virsh guestinfo with %s: %s", who, err);
        g_usleep(500000);
    }
    lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *colon = strstr(*l, ": ");

        if (colon) {
            g_autofree char *key = g_strndup(*l, (gsize)(colon - *l));

            g_hash_table_insert(fields, g_strdup(g_strstrip(key)), g_strdup(colon + 2));
        }
    }
    printf("virsh guestinfo with %s: %u fields\n", who, g_hash_table_size(fields));
    return fields;
}

/* Values that move by themselves between the two runs. */
static gboolean
values_agree(const char *key, const char *a, const char *b)
{
    if (g_str_has_suffix(key, ".used-bytes")) {
        return llabs(atoll(a) - atoll(b)) < 64 * 1024 * 1024;
    }
    return g_str_equal(a, b);
}

static void
assert_same_guestinfo(GHashTable *vmlink, GHashTable *qemu_ga)
{
    GHashTableIter iter;
    gpointer key, value;
    guint differ = 0;

    g_hash_table_iter_init(&iter, qemu_ga);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        const char *ours = g_hash_table_lookup(vmlink, key);

        if (ours == NULL || !values_agree(key, ours, value)) {
            printf("  %s: qemu-ga %s, vmlink-agent %s\n", (char *)key, (char *)value,
                   ours ? ours : "(missing)");
            differ++;
        }
    }
    g_hash_table_iter_init(&iter, vmlink);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (!g_hash_table_contains(qemu_ga, key)) {
            printf("  %s: vmlink-agent %s, qemu-ga (missing)\n", (char *)key, (char *)value);
            differ++;
        }
    }
    ck_assert_msg(differ == 0, "virsh guestinfo: %u fields differ between the agents", differ);
    ck_assert_ptr_nonnull(g_hash_table_lookup(qemu_ga, "hostname"));
    ck_assert_ptr_nonnull(g_hash_table_lookup(qemu_ga, "os.id"));
}

/* The data disk mounted in the guest, as `virsh guestinfo` shows it: the file system on vda
 * with its disk's serial, and libvirt's alias for the disk (found by the PCI address the agent
 * gave), and the disk itself from guest-get-disks. */
static void
assert_data_disk(GHashTable *fields, const char *who)
{
    const char *count = g_hash_table_lookup(fields, "fs.count");
    g_autofree char *prefix = NULL;

    ck_assert_msg(count != NULL, "%s: no fs.count", who);
    for (int i = 0; i < atoi(count) && prefix == NULL; i++) {
        g_autofree char *key = g_strdup_printf("fs.%d.mountpoint", i);
        const char *mountpoint = g_hash_table_lookup(fields, key);

        if (mountpoint && g_str_equal(mountpoint, DATA_MOUNT)) {
            prefix = g_strdup_printf("fs.%d.", i);
        }
    }
    ck_assert_msg(prefix != NULL, "%s: %s is not among the %s file systems", who, DATA_MOUNT,
                  count);
    {
        g_autofree char *name = g_strconcat(prefix, "name", NULL);
        g_autofree char *fstype = g_strconcat(prefix, "fstype", NULL);
        g_autofree char *serial = g_strconcat(prefix, "disk.0.serial", NULL);
        g_autofree char *alias = g_strconcat(prefix, "disk.0.alias", NULL);
        g_autofree char *device = g_strconcat(prefix, "disk.0.device", NULL);

        ck_assert_str_eq(g_hash_table_lookup(fields, name), "vda");
        ck_assert_str_eq(g_hash_table_lookup(fields, fstype), "ext4");
        ck_assert_str_eq(g_hash_table_lookup(fields, serial), VL_GUEST_DISK_SERIAL);
        ck_assert_str_eq(g_hash_table_lookup(fields, alias), "vda");
        ck_assert_str_eq(g_hash_table_lookup(fields, device), "/dev/vda");
    }
    ck_assert_msg(g_hash_table_lookup(fields, "disk.count") != NULL, "%s: no disk.count", who);
    printf("virsh guestinfo with %s: %s on vda (alias vda, serial %s), disk.count %s\n", who,
           DATA_MOUNT, VL_GUEST_DISK_SERIAL, (char *)g_hash_table_lookup(fields, "disk.count"));
}

/* The guest's entry in vm.list: its agent's state and kind. */
static void
assert_listed_agent(VlClient *c, const char *state, const char *kind)
{
    g_autoptr(VlJson) list = vl_bridge_call_ok(c, "vm.list", NULL);
    const VlJson *vms = vl_json_object_get(list, "vms");

    for (guint i = 0; i < vl_json_array_length(vms); i++) {
        const VlJson *vm = vl_json_array_get(vms, i);

        if (g_strcmp0(vl_json_get_string(vl_json_object_get(vm, "name")), vl_guest_name(guest)) ==
            0) {
            ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vm, "agent")), state);
            ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vm, "agent_kind")), kind);
            return;
        }
    }
    ck_abort_msg("vm.list has no %s", vl_guest_name(guest));
}

/* vmlinkd -------------------------------------------------------------------------------------- */

/* vmlinkd's log on stderr, for a failure's log. */
static void
dump_bridge_log(void)
{
    g_autofree char *log = NULL;

    if (g_file_get_contents(bridge->log_path, &log, NULL, NULL)) {
        fprintf(stderr, "vmlinkd's log:\n%s\n", log);
    }
}

static const VlJson *
section(const VlJson *info, const char *name)
{
    return vl_json_object_get(vl_json_object_get(info, "sections"), name);
}

static const char *
agent_member(const VlJson *info, const char *name)
{
    return vl_json_get_string(vl_json_object_get(vl_json_object_get(info, "agent"), name));
}

/* guest.info once it comes from qemu-ga, answered, with the lo address. */
static VlJson *
wait_qga_info(VlClient *c)
{
    g_autoptr(VlJson) params = vl_bridge_vm_params(vl_guest_name(guest));
    gint64 end = g_get_monotonic_time() + (gint64)AGENT_WAIT_S * G_USEC_PER_SEC;

    for (;;) {
        VlJson *info = vl_bridge_call_ok(c, "guest.info", params);

        if (g_strcmp0(agent_member(info, "kind"), "qemu-ga") == 0 &&
            g_strcmp0(agent_member(info, "state"), "responsive") == 0 &&
            vl_bridge_has_address(info, LO_ADDRESS)) {
            return info;
        }
        if (g_get_monotonic_time() >= end) {
            dump_bridge_log();
        }
        ck_assert_msg(g_get_monotonic_time() < end,
                      "vmlinkd shows no guest info from qemu-ga (agent kind %s, state %s)",
                      agent_member(info, "kind"), agent_member(info, "state"));
        vl_json_unref(info);
        g_usleep(500000);
    }
}

/* The next agent.state event of our guest from an agent of that kind in that state. */
static void
wait_agent_event(VlClient *c, const char *kind, const char *state)
{
    gint64 end = g_get_monotonic_time() + (gint64)AGENT_WAIT_S * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VlJson) event = vl_client_next_event(c, AGENT_WAIT_S * 1000, &error);
        const VlJson *data;

        if (event == NULL) {
            dump_bridge_log();
        }
        ck_assert_msg(event != NULL, "no agent.state %s %s event: %s", kind, state,
                      error ? error->message : "");
        data = vl_json_object_get(event, "data");
        if (g_strcmp0(vl_json_get_string(vl_json_object_get(event, "event")), "agent.state") == 0 &&
            g_strcmp0(vl_json_get_string(vl_json_object_get(event, "vm")), vl_guest_name(guest)) ==
                0 &&
            g_strcmp0(vl_json_get_string(vl_json_object_get(data, "kind")), kind) == 0 &&
            g_strcmp0(vl_json_get_string(vl_json_object_get(data, "state")), state) == 0) {
            return;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "no agent.state %s %s event in time", kind,
                      state);
    }
}

START_TEST(test_qga)
{
    g_autoptr(VlClient) c = vl_bridge_run_client(bridge);
    g_autoptr(VlClient) events = vl_bridge_run_client(bridge);
    g_autoptr(VlJson) subscribed = NULL;
    g_autoptr(VlJson) vmlink_info = vl_bridge_wait_info(c, guest, NULL);
    g_autoptr(GHashTable) with_vmlink = NULL;
    g_autoptr(GHashTable) with_qemu_ga = NULL;
    g_autoptr(VlJson) qga_info = NULL;
    g_autofree char *ifaddr_vmlink = NULL;
    g_autofree char *ifaddr_qemu_ga = NULL;
    g_autofree char *hostname = NULL;
    g_autofree char *nproc = NULL;
    g_autofree char *err = NULL;
    g_autofree char *qga_version = NULL;
    g_autofree char *filesystems = NULL;

    /* While the vmlink agent runs, guest.info is its own, though it serves both ports. */
    ck_assert_str_eq(agent_member(vmlink_info, "kind"), "vmlink");
    ck_assert_str_eq(agent_member(vmlink_info, "name"), "vmlink-agent");
    assert_listed_agent(c, "responsive", "vmlink");
    vl_guest_run_ok(guest, "ip addr add " LO_ADDRESS "/32 dev lo");
    g_free(vl_guest_run_ok(guest, "udevadm settle; mkdir -p " DATA_MOUNT
                                  " && mount /dev/vda " DATA_MOUNT));
    g_free(vl_guest_run_ok(guest, "! systemctl is-active qemu-guest-agent"));

    /* libvirt's agent is vmlink-agent. */
    with_vmlink = guestinfo("vmlink-agent");
    ifaddr_vmlink = virsh("domifaddr", "--source=agent", &err);
    ck_assert_msg(ifaddr_vmlink != NULL, "virsh domifaddr --source agent: %s", err);
    ck_assert_msg(strstr(ifaddr_vmlink, LO_ADDRESS) != NULL, "%s", ifaddr_vmlink);

    /* Then Debian's qemu-ga instead. */
    subscribed = vl_bridge_call_ok(events, "events.subscribe", NULL);
    g_free(vl_guest_run_ok(guest, "systemctl stop vmlink-agent && systemctl unmask "
                                  "qemu-guest-agent && systemctl start qemu-guest-agent"));
    qga_version = vl_guest_run_ok(guest, "qemu-ga --version | sed -n 's/.* \\([0-9.]*\\)$/\\1/p'");
    with_qemu_ga = guestinfo("qemu-ga");
    g_clear_pointer(&err, g_free);
    ifaddr_qemu_ga = virsh("domifaddr", "--source=agent", &err);
    ck_assert_msg(ifaddr_qemu_ga != NULL, "virsh domifaddr --source agent: %s", err);
    printf("virsh domifaddr --source agent with qemu-ga:\n%s", ifaddr_qemu_ga);
    ck_assert_str_eq(ifaddr_vmlink, ifaddr_qemu_ga);
    assert_same_guestinfo(with_vmlink, with_qemu_ga);
    assert_data_disk(with_vmlink, "vmlink-agent");

    /* vmlinkd: the vmlink agent went away, qemu-ga answers through libvirt. */
    wait_agent_event(events, "vmlink", "absent"); /* it said agent_stopping */
    wait_agent_event(events, "qemu-ga", "responsive");
    qga_info = wait_qga_info(c);
    hostname = vl_guest_run_ok(guest, "hostname");
    nproc = vl_guest_run_ok(guest, "nproc");
    ck_assert_str_eq(agent_member(qga_info, "name"), "qemu-ga");
    ck_assert_str_eq(agent_member(qga_info, "version"), qga_version);
    ck_assert_str_eq(vl_bridge_section_string(qga_info, "host", "hostname"), hostname);
    ck_assert_str_eq(vl_bridge_section_string(qga_info, "os", "id"), "debian");
    ck_assert_str_eq(vl_bridge_section_string(qga_info, "os", "version_id"), "12");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(section(qga_info, "cpu"), "count")),
                     atoi(nproc));
    ck_assert_ptr_nonnull(section(qga_info, "users"));
    filesystems = vl_json_to_string(section(qga_info, "filesystems"), NULL);
    ck_assert_msg(strstr(filesystems, "\"mountpoint\":\"" DATA_MOUNT "\"") &&
                      strstr(filesystems, "\"device\":\"/dev/vda\""),
                  "filesystems: %s", filesystems);
    ck_assert_ptr_null(section(qga_info, "memory"));
    ck_assert_ptr_null(section(qga_info, "applications"));
    assert_listed_agent(c, "responsive", "qemu-ga");
    printf("%s: guest info through libvirt from qemu-ga %s: %s, debian 12, %s vCPUs\n",
           vl_guest_name(guest), qga_version, hostname, nproc);

    /* libvirt still holds the agent's socket: virsh is answered as before. */
    g_hash_table_unref(guestinfo("qemu-ga, with vmlinkd asking too"));
}
END_TEST

int
main(void)
{
    return vl_system_test_main("qga-system", setup, teardown, test_qga);
}
