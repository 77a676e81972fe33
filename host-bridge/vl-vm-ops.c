/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM lifecycle through libvirt. Every function runs on a worker thread and reads libvirt's error
 * on that thread (libvirt keeps it per thread), turns it into a VL_CALL_ERROR and resets it, so
 * no stale error is left for the next call on the same thread.
 */
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "vl-frame.h"
#include "vl-json-check.h"
#include "vl-jsonrpc.h"
#include "vl-vm-ops-private.h"

void
vl_vm_domain_free(virDomain *domain)
{
    virDomainFree(domain);
}

/* Errors ------------------------------------------------------------------------------------ */

static VlRpcCode
code_for_libvirt_error(int code)
{
    switch (code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_DEVICE_MISSING:
        return VL_RPC_NOT_FOUND;
    case VIR_ERR_OPERATION_INVALID:
        return VL_RPC_CONFLICT;
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE:
        return VL_RPC_TIMEOUT;
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:         /* where a document does not parse */
    case VIR_ERR_XML_INVALID_SCHEMA: /* VIR_DOMAIN_DEFINE_VALIDATE's refusal */
    case VIR_ERR_CONFIG_UNSUPPORTED:
        return VL_RPC_INVALID_PARAMS;
    default:
        return VL_RPC_FAILED;
    }
}

void
vl_vm_set_libvirt_error(GError **error, const char *what)
{
    virErrorPtr last = virGetLastError();

    if (last == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_FAILED, "%s: libvirt failed without saying why",
                    what);
        return;
    }
    g_set_error(error, VL_CALL_ERROR, code_for_libvirt_error(last->code), "%s: %s", what,
                last->message ? last->message : "libvirt failed without saying why");
    virResetLastError();
}

/* The code of libvirt's last error on this thread, or VIR_ERR_OK. */
static int
last_error_code(void)
{
    virErrorPtr last = virGetLastError();

    return last ? last->code : VIR_ERR_OK;
}

/*
 * TRUE when the last error says the driver does not take a flag (libvirt's "unsupported flags"
 * is VIR_ERR_INVALID_ARG) or the call, so the same request with fewer flags is worth a try; the
 * error is then reset. Otherwise it stays for vl_vm_set_libvirt_error.
 */
static gboolean
flag_refused(void)
{
    int code = last_error_code();

    if (code == VIR_ERR_INVALID_ARG || code == VIR_ERR_NO_SUPPORT ||
        code == VIR_ERR_ARGUMENT_UNSUPPORTED) {
        virResetLastError();
        return TRUE;
    }
    return FALSE;
}

/* Domains ----------------------------------------------------------------------------------- */

virDomainPtr
vl_vm_lookup(virConnectPtr conn, const char *vm, GError **error)
{
    gboolean by_uuid;
    virDomainPtr domain;
    g_autofree char *what = NULL;

    g_return_val_if_fail(conn != NULL, NULL);
    g_return_val_if_fail(vm != NULL, NULL);

    by_uuid = g_uuid_string_is_valid(vm);
    domain = by_uuid ? virDomainLookupByUUIDString(conn, vm) : virDomainLookupByName(conn, vm);
    if (domain) {
        return domain;
    }
    if (last_error_code() == VIR_ERR_NO_DOMAIN) {
        virResetLastError();
        g_set_error(error, VL_CALL_ERROR, VL_RPC_NOT_FOUND,
                    "no VM %s %s (vmlinkctl vm list shows the VMs)",
                    by_uuid ? "with UUID" : "named", vm);
        return NULL;
    }
    what = g_strdup_printf("looking up VM %s", vm);
    vl_vm_set_libvirt_error(error, what);
    return NULL;
}

const char *
vl_vm_state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
        return "running";
    case VIR_DOMAIN_BLOCKED:
        return "blocked";
    case VIR_DOMAIN_PAUSED:
        return "paused";
    case VIR_DOMAIN_SHUTDOWN:
        return "shutdown";
    case VIR_DOMAIN_SHUTOFF:
        return "shutoff";
    case VIR_DOMAIN_CRASHED:
        return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
        return "pmsuspended";
    default:
        /* VIR_DOMAIN_NOSTATE, and states a newer libvirt may add */
        return "nostate";
    }
}

static gboolean
get_state(virDomainPtr domain, int *ret_state, const char *what, GError **error)
{
    int reason;

    if (virDomainGetState(domain, ret_state, &reason, 0) < 0) {
        vl_vm_set_libvirt_error(error, what);
        return FALSE;
    }
    return TRUE;
}

/* Begins the result object with the {name, uuid} every VM result starts with. */
VlJsonBuilder *
vl_vm_begin_result(virDomainPtr domain)
{
    VlJsonBuilder *builder = vl_json_builder_new();
    char uuid[VIR_UUID_STRING_BUFLEN] = "";

    /* Both are cached in the virDomain object: no call to the driver, nothing to fail. */
    virDomainGetUUIDString(domain, uuid);
    vl_json_builder_begin_object(builder);
    vl_json_builder_member(builder, "name");
    vl_json_builder_add_string(builder, virDomainGetName(domain));
    vl_json_builder_member(builder, "uuid");
    vl_json_builder_add_string(builder, uuid);
    return builder;
}

static VlJson *
state_result(virDomainPtr domain, const char *state_name)
{
    g_autoptr(VlJsonBuilder) builder = vl_vm_begin_result(domain);

    vl_json_builder_member(builder, "state");
    vl_json_builder_add_string(builder, state_name);
    vl_json_builder_end_object(builder);
    return vl_json_builder_finish(builder);
}

VlJson *
vl_vm_state_result(virDomainPtr domain, GError **error)
{
    int state;
    g_autofree char *what = NULL;

    g_return_val_if_fail(domain != NULL, NULL);

    what = g_strdup_printf("reading the state of %s", virDomainGetName(domain));
    if (!get_state(domain, &state, what, error)) {
        return NULL;
    }
    return state_result(domain, vl_vm_state_name(state));
}

/* vm.list ----------------------------------------------------------------------------------- */

static int
compare_domain_names(const void *a, const void *b)
{
    return strcmp(virDomainGetName(*(virDomainPtr const *)a),
                  virDomainGetName(*(virDomainPtr const *)b));
}

/* The agent's state and kind; only the catalogue's values go out, whatever the table holds. */
static const char *
agent_state(GHashTable *agent_states, const char *uuid, const char **ret_kind)
{
    const VlVmAgent *agent = agent_states ? g_hash_table_lookup(agent_states, uuid) : NULL;

    *ret_kind = NULL;
    if (agent == NULL ||
        (g_strcmp0(agent->state, "connected") != 0 && g_strcmp0(agent->state, "responsive") != 0)) {
        return "absent";
    }
    if (g_strcmp0(agent->kind, "vmlink") == 0 || g_strcmp0(agent->kind, "qemu-ga") == 0) {
        *ret_kind = agent->kind;
    }
    return agent->state;
}

static void
free_domains(virDomainPtr *domains, int n)
{
    for (int i = 0; i < n; i++) {
        virDomainFree(domains[i]);
    }
    free(domains);
}

VlJson *
vl_vm_list(virConnectPtr conn, GHashTable *agent_states, GError **error)
{
    virDomainPtr *domains = NULL;
    g_autoptr(VlJsonBuilder) builder = NULL;
    int n;

    g_return_val_if_fail(conn != NULL, NULL);

    n = virConnectListAllDomains(conn, &domains, 0);
    if (n < 0) {
        vl_vm_set_libvirt_error(error, "vm.list");
        return NULL;
    }
    qsort(domains, n, sizeof(*domains), compare_domain_names);

    builder = vl_json_builder_new();
    vl_json_builder_begin_object(builder);
    vl_json_builder_member(builder, "vms");
    vl_json_builder_begin_array(builder);
    for (int i = 0; i < n; i++) {
        virDomainInfo info;
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        int persistent;
        unsigned int id;
        const char *kind;

        const char *name = virDomainGetName(domains[i]);

        if (virDomainGetInfo(domains[i], &info) < 0) {
            g_autofree char *what = NULL;

            if (last_error_code() == VIR_ERR_NO_DOMAIN) {
                /* A transient VM that went away since the listing: it is not there any more. */
                virResetLastError();
                continue;
            }
            what = g_strdup_printf("vm.list: %s", name);
            vl_vm_set_libvirt_error(error, what);
            free_domains(domains, n);
            return NULL;
        }
        virDomainGetUUIDString(domains[i], uuid);
        persistent = virDomainIsPersistent(domains[i]);
        id = virDomainGetID(domains[i]);

        vl_json_builder_begin_object(builder);
        vl_json_builder_member(builder, "name");
        vl_json_builder_add_string(builder, name);
        vl_json_builder_member(builder, "uuid");
        vl_json_builder_add_string(builder, uuid);
        vl_json_builder_member(builder, "state");
        vl_json_builder_add_string(builder, vl_vm_state_name(info.state));
        if (persistent >= 0) {
            vl_json_builder_member(builder, "persistent");
            vl_json_builder_add_bool(builder, persistent == 1);
        } else {
            virResetLastError(); /* optional member: leave it out */
        }
        vl_json_builder_member(builder, "id");
        vl_json_builder_add_int(builder, id > G_MAXINT32 ? -1 : (gint64)id); /* (unsigned)-1: off */
        vl_json_builder_member(builder, "memory_kib");
        vl_json_builder_add_int(builder, info.maxMem ? info.maxMem : info.memory);
        vl_json_builder_member(builder, "vcpus");
        vl_json_builder_add_int(builder, info.nrVirtCpu);
        vl_json_builder_member(builder, "agent");
        vl_json_builder_add_string(builder, agent_state(agent_states, uuid, &kind));
        vl_json_builder_add_member_string(builder, "agent_kind", kind);
        vl_json_builder_end_object(builder);
    }
    vl_json_builder_end_array(builder);
    vl_json_builder_end_object(builder);
    free_domains(domains, n);
    return vl_json_builder_finish(builder);
}

/* vm.define --------------------------------------------------------------------------------- */

/* Fails with VL_RPC_CONFLICT when a domain is found by name or UUID (value may be NULL). */
static gboolean
refuse_existing(virConnectPtr conn, const char *value, gboolean by_uuid, const char *what,
                GError **error)
{
    g_autoptr(virDomain) existing = NULL;

    if (value == NULL) {
        return TRUE;
    }
    existing =
        by_uuid ? virDomainLookupByUUIDString(conn, value) : virDomainLookupByName(conn, value);
    if (existing) {
        if (by_uuid) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s: VM %s has the UUID %s already",
                        what, virDomainGetName(existing), value);
        } else {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT,
                        "%s: a VM named %s exists already (vm undefine it first, or choose "
                        "another name)",
                        what, value);
        }
        return FALSE;
    }
    if (last_error_code() != VIR_ERR_NO_DOMAIN) {
        vl_vm_set_libvirt_error(error, what);
        return FALSE;
    }
    virResetLastError();
    return TRUE;
}

/* libvirt's test driver (test:///...) only takes domains of type "test". */
static gboolean
is_test_driver(virConnectPtr conn)
{
    const char *type = virConnectGetType(conn);

    if (type == NULL) {
        virResetLastError(); /* then it is not */
        return FALSE;
    }
    return strcmp(type, "TEST") == 0;
}

VlJson *
vl_vm_define(virConnectPtr conn, const VlJson *spec, const VlDomainXmlOptions *options,
             GError **error)
{
    const char *name = vl_json_get_string(vl_json_object_get(spec, "name"));
    const char *uuid = vl_json_get_string(vl_json_object_get(spec, "uuid"));
    VlDomainXmlOptions xml_options = {0};
    g_autofree char *what = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(virDomain) domain = NULL;

    g_return_val_if_fail(conn != NULL, NULL);

    if (name == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS, "vm.define: spec.name is missing");
        return NULL;
    }
    what = g_strdup_printf("vm.define %s", name);

    /*
     * libvirt redefines an existing domain of the same name (and UUID) without a word, which
     * would replace a VM's definition behind its owner's back. A define racing with another of
     * the same name can still slip between this check and the define: the manager serialises
     * its calls per VM, and libvirt offers no "create only" flag to close it.
     */
    if (!refuse_existing(conn, name, FALSE, what, error) ||
        !refuse_existing(conn, uuid, TRUE, what, error)) {
        return NULL;
    }

    if (options) {
        xml_options = *options;
    }
    if (is_test_driver(conn)) {
        xml_options.domain_type = "test";
    }
    xml = vl_domain_xml_from_spec(spec, &xml_options, error);
    if (xml == NULL) {
        return NULL;
    }
    domain = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
    if (domain == NULL) {
        vl_vm_set_libvirt_error(error, what);
        return NULL;
    }
    return vl_vm_state_result(domain, error);
}

/* Lifecycle actions ------------------------------------------------------------------------- */

/* What state an action needs the VM in: checked first so the answer does not depend on how
 * each driver words (and codes) its refusal. */
typedef enum {
    NEEDS_INACTIVE,  /* start */
    NEEDS_ACTIVE,    /* running or paused: shutdown, destroy, reboot, reset */
    NEEDS_RUNNING,   /* pause */
    NEEDS_PAUSED,    /* resume */
    NEEDS_UNDEFINED, /* undefine: stopped */
} VmPrecondition;

static const struct {
    const char *method;
    VmPrecondition needs;
} vm_actions[] = {
    [VL_VM_START] = {"vm.start", NEEDS_INACTIVE},
    [VL_VM_START_PAUSED] = {"vm.start", NEEDS_INACTIVE},
    [VL_VM_SHUTDOWN_ACPI] = {"vm.shutdown", NEEDS_ACTIVE},
    [VL_VM_DESTROY] = {"vm.destroy", NEEDS_ACTIVE},
    [VL_VM_REBOOT] = {"vm.reboot", NEEDS_ACTIVE},
    [VL_VM_RESET] = {"vm.reset", NEEDS_ACTIVE},
    [VL_VM_PAUSE] = {"vm.pause", NEEDS_RUNNING},
    [VL_VM_RESUME] = {"vm.resume", NEEDS_PAUSED},
    [VL_VM_UNDEFINE] = {"vm.undefine", NEEDS_UNDEFINED},
};

static gboolean
state_is_active(int state)
{
    return state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED &&
           state != VIR_DOMAIN_NOSTATE;
}

static gboolean
check_precondition(virDomainPtr domain, VmPrecondition needs, int state, GError **error)
{
    const char *name = virDomainGetName(domain);
    const char *state_name = vl_vm_state_name(state);
    gboolean active = state_is_active(state);

    switch (needs) {
    case NEEDS_INACTIVE:
        if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s is already running", name);
            return FALSE;
        }
        if (state == VIR_DOMAIN_PAUSED) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT,
                        "%s is already paused (vm resume runs its CPUs again)", name);
            return FALSE;
        }
        if (active) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s is %s, not stopped", name,
                        state_name);
            return FALSE;
        }
        return TRUE;
    case NEEDS_ACTIVE:
        if (!active) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s is not running (%s)", name,
                        state_name);
            return FALSE;
        }
        return TRUE;
    case NEEDS_RUNNING:
        if (state == VIR_DOMAIN_PAUSED) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s is already paused", name);
            return FALSE;
        }
        if (state != VIR_DOMAIN_RUNNING && state != VIR_DOMAIN_BLOCKED) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s is not running (%s)", name,
                        state_name);
            return FALSE;
        }
        return TRUE;
    case NEEDS_PAUSED:
        if (state != VIR_DOMAIN_PAUSED) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT, "%s is not paused (%s)", name,
                        state_name);
            return FALSE;
        }
        return TRUE;
    case NEEDS_UNDEFINED:
        /* libvirt would undefine a running VM by making it transient: it would vanish for
         * good at its next shutdown. Refuse instead. */
        if (active) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_CONFLICT,
                        "%s is %s: vm destroy or vm shutdown it first", name, state_name);
            return FALSE;
        }
        return TRUE;
    }
    g_assert_not_reached();
}

static int
undefine(virDomainPtr domain)
{
    /* Most thorough first; drivers refuse flags they do not know (the test driver has no
     * NVRAM), and a VM without managed save, snapshots or NVRAM needs none of them. */
    static const unsigned int attempts[] = {
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
            VIR_DOMAIN_UNDEFINE_NVRAM,
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
    };

    for (gsize i = 0; i < G_N_ELEMENTS(attempts); i++) {
        if (virDomainUndefineFlags(domain, attempts[i]) == 0) {
            return 0;
        }
        if (!flag_refused()) {
            return -1;
        }
    }
    return virDomainUndefine(domain);
}

static int
run_action(virDomainPtr domain, VlVmAction action)
{
    switch (action) {
    case VL_VM_START:
        return virDomainCreateWithFlags(domain, 0);
    case VL_VM_START_PAUSED:
        /* No fallback: starting with running CPUs is not what was asked. */
        return virDomainCreateWithFlags(domain, VIR_DOMAIN_START_PAUSED);
    case VL_VM_SHUTDOWN_ACPI:
        /* The power button, not the QEMU guest agent: vmlinkd asks its own agent itself. A
         * driver without the flag does its default, which is the closest it has. */
        if (virDomainShutdownFlags(domain, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) == 0) {
            return 0;
        }
        return flag_refused() ? virDomainShutdown(domain) : -1;
    case VL_VM_DESTROY:
        return virDomainDestroy(domain);
    case VL_VM_REBOOT:
        if (virDomainReboot(domain, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN) == 0) {
            return 0;
        }
        return flag_refused() ? virDomainReboot(domain, 0) : -1;
    case VL_VM_RESET:
        return virDomainReset(domain, 0);
    case VL_VM_PAUSE:
        return virDomainSuspend(domain);
    case VL_VM_RESUME:
        return virDomainResume(domain);
    case VL_VM_UNDEFINE:
        return undefine(domain);
    }
    g_assert_not_reached();
}

VlJson *
vl_vm_act(virConnectPtr conn, const char *vm, VlVmAction action, GError **error)
{
    g_autoptr(virDomain) domain = NULL;
    g_autofree char *what = NULL;
    int state;

    g_return_val_if_fail(conn != NULL, NULL);
    g_return_val_if_fail(vm != NULL, NULL);
    g_return_val_if_fail((gsize)action < G_N_ELEMENTS(vm_actions), NULL);

    domain = vl_vm_lookup(conn, vm, error);
    if (domain == NULL) {
        return NULL;
    }
    what = g_strdup_printf("%s %s", vm_actions[action].method, virDomainGetName(domain));
    if (!get_state(domain, &state, what, error) ||
        !check_precondition(domain, vm_actions[action].needs, state, error)) {
        return NULL;
    }
    if (run_action(domain, action) < 0) {
        vl_vm_set_libvirt_error(error, what);
        return NULL;
    }
    if (action == VL_VM_UNDEFINE) {
        /* The domain is gone and cannot be asked; it was stopped, in this state. */
        return state_result(domain, vl_vm_state_name(state));
    }
    return vl_vm_state_result(domain, error);
}
