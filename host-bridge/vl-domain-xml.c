/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing domain and device XML with libvirt-gconfig. What libvirt-gconfig 4.0 has no setter for
 * (a disk's boot order, a channel's unix source, a file chardev, balloon statistics) is added
 * with libxml2, the library libvirt-gconfig itself stands on, and parsed back with
 * gvir_config_object_new_from_xml(): libxml2 escapes every value it writes, so nothing from the
 * control plane is ever pasted into XML text.
 */
#include <string.h>

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vl-domain-xml-private.h"
#include "vl-domain-xml.h"
#include "vl-jsonrpc.h"
#include "vl-protocol.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainOs, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainDiskDriver, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainChardevSourcePty, g_object_unref)

/* Seconds between the balloon driver's statistics; without a period QEMU collects none. */
#define BALLOON_STATS_PERIOD "5"

/* Errors and XML ----------------------------------------------------------------------------- */

static gboolean invalid(GError **error, const char *where, const char *member, const char *format,
                        ...) G_GNUC_PRINTF(4, 5);

/* "<where>.<member>: <why>" (or "<where>: <why>"), as the control plane's invalid params. */
static gboolean
invalid(GError **error, const char *where, const char *member, const char *format, ...)
{
    g_autofree char *why = NULL;
    va_list args;

    va_start(args, format);
    why = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS, "%s%s%s: %s", where, member ? "." : "",
                member ? member : "", why);
    return FALSE;
}

/* gvir_config_init() is not needed: it only installs a debug log handler. */
void
vl_domain_xml_init(void)
{
    static gsize done = 0;

    if (g_once_init_enter(&done)) {
        xmlInitParser();
        g_once_init_leave(&done, 1);
    }
}

/*
 * Adds what libvirt-gconfig has no setter for: an attribute of the object's element (attr, may
 * be NULL) and a child element with attributes (name, value pairs). Takes object and returns
 * the amended one, a new object of the same type parsed from the result.
 */
static gpointer
xml_amend(gpointer object, const char *attr, const char *value, const char *child,
          const char *const *child_attrs)
{
    g_autofree char *xml = gvir_config_object_to_xml(object);
    /* Without blank text nodes, libvirt-gconfig indents the result like the rest. */
    xmlDocPtr doc =
        xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr node = xmlNewChild(root, NULL, BAD_CAST child, NULL);
    xmlChar *text = NULL;
    int len = 0;
    GVirConfigObject *amended;

    if (attr) {
        xmlSetProp(root, BAD_CAST attr, BAD_CAST value);
    }
    for (guint i = 0; child_attrs[i]; i += 2) {
        xmlSetProp(node, BAD_CAST child_attrs[i], BAD_CAST child_attrs[i + 1]);
    }
    xmlDocDumpMemory(doc, &text, &len);
    amended = gvir_config_object_new_from_xml(G_OBJECT_TYPE(object), (const char *)root->name, NULL,
                                              (const char *)text, NULL);
    xmlFree(text);
    xmlFreeDoc(doc);
    g_object_unref(object);
    g_assert(amended != NULL); /* what libxml2 has just written */
    return amended;
}

/* Checks of what the catalogue cannot say ---------------------------------------------------- */

/*
 * Text that can go into XML as it is: valid UTF-8 without control characters (XML 1.0 forbids
 * most, and no path or name needs one) or the non-characters U+FFFE and U+FFFF.
 */
static gboolean
text_ok(const char *text)
{
    if (!g_utf8_validate(text, -1, NULL)) {
        return FALSE;
    }
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xfffe || c == 0xffff) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
check_path(const char *path, gboolean required, const char *where, const char *member,
           GError **error)
{
    if (path == NULL) {
        return !required || invalid(error, where, member, "required: an absolute path on the host");
    }
    if (path[0] != '/') {
        return invalid(error, where, member, "must be an absolute path");
    }
    if (!text_ok(path)) {
        return invalid(error, where, member, "must not contain control characters");
    }
    return TRUE;
}

/* Stricter than libvirt: names also become file names and appear in logs and shells. */
static gboolean
check_name(const char *name, GError **error)
{
    const char *rule = "use letters, digits, '.', '-' and '_', not starting with '.' or '-'";

    if (name == NULL || name[0] == '\0') {
        return invalid(error, "spec", "name", "required: %s", rule);
    }
    if (name[0] == '.' || name[0] == '-') {
        return invalid(error, "spec", "name", "%s", rule);
    }
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_') {
            return invalid(error, "spec", "name", "%s", rule);
        }
    }
    return TRUE;
}

static gboolean
check_mac(const char *mac, const char *where, GError **error)
{
    const char *example = "52:54:00:12:34:56";
    gboolean ok = strlen(mac) == 17;

    for (guint i = 0; ok && i < 17; i++) {
        ok = i % 3 == 2 ? mac[i] == ':' : g_ascii_isxdigit(mac[i]);
    }
    if (!ok) {
        return invalid(error, where, "mac", "must be six hex bytes like %s", example);
    }
    /* The group bit: a NIC's own address is never multicast. */
    if (g_ascii_xdigit_value(mac[1]) & 1) {
        return invalid(error, where, "mac", "must be a unicast address (even first byte) like %s",
                       example);
    }
    return TRUE;
}

/* A guest disk name libvirt can place: vd, sd or hd and one to three letters (vda, sdab). */
static gboolean
target_ok(const char *target)
{
    gsize len = strlen(target);

    if (len < 3 || len > 5 || target[1] != 'd' || !strchr("vsh", target[0])) {
        return FALSE;
    }
    for (gsize i = 2; i < len; i++) {
        if (!g_ascii_islower(target[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Choices ------------------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    int value;
} Choice;

/* The first of each list is the default. */
static const Choice disk_formats[] = {
    {"raw", GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW},
    {"qcow2", GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2},
    {NULL, 0},
};
static const Choice disk_buses[] = {
    {"virtio", GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO},
    {"sata", GVIR_CONFIG_DOMAIN_DISK_BUS_SATA},
    {"scsi", GVIR_CONFIG_DOMAIN_DISK_BUS_SCSI},
    {"usb", GVIR_CONFIG_DOMAIN_DISK_BUS_USB},
    {NULL, 0},
};
static const Choice disk_devices[] = {
    {"disk", GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK},
    {"cdrom", GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM},
    {NULL, 0},
};
static const Choice nic_models[] = {
    {"virtio", 0}, {"e1000", 0}, {"e1000e", 0}, {"rtl8139", 0}, {NULL, 0},
};

/* The choice obj's member names, the first when it is absent. */
static gboolean
choose(const VlJson *obj, const char *member, const Choice *choices, const char *where,
       const Choice **ret_choice, GError **error)
{
    const char *name = vl_json_get_string(vl_json_object_get(obj, member));
    g_autoptr(GString) names = g_string_new(NULL);

    for (const Choice *c = choices; c->name; c++) {
        if (name == NULL || strcmp(name, c->name) == 0) {
            *ret_choice = c;
            return TRUE;
        }
        g_string_append_printf(names, "%s%s", names->len ? ", " : "", c->name);
    }
    return invalid(error, where, member, "must be one of %s", names->str);
}

/* Disks -------------------------------------------------------------------------------------- */

typedef struct {
    const char *path;
    const char *target; /* NULL: the next free name on the bus */
    const Choice *format;
    const Choice *bus;
    gboolean cdrom;
    gboolean readonly;
} DiskSpec;

/* A disk of a spec (with_device: it may be a cdrom) or of vm.attach_device. */
static gboolean
disk_parse(const VlJson *obj, const char *where, gboolean with_device, DiskSpec *ret_disk,
           GError **error)
{
    const VlJson *readonly = vl_json_object_get(obj, "readonly");
    const Choice *device = &disk_devices[0];

    *ret_disk = (DiskSpec){
        .path = vl_json_get_string(vl_json_object_get(obj, "path")),
        .target = vl_json_get_string(vl_json_object_get(obj, "target")),
    };
    if (!check_path(ret_disk->path, TRUE, where, "path", error) ||
        !choose(obj, "format", disk_formats, where, &ret_disk->format, error) ||
        (with_device && !choose(obj, "device", disk_devices, where, &device, error))) {
        return FALSE;
    }
    ret_disk->cdrom = device->value == GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM;
    /* A cdrom's default bus is sata: virtio-blk has no removable media. */
    if (ret_disk->cdrom && vl_json_object_get(obj, "bus") == NULL) {
        ret_disk->bus = &disk_buses[1];
    } else if (!choose(obj, "bus", disk_buses, where, &ret_disk->bus, error)) {
        return FALSE;
    }
    /* QEMU has no virtio cdrom: libvirt would refuse it only when the VM starts. */
    if (ret_disk->cdrom && ret_disk->bus->value == GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO) {
        return invalid(error, where, "bus", "a cdrom cannot be on virtio: use sata or scsi");
    }
    if (ret_disk->target && !target_ok(ret_disk->target)) {
        return invalid(error, where, "target", "must be a guest disk name like vdb or sdb");
    }
    if (ret_disk->cdrom && readonly && !vl_json_get_bool(readonly)) {
        return invalid(error, where, "readonly",
                       "a cdrom is always read-only: leave readonly out or set it true");
    }
    ret_disk->readonly = ret_disk->cdrom || vl_json_get_bool(readonly);
    return TRUE;
}

/* boot_order 0: none. */
static GVirConfigDomainDevice *
disk_new(const DiskSpec *spec, const char *target, guint boot_order)
{
    GVirConfigDomainDisk *disk = gvir_config_domain_disk_new();
    g_autoptr(GVirConfigDomainDiskDriver) driver = gvir_config_domain_disk_driver_new();

    gvir_config_domain_disk_set_type(disk, g_str_has_prefix(spec->path, "/dev/")
                                               ? GVIR_CONFIG_DOMAIN_DISK_BLOCK
                                               : GVIR_CONFIG_DOMAIN_DISK_FILE);
    gvir_config_domain_disk_set_guest_device_type(
        disk, spec->cdrom ? GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM
                          : GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
    gvir_config_domain_disk_set_source(disk, spec->path);
    gvir_config_domain_disk_driver_set_name(driver, "qemu");
    gvir_config_domain_disk_driver_set_format(driver, spec->format->value);
    gvir_config_domain_disk_set_driver(disk, driver);
    gvir_config_domain_disk_set_target_bus(disk, spec->bus->value);
    gvir_config_domain_disk_set_target_dev(disk, target);
    gvir_config_domain_disk_set_readonly(disk, spec->readonly);
    if (boot_order > 0) {
        g_autofree char *order = g_strdup_printf("%u", boot_order);
        const char *const boot[] = {"order", order, NULL};

        return xml_amend(disk, NULL, NULL, "boot", boot);
    }
    return GVIR_CONFIG_DOMAIN_DEVICE(disk);
}

/* libvirt's names: vda..vdz, vdaa..vdaz, vdba... */
char *
vl_domain_xml_disk_name(const char *prefix, guint index)
{
    char letters[8];
    guint n = sizeof(letters) - 1;

    letters[n] = '\0';
    for (gint64 i = index; i >= 0 && n > 0; i = i / 26 - 1) {
        letters[--n] = (char)('a' + i % 26);
    }
    return g_strconcat(prefix, letters + n, NULL);
}

/*
 * Adds the spec's disks, with boot orders in their order unless the kernel boots directly.
 * Named targets are taken first, so a disk without one gets the first name on its bus that no
 * disk of the spec names (virtio: vd*; sata, scsi and usb share sd*).
 */
static gboolean
add_disks(GVirConfigDomain *domain, const VlJson *disks, gboolean boot_orders, GError **error)
{
    guint n = vl_json_array_length(disks);
    g_autofree DiskSpec *specs = g_new0(DiskSpec, MAX(n, 1));
    g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < n; i++) {
        g_autofree char *where = g_strdup_printf("spec.disks[%u]", i);
        gpointer other;

        if (!disk_parse(vl_json_array_get(disks, i), where, TRUE, &specs[i], error)) {
            return FALSE;
        }
        if (specs[i].target == NULL) {
            continue;
        }
        if (g_hash_table_lookup_extended(used, specs[i].target, NULL, &other)) {
            return invalid(error, where, "target",
                           "%s is already the target of spec.disks[%u]; give each disk its own",
                           specs[i].target, GPOINTER_TO_UINT(other));
        }
        g_hash_table_insert(used, g_strdup(specs[i].target), GUINT_TO_POINTER(i));
    }

    for (guint i = 0; i < n; i++) {
        g_autofree char *target = g_strdup(specs[i].target);
        g_autoptr(GVirConfigDomainDevice) disk = NULL;
        const char *prefix =
            specs[i].bus->value == GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO ? "vd" : "sd";

        /* Ends: fewer names are taken than there are disks. */
        for (guint k = 0; target == NULL; k++) {
            target = vl_domain_xml_disk_name(prefix, k);
            if (g_hash_table_contains(used, target)) {
                g_clear_pointer(&target, g_free);
            } else {
                g_hash_table_insert(used, g_strdup(target), GUINT_TO_POINTER(i));
            }
        }
        disk = disk_new(&specs[i], target, boot_orders ? i + 1 : 0);
        gvir_config_domain_add_device(domain, disk);
    }
    return TRUE;
}

/* NICs --------------------------------------------------------------------------------------- */

static GVirConfigDomainDevice *
nic_new(const VlJson *obj, const char *where, GError **error)
{
    const char *network = vl_json_get_string(vl_json_object_get(obj, "network"));
    const char *bridge = vl_json_get_string(vl_json_object_get(obj, "bridge"));
    const char *mac = vl_json_get_string(vl_json_object_get(obj, "mac"));
    GVirConfigDomainInterface *nic;
    const Choice *model;

    if ((network == NULL) == (bridge == NULL)) {
        invalid(error, where, NULL, "give exactly one of network or bridge");
        return NULL;
    }
    if (network && (network[0] == '\0' || !text_ok(network) || strchr(network, '/'))) {
        invalid(error, where, "network", "must be the name of a libvirt network");
        return NULL;
    }
    /* A Linux interface name: at most 15 bytes, no '/', ':' or space. */
    if (bridge &&
        (bridge[0] == '\0' || strlen(bridge) > 15 || !text_ok(bridge) || strpbrk(bridge, "/: "))) {
        invalid(error, where, "bridge", "must be the name of a host bridge like br0");
        return NULL;
    }
    if ((mac && !check_mac(mac, where, error)) ||
        !choose(obj, "model", nic_models, where, &model, error)) {
        return NULL;
    }

    if (network) {
        GVirConfigDomainInterfaceNetwork *net = gvir_config_domain_interface_network_new();

        gvir_config_domain_interface_network_set_source(net, network);
        nic = GVIR_CONFIG_DOMAIN_INTERFACE(net);
    } else {
        GVirConfigDomainInterfaceBridge *br = gvir_config_domain_interface_bridge_new();

        gvir_config_domain_interface_bridge_set_source(br, bridge);
        nic = GVIR_CONFIG_DOMAIN_INTERFACE(br);
    }
    gvir_config_domain_interface_set_model(nic, model->name);
    if (mac) {
        gvir_config_domain_interface_set_mac(nic, mac);
    }
    return GVIR_CONFIG_DOMAIN_DEVICE(nic);
}

/* Other devices ------------------------------------------------------------------------------ */

/* The serial port and its console: into console_log when given, else a pty. */
static void
add_console(GVirConfigDomain *domain, const char *console_log)
{
    GVirConfigDomainConsole *console = gvir_config_domain_console_new();
    g_autoptr(GVirConfigDomainDevice) c = GVIR_CONFIG_DOMAIN_DEVICE(console);
    g_autoptr(GVirConfigDomainDevice) s =
        GVIR_CONFIG_DOMAIN_DEVICE(gvir_config_domain_serial_new());

    gvir_config_domain_console_set_target_type(console, GVIR_CONFIG_DOMAIN_CONSOLE_TARGET_SERIAL);
    if (console_log) {
        /* append: a VM started again adds to its log instead of truncating the last boot's. */
        const char *const source[] = {"path", console_log, "append", "on", NULL};

        s = xml_amend(g_steal_pointer(&s), "type", "file", "source", source);
        c = xml_amend(g_steal_pointer(&c), "type", "file", "source", source);
    } else {
        g_autoptr(GVirConfigDomainChardevSourcePty) pty_s =
            gvir_config_domain_chardev_source_pty_new();
        g_autoptr(GVirConfigDomainChardevSourcePty) pty_c =
            gvir_config_domain_chardev_source_pty_new();

        gvir_config_domain_chardev_set_source(GVIR_CONFIG_DOMAIN_CHARDEV(s),
                                              GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE(pty_s));
        gvir_config_domain_chardev_set_source(GVIR_CONFIG_DOMAIN_CHARDEV(c),
                                              GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE(pty_c));
    }
    gvir_config_domain_add_device(domain, s);
    gvir_config_domain_add_device(domain, c);
}

/*
 * <channel type='unix'><source mode='bind'/><target type='virtio' name='...'/></channel>.
 * Without a path libvirt picks one under its channel folder; vmlinkd reads it from the live XML.
 */
static void
add_channel(GVirConfigDomain *domain, const char *port_name)
{
    const char *const bind[] = {"mode", "bind", NULL};
    GVirConfigDomainChannel *channel = gvir_config_domain_channel_new();
    g_autoptr(GVirConfigDomainDevice) device = GVIR_CONFIG_DOMAIN_DEVICE(channel);

    gvir_config_domain_channel_set_target_type(channel, GVIR_CONFIG_DOMAIN_CHANNEL_TARGET_VIRTIO);
    gvir_config_domain_channel_set_target_name(channel, port_name);
    device = xml_amend(g_steal_pointer(&device), "type", "unix", "source", bind);
    gvir_config_domain_add_device(domain, device);
}

static void
add_balloon(GVirConfigDomain *domain)
{
    const char *const stats[] = {"period", BALLOON_STATS_PERIOD, NULL};
    GVirConfigDomainMemballoon *balloon = gvir_config_domain_memballoon_new();
    g_autoptr(GVirConfigDomainDevice) device = GVIR_CONFIG_DOMAIN_DEVICE(balloon);

    gvir_config_domain_memballoon_set_model(balloon, GVIR_CONFIG_DOMAIN_MEMBALLOON_MODEL_VIRTIO);
    device = xml_amend(g_steal_pointer(&device), NULL, NULL, "stats", stats);
    gvir_config_domain_add_device(domain, device);
}

/* Domains ------------------------------------------------------------------------------------ */

static gboolean
set_virt_type(GVirConfigDomain *domain, const VlJson *spec, const VlDomainXmlOptions *options,
              GError **error)
{
    const char *accel = vl_json_get_string(vl_json_object_get(spec, "accel"));
    const char *type = options ? options->domain_type : NULL;
    GEnumClass *types = g_type_class_ref(GVIR_CONFIG_TYPE_DOMAIN_VIRT_TYPE);
    const GEnumValue *value;

    if (accel == NULL) {
        accel = options && options->default_accel ? options->default_accel : "kvm";
    }
    if (strcmp(accel, "kvm") != 0 && strcmp(accel, "tcg") != 0) {
        g_type_class_unref(types);
        return invalid(error, "spec", "accel", "must be kvm or tcg");
    }
    if (type == NULL) {
        type = strcmp(accel, "kvm") == 0 ? "kvm" : "qemu";
    }
    value = g_enum_get_value_by_nick(types, type);
    if (value) {
        gvir_config_domain_set_virt_type(domain, value->value);
    } else {
        /* The bridge's configuration named it, not the caller. */
        g_set_error(error, VL_CALL_ERROR, VL_RPC_FAILED, "domain type %s is not one libvirt knows",
                    type);
    }
    g_type_class_unref(types);
    return value != NULL;
}

static gboolean
set_os(GVirConfigDomain *domain, const VlJson *boot, GError **error)
{
    g_autoptr(GVirConfigDomainOs) os = gvir_config_domain_os_new();
    const char *kernel = vl_json_get_string(vl_json_object_get(boot, "kernel"));
    const char *initrd = vl_json_get_string(vl_json_object_get(boot, "initrd"));
    const char *cmdline = vl_json_get_string(vl_json_object_get(boot, "cmdline"));

    gvir_config_domain_os_set_os_type(os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
    gvir_config_domain_os_set_arch(os, "x86_64");
    if (boot) {
        if (!check_path(kernel, TRUE, "spec.boot", "kernel", error) ||
            !check_path(initrd, FALSE, "spec.boot", "initrd", error)) {
            return FALSE;
        }
        if (cmdline && !text_ok(cmdline)) {
            return invalid(error, "spec.boot", "cmdline", "must not contain control characters");
        }
        gvir_config_domain_os_set_kernel(os, kernel);
        if (initrd) {
            gvir_config_domain_os_set_ramdisk(os, initrd);
        }
        if (cmdline) {
            gvir_config_domain_os_set_cmdline(os, cmdline);
        }
    }
    gvir_config_domain_set_os(domain, os);
    return TRUE;
}

char *
vl_domain_xml_from_spec(const VlJson *spec, const VlDomainXmlOptions *options, GError **error)
{
    const char *name = vl_json_get_string(vl_json_object_get(spec, "name"));
    const char *uuid = vl_json_get_string(vl_json_object_get(spec, "uuid"));
    const VlJson *memory = vl_json_object_get(spec, "memory_mib");
    const VlJson *vcpus = vl_json_object_get(spec, "vcpus");
    const VlJson *boot = vl_json_object_get(spec, "boot");
    const VlJson *nics = vl_json_object_get(spec, "nics");
    const char *console_log = vl_json_get_string(vl_json_object_get(spec, "console_log"));
    char *features[] = {"acpi", NULL}; /* the power button of vm.shutdown via acpi */
    g_autoptr(GVirConfigDomain) domain = NULL;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    vl_domain_xml_init();
    if (!check_name(name, error)) {
        return NULL;
    }
    if (uuid && !g_uuid_string_is_valid(uuid)) {
        invalid(error, "spec", "uuid", "must be a UUID like 3f2504e0-4f89-41d3-9a0c-0305e82c3301");
        return NULL;
    }
    if (vl_json_kind(memory) != VL_JSON_INT || vl_json_get_int(memory) < 16 ||
        vl_json_get_int(memory) > 16777216) {
        invalid(error, "spec", "memory_mib", "required: MiB of memory, 16 to 16777216");
        return NULL;
    }
    if (vcpus && (vl_json_get_int(vcpus) < 1 || vl_json_get_int(vcpus) > 1024)) {
        invalid(error, "spec", "vcpus", "must be 1 to 1024");
        return NULL;
    }
    if (!check_path(console_log, FALSE, "spec", "console_log", error)) {
        return NULL;
    }

    domain = gvir_config_domain_new();
    if (!set_virt_type(domain, spec, options, error)) {
        return NULL;
    }
    gvir_config_domain_set_name(domain, name);
    if (uuid) {
        gvir_config_domain_set_uuid(domain, uuid);
    }
    gvir_config_domain_set_memory(domain, (guint64)vl_json_get_int(memory) * 1024);
    gvir_config_domain_set_vcpus(domain, vcpus ? (guint64)vl_json_get_int(vcpus) : 1);
    gvir_config_domain_set_features(domain, features);
    /*
     * Without a kernel the firmware boots the disks in the spec's order: per-device boot orders,
     * since libvirt sorts disks by bus and name and <boot dev='hd'/> means its first.
     */
    if (!set_os(domain, boot, error) ||
        !add_disks(domain, vl_json_object_get(spec, "disks"), boot == NULL, error)) {
        return NULL;
    }
    for (guint i = 0; i < vl_json_array_length(nics); i++) {
        g_autofree char *where = g_strdup_printf("spec.nics[%u]", i);
        g_autoptr(GVirConfigDomainDevice) nic = nic_new(vl_json_array_get(nics, i), where, error);

        if (nic == NULL) {
            return NULL;
        }
        gvir_config_domain_add_device(domain, nic);
    }
    add_console(domain, console_log);
    add_balloon(domain);
    add_channel(domain, VL_GUEST_PORT_NAME);
    add_channel(domain, VL_QGA_PORT_NAME);
    return gvir_config_object_to_xml(GVIR_CONFIG_OBJECT(domain));
}

/* Devices ------------------------------------------------------------------------------------ */

const char *
vl_domain_xml_device_kind(const VlJson *device, GError **error)
{
    const char *kind = vl_json_get_string(vl_json_object_get(device, "kind"));

    if (kind == NULL || (strcmp(kind, "disk") != 0 && strcmp(kind, "nic") != 0)) {
        invalid(error, "device", "kind", "must be disk or nic");
        return NULL;
    }
    return kind;
}

char *
vl_device_xml_from_json(const VlJson *device, GError **error)
{
    const char *kind;
    g_autoptr(GVirConfigDomainDevice) xml_device = NULL;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    vl_domain_xml_init();
    kind = vl_domain_xml_device_kind(device, error);
    if (kind == NULL) {
        return NULL;
    }
    if (strcmp(kind, "disk") == 0) {
        DiskSpec spec;

        if (!disk_parse(device, "device", FALSE, &spec, error)) {
            return NULL;
        }
        /* Which names are free is for the caller to know, who has the domain. */
        if (spec.target == NULL) {
            invalid(error, "device", "target", "required for a disk: its guest name, like vdb");
            return NULL;
        }
        xml_device = disk_new(&spec, spec.target, 0);
    } else {
        xml_device = nic_new(device, "device", error);
    }
    return xml_device ? gvir_config_object_to_xml(GVIR_CONFIG_OBJECT(xml_device)) : NULL;
}
