/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM lifecycle through libvirt (vl-vm-ops.c) against libvirt's test driver: test:///default is
 * a fresh in-memory host per connection, with one running persistent domain named "test". Every
 * result is checked against the control catalogue's result fields of its method.
 *
 * libvirt 9.0's test driver has no virDomainAttachDeviceFlags, virDomainDetachDeviceFlags or
 * virDomainQemuMonitorCommand. Each test checks the clean error the real driver gives; to test
 * the rest, this program also defines those three functions, which the linker prefers to
 * libvirt's: with fake.enabled they play a driver that supports them (a device change to a
 * stopped VM's definition is made by redefining it, as libvirt would store it; QMP answers a
 * scripted reply), otherwise they call libvirt's own. The real paths are the system tests'.
 */
#include <check.h>
#include <dlfcn.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "vl-protocol.h"
#include "vl-vm-ops.h"

#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"
#define TEST_MAC "aa:bb:cc:dd:ee:ff"

static virConnectPtr conn;

/* The fake driver functions ----------------------------------------------------------------- */

static struct {
    gboolean enabled;
    int calls;
    unsigned int flags; /* of the last device call */
    char *xml;          /* the device XML or QMP command of the last call */
    const char *reply;  /* QMP: the scripted reply */
} fake;

typedef int (*DeviceFunc)(virDomainPtr, const char *, unsigned int);
typedef int (*QmpFunc)(virDomainPtr, const char *, char **, unsigned int);

static void
fake_record(const char *xml, unsigned int flags)
{
    fake.calls++;
    fake.flags = flags;
    g_free(fake.xml);
    fake.xml = g_strdup(xml);
}

/* Stores a new definition of the domain: its inactive XML with pattern replaced. */
static int
fake_redefine(virDomainPtr domain, const char *pattern, const char *replacement)
{
    g_autofree char *xml = virDomainGetXMLDesc(domain, VIR_DOMAIN_XML_INACTIVE);
    g_autoptr(GRegex) regex = g_regex_new(pattern, G_REGEX_DOTALL, 0, NULL);
    g_autofree char *edited = NULL;
    virDomainPtr redefined;

    ck_assert_ptr_nonnull(xml);
    ck_assert_ptr_nonnull(regex);
    edited = g_regex_replace_literal(regex, xml, -1, 0, replacement, 0, NULL);
    ck_assert_str_ne(edited, xml);
    redefined = virDomainDefineXML(virDomainGetConnect(domain), edited);
    ck_assert_ptr_nonnull(redefined);
    virDomainFree(redefined);
    return 0;
}

int
virDomainAttachDeviceFlags(virDomainPtr domain, const char *xml, unsigned int flags)
{
    g_autofree char *with_device = NULL;

    if (!fake.enabled) {
        return ((DeviceFunc)dlsym(RTLD_NEXT, "virDomainAttachDeviceFlags"))(domain, xml, flags);
    }
    fake_record(xml, flags);
    if (flags & VIR_DOMAIN_AFFECT_LIVE) {
        return 0; /* the test driver has no live device list to change */
    }
    with_device = g_strconcat(xml, "\n</devices>", NULL);
    return fake_redefine(domain, "</devices>", with_device);
}

int
virDomainDetachDeviceFlags(virDomainPtr domain, const char *xml, unsigned int flags)
{
    gboolean disk = g_str_has_prefix(xml, "<disk");
    const char *element = disk ? "disk" : "interface";
    g_autoptr(GRegex) regex = NULL;
    g_autoptr(GMatchInfo) match = NULL;
    g_autofree char *key = NULL;
    g_autofree char *escaped = NULL;
    g_autofree char *pattern = NULL;

    if (!fake.enabled) {
        return ((DeviceFunc)dlsym(RTLD_NEXT, "virDomainDetachDeviceFlags"))(domain, xml, flags);
    }
    fake_record(xml, flags);
    if (flags & VIR_DOMAIN_AFFECT_LIVE) {
        return 0;
    }
    /* The element whose target (disk) or MAC (NIC) the given XML names. */
    regex = g_regex_new(disk ? "<target dev=['\"]([^'\"]+)" : "<mac address=['\"]([^'\"]+)", 0, 0,
                        NULL);
    ck_assert(g_regex_match(regex, xml, 0, &match));
    key = g_match_info_fetch(match, 1);
    escaped = g_regex_escape_string(key, -1);
    pattern = g_strdup_printf("\\s*<%s [^>]*>(?:(?!</%s>).)*['\"]%s['\"](?:(?!</%s>).)*</%s>",
                              element, element, escaped, element, element);
    return fake_redefine(domain, pattern, "");
}

int
virDomainQemuMonitorCommand(virDomainPtr domain, const char *cmd, char **result, unsigned int flags)
{
    if (!fake.enabled) {
        /* This program defines the function, so the linker did not need libvirt-qemu. */
        static void *lib;
        QmpFunc real;

        if (lib == NULL) {
            lib = dlopen("libvirt-qemu.so.0", RTLD_NOW | RTLD_LOCAL);
            ck_assert_msg(lib != NULL, "%s", dlerror());
        }
        real = (QmpFunc)dlsym(lib, "virDomainQemuMonitorCommand");
        ck_assert_ptr_nonnull(real);
        return real(domain, cmd, result, flags);
    }
    fake_record(cmd, flags);
    *result = g_strdup(fake.reply);
    return 0;
}

/* Helpers ----------------------------------------------------------------------------------- */

/* libvirt prints every error to stderr by default; the tests check them instead. */
static void
quiet_libvirt(void *data, virErrorPtr error)
{
}

static void
setup(void)
{
    conn = virConnectOpen("test:///default");
    ck_assert_ptr_nonnull(conn);
}

static void
teardown(void)
{
    g_clear_pointer(&fake.xml, g_free);
    memset(&fake, 0, sizeof(fake));
    ck_assert_int_ge(virConnectClose(conn), 0);
    conn = NULL;
}

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "cannot parse %s: %s", text, error ? error->message : "?");
    return node;
}

/* A result of method, checked against the catalogue; NULL results fail the test. */
static void
expect_result(const char *method, const VlJson *result, const GError *call_error)
{
    const VlEntry *entry = vl_catalogue_lookup(&vl_control_catalogue, method, VL_SENDER_CLIENT);
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;

    ck_assert_msg(result != NULL, "%s failed: %s", method,
                  call_error ? call_error->message : "no error");
    ck_assert_ptr_null(call_error);
    ck_assert_ptr_nonnull(entry);
    ck_assert_ptr_nonnull(entry->result);
    text = vl_json_to_string(result, NULL);
    ck_assert_msg(vl_fields_validate(entry->result, result, "result", &error),
                  "%s: %s does not match the catalogue: %s", method, text, error->message);
    /* Nothing left behind in libvirt's per-thread error. */
    ck_assert_ptr_null(virGetLastError());
}

/* A failure with code whose message contains want (unless NULL). */
static void
expect_error(const VlJson *result, const GError *error, VlRpcCode code, const char *want)
{
    ck_assert_ptr_null(result);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(error->domain == VL_CALL_ERROR && error->code == (int)code,
                  "expected code %d, got %s %d: %s", code, g_quark_to_string(error->domain),
                  error->code, error->message);
    if (want) {
        ck_assert_msg(strstr(error->message, want) != NULL, "\"%s\" does not contain \"%s\"",
                      error->message, want);
    }
    ck_assert_ptr_null(virGetLastError());
}

static const char *
member(const VlJson *node, const char *name)
{
    return vl_json_get_string(vl_json_object_get(node, name));
}

/* The VM's state, as libvirt says it. */
static const char *
state_of(const char *name)
{
    virDomainPtr domain = virDomainLookupByName(conn, name);
    int state, reason;

    ck_assert_ptr_nonnull(domain);
    ck_assert_int_eq(virDomainGetState(domain, &state, &reason, 0), 0);
    virDomainFree(domain);
    return vl_vm_state_name(state);
}

/* Runs an action that must succeed and leave the VM in want_state. */
static void
act_ok(const char *vm, VlVmAction action, const char *method, const char *want_state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_vm_act(conn, vm, action, &error);

    expect_result(method, result, error);
    ck_assert_str_eq(member(result, "name"), "test");
    ck_assert_str_eq(member(result, "uuid"), TEST_UUID);
    ck_assert_str_eq(member(result, "state"), want_state);
}

static void
act_fails(const char *vm, VlVmAction action, VlRpcCode code, const char *want)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_vm_act(conn, vm, action, &error);

    expect_error(result, error, code, want);
}

/* A domain from raw XML, independent of vl-domain-xml.c. */
static void
define_raw(const char *name, gboolean start)
{
    g_autofree char *xml = g_strdup_printf("<domain type='test'><name>%s</name>"
                                           "<memory>65536</memory><vcpu>3</vcpu>"
                                           "<os><type>hvm</type></os></domain>",
                                           name);
    virDomainPtr domain = start ? virDomainCreateXML(conn, xml, 0) : virDomainDefineXML(conn, xml);

    ck_assert_ptr_nonnull(domain);
    virDomainFree(domain);
}

/* Lookup and errors ------------------------------------------------------------------------- */

START_TEST(test_lookup_by_name_and_uuid)
{
    g_autoptr(GError) error = NULL;
    virDomainPtr by_name = vl_vm_lookup(conn, "test", &error);
    virDomainPtr by_uuid;

    ck_assert_ptr_nonnull(by_name);
    ck_assert_str_eq(virDomainGetName(by_name), "test");
    by_uuid = vl_vm_lookup(conn, TEST_UUID, &error);
    ck_assert_ptr_nonnull(by_uuid);
    ck_assert_str_eq(virDomainGetName(by_uuid), "test");
    ck_assert_ptr_null(error);
    virDomainFree(by_name);
    virDomainFree(by_uuid);
}
END_TEST

START_TEST(test_lookup_not_found)
{
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_null(vl_vm_lookup(conn, "web1", &error));
    expect_error(NULL, error, VL_RPC_NOT_FOUND, NULL);
    ck_assert_str_eq(error->message, "no VM named web1 (vmlinkctl vm list shows the VMs)");
    g_clear_error(&error);

    /* A UUID is looked up as one, not as a name. */
    ck_assert_ptr_null(vl_vm_lookup(conn, "6695eb01-f6a4-8304-79aa-97f2502e1930", &error));
    expect_error(NULL, error, VL_RPC_NOT_FOUND,
                 "no VM with UUID 6695eb01-f6a4-8304-79aa-97f2502e1930");
}
END_TEST

/*
 * Each fails one real libvirt call and returns its result at once: any later libvirt call, even
 * virDomainFree or virDomainGetName, resets the thread's error.
 */
static int
trigger_no_domain(virDomainPtr domain)
{
    return virDomainLookupByName(conn, "nope") ? 0 : -1;
}

static int
trigger_operation_invalid(virDomainPtr domain)
{
    ck_assert_int_eq(virDomainDestroy(domain), 0);
    return virDomainDestroy(domain); /* not running */
}

static int
trigger_invalid_arg(virDomainPtr domain)
{
    return virDomainReset(domain, 0x40000000); /* a flag no driver knows */
}

static int
trigger_xml_error(virDomainPtr domain)
{
    return virDomainDefineXML(conn, "<domain type='test'><name>x</name>") ? 0 : -1;
}

static int
trigger_no_support(virDomainPtr domain)
{
    char *reply = NULL;

    return virDomainQemuMonitorCommand(domain, "{}", &reply, 0);
}

static int
trigger_nothing(virDomainPtr domain)
{
    return -1;
}

/* Real libvirt errors, each mapped to its JSON-RPC code with libvirt's message kept. */
static const struct {
    int (*trigger)(virDomainPtr domain);
    VlRpcCode code;
    const char *message;
} libvirt_errors[] = {
    {trigger_no_domain, VL_RPC_NOT_FOUND, "doing it: Domain not found"},
    {trigger_operation_invalid, VL_RPC_CONFLICT,
     "doing it: Requested operation is not valid: domain is not running"},
    {trigger_invalid_arg, VL_RPC_INVALID_PARAMS, "doing it: unsupported flags (0x40000000)"},
    {trigger_xml_error, VL_RPC_INVALID_PARAMS, "doing it: (domain_definition):1: "},
    {trigger_no_support, VL_RPC_FAILED,
     "doing it: this function is not supported by the connection driver"},
    {trigger_nothing, VL_RPC_FAILED, "doing it: libvirt failed without saying why"},
};

START_TEST(test_libvirt_errors)
{
    g_autoptr(GError) error = NULL;
    virDomainPtr domain = virDomainLookupByName(conn, "test");

    ck_assert_ptr_nonnull(domain);
    ck_assert_int_lt(libvirt_errors[_i].trigger(domain), 0);
    vl_vm_set_libvirt_error(&error, "doing it");
    virDomainFree(domain);
    expect_error(NULL, error, libvirt_errors[_i].code, NULL);
    ck_assert_msg(g_str_has_prefix(error->message, libvirt_errors[_i].message),
                  "\"%s\" does not start with \"%s\"", error->message, libvirt_errors[_i].message);
}
END_TEST

START_TEST(test_state_names)
{
    static const struct {
        int state;
        const char *name;
    } states[] = {
        {VIR_DOMAIN_NOSTATE, "nostate"},
        {VIR_DOMAIN_RUNNING, "running"},
        {VIR_DOMAIN_BLOCKED, "blocked"},
        {VIR_DOMAIN_PAUSED, "paused"},
        {VIR_DOMAIN_SHUTDOWN, "shutdown"},
        {VIR_DOMAIN_SHUTOFF, "shutoff"},
        {VIR_DOMAIN_CRASHED, "crashed"},
        {VIR_DOMAIN_PMSUSPENDED, "pmsuspended"},
        {99, "nostate"},
        {-1, "nostate"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(states); i++) {
        g_autofree char *text = g_strdup_printf("{\"name\":\"a\",\"uuid\":\"%s\",\"state\":\"%s\"}",
                                                TEST_UUID, vl_vm_state_name(states[i].state));
        g_autoptr(VlJson) result = parse(text);

        ck_assert_str_eq(vl_vm_state_name(states[i].state), states[i].name);
        /* every name is one the catalogue accepts */
        expect_result("vm.start", result, NULL);
    }
}
END_TEST

/* vm.list ----------------------------------------------------------------------------------- */

START_TEST(test_list)
{
    g_autoptr(GHashTable) agents = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    const VlJson *vms, *vm;
    virDomainPtr stopped;
    char stopped_uuid[VIR_UUID_STRING_BUFLEN];
    VlVmAgent qga = {"responsive", "qemu-ga"};
    VlVmAgent bogus = {"bogus", "vmlink"};        /* not a state: absent */
    VlVmAgent transient = {"connected", "other"}; /* not a kind: left out */
    char transient_uuid[VIR_UUID_STRING_BUFLEN];
    virDomainPtr domain;

    define_raw("b-stopped", FALSE);
    define_raw("a-transient", TRUE);
    stopped = virDomainLookupByName(conn, "b-stopped");
    ck_assert_int_eq(virDomainGetUUIDString(stopped, stopped_uuid), 0);
    virDomainFree(stopped);
    g_hash_table_insert(agents, (char *)TEST_UUID, &qga);
    g_hash_table_insert(agents, stopped_uuid, &bogus);
    domain = virDomainLookupByName(conn, "a-transient");
    ck_assert_int_eq(virDomainGetUUIDString(domain, transient_uuid), 0);
    virDomainFree(domain);
    g_hash_table_insert(agents, transient_uuid, &transient);

    result = vl_vm_list(conn, agents, &error);
    expect_result("vm.list", result, error);
    vms = vl_json_object_get(result, "vms");
    ck_assert_uint_eq(vl_json_array_length(vms), 3);

    /* Sorted by name. */
    vm = vl_json_array_get(vms, 0);
    ck_assert_str_eq(member(vm, "name"), "a-transient");
    ck_assert_str_eq(member(vm, "state"), "running");
    ck_assert(!vl_json_get_bool(vl_json_object_get(vm, "persistent")));
    ck_assert_int_gt(vl_json_get_int(vl_json_object_get(vm, "id")), 1);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "memory_kib")), 65536);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "vcpus")), 3);
    ck_assert_str_eq(member(vm, "agent"), "connected");
    ck_assert_ptr_null(vl_json_object_get(vm, "agent_kind"));

    vm = vl_json_array_get(vms, 1);
    ck_assert_str_eq(member(vm, "name"), "b-stopped");
    ck_assert_str_eq(member(vm, "uuid"), stopped_uuid);
    ck_assert_str_eq(member(vm, "state"), "shutoff");
    ck_assert(vl_json_get_bool(vl_json_object_get(vm, "persistent")));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "id")), -1);
    ck_assert_str_eq(member(vm, "agent"), "absent");
    ck_assert_ptr_null(vl_json_object_get(vm, "agent_kind"));

    vm = vl_json_array_get(vms, 2);
    ck_assert_str_eq(member(vm, "name"), "test");
    ck_assert_str_eq(member(vm, "uuid"), TEST_UUID);
    ck_assert_str_eq(member(vm, "state"), "running");
    ck_assert(vl_json_get_bool(vl_json_object_get(vm, "persistent")));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "id")), 1);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "memory_kib")), 8388608);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "vcpus")), 2);
    ck_assert_str_eq(member(vm, "agent"), "responsive");
    ck_assert_str_eq(member(vm, "agent_kind"), "qemu-ga");
}
END_TEST

START_TEST(test_list_without_agents)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_vm_list(conn, NULL, &error);
    const VlJson *vms;

    expect_result("vm.list", result, error);
    vms = vl_json_object_get(result, "vms");
    ck_assert_uint_eq(vl_json_array_length(vms), 1);
    ck_assert_str_eq(member(vl_json_array_get(vms, 0), "agent"), "absent");
}
END_TEST

/* Lifecycle actions ------------------------------------------------------------------------- */

START_TEST(test_pause_resume)
{
    act_ok("test", VL_VM_PAUSE, "vm.pause", "paused");
    ck_assert_str_eq(state_of("test"), "paused");
    act_fails("test", VL_VM_PAUSE, VL_RPC_CONFLICT, "test is already paused");
    act_fails("test", VL_VM_START, VL_RPC_CONFLICT,
              "test is already paused (vm resume runs its CPUs again)");
    act_ok(TEST_UUID, VL_VM_RESUME, "vm.resume", "running");
    ck_assert_str_eq(state_of("test"), "running");
    act_fails("test", VL_VM_RESUME, VL_RPC_CONFLICT, "test is not paused (running)");
}
END_TEST

START_TEST(test_running_conflicts)
{
    act_fails("test", VL_VM_START, VL_RPC_CONFLICT, "test is already running");
    act_fails("test", VL_VM_START_PAUSED, VL_RPC_CONFLICT, "test is already running");
    act_fails("test", VL_VM_UNDEFINE, VL_RPC_CONFLICT,
              "test is running: vm destroy or vm shutdown it first");
    ck_assert_str_eq(state_of("test"), "running");
}
END_TEST

START_TEST(test_reboot_reset)
{
    /* The test driver reboots and resets at once: running again right after. */
    act_ok("test", VL_VM_REBOOT, "vm.reboot", "running");
    act_ok("test", VL_VM_RESET, "vm.reset", "running");
}
END_TEST

START_TEST(test_shutdown_start_destroy)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_vm_act(conn, "test", VL_VM_SHUTDOWN_ACPI, &error);
    g_autoptr(VlJsonBuilder) builder = vl_json_builder_new();
    g_autoptr(VlJson) with_via = NULL;

    /* The test driver refuses the ACPI flag; the default shutdown stops it at once. vm.shutdown's
     * answer is this plus "via", which the dispatcher adds. */
    ck_assert_ptr_nonnull(result);
    ck_assert_str_eq(member(result, "state"), "shutoff");
    vl_json_builder_begin_object(builder);
    vl_json_builder_member(builder, "name");
    vl_json_builder_add_string(builder, member(result, "name"));
    vl_json_builder_member(builder, "uuid");
    vl_json_builder_add_string(builder, member(result, "uuid"));
    vl_json_builder_member(builder, "state");
    vl_json_builder_add_string(builder, member(result, "state"));
    vl_json_builder_member(builder, "via");
    vl_json_builder_add_string(builder, "acpi");
    vl_json_builder_end_object(builder);
    with_via = vl_json_builder_finish(builder);
    expect_result("vm.shutdown", with_via, error);
    ck_assert_str_eq(state_of("test"), "shutoff");

    act_fails("test", VL_VM_SHUTDOWN_ACPI, VL_RPC_CONFLICT, "test is not running (shutoff)");
    act_fails("test", VL_VM_DESTROY, VL_RPC_CONFLICT, "test is not running (shutoff)");
    act_fails("test", VL_VM_REBOOT, VL_RPC_CONFLICT, "test is not running (shutoff)");
    act_fails("test", VL_VM_RESET, VL_RPC_CONFLICT, "test is not running (shutoff)");
    act_fails("test", VL_VM_PAUSE, VL_RPC_CONFLICT, "test is not running (shutoff)");
    act_fails("test", VL_VM_RESUME, VL_RPC_CONFLICT, "test is not paused (shutoff)");

    act_ok("test", VL_VM_START, "vm.start", "running");
    act_ok("test", VL_VM_DESTROY, "vm.destroy", "shutoff");
    ck_assert_str_eq(state_of("test"), "shutoff");
}
END_TEST

START_TEST(test_start_paused_unsupported)
{
    /* The test driver cannot start with stopped CPUs; starting them anyway would not be what
     * was asked: libvirt's refusal comes back and the VM stays off. */
    act_ok("test", VL_VM_DESTROY, "vm.destroy", "shutoff");
    act_fails("test", VL_VM_START_PAUSED, VL_RPC_INVALID_PARAMS,
              "vm.start test: unsupported flags (0x1)");
    ck_assert_str_eq(state_of("test"), "shutoff");
}
END_TEST

START_TEST(test_undefine)
{
    g_autoptr(GError) error = NULL;
    virDomainPtr gone;

    act_ok("test", VL_VM_DESTROY, "vm.destroy", "shutoff");
    /* The test driver has no NVRAM flag: undefine falls back to the flags it has. */
    act_ok("test", VL_VM_UNDEFINE, "vm.undefine", "shutoff");
    gone = vl_vm_lookup(conn, "test", &error);
    ck_assert_ptr_null(gone);
    expect_error(NULL, error, VL_RPC_NOT_FOUND, "no VM named test");
    act_fails("test", VL_VM_UNDEFINE, VL_RPC_NOT_FOUND, "no VM named test");
}
END_TEST

START_TEST(test_undefine_transient)
{
    define_raw("temp", TRUE);
    act_fails("temp", VL_VM_UNDEFINE, VL_RPC_CONFLICT,
              "temp is running: vm destroy or vm shutdown it first");
    act_ok("test", VL_VM_RESET, "vm.reset", "running"); /* others are unaffected */
}
END_TEST

START_TEST(test_act_not_found)
{
    for (VlVmAction action = VL_VM_START; action <= VL_VM_UNDEFINE; action++) {
        act_fails("web1", action, VL_RPC_NOT_FOUND, "no VM named web1");
    }
}
END_TEST

/* vm.define --------------------------------------------------------------------------------- */

#define WEB1_SPEC                                                                                  \
    "{\"name\":\"web1\",\"memory_mib\":64,\"vcpus\":2,\"accel\":\"tcg\","                          \
    "\"disks\":[{\"path\":\"/var/lib/vmlink/web1.img\"}],\"nics\":[{\"network\":\"default\"}]}"

static VlJson *
define(const char *spec_text, GError **error)
{
    g_autoptr(VlJson) spec = parse(spec_text);
    /* Whatever the options say, the test driver gets domains of type "test". */
    VlDomainXmlOptions options = {.default_accel = "kvm", .domain_type = "kvm"};

    return vl_vm_define(conn, spec, &options, error);
}

START_TEST(test_define_lifecycle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = define(WEB1_SPEC, &error);
    g_autoptr(VlJson) list = NULL;
    g_autoptr(VlJson) started = NULL;
    g_autoptr(VlJson) destroyed = NULL;
    g_autoptr(VlJson) undefined = NULL;
    const VlJson *vm;
    virDomainPtr domain;

    expect_result("vm.define", result, error);
    ck_assert_str_eq(member(result, "name"), "web1");
    ck_assert_str_eq(member(result, "state"), "shutoff");
    domain = virDomainLookupByName(conn, "web1");
    ck_assert_ptr_nonnull(domain);
    ck_assert_int_eq(virDomainIsPersistent(domain), 1);
    virDomainFree(domain);

    list = vl_vm_list(conn, NULL, &error);
    expect_result("vm.list", list, error);
    ck_assert_uint_eq(vl_json_array_length(vl_json_object_get(list, "vms")), 2);
    vm = vl_json_array_get(vl_json_object_get(list, "vms"), 1);
    ck_assert_str_eq(member(vm, "name"), "web1");
    ck_assert_str_eq(member(vm, "uuid"), member(result, "uuid"));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "memory_kib")), 64 * 1024);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vm, "vcpus")), 2);

    started = vl_vm_act(conn, "web1", VL_VM_START, &error);
    expect_result("vm.start", started, error);
    ck_assert_str_eq(member(started, "state"), "running");
    destroyed = vl_vm_act(conn, member(result, "uuid"), VL_VM_DESTROY, &error);
    expect_result("vm.destroy", destroyed, error);
    ck_assert_str_eq(member(destroyed, "state"), "shutoff");
    undefined = vl_vm_act(conn, "web1", VL_VM_UNDEFINE, &error);
    expect_result("vm.undefine", undefined, error);
    ck_assert_str_eq(member(undefined, "uuid"), member(result, "uuid"));
    domain = virDomainLookupByName(conn, "web1");
    ck_assert_ptr_null(domain);
    virResetLastError();
}
END_TEST

START_TEST(test_define_existing)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = define("{\"name\":\"test\",\"memory_mib\":64}", &error);
    virDomainPtr domain;

    /* libvirt would have replaced test's definition without a word. */
    expect_error(result, error, VL_RPC_CONFLICT, "vm.define test: a VM named test exists already");
    domain = virDomainLookupByName(conn, "test");
    ck_assert_int_eq(virDomainGetMaxMemory(domain), 8388608);
    virDomainFree(domain);
    g_clear_error(&error);

    result = define("{\"name\":\"other\",\"uuid\":\"" TEST_UUID "\",\"memory_mib\":64}", &error);
    expect_error(result, error, VL_RPC_CONFLICT, "VM test has the UUID " TEST_UUID " already");
}
END_TEST

START_TEST(test_define_invalid)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = define("{\"memory_mib\":64}", &error);

    expect_error(result, error, VL_RPC_INVALID_PARAMS, "vm.define: spec.name is missing");
    g_clear_error(&error);
    /* A disk path that is not absolute: vl-domain-xml.c refuses it, nothing is defined. */
    result =
        define("{\"name\":\"web2\",\"memory_mib\":64,\"disks\":[{\"path\":\"web2.img\"}]}", &error);
    expect_error(result, error, VL_RPC_INVALID_PARAMS, NULL);
    ck_assert_ptr_null(virDomainLookupByName(conn, "web2"));
    virResetLastError();
}
END_TEST

/* vm.attach_device, vm.detach_device -------------------------------------------------------- */

#define DISK_VDB "{\"kind\":\"disk\",\"path\":\"/var/lib/vmlink/data.img\",\"target\":\"vdb\"}"
#define NIC_NEW "{\"kind\":\"nic\",\"network\":\"default\"}"

static VlJson *
device_call(VlJson *(*func)(virConnectPtr, const VlJson *, GError **), const char *vm,
            const char *device, const char *persistent, GError **error)
{
    g_autofree char *text =
        g_strdup_printf("{\"vm\":\"%s\",\"device\":%s%s%s}", vm, device,
                        persistent ? ",\"persistent\":" : "", persistent ? persistent : "");
    g_autoptr(VlJson) params = parse(text);

    return func(conn, params, error);
}

/* The domain's XML (live or inactive) has str in it. */
static gboolean
xml_has(const char *name, unsigned int flags, const char *str)
{
    virDomainPtr domain = virDomainLookupByName(conn, name);
    g_autofree char *xml = virDomainGetXMLDesc(domain, flags);

    virDomainFree(domain);
    ck_assert_ptr_nonnull(xml);
    return strstr(xml, str) != NULL;
}

START_TEST(test_attach_unsupported)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = device_call(vl_vm_attach_device, "test", DISK_VDB, NULL, &error);

    expect_error(result, error, VL_RPC_FAILED,
                 "vm.attach_device test: this function is not supported by the connection "
                 "driver: virDomainAttachDeviceFlags");
    g_clear_error(&error);
    result = device_call(vl_vm_detach_device, "test", "{\"kind\":\"nic\",\"mac\":\"" TEST_MAC "\"}",
                         NULL, &error);
    expect_error(result, error, VL_RPC_FAILED, "virDomainDetachDeviceFlags");
}
END_TEST

START_TEST(test_device_params)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;

    fake.enabled = TRUE;
    result = device_call(vl_vm_attach_device, "web1", DISK_VDB, NULL, &error);
    expect_error(result, error, VL_RPC_NOT_FOUND, "no VM named web1");
    g_clear_error(&error);

    /* A transient VM has no definition to change. */
    define_raw("temp", TRUE);
    result = device_call(vl_vm_attach_device, "temp", DISK_VDB, "true", &error);
    expect_error(result, error, VL_RPC_INVALID_PARAMS, "vm.attach_device temp: temp is transient");
    g_clear_error(&error);

    /* A stopped VM whose definition must not change: nothing left to change. */
    act_ok("test", VL_VM_DESTROY, "vm.destroy", "shutoff");
    result = device_call(vl_vm_attach_device, "test", DISK_VDB, "false", &error);
    expect_error(result, error, VL_RPC_CONFLICT, "test is not running and persistent is false");
    g_clear_error(&error);
    result = device_call(vl_vm_detach_device, "test", "{\"kind\":\"disk\",\"target\":\"vda\"}",
                         "false", &error);
    expect_error(result, error, VL_RPC_CONFLICT, "test is not running and persistent is false");
    g_clear_error(&error);

    /* Detach names its device: a disk by target, a NIC by MAC. */
    result = device_call(vl_vm_detach_device, "test", "{\"kind\":\"disk\",\"path\":\"/a\"}", NULL,
                         &error);
    expect_error(result, error, VL_RPC_INVALID_PARAMS, "vm.detach_device test: device.target");
    g_clear_error(&error);
    result = device_call(vl_vm_detach_device, "test", NIC_NEW, NULL, &error);
    expect_error(result, error, VL_RPC_INVALID_PARAMS, "vm.detach_device test: device.mac");
    ck_assert_int_eq(fake.calls, 0);
}
END_TEST

START_TEST(test_detach_missing)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;

    /* Looked up in the domain's XML before libvirt is asked (it would not be, here). */
    fake.enabled = TRUE;
    result = device_call(vl_vm_detach_device, "test", "{\"kind\":\"disk\",\"target\":\"vdz\"}",
                         NULL, &error);
    expect_error(result, error, VL_RPC_NOT_FOUND, "vm.detach_device test: ");
    g_clear_error(&error);
    result = device_call(vl_vm_detach_device, "test",
                         "{\"kind\":\"nic\",\"mac\":\"52:54:00:00:00:99\"}", NULL, &error);
    expect_error(result, error, VL_RPC_NOT_FOUND, "vm.detach_device test: ");
    ck_assert_int_eq(fake.calls, 0);
}
END_TEST

START_TEST(test_attach_detach_running)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(VlJson) device = parse(DISK_VDB);
    g_autofree char *device_xml = vl_device_xml_from_json(device, &error);
    const VlJson *got;

    ck_assert_ptr_nonnull(device_xml);
    fake.enabled = TRUE;

    /* A running persistent VM: the guest and the definition, unless persistent is false. */
    result = device_call(vl_vm_attach_device, "test", DISK_VDB, NULL, &error);
    expect_result("vm.attach_device", result, error);
    ck_assert_uint_eq(fake.flags, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG);
    ck_assert_str_eq(fake.xml, device_xml);
    ck_assert_str_eq(member(result, "name"), "test");
    ck_assert_str_eq(member(result, "uuid"), TEST_UUID);
    got = vl_json_object_get(result, "device");
    ck_assert_str_eq(member(got, "kind"), "disk");
    ck_assert_str_eq(member(got, "path"), "/var/lib/vmlink/data.img");
    ck_assert_str_eq(member(got, "target"), "vdb");
    g_clear_pointer(&result, vl_json_unref);

    result = device_call(vl_vm_attach_device, "test", DISK_VDB, "false", &error);
    expect_result("vm.attach_device", result, error);
    ck_assert_uint_eq(fake.flags, VIR_DOMAIN_AFFECT_LIVE);
    g_clear_pointer(&result, vl_json_unref);

    /* Detach hands libvirt the NIC as the live XML has it, found by its MAC. */
    result = device_call(vl_vm_detach_device, "test", "{\"kind\":\"nic\",\"mac\":\"" TEST_MAC "\"}",
                         NULL, &error);
    expect_result("vm.detach_device", result, error);
    ck_assert_uint_eq(fake.flags, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG);
    ck_assert(g_regex_match_simple("<mac address=.?" TEST_MAC, fake.xml, 0, 0));
    ck_assert(g_regex_match_simple("<source network=.?default", fake.xml, 0, 0));
    got = vl_json_object_get(result, "device");
    ck_assert_str_eq(member(got, "kind"), "nic");
    ck_assert_str_eq(member(got, "mac"), TEST_MAC);
    ck_assert_int_eq(fake.calls, 3);
}
END_TEST

START_TEST(test_attach_detach_stopped)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autofree char *detach = NULL;
    g_autofree char *mac_attr = NULL;
    g_autofree char *mac = NULL;

    act_ok("test", VL_VM_DESTROY, "vm.destroy", "shutoff");
    fake.enabled = TRUE;

    /* A stopped VM: its definition only. */
    result = device_call(vl_vm_attach_device, "test", DISK_VDB, NULL, &error);
    expect_result("vm.attach_device", result, error);
    ck_assert_uint_eq(fake.flags, VIR_DOMAIN_AFFECT_CONFIG);
    ck_assert(xml_has("test", VIR_DOMAIN_XML_INACTIVE, "<target dev='vdb'"));
    g_clear_pointer(&result, vl_json_unref);

    /* A NIC without a MAC: libvirt picks one, and the result says which. */
    result = device_call(vl_vm_attach_device, "test", NIC_NEW, NULL, &error);
    expect_result("vm.attach_device", result, error);
    mac = g_strdup(member(vl_json_object_get(result, "device"), "mac"));
    ck_assert_ptr_nonnull(mac);
    ck_assert_str_ne(mac, TEST_MAC);
    mac_attr = g_strdup_printf("<mac address='%s'/>", mac);
    ck_assert(xml_has("test", VIR_DOMAIN_XML_INACTIVE, mac_attr));
    ck_assert_str_eq(member(vl_json_object_get(result, "device"), "network"), "default");

    /* Both go again: the disk by target, the NIC by the MAC libvirt gave it. */
    g_clear_pointer(&result, vl_json_unref);
    result = device_call(vl_vm_detach_device, "test", "{\"kind\":\"disk\",\"target\":\"vdb\"}",
                         NULL, &error);
    expect_result("vm.detach_device", result, error);
    ck_assert_uint_eq(fake.flags, VIR_DOMAIN_AFFECT_CONFIG);
    ck_assert(!xml_has("test", VIR_DOMAIN_XML_INACTIVE, "<target dev='vdb'"));
    ck_assert(xml_has("test", VIR_DOMAIN_XML_INACTIVE, "<target dev='vda'"));

    detach = g_strdup_printf("{\"kind\":\"nic\",\"mac\":\"%s\"}", mac);
    g_clear_pointer(&result, vl_json_unref);
    result = device_call(vl_vm_detach_device, "test", detach, NULL, &error);
    expect_result("vm.detach_device", result, error);
    ck_assert(!xml_has("test", VIR_DOMAIN_XML_INACTIVE, mac_attr));
    ck_assert(xml_has("test", VIR_DOMAIN_XML_INACTIVE, "<mac address='" TEST_MAC "'/>"));

    /* Gone means gone. */
    g_clear_pointer(&result, vl_json_unref);
    result = device_call(vl_vm_detach_device, "test", detach, NULL, &error);
    expect_error(result, error, VL_RPC_NOT_FOUND, NULL);
    ck_assert_int_eq(fake.calls, 4);
}
END_TEST

START_TEST(test_attach_disk_without_target)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) first = NULL;
    g_autoptr(VlJson) second = NULL;
    g_autoptr(VlJson) sata = NULL;

    act_ok("test", VL_VM_DESTROY, "vm.destroy", "shutoff");
    fake.enabled = TRUE;
    /* The test domain has vda: the next free names are vdb, then vdc; sata starts at sda. */
    first = device_call(vl_vm_attach_device, "test",
                        "{\"kind\":\"disk\",\"path\":\"/var/lib/x.img\"}", NULL, &error);
    expect_result("vm.attach_device", first, error);
    ck_assert_str_eq(member(vl_json_object_get(first, "device"), "target"), "vdb");
    ck_assert(xml_has("test", VIR_DOMAIN_XML_INACTIVE, "<target dev='vdb'"));
    second = device_call(vl_vm_attach_device, "test",
                         "{\"kind\":\"disk\",\"path\":\"/var/lib/y.img\"}", NULL, &error);
    expect_result("vm.attach_device", second, error);
    ck_assert_str_eq(member(vl_json_object_get(second, "device"), "target"), "vdc");
    sata = device_call(vl_vm_attach_device, "test",
                       "{\"kind\":\"disk\",\"path\":\"/var/lib/z.img\",\"bus\":\"sata\"}", NULL,
                       &error);
    expect_result("vm.attach_device", sata, error);
    ck_assert_str_eq(member(vl_json_object_get(sata, "device"), "target"), "sda");
}
END_TEST

/* vm.qmp ------------------------------------------------------------------------------------ */

static VlJson *
qmp(const char *vm, const char *command, GError **error)
{
    g_autoptr(VlJson) node = parse(command);

    return vl_vm_qmp(conn, vm, node, error);
}

START_TEST(test_qmp_unsupported)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = qmp("test", "{\"execute\":\"query-status\"}", &error);

    expect_error(result, error, VL_RPC_FAILED,
                 "vm.qmp test: this function is not supported by the connection driver: "
                 "virDomainQemuMonitorCommand");
    g_clear_error(&error);
    result = qmp("web1", "{\"execute\":\"query-status\"}", &error);
    expect_error(result, error, VL_RPC_NOT_FOUND, "no VM named web1");
}
END_TEST

START_TEST(test_qmp_return)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    const VlJson *value;

    fake.enabled = TRUE;
    fake.reply = "{\"return\":{\"status\":\"running\",\"singlestep\":false,\"running\":true},"
                 "\"id\":\"libvirt-12\"}";
    result = qmp("test", "{\"execute\":\"query-status\",\"arguments\":{}}", &error);
    expect_result("vm.qmp", result, error);
    ck_assert_str_eq(fake.xml, "{\"execute\":\"query-status\",\"arguments\":{}}");
    ck_assert_uint_eq(vl_json_object_size(result), 1);
    value = vl_json_object_get(result, "return");
    ck_assert_str_eq(member(value, "status"), "running");
    ck_assert(vl_json_get_bool(vl_json_object_get(value, "running")));
    g_clear_pointer(&result, vl_json_unref);

    /* Any value QEMU returns, empty object included. */
    fake.reply = "{\"return\":{}}";
    result = qmp("test", "{\"execute\":\"cont\"}", &error);
    expect_result("vm.qmp", result, error);
    ck_assert_uint_eq(vl_json_object_size(vl_json_object_get(result, "return")), 0);
}
END_TEST

/* Replies vl_vm_qmp must turn into VL_RPC_FAILED, and the start of the message. */
static const struct {
    const char *reply;
    const char *message;
} qmp_replies[] = {
    {"{\"id\":\"libvirt-3\",\"error\":{\"class\":\"GenericError\","
     "\"desc\":\"The command nope has not been found\"}}",
     "QMP GenericError: The command nope has not been found"},
    {"{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'x' not found\"}}",
     "QMP DeviceNotFound: Device 'x' not found"},
    {"{\"error\":{}}", "QMP GenericError: (no description)"},
    {"{\"id\":\"libvirt-4\"}", "vm.qmp test: QEMU's reply has neither return nor error"},
    {"[1]", "vm.qmp test: QEMU's reply has neither return nor error"},
    {"{\"return\":1,}", "vm.qmp test: QEMU's reply is not usable: "},
    {"{\"return\":1} {\"return\":2}", "vm.qmp test: QEMU's reply is not usable: "},
    {"{\"return\":123456789012345678901234567890}", "vm.qmp test: QEMU's reply is not usable"},
    {NULL, "vm.qmp test: QEMU's reply is not usable: none"},
};

START_TEST(test_qmp_errors)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;

    fake.enabled = TRUE;
    fake.reply = qmp_replies[_i].reply;
    result = qmp("test", "{\"execute\":\"nope\"}", &error);
    expect_error(result, error, VL_RPC_FAILED, NULL);
    ck_assert_msg(g_str_has_prefix(error->message, qmp_replies[_i].message),
                  "\"%s\" does not start with \"%s\"", error->message, qmp_replies[_i].message);
}
END_TEST

START_TEST(test_qmp_too_deep)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(GString) reply = g_string_new("{\"return\":");

    /* Nested one level deeper than a response frame may be: refused, not passed on. */
    for (int i = 0; i < VL_FRAME_DEFAULT_MAX_DEPTH; i++) {
        g_string_append_c(reply, '[');
    }
    for (int i = 0; i < VL_FRAME_DEFAULT_MAX_DEPTH; i++) {
        g_string_append_c(reply, ']');
    }
    g_string_append_c(reply, '}');
    fake.enabled = TRUE;
    fake.reply = reply->str;
    result = qmp("test", "{\"execute\":\"x\"}", &error);
    expect_error(result, error, VL_RPC_FAILED, "QEMU's reply is not usable");
}
END_TEST

static Suite *
vm_ops_suite(void)
{
    Suite *s = suite_create("vm-ops");
    TCase *tc;

    tc = tcase_create("lookup");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_lookup_by_name_and_uuid);
    tcase_add_test(tc, test_lookup_not_found);
    tcase_add_loop_test(tc, test_libvirt_errors, 0, G_N_ELEMENTS(libvirt_errors));
    tcase_add_test(tc, test_state_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("list");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_list_without_agents);
    suite_add_tcase(s, tc);

    tc = tcase_create("actions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pause_resume);
    tcase_add_test(tc, test_running_conflicts);
    tcase_add_test(tc, test_reboot_reset);
    tcase_add_test(tc, test_shutdown_start_destroy);
    tcase_add_test(tc, test_start_paused_unsupported);
    tcase_add_test(tc, test_undefine);
    tcase_add_test(tc, test_undefine_transient);
    tcase_add_test(tc, test_act_not_found);
    suite_add_tcase(s, tc);

    tc = tcase_create("define");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_define_lifecycle);
    tcase_add_test(tc, test_define_existing);
    tcase_add_test(tc, test_define_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("devices");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_attach_unsupported);
    tcase_add_test(tc, test_device_params);
    tcase_add_test(tc, test_detach_missing);
    tcase_add_test(tc, test_attach_detach_running);
    tcase_add_test(tc, test_attach_detach_stopped);
    tcase_add_test(tc, test_attach_disk_without_target);
    suite_add_tcase(s, tc);

    tc = tcase_create("qmp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_qmp_unsupported);
    tcase_add_test(tc, test_qmp_return);
    tcase_add_loop_test(tc, test_qmp_errors, 0, G_N_ELEMENTS(qmp_replies));
    tcase_add_test(tc, test_qmp_too_deep);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(vm_ops_suite());
    int failed;

    virSetErrorFunc(NULL, quiet_libvirt);
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
