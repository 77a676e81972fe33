/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm.attach_device and vm.detach_device: a disk or a NIC into or out of a VM, running (live),
 * defined (config) or both, the device's XML from vl-domain-xml.
 */
#include <libvirt/virterror.h>
#include <string.h>

#include "vl-jsonrpc.h"
#include "vl-vm-ops-private.h"

/* The domain, device and libvirt flags of a device call, from its params. */
typedef struct {
    virDomainPtr domain;
    const VlJson *device;
    const char *kind; /* "disk" or "nic" */
    unsigned int flags;
    char *what;
} DeviceCall;

static void
device_call_clear(DeviceCall *call)
{
    g_clear_pointer(&call->domain, virDomainFree);
    g_clear_pointer(&call->what, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(DeviceCall, device_call_clear)

static gboolean
device_call_init(DeviceCall *call, virConnectPtr conn, const char *method, const VlJson *params,
                 GError **error)
{
    const char *vm = vl_json_get_string(vl_json_object_get(params, "vm"));
    const VlJson *persistent_member = vl_json_object_get(params, "persistent");
    const char *name;
    int active, domain_persistent;
    gboolean persistent;

    call->device = vl_json_object_get(params, "device");
    call->kind = vl_json_get_string(vl_json_object_get(call->device, "kind"));
    if (vm == NULL || vl_json_kind(call->device) != VL_JSON_OBJECT || call->kind == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                    "%s: vm and device {kind, ...} are required", method);
        return FALSE;
    }
    call->domain = vl_vm_lookup(conn, vm, error);
    if (call->domain == NULL) {
        return FALSE;
    }
    name = virDomainGetName(call->domain);
    call->what = g_strdup_printf("%s %s", method, name);

    active = virDomainIsActive(call->domain);
    domain_persistent = active < 0 ? -1 : virDomainIsPersistent(call->domain);
    if (active < 0 || domain_persistent < 0) {
        vl_vm_set_libvirt_error(error, call->what);
        return FALSE;
    }
    persistent = vl_json_kind(persistent_member) == VL_JSON_BOOL
                     ? vl_json_get_bool(persistent_member)
                     : domain_persistent == 1;
    if (persistent && domain_persistent != 1) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                    "%s: %s is transient (it has no definition to change): persistent must be "
                    "false",
                    call->what, name);
        return FALSE;
    }
    if (!active && !persistent) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT,
                    "%s: %s is not running and persistent is false: there is nothing to change",
                    call->what, name);
        return FALSE;
    }
    call->flags =
        (active ? VIR_DOMAIN_AFFECT_LIVE : 0) | (persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0);
    return TRUE;
}

/* The XML the device call reads: live while the VM runs (what the guest has), else its
 * definition. NULL with libvirt's error set. */
static char *
device_call_domain_xml(const DeviceCall *call)
{
    return virDomainGetXMLDesc(
        call->domain, (call->flags & VIR_DOMAIN_AFFECT_LIVE) ? 0 : VIR_DOMAIN_XML_INACTIVE);
}

/* The target of each disk, or the MAC of each NIC, in a domain's XML; NULL when it does not
 * parse. Called after vl_device_xml_from_json, which has initialised libxml2 for all threads. */
static GHashTable *
device_keys(const char *domain_xml, gboolean disks)
{
    g_autoptr(GVirConfigDomain) config = NULL;
    GHashTable *keys;
    GList *devices;

    config = domain_xml ? gvir_config_domain_new_from_xml(domain_xml, NULL) : NULL;
    if (config == NULL) {
        return NULL;
    }
    keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    devices = gvir_config_domain_get_devices(config);
    for (GList *l = devices; l; l = l->next) {
        const char *key = NULL;

        if (disks && GVIR_CONFIG_IS_DOMAIN_DISK(l->data)) {
            key = gvir_config_domain_disk_get_target_dev(GVIR_CONFIG_DOMAIN_DISK(l->data));
        } else if (!disks && GVIR_CONFIG_IS_DOMAIN_INTERFACE(l->data)) {
            key = gvir_config_domain_interface_get_mac(GVIR_CONFIG_DOMAIN_INTERFACE(l->data));
        }
        if (key) {
            g_hash_table_add(keys, g_strdup(key));
        }
    }
    g_list_free_full(devices, g_object_unref);
    return keys;
}

/*
 * The target or MAC libvirt gave the device just attached: the one after_xml has and
 * before_xml had not. NULL when that cannot be told (either does not parse, or another device
 * came at the same time).
 */
static char *
attached_key(const char *before_xml, const char *after_xml, gboolean disk)
{
    g_autoptr(GHashTable) before = device_keys(before_xml, disk);
    g_autoptr(GHashTable) after = device_keys(after_xml, disk);
    GHashTableIter iter;
    gpointer key;
    const char *found = NULL;

    if (before == NULL || after == NULL) {
        return NULL;
    }
    g_hash_table_iter_init(&iter, after);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (g_hash_table_contains(before, key)) {
            continue;
        }
        if (found) {
            return NULL;
        }
        found = key;
    }
    return g_strdup(found);
}

/* {name, uuid, device}: the device as given, plus key_member = key when it had none. */
static VlJson *
device_result(const DeviceCall *call, const char *key_member, const char *key)
{
    g_autoptr(VlJsonBuilder) builder = vl_vm_begin_result(call->domain);
    g_autoptr(VlJson) keyed = NULL;

    if (key && vl_json_object_get(call->device, key_member) == NULL) {
        keyed = vl_json_object_with_string(call->device, key_member, key);
    }
    vl_json_builder_member(builder, "device");
    vl_json_builder_add_node(builder, keyed ? keyed : call->device);
    vl_json_builder_end_object(builder);
    return vl_json_builder_finish(builder);
}

static const char *
key_member_of(const DeviceCall *call)
{
    return g_strcmp0(call->kind, "disk") == 0 ? "target" : "mac";
}

VlJson *
vl_vm_attach_device(virConnectPtr conn, const VlJson *params, GError **error)
{
    g_auto(DeviceCall) call = {0};
    g_autofree char *device_xml = NULL;
    g_autofree char *before_xml = NULL;
    g_autofree char *after_xml = NULL;
    g_autofree char *key = NULL;
    const char *key_member;

    g_return_val_if_fail(conn != NULL, NULL);

    if (!device_call_init(&call, conn, "vm.attach_device", params, error)) {
        return NULL;
    }
    key_member = key_member_of(&call);
    if (g_strcmp0(call.kind, "disk") == 0 && vl_json_object_get(call.device, "target") == NULL) {
        /* The first free name on the disk's bus, from the domain as it is now. */
        g_autofree char *xml = device_call_domain_xml(&call);
        g_autoptr(VlJson) named = NULL;

        if (xml == NULL) {
            vl_vm_set_libvirt_error(error, call.what);
            return NULL;
        }
        key = vl_domain_xml_free_disk_target(
            xml, vl_json_get_string(vl_json_object_get(call.device, "bus")), error);
        if (key == NULL) {
            g_prefix_error(error, "%s: ", call.what);
            return NULL;
        }
        named = vl_json_object_with_string(call.device, "target", key);
        device_xml = vl_device_xml_from_json(named, error);
    } else {
        device_xml = vl_device_xml_from_json(call.device, error);
    }
    if (device_xml == NULL) {
        g_prefix_error(error, "%s: ", call.what);
        return NULL;
    }

    /* Read back what libvirt chose only when the caller left it to libvirt. */
    if (key == NULL && vl_json_object_get(call.device, key_member) == NULL) {
        before_xml = device_call_domain_xml(&call);
        if (before_xml == NULL) {
            virResetLastError(); /* only the read back is lost */
        }
    }
    if (virDomainAttachDeviceFlags(call.domain, device_xml, call.flags) < 0) {
        vl_vm_set_libvirt_error(error, call.what);
        return NULL;
    }
    if (before_xml) {
        after_xml = device_call_domain_xml(&call);
        if (after_xml == NULL) {
            virResetLastError();
        }
        key = attached_key(before_xml, after_xml, g_strcmp0(call.kind, "disk") == 0);
    }
    return device_result(&call, key_member, key);
}

VlJson *
vl_vm_detach_device(virConnectPtr conn, const VlJson *params, GError **error)
{
    g_auto(DeviceCall) call = {0};
    g_autofree char *domain_xml = NULL;
    g_autofree char *device_xml = NULL;
    const char *key_member;

    g_return_val_if_fail(conn != NULL, NULL);

    if (!device_call_init(&call, conn, "vm.detach_device", params, error)) {
        return NULL;
    }
    key_member = key_member_of(&call);

    /* libvirt wants the device as it has it (a NIC's model and source too), not only its
     * target or MAC: take it from the domain's own XML. */
    domain_xml = device_call_domain_xml(&call);
    if (domain_xml == NULL) {
        vl_vm_set_libvirt_error(error, call.what);
        return NULL;
    }
    device_xml = vl_device_xml_find(domain_xml, call.device, error);
    if (device_xml == NULL) {
        g_prefix_error(error, "%s: ", call.what);
        return NULL;
    }
    /* For a running VM this asks the guest to let go (QEMU waits for it a few seconds); the
     * device may still be there when this returns, and vm.lifecycle does not tell. */
    if (virDomainDetachDeviceFlags(call.domain, device_xml, call.flags) < 0) {
        vl_vm_set_libvirt_error(error, call.what);
        return NULL;
    }
    return device_result(&call, key_member, NULL);
}
