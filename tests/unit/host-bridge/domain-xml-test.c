/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Domain and device XML (vl-domain-xml.c, vl-domain-xml-read.c). Every XML written is read
 * back with libvirt-gconfig (and XPath for what it has no getter for) rather than compared as
 * text, and libvirt itself (the test:/// driver, in process) must accept it. Covered: a full
 * spec and the defaults; each check the catalogue cannot make, on inputs the catalogue accepts;
 * target names and boot orders; device XML; finding a device in a domain libvirt wrote; and the
 * channel sockets of a running domain, from a fixture shaped like libvirt 9's live XML.
 */
#include <check.h>
#include <string.h>

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "vl-domain-xml.h"
#include "vl-protocol.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainOs, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainDisk, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainDiskDriver, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainInterface, g_object_unref)

#define FULL_SPEC                                                                                  \
    "{\"name\":\"web1\",\"uuid\":\"8f0d6a4c-2b7e-4d55-9a43-0c1e5f6b7a81\",\"memory_mib\":1024,"    \
    "\"vcpus\":2,\"accel\":\"tcg\",\"boot\":{\"kernel\":\"/srv/vmlinuz\","                         \
    "\"initrd\":\"/srv/initrd.img\",\"cmdline\":\"console=ttyS0 root=/dev/vda\"},"                 \
    "\"disks\":[{\"path\":\"/srv/web1.qcow2\",\"format\":\"qcow2\"},"                              \
    "{\"path\":\"/srv/seed.iso\",\"device\":\"cdrom\"},"                                           \
    "{\"path\":\"/dev/vg0/data\",\"bus\":\"scsi\",\"target\":\"sdb\",\"readonly\":true}],"         \
    "\"nics\":[{\"network\":\"default\"},"                                                         \
    "{\"bridge\":\"br0\",\"mac\":\"52:54:00:AB:CD:EF\",\"model\":\"e1000\"}],"                     \
    "\"console_log\":\"/var/log/vmlink/web1-console.log\"}"

#define MIN_SPEC "{\"name\":\"tiny\",\"memory_mib\":64}"

/* Helpers ----------------------------------------------------------------------------------- */

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "cannot parse %s: %s", text, error ? error->message : "?");
    return node;
}

/* The field list of an object member of a method's params ("spec" of vm.define). */
static const VlField *
params_object(const char *method, const char *member)
{
    const VlEntry *entry = vl_catalogue_lookup(&vl_control_catalogue, method, VL_SENDER_CLIENT);

    ck_assert_ptr_nonnull(entry);
    for (const VlField *f = entry->fields; f->name; f++) {
        if (strcmp(f->name, member) == 0) {
            return f->fields;
        }
    }
    ck_abort_msg("%s has no %s", method, member);
    return NULL;
}

/* Whether the catalogue accepts a spec or a device: the checks here are for what it cannot. */
static gboolean
catalogue_accepts(const char *method, const char *member, const VlJson *object)
{
    return vl_fields_validate(params_object(method, member), object, member, NULL);
}

static char *
spec_xml(const char *text, const VlDomainXmlOptions *options)
{
    g_autoptr(VlJson) spec = parse(text);
    g_autoptr(GError) error = NULL;
    char *xml;

    ck_assert_msg(catalogue_accepts("vm.define", "spec", spec), "catalogue refuses %s", text);
    xml = vl_domain_xml_from_spec(spec, options, &error);
    ck_assert_msg(xml != NULL, "%s: %s", text, error ? error->message : "no error");
    ck_assert_ptr_null(error);
    return xml;
}

static GVirConfigDomain *
read_domain(const char *xml)
{
    g_autoptr(GError) error = NULL;
    GVirConfigDomain *domain = gvir_config_domain_new_from_xml(xml, &error);

    ck_assert_msg(domain != NULL, "libvirt-gconfig cannot read %s: %s", xml,
                  error ? error->message : "?");
    return domain;
}

/* An XPath expression's value as a string ("" when it selects nothing). */
static char *
xpath(const char *xml, const char *expr)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr obj;
    xmlChar *value;
    char *ret;

    ck_assert_msg(doc != NULL, "not XML: %s", xml);
    ctx = xmlXPathNewContext(doc);
    obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    ck_assert_msg(obj != NULL, "bad XPath %s", expr);
    value = xmlXPathCastToString(obj);
    ret = g_strdup((const char *)value);
    xmlFree(value);
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return ret;
}

#define ck_assert_xpath(xml, expr, want)                                                           \
    do {                                                                                           \
        g_autofree char *got_ = xpath((xml), (expr));                                              \
        ck_assert_msg(strcmp(got_, (want)) == 0, "%s: got '%s', want '%s'", (expr), got_, (want)); \
    } while (0)

/* The devices of a domain of one GType, in document order. */
static GList *
devices_of(GVirConfigDomain *domain, GType type)
{
    GList *devices = gvir_config_domain_get_devices(domain);
    GList *kept = NULL;

    for (GList *l = devices; l; l = l->next) {
        if (G_TYPE_CHECK_INSTANCE_TYPE(l->data, type)) {
            kept = g_list_append(kept, g_object_ref(l->data));
        }
    }
    g_list_free_full(devices, g_object_unref);
    return kept;
}

/*
 * libvirt-gconfig 4.0's gvir_config_domain_disk_get_target_bus() reads the wrong attribute, so
 * the bus is checked with XPath by the callers.
 */
static void
check_disk(GVirConfigDomainDisk *disk, const char *source, const char *target,
           GVirConfigDomainDiskFormat format, GVirConfigDomainDiskType type,
           GVirConfigDomainDiskGuestDeviceType device)
{
    g_autoptr(GVirConfigDomainDiskDriver) driver = gvir_config_domain_disk_get_driver(disk);

    ck_assert_str_eq(gvir_config_domain_disk_get_source(disk), source);
    ck_assert_str_eq(gvir_config_domain_disk_get_target_dev(disk), target);
    ck_assert_int_eq(gvir_config_domain_disk_get_disk_type(disk), type);
    ck_assert_int_eq(gvir_config_domain_disk_get_guest_device_type(disk), device);
    ck_assert_ptr_nonnull(driver);
    ck_assert_str_eq(gvir_config_domain_disk_driver_get_name(driver), "qemu");
    ck_assert_int_eq(gvir_config_domain_disk_driver_get_format(driver), format);
}

/* Fails unless the call failed with VL_CALL_ERROR code and a message starting with prefix. */
static void
check_error(const GError *error, VlRpcCode code, const char *prefix, const char *what)
{
    ck_assert_msg(error != NULL, "%s: accepted", what);
    ck_assert_msg(error->domain == VL_CALL_ERROR && error->code == (int)code,
                  "%s: error %s %d (%s), want code %d", what, g_quark_to_string(error->domain),
                  error->code, error->message, code);
    ck_assert_msg(g_str_has_prefix(error->message, prefix), "%s: message '%s', want '%s...'", what,
                  error->message, prefix);
}

static char *
fixture(const char *name)
{
    const char *root = g_getenv("VL_SOURCE_ROOT");
    g_autofree char *path =
        g_build_filename(root ? root : ".", "tests", "unit", "fixtures", "domain-xml", name, NULL);
    g_autoptr(GError) error = NULL;
    char *contents = NULL;

    ck_assert_msg(g_file_get_contents(path, &contents, NULL, &error), "%s",
                  error ? error->message : path);
    return contents;
}

/* A full spec -------------------------------------------------------------------------------- */

START_TEST(test_full_spec)
{
    g_autofree char *xml = spec_xml(FULL_SPEC, NULL);
    g_autoptr(GVirConfigDomain) domain = read_domain(xml);
    g_autoptr(GVirConfigDomainOs) os = gvir_config_domain_get_os(domain);
    g_auto(GStrv) features = gvir_config_domain_get_features(domain);
    GList *disks = devices_of(domain, GVIR_CONFIG_TYPE_DOMAIN_DISK);
    GList *nics = devices_of(domain, GVIR_CONFIG_TYPE_DOMAIN_INTERFACE);
    GList *channels = devices_of(domain, GVIR_CONFIG_TYPE_DOMAIN_CHANNEL);
    const char *port_names[] = {VL_GUEST_PORT_NAME, VL_QGA_PORT_NAME};
    GList *l;

    ck_assert_str_eq(gvir_config_domain_get_name(domain), "web1");
    ck_assert_str_eq(gvir_config_domain_get_uuid(domain), "8f0d6a4c-2b7e-4d55-9a43-0c1e5f6b7a81");
    ck_assert_int_eq(gvir_config_domain_get_memory(domain), 1024 * 1024);
    ck_assert_int_eq(gvir_config_domain_get_vcpus(domain), 2);
    ck_assert_int_eq(gvir_config_domain_get_virt_type(domain), GVIR_CONFIG_DOMAIN_VIRT_QEMU);
    ck_assert_ptr_nonnull(features);
    ck_assert(g_strv_contains((const char *const *)features, "acpi"));

    /* Direct kernel boot: no boot order on any disk. */
    ck_assert_int_eq(gvir_config_domain_os_get_os_type(os), GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
    ck_assert_str_eq(gvir_config_domain_os_get_arch(os), "x86_64");
    ck_assert_xpath(xml, "string(/domain/os/kernel)", "/srv/vmlinuz");
    ck_assert_xpath(xml, "string(/domain/os/initrd)", "/srv/initrd.img");
    ck_assert_xpath(xml, "string(/domain/os/cmdline)", "console=ttyS0 root=/dev/vda");
    ck_assert_xpath(xml, "count(//boot)", "0");

    /* The cdrom gets sda: sdb is named by the third disk. */
    ck_assert_int_eq(g_list_length(disks), 3);
    check_disk(disks->data, "/srv/web1.qcow2", "vda", GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2,
               GVIR_CONFIG_DOMAIN_DISK_FILE, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
    check_disk(disks->next->data, "/srv/seed.iso", "sda", GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW,
               GVIR_CONFIG_DOMAIN_DISK_FILE, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM);
    check_disk(disks->next->next->data, "/dev/vg0/data", "sdb", GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW,
               GVIR_CONFIG_DOMAIN_DISK_BLOCK, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
    ck_assert_xpath(xml, "string(//disk[target/@dev='vda']/target/@bus)", "virtio");
    ck_assert_xpath(xml, "string(//disk[target/@dev='sda']/target/@bus)", "sata");
    ck_assert_xpath(xml, "string(//disk[target/@dev='sdb']/target/@bus)", "scsi");
    ck_assert_xpath(xml, "count(//disk[target/@dev='vda']/readonly)", "0");
    ck_assert_xpath(xml, "count(//disk[target/@dev='sda']/readonly)", "1");
    ck_assert_xpath(xml, "count(//disk[target/@dev='sdb']/readonly)", "1");

    ck_assert_int_eq(g_list_length(nics), 2);
    ck_assert(GVIR_CONFIG_IS_DOMAIN_INTERFACE_NETWORK(nics->data));
    ck_assert_str_eq(gvir_config_domain_interface_get_model(nics->data), "virtio");
    ck_assert_ptr_null(gvir_config_domain_interface_get_mac(nics->data));
    ck_assert(GVIR_CONFIG_IS_DOMAIN_INTERFACE_BRIDGE(nics->next->data));
    ck_assert_str_eq(gvir_config_domain_interface_get_model(nics->next->data), "e1000");
    ck_assert_str_eq(gvir_config_domain_interface_get_mac(nics->next->data), "52:54:00:AB:CD:EF");
    ck_assert_xpath(xml, "string(//interface[@type='network']/source/@network)", "default");
    ck_assert_xpath(xml, "string(//interface[@type='bridge']/source/@bridge)", "br0");

    /* Both channels: unix, bound, no path (libvirt chooses it). */
    ck_assert_int_eq(g_list_length(channels), 2);
    l = channels;
    for (guint i = 0; i < 2; i++, l = l->next) {
        g_autofree char *expr =
            g_strdup_printf("string(concat(//channel[target/@name='%s']/@type, ':', "
                            "//channel[target/@name='%s']/source/@mode, ':', "
                            "count(//channel[target/@name='%s']/source/@path)))",
                            port_names[i], port_names[i], port_names[i]);

        ck_assert_int_eq(gvir_config_domain_channel_get_target_type(l->data),
                         GVIR_CONFIG_DOMAIN_CHANNEL_TARGET_VIRTIO);
        ck_assert_str_eq(gvir_config_domain_channel_get_target_name(l->data), port_names[i]);
        ck_assert_xpath(xml, expr, "unix:bind:0");
    }

    /* The console goes to the log file; the balloon reports statistics. */
    ck_assert_xpath(xml, "string(/domain/devices/serial/@type)", "file");
    ck_assert_xpath(xml, "string(/domain/devices/serial/source/@path)",
                    "/var/log/vmlink/web1-console.log");
    ck_assert_xpath(xml, "string(/domain/devices/console/@type)", "file");
    ck_assert_xpath(xml, "string(/domain/devices/console/source/@path)",
                    "/var/log/vmlink/web1-console.log");
    ck_assert_xpath(xml, "string(/domain/devices/console/target/@type)", "serial");
    ck_assert_xpath(xml, "string(/domain/devices/memballoon/@model)", "virtio");
    ck_assert_xpath(xml, "count(/domain/devices/memballoon/stats/@period)", "1");

    g_list_free_full(disks, g_object_unref);
    g_list_free_full(nics, g_object_unref);
    g_list_free_full(channels, g_object_unref);
}
END_TEST

START_TEST(test_defaults)
{
    g_autofree char *xml = spec_xml(MIN_SPEC, NULL);
    g_autoptr(GVirConfigDomain) domain = read_domain(xml);
    GList *channels = devices_of(domain, GVIR_CONFIG_TYPE_DOMAIN_CHANNEL);

    ck_assert_str_eq(gvir_config_domain_get_name(domain), "tiny");
    ck_assert_ptr_null(gvir_config_domain_get_uuid(domain)); /* libvirt makes one */
    ck_assert_int_eq(gvir_config_domain_get_memory(domain), 64 * 1024);
    ck_assert_int_eq(gvir_config_domain_get_vcpus(domain), 1);
    ck_assert_int_eq(gvir_config_domain_get_virt_type(domain), GVIR_CONFIG_DOMAIN_VIRT_KVM);
    ck_assert_xpath(xml, "count(/domain/os/kernel)", "0");
    ck_assert_xpath(xml, "count(//disk)", "0");
    ck_assert_xpath(xml, "count(//interface)", "0");
    /* No log file: a pty, for virsh console. */
    ck_assert_xpath(xml, "string(/domain/devices/serial/@type)", "pty");
    ck_assert_xpath(xml, "string(/domain/devices/console/@type)", "pty");
    ck_assert_xpath(xml, "string(/domain/devices/console/target/@type)", "serial");
    ck_assert_xpath(xml, "count(//features/acpi)", "1");
    ck_assert_int_eq(g_list_length(channels), 2);
    g_list_free_full(channels, g_object_unref);
}
END_TEST

/* accel and options choose the domain type. */
static const struct {
    const char *spec;
    VlDomainXmlOptions options;
    GVirConfigDomainVirtType want;
} virt_types[] = {
    {MIN_SPEC, {NULL, NULL}, GVIR_CONFIG_DOMAIN_VIRT_KVM},
    {MIN_SPEC, {"tcg", NULL}, GVIR_CONFIG_DOMAIN_VIRT_QEMU},
    {MIN_SPEC, {"kvm", NULL}, GVIR_CONFIG_DOMAIN_VIRT_KVM},
    {"{\"name\":\"a\",\"memory_mib\":64,\"accel\":\"kvm\"}",
     {"tcg", NULL},
     GVIR_CONFIG_DOMAIN_VIRT_KVM},
    {"{\"name\":\"a\",\"memory_mib\":64,\"accel\":\"tcg\"}",
     {NULL, NULL},
     GVIR_CONFIG_DOMAIN_VIRT_QEMU},
    {"{\"name\":\"a\",\"memory_mib\":64,\"accel\":\"kvm\"}",
     {NULL, "test"},
     GVIR_CONFIG_DOMAIN_VIRT_TEST},
};

START_TEST(test_virt_type)
{
    g_autofree char *xml = spec_xml(virt_types[_i].spec, &virt_types[_i].options);
    g_autoptr(GVirConfigDomain) domain = read_domain(xml);

    ck_assert_int_eq(gvir_config_domain_get_virt_type(domain), virt_types[_i].want);
}
END_TEST

START_TEST(test_unknown_domain_type)
{
    g_autoptr(VlJson) spec = parse(MIN_SPEC);
    g_autoptr(GError) error = NULL;
    VlDomainXmlOptions options = {.domain_type = "bhyve-ish"};
    g_autofree char *xml = vl_domain_xml_from_spec(spec, &options, &error);

    ck_assert_ptr_null(xml);
    /* The bridge's configuration is wrong, not the caller's params. */
    check_error(error, VL_RPC_FAILED, "domain type bhyve-ish", "unknown domain type");
}
END_TEST

/* Checks the catalogue cannot make -------------------------------------------------------- */

#define SPEC(members) "{\"name\":\"web1\",\"memory_mib\":512," members "}"
#define DISK(members) SPEC("\"disks\":[{\"path\":\"/srv/a.img\"}," members "]")
#define NIC(members) SPEC("\"nics\":[{\"network\":\"default\"}," members "]")

static const struct {
    const char *spec;
    const char *prefix; /* of the message: the member, then what to do */
} invalid_specs[] = {
    {"{\"name\":\"web 1\",\"memory_mib\":512}", "spec.name: use letters, digits"},
    {"{\"name\":\"web/1\",\"memory_mib\":512}", "spec.name: use letters, digits"},
    {"{\"name\":\"w\\u00e9b\",\"memory_mib\":512}", "spec.name: use letters, digits"},
    {"{\"name\":\".web\",\"memory_mib\":512}", "spec.name: use letters"},
    {"{\"name\":\"-web\",\"memory_mib\":512}", "spec.name: use letters"},
    {SPEC("\"uuid\":\"8f0d6a4c-2b7e-4d55-9a43-0c1e5f6b7a8g\""), "spec.uuid: must be a UUID"},
    {SPEC("\"uuid\":\"8f0d6a4c2b7e-4d55-9a43-0c1e5f6b7a81-\""), "spec.uuid: must be a UUID"},
    {DISK("{\"path\":\"srv/b.img\"}"), "spec.disks[1].path: must be an absolute path"},
    {DISK("{\"path\":\"/srv/b\\n.img\"}"), "spec.disks[1].path: must not contain control"},
    {DISK("{\"path\":\"/srv/b\\u0085.img\"}"), "spec.disks[1].path: must not contain control"},
    {DISK("{\"path\":\"/srv/b.img\",\"target\":\"vda\"},{\"path\":\"/srv/c.img\","
          "\"target\":\"vda\"}"),
     "spec.disks[2].target: vda is already the target of spec.disks[1]"},
    {DISK("{\"path\":\"/srv/b.img\",\"target\":\"xyz\"}"),
     "spec.disks[1].target: must be a guest disk name"},
    {DISK("{\"path\":\"/srv/b.img\",\"target\":\"vd1\"}"),
     "spec.disks[1].target: must be a guest disk name"},
    {DISK("{\"path\":\"/srv/b.iso\",\"device\":\"cdrom\",\"readonly\":false}"),
     "spec.disks[1].readonly: a cdrom is always read-only"},
    {DISK("{\"path\":\"/srv/b.iso\",\"device\":\"cdrom\",\"bus\":\"virtio\"}"),
     "spec.disks[1].bus: a cdrom cannot be on virtio"},
    {SPEC("\"boot\":{\"kernel\":\"vmlinuz\"}"), "spec.boot.kernel: must be an absolute path"},
    {SPEC("\"boot\":{\"kernel\":\"/srv/vmlinuz\",\"initrd\":\"initrd\"}"),
     "spec.boot.initrd: must be an absolute path"},
    {SPEC("\"boot\":{\"kernel\":\"/srv/vmlinuz\",\"cmdline\":\"a\\u0001b\"}"),
     "spec.boot.cmdline: must not contain control"},
    {SPEC("\"console_log\":\"console.log\""), "spec.console_log: must be an absolute path"},
    {NIC("{\"network\":\"default\",\"bridge\":\"br0\"}"),
     "spec.nics[1]: give exactly one of network or bridge"},
    {NIC("{\"model\":\"virtio\"}"), "spec.nics[1]: give exactly one of network or bridge"},
    {NIC("{\"bridge\":\"br 0\"}"), "spec.nics[1].bridge: must be the name of a host bridge"},
    {NIC("{\"network\":\"default\",\"mac\":\"52:54:00:12:34:5g\"}"),
     "spec.nics[1].mac: must be six hex bytes"},
    {NIC("{\"network\":\"default\",\"mac\":\"52-54-00-12-34-56\"}"),
     "spec.nics[1].mac: must be six hex bytes"},
    {NIC("{\"network\":\"default\",\"mac\":\"01:00:5e:00:00:01\"}"),
     "spec.nics[1].mac: must be a unicast address"},
    {NIC("{\"network\":\"default\",\"mac\":\"ff:ff:ff:ff:ff:ff\"}"),
     "spec.nics[1].mac: must be a unicast address"},
};

START_TEST(test_invalid_spec)
{
    g_autoptr(VlJson) spec = parse(invalid_specs[_i].spec);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;

    ck_assert_msg(catalogue_accepts("vm.define", "spec", spec), "the catalogue already refuses %s",
                  invalid_specs[_i].spec);
    xml = vl_domain_xml_from_spec(spec, NULL, &error);
    ck_assert_ptr_null(xml);
    check_error(error, VL_RPC_INVALID_PARAMS, invalid_specs[_i].prefix, invalid_specs[_i].spec);
}
END_TEST

/* What the catalogue refuses must not crash here either (a caller that skipped it). */
START_TEST(test_unvalidated_spec)
{
    const char *specs[] = {
        "{}",
        "[]",
        "{\"name\":\"web1\"}",
        "{\"name\":\"web1\",\"memory_mib\":\"512\"}",
        "{\"name\":\"web1\",\"memory_mib\":1}",
        "{\"name\":\"web1\",\"memory_mib\":512,\"vcpus\":0}",
        "{\"name\":\"web1\",\"memory_mib\":512,\"accel\":\"xen\"}",
        "{\"name\":\"web1\",\"memory_mib\":512,\"disks\":[{}]}",
        "{\"name\":\"web1\",\"memory_mib\":512,\"disks\":[{\"path\":\"/a\",\"bus\":\"ide\"}]}",
        "{\"name\":\"web1\",\"memory_mib\":512,\"boot\":{}}",
        "{\"name\":\"web1\",\"memory_mib\":512,\"nics\":[{\"network\":\"a\",\"model\":\"x\"}]}",
    };

    for (guint i = 0; i < G_N_ELEMENTS(specs); i++) {
        g_autoptr(VlJson) spec = parse(specs[i]);
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = vl_domain_xml_from_spec(spec, NULL, &error);

        ck_assert_msg(xml == NULL, "accepted %s", specs[i]);
        check_error(error, VL_RPC_INVALID_PARAMS, "spec", specs[i]);
    }
}
END_TEST

/* Target names and boot orders ----------------------------------------------------------- */

START_TEST(test_targets)
{
    /* Named targets are taken first; the others get the first free name on their bus. */
    g_autofree char *xml =
        spec_xml(SPEC("\"disks\":[{\"path\":\"/a\"},{\"path\":\"/b\",\"target\":\"vda\"},"
                      "{\"path\":\"/c\",\"bus\":\"sata\"},{\"path\":\"/d\",\"device\":\"cdrom\"},"
                      "{\"path\":\"/e\",\"bus\":\"scsi\",\"target\":\"sdb\"},{\"path\":\"/f\"},"
                      "{\"path\":\"/g\",\"bus\":\"usb\"},{\"path\":\"/h\",\"device\":\"cdrom\","
                      "\"bus\":\"scsi\"}]"),
                 NULL);
    const char *want[][2] = {{"/a", "vdb"}, {"/b", "vda"}, {"/c", "sda"}, {"/d", "sdc"},
                             {"/e", "sdb"}, {"/f", "vdc"}, {"/g", "sdd"}, {"/h", "sde"}};

    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        g_autofree char *expr =
            g_strdup_printf("string(//disk[source/@file='%s']/target/@dev)", want[i][0]);

        ck_assert_xpath(xml, expr, want[i][1]);
    }
    ck_assert_xpath(xml, "string(//disk[source/@file='/d']/target/@bus)", "sata");
    ck_assert_xpath(xml, "string(//disk[source/@file='/h']/target/@bus)", "scsi");
}
END_TEST

START_TEST(test_many_targets)
{
    g_autoptr(GString) disks = g_string_new(NULL);
    g_autofree char *spec = NULL;
    g_autofree char *xml = NULL;

    for (guint i = 0; i < 32; i++) {
        g_string_append_printf(disks, "%s{\"path\":\"/d%u\"}", i ? "," : "", i);
    }
    spec = g_strdup_printf(SPEC("\"disks\":[%s]"), disks->str);
    xml = spec_xml(spec, NULL);
    /* libvirt's names after vdz: vdaa, vdab... */
    ck_assert_xpath(xml, "string(//disk[source/@file='/d0']/target/@dev)", "vda");
    ck_assert_xpath(xml, "string(//disk[source/@file='/d25']/target/@dev)", "vdz");
    ck_assert_xpath(xml, "string(//disk[source/@file='/d26']/target/@dev)", "vdaa");
    ck_assert_xpath(xml, "string(//disk[source/@file='/d31']/target/@dev)", "vdaf");
}
END_TEST

START_TEST(test_boot_order)
{
    /* No kernel: the firmware boots the disks in the spec's order, whatever their names. */
    g_autofree char *xml =
        spec_xml(SPEC("\"disks\":[{\"path\":\"/srv/b.img\",\"target\":\"vdb\"},"
                      "{\"path\":\"/srv/a.iso\",\"device\":\"cdrom\"},{\"path\":\"/srv/c.img\"}]"),
                 NULL);

    ck_assert_xpath(xml, "string(//disk[target/@dev='vdb']/boot/@order)", "1");
    ck_assert_xpath(xml, "string(//disk[target/@dev='sda']/boot/@order)", "2");
    ck_assert_xpath(xml, "string(//disk[target/@dev='vda']/boot/@order)", "3");
    /* libvirt refuses <os><boot> next to per-device orders. */
    ck_assert_xpath(xml, "count(/domain/os/boot)", "0");
}
END_TEST

/* Device XML ---------------------------------------------------------------------------------- */

static char *
device_xml(const char *text, GError **error)
{
    g_autoptr(VlJson) device = parse(text);

    ck_assert_msg(catalogue_accepts("vm.attach_device", "device", device), "catalogue refuses %s",
                  text);
    return vl_device_xml_from_json(device, error);
}

START_TEST(test_device_disk)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = device_xml("{\"kind\":\"disk\",\"path\":\"/srv/data.qcow2\","
                                      "\"format\":\"qcow2\",\"target\":\"vdc\",\"readonly\":true}",
                                      &error);
    g_autoptr(GVirConfigDomainDisk) disk = NULL;
    g_autofree char *block = NULL;

    ck_assert_msg(xml != NULL, "%s", error ? error->message : "");
    disk = gvir_config_domain_disk_new_from_xml(xml, &error);
    ck_assert_ptr_nonnull(disk);
    check_disk(disk, "/srv/data.qcow2", "vdc", GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2,
               GVIR_CONFIG_DOMAIN_DISK_FILE, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
    ck_assert_xpath(xml, "string(/disk/target/@bus)", "virtio");
    ck_assert_xpath(xml, "count(/disk/readonly)", "1");
    ck_assert_xpath(xml, "count(/disk/boot)", "0");

    block = device_xml("{\"kind\":\"disk\",\"path\":\"/dev/sdc\",\"bus\":\"scsi\","
                       "\"target\":\"sdc\"}",
                       &error);
    ck_assert_ptr_nonnull(block);
    /* libvirt-gconfig reads a block disk's source only inside a domain: XPath here. */
    ck_assert_xpath(block, "string(/disk/@type)", "block");
    ck_assert_xpath(block, "string(/disk/@device)", "disk");
    ck_assert_xpath(block, "string(/disk/source/@dev)", "/dev/sdc");
    ck_assert_xpath(block, "string(/disk/target/@dev)", "sdc");
    ck_assert_xpath(block, "string(/disk/driver/@type)", "raw");
    ck_assert_xpath(block, "string(/disk/target/@bus)", "scsi");
    ck_assert_xpath(block, "count(/disk/readonly)", "0");
}
END_TEST

START_TEST(test_device_nic)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *net = device_xml(
        "{\"kind\":\"nic\",\"network\":\"default\",\"mac\":\"52:54:00:12:34:56\"}", &error);
    g_autofree char *br =
        device_xml("{\"kind\":\"nic\",\"bridge\":\"br0\",\"model\":\"rtl8139\"}", &error);
    g_autoptr(GVirConfigDomainInterface) nic = NULL;

    ck_assert_ptr_nonnull(net);
    ck_assert_ptr_nonnull(br);
    nic =
        GVIR_CONFIG_DOMAIN_INTERFACE(gvir_config_domain_interface_network_new_from_xml(net, NULL));
    ck_assert_ptr_nonnull(nic);
    ck_assert_str_eq(gvir_config_domain_interface_get_mac(nic), "52:54:00:12:34:56");
    ck_assert_str_eq(gvir_config_domain_interface_get_model(nic), "virtio");
    ck_assert_xpath(net, "string(/interface/source/@network)", "default");
    ck_assert_xpath(br, "string(/interface/@type)", "bridge");
    ck_assert_xpath(br, "string(/interface/source/@bridge)", "br0");
    ck_assert_xpath(br, "string(/interface/model/@type)", "rtl8139");
    ck_assert_xpath(br, "count(/interface/mac)", "0");
}
END_TEST

static const struct {
    const char *device;
    gboolean catalogue_ok;
    const char *prefix;
} invalid_devices[] = {
    {"{\"kind\":\"disk\",\"target\":\"vdb\"}", TRUE, "device.path: required"},
    {"{\"kind\":\"disk\",\"path\":\"data.img\",\"target\":\"vdb\"}", TRUE,
     "device.path: must be an absolute path"},
    {"{\"kind\":\"disk\",\"path\":\"/srv/data.img\"}", TRUE, "device.target: required"},
    {"{\"kind\":\"disk\",\"path\":\"/srv/data.img\",\"target\":\"disk2\"}", TRUE,
     "device.target: must be a guest disk name"},
    {"{\"kind\":\"nic\"}", TRUE, "device: give exactly one of network or bridge"},
    {"{\"kind\":\"nic\",\"network\":\"a\",\"bridge\":\"b\"}", TRUE,
     "device: give exactly one of network or bridge"},
    {"{\"kind\":\"nic\",\"network\":\"default\",\"mac\":\"03:54:00:12:34:56\"}", TRUE,
     "device.mac: must be a unicast address"},
    {"{\"kind\":\"nic\",\"network\":\"default\",\"mac\":\"52:54:00:12:34:567\"}", FALSE,
     "device.mac: must be six hex bytes"},
    {"{\"kind\":\"tpm\"}", FALSE, "device.kind: must be disk or nic"},
    {"{}", FALSE, "device.kind: must be disk or nic"},
};

START_TEST(test_invalid_device)
{
    g_autoptr(VlJson) device = parse(invalid_devices[_i].device);
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;

    ck_assert_int_eq(catalogue_accepts("vm.attach_device", "device", device),
                     invalid_devices[_i].catalogue_ok);
    xml = vl_device_xml_from_json(device, &error);
    ck_assert_ptr_null(xml);
    check_error(error, VL_RPC_INVALID_PARAMS, invalid_devices[_i].prefix,
                invalid_devices[_i].device);
}
END_TEST

/* Finding a device -------------------------------------------------------------------------- */

static char *
find(const char *domain_xml, const char *device_text, GError **error)
{
    g_autoptr(VlJson) device = parse(device_text);

    return vl_device_xml_find(domain_xml, device, error);
}

START_TEST(test_find)
{
    g_autofree char *domain_xml = fixture("running-web1.xml");
    g_autoptr(GError) error = NULL;
    g_autofree char *disk = find(domain_xml, "{\"kind\":\"disk\",\"target\":\"vdb\"}", &error);
    g_autofree char *nic = NULL;
    g_autoptr(GVirConfigDomainDisk) parsed = NULL;

    /* As libvirt wrote it, alias and address included, so detaching matches exactly. */
    ck_assert_msg(disk != NULL, "%s", error ? error->message : "");
    parsed = gvir_config_domain_disk_new_from_xml(disk, NULL);
    ck_assert_ptr_nonnull(parsed);
    ck_assert_str_eq(gvir_config_domain_disk_get_source(parsed), "/srv/web1-data.img");
    ck_assert_str_eq(gvir_config_domain_disk_get_target_dev(parsed), "vdb");
    ck_assert_xpath(disk, "string(/disk/alias/@name)", "virtio-disk1");

    /* MACs compare without regard to case. */
    nic = find(domain_xml, "{\"kind\":\"nic\",\"mac\":\"52:54:00:AB:CD:EF\"}", &error);
    ck_assert_msg(nic != NULL, "%s", error ? error->message : "");
    ck_assert_xpath(nic, "string(/interface/@type)", "bridge");
    ck_assert_xpath(nic, "string(/interface/mac/@address)", "52:54:00:ab:cd:ef");
    ck_assert_xpath(nic, "string(/interface/alias/@name)", "net1");
}
END_TEST

START_TEST(test_find_not_found)
{
    g_autofree char *domain_xml = fixture("running-web1.xml");
    struct {
        const char *device;
        VlRpcCode code;
        const char *message;
    } cases[] = {
        {"{\"kind\":\"disk\",\"target\":\"vdz\"}", VL_RPC_NOT_FOUND,
         "no disk with target vdz in web1"},
        {"{\"kind\":\"nic\",\"mac\":\"52:54:00:00:00:01\"}", VL_RPC_NOT_FOUND,
         "no NIC with MAC 52:54:00:00:00:01 in web1"},
        /* A disk is found by target only, a NIC by MAC only. */
        {"{\"kind\":\"disk\",\"mac\":\"52:54:00:12:34:56\"}", VL_RPC_INVALID_PARAMS,
         "device.target: required"},
        {"{\"kind\":\"nic\",\"target\":\"vda\"}", VL_RPC_INVALID_PARAMS, "device.mac: required"},
        {"{\"target\":\"vda\"}", VL_RPC_INVALID_PARAMS, "device.kind: must be disk or nic"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = find(domain_xml, cases[i].device, &error);

        ck_assert_ptr_null(xml);
        check_error(error, cases[i].code, cases[i].message, cases[i].device);
        if (cases[i].code == VL_RPC_NOT_FOUND) {
            ck_assert_str_eq(error->message, cases[i].message);
        }
    }
}
END_TEST

START_TEST(test_find_bad_domain)
{
    const char *bad[] = {"", "<domain", "<network><name>x</name></network>", NULL};

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = find(bad[i], "{\"kind\":\"disk\",\"target\":\"vda\"}", &error);
        VlDomainChannels channels = {NULL, NULL};
        g_autoptr(GError) channels_error = NULL;

        ck_assert_ptr_null(xml);
        check_error(error, VL_RPC_FAILED, "cannot read the domain XML", bad[i] ? bad[i] : "NULL");
        ck_assert(!vl_domain_xml_channels(bad[i], &channels, &channels_error));
        check_error(channels_error, VL_RPC_FAILED, "cannot read the domain XML", "channels");
        ck_assert_ptr_null(channels.agent_path);
        ck_assert_ptr_null(channels.qga_path);
    }
}
END_TEST

/* Channels ------------------------------------------------------------------------------------ */

START_TEST(test_channels_running)
{
    g_autofree char *domain_xml = fixture("running-web1.xml");
    g_autoptr(GError) error = NULL;
    VlDomainChannels channels;

    ck_assert(vl_domain_xml_channels(domain_xml, &channels, &error));
    ck_assert_ptr_null(error);
    ck_assert_str_eq(channels.agent_path,
                     "/var/lib/libvirt/qemu/channel/target/domain-3-web1/org.vmlink.agent.0");
    ck_assert_str_eq(channels.qga_path,
                     "/var/lib/libvirt/qemu/channel/target/domain-3-web1/org.qemu.guest_agent.0");
    vl_domain_channels_clear(&channels);
    ck_assert_ptr_null(channels.agent_path);
    ck_assert_ptr_null(channels.qga_path);
    vl_domain_channels_clear(&channels); /* twice is harmless */
}
END_TEST

START_TEST(test_channels_absent)
{
    /* As defined (no path yet), and a domain without the vmlink channel. */
    g_autofree char *defined = spec_xml(MIN_SPEC, NULL);
    const char *qga_only = "<domain type='kvm'><name>old</name><devices>"
                           "<channel type='unix'><source mode='bind' path='/run/qga.sock'/>"
                           "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
                           "<channel type='unix'><source mode='bind' path='/run/wrong.sock'/>"
                           "<target type='guestfwd' name='org.vmlink.agent.0'/></channel>"
                           "</devices></domain>";
    g_autoptr(GError) error = NULL;
    VlDomainChannels channels;

    ck_assert(vl_domain_xml_channels(defined, &channels, &error));
    ck_assert_ptr_null(channels.agent_path);
    ck_assert_ptr_null(channels.qga_path);
    vl_domain_channels_clear(&channels);

    ck_assert(vl_domain_xml_channels(qga_only, &channels, &error));
    ck_assert_ptr_null(channels.agent_path);
    ck_assert_str_eq(channels.qga_path, "/run/qga.sock");
    vl_domain_channels_clear(&channels);
}
END_TEST

/* libvirt accepts it ------------------------------------------------------------------------- */

static void
quiet(void *data, virErrorPtr error)
{
}

START_TEST(test_libvirt_defines)
{
    const char *specs[] = {
        FULL_SPEC,
        MIN_SPEC,
        SPEC("\"disks\":[{\"path\":\"/srv/b.img\",\"target\":\"vdb\"},"
             "{\"path\":\"/srv/a.iso\",\"device\":\"cdrom\"},{\"path\":\"/dev/sdx\"}],"
             "\"nics\":[{\"network\":\"default\",\"mac\":\"52:54:00:12:34:56\"}],"
             "\"console_log\":\"/var/log/a&b <c>.log\""),
    };
    VlDomainXmlOptions options = {.domain_type = "test"};
    virConnectPtr conn;

    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen("test:///default");
    ck_assert_msg(conn != NULL, "test:///default: %s", virGetLastErrorMessage());

    for (guint i = 0; i < G_N_ELEMENTS(specs); i++) {
        g_autofree char *xml = spec_xml(specs[i], &options);
        virDomainPtr dom = virDomainDefineXML(conn, xml);
        g_autofree char *defined = NULL;
        g_autoptr(GVirConfigDomain) mine = read_domain(xml);
        VlDomainChannels channels;

        ck_assert_msg(dom != NULL, "libvirt refuses %s: %s", xml, virGetLastErrorMessage());
        ck_assert_str_eq(virDomainGetName(dom), gvir_config_domain_get_name(mine));
        defined = virDomainGetXMLDesc(dom, 0);
        ck_assert_ptr_nonnull(defined);
        /* libvirt kept what vmlink relies on. */
        ck_assert_xpath(defined, "count(//channel[@type='unix']/target[@type='virtio'])", "2");
        ck_assert_xpath(defined, "count(//channel/target[@name='" VL_GUEST_PORT_NAME "'])", "1");
        ck_assert_xpath(defined, "count(//channel/target[@name='" VL_QGA_PORT_NAME "'])", "1");
        ck_assert_xpath(defined, "count(//features/acpi)", "1");
        ck_assert_xpath(defined, "string(//memballoon/@model)", "virtio");
        ck_assert(vl_domain_xml_channels(defined, &channels, NULL));
        vl_domain_channels_clear(&channels);
        if (i == 2) {
            g_autofree char *found = NULL;
            g_autofree char *nic = NULL;

            ck_assert_xpath(defined, "string(//disk[target/@dev='vdb']/boot/@order)", "1");
            ck_assert_xpath(defined, "string(//disk[target/@dev='sda']/boot/@order)", "2");
            ck_assert_xpath(defined, "string(//disk[target/@dev='vda']/source/@dev)", "/dev/sdx");
            ck_assert_xpath(defined, "string(//serial/source/@path)", "/var/log/a&b <c>.log");
            found = find(defined, "{\"kind\":\"disk\",\"target\":\"vda\"}", NULL);
            ck_assert_ptr_nonnull(found);
            nic = find(defined, "{\"kind\":\"nic\",\"mac\":\"52:54:00:12:34:56\"}", NULL);
            ck_assert_ptr_nonnull(nic);
        }
        if (i == 0) {
            char uuid[VIR_UUID_STRING_BUFLEN];

            ck_assert_int_eq(virDomainGetUUIDString(dom, uuid), 0);
            ck_assert_str_eq(uuid, "8f0d6a4c-2b7e-4d55-9a43-0c1e5f6b7a81");
            ck_assert_xpath(defined, "string(/domain/os/cmdline)", "console=ttyS0 root=/dev/vda");
        }
        ck_assert_int_eq(virDomainUndefine(dom), 0);
        virDomainFree(dom);
    }
    ck_assert_int_eq(virConnectClose(conn), 0);
}
END_TEST

static Suite *
domain_xml_suite(void)
{
    Suite *s = suite_create("domain-xml");
    TCase *tc;

    tc = tcase_create("spec");
    tcase_add_test(tc, test_full_spec);
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_virt_type, 0, G_N_ELEMENTS(virt_types));
    tcase_add_test(tc, test_unknown_domain_type);
    tcase_add_loop_test(tc, test_invalid_spec, 0, G_N_ELEMENTS(invalid_specs));
    tcase_add_test(tc, test_unvalidated_spec);
    tcase_add_test(tc, test_targets);
    tcase_add_test(tc, test_many_targets);
    tcase_add_test(tc, test_boot_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("device");
    tcase_add_test(tc, test_device_disk);
    tcase_add_test(tc, test_device_nic);
    tcase_add_loop_test(tc, test_invalid_device, 0, G_N_ELEMENTS(invalid_devices));
    tcase_add_test(tc, test_find);
    tcase_add_test(tc, test_find_not_found);
    tcase_add_test(tc, test_find_bad_domain);
    suite_add_tcase(s, tc);

    tc = tcase_create("channels");
    tcase_add_test(tc, test_channels_running);
    tcase_add_test(tc, test_channels_absent);
    suite_add_tcase(s, tc);

    tc = tcase_create("libvirt");
    tcase_add_test(tc, test_libvirt_defines);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(domain_xml_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
