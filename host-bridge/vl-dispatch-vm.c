/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's vm.* methods: each runs its libvirt calls on a worker thread (GTask) and
 * answers on the loop's thread, so a slow libvirtd never stalls the guest channels.
 */
#include <gio/gio.h>

#include "vl-dispatch-private.h"
#include "vl-domains.h"
#include "vl-jsonrpc.h"
#include "vl-vm-ops.h"

/* Calls into libvirt, on a worker thread ------------------------------------------------------ */

typedef VlJson *(*LibvirtFunc)(virConnectPtr conn, VlCall *call, gpointer data, GError **error);

typedef struct {
    VlBridge *bridge;
    VlCall *call;
    LibvirtFunc func;
    gpointer data;
    GDestroyNotify free_data;
    virConnectPtr conn;
} Job;

static void
job_free(Job *job)
{
    if (job->free_data) {
        job->free_data(job->data);
    }
    if (job->conn) {
        virConnectClose(job->conn);
    }
    g_free(job);
}

static void
job_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Job *job = task_data;
    GError *error = NULL;
    VlJson *result = job->func(job->conn, job->call, job->data, &error);

    if (result) {
        g_task_return_pointer(task, result, (GDestroyNotify)vl_json_unref);
    } else {
        g_task_return_error(task, error);
    }
}

static void
job_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    Job *job = g_task_get_task_data(G_TASK(res));
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = g_task_propagate_pointer(G_TASK(res), &error);
    const char *uuid;

    if (result == NULL) {
        vl_call_fail(job->call, error);
        return;
    }
    /* The VM changed: read it now rather than wait for libvirt's event, so a guest.info right
     * after vm.start already knows the channel. */
    uuid = vl_json_get_string(vl_json_object_get(result, "uuid"));
    if (uuid) {
        vl_domains_refresh(job->bridge->domains, uuid);
    }
    vl_call_return(job->call, result);
}

static void
run_libvirt(VlBridge *bridge, VlCall *call, LibvirtFunc func, gpointer data,
            GDestroyNotify free_data)
{
    Job *job;
    g_autoptr(GTask) task = NULL;
    virConnectPtr conn = vl_domains_connection(bridge->domains);

    if (conn == NULL) {
        if (free_data) {
            free_data(data);
        }
        vl_dispatch_fail(call, VL_RPC_FAILED,
                         "not connected to libvirt at %s (is libvirtd running?)",
                         vl_domains_uri(bridge->domains));
        return;
    }
    job = g_new0(Job, 1);
    job->bridge = bridge;
    job->call = call;
    job->func = func;
    job->data = data;
    job->free_data = free_data;
    job->conn = conn;
    task = g_task_new(NULL, NULL, job_done, NULL);
    g_task_set_task_data(task, job, (GDestroyNotify)job_free);
    g_task_run_in_thread(task, job_thread);
}

static VlJson *
do_list(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    return vl_vm_list(conn, data, error);
}

static VlJson *
do_define(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    VlBridge *bridge = data;
    VlDomainXmlOptions options = {.default_accel = bridge->config->default_accel};

    return vl_vm_define(conn, vl_json_object_get(vl_call_params(call), "spec"), &options, error);
}

static VlJson *
do_act(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    return vl_vm_act(conn, vl_dispatch_param(call, "vm"), (VlVmAction)GPOINTER_TO_INT(data), error);
}

/* vm.shutdown by the power button: vm.act's answer, and how it was asked. */
static VlJson *
do_shutdown_acpi(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    g_autoptr(VlJson) state =
        vl_vm_act(conn, vl_dispatch_param(call, "vm"), VL_VM_SHUTDOWN_ACPI, error);

    return state ? vl_json_object_with_string(state, "via", "acpi") : NULL;
}

static VlJson *
do_stats(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    return vl_vm_stats(conn, vl_dispatch_param(call, "vm"), error);
}

static VlJson *
do_attach(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    return vl_vm_attach_device(conn, vl_call_params(call), error);
}

static VlJson *
do_detach(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    return vl_vm_detach_device(conn, vl_call_params(call), error);
}

static VlJson *
do_qmp(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    return vl_vm_qmp(conn, vl_dispatch_param(call, "vm"),
                     vl_json_object_get(vl_call_params(call), "command"), error);
}

void
vl_dispatch_vm_list(VlBridge *bridge, VlCall *call)
{
    run_libvirt(bridge, call, do_list, vl_bridge_agent_states(bridge),
                (GDestroyNotify)g_hash_table_unref);
}

void
vl_dispatch_vm_define(VlBridge *bridge, VlCall *call)
{
    vl_dispatch_audit(bridge, call);
    run_libvirt(bridge, call, do_define, bridge, NULL);
}

static VlVmAction
action_of(const char *method)
{
    static const struct {
        const char *method;
        VlVmAction action;
    } actions[] = {
        {"vm.destroy", VL_VM_DESTROY}, {"vm.reboot", VL_VM_REBOOT}, {"vm.reset", VL_VM_RESET},
        {"vm.pause", VL_VM_PAUSE},     {"vm.resume", VL_VM_RESUME}, {"vm.undefine", VL_VM_UNDEFINE},
    };

    for (guint i = 0; i < G_N_ELEMENTS(actions); i++) {
        if (g_str_equal(actions[i].method, method)) {
            return actions[i].action;
        }
    }
    g_assert_not_reached();
}

void
vl_dispatch_vm_act(VlBridge *bridge, VlCall *call)
{
    vl_dispatch_audit(bridge, call);
    run_libvirt(bridge, call, do_act, GINT_TO_POINTER(action_of(vl_call_method(call))), NULL);
}

void
vl_dispatch_vm_start(VlBridge *bridge, VlCall *call)
{
    gboolean paused = vl_json_get_bool(vl_json_object_get(vl_call_params(call), "paused"));

    vl_dispatch_audit(bridge, call);
    run_libvirt(bridge, call, do_act, GINT_TO_POINTER(paused ? VL_VM_START_PAUSED : VL_VM_START),
                NULL);
}

void
vl_dispatch_vm_stats(VlBridge *bridge, VlCall *call)
{
    run_libvirt(bridge, call, do_stats, NULL, NULL);
}

void
vl_dispatch_vm_attach(VlBridge *bridge, VlCall *call)
{
    vl_dispatch_audit(bridge, call);
    run_libvirt(bridge, call, do_attach, NULL, NULL);
}

void
vl_dispatch_vm_detach(VlBridge *bridge, VlCall *call)
{
    vl_dispatch_audit(bridge, call);
    run_libvirt(bridge, call, do_detach, NULL, NULL);
}

void
vl_dispatch_vm_qmp(VlBridge *bridge, VlCall *call)
{
    if (!bridge->config->qmp_passthrough) {
        vl_dispatch_fail(
            call, VL_RPC_DISABLED,
            "vm.qmp is disabled: set qmp-passthrough = true in [control] of %s to allow it",
            VL_BRIDGE_CONFIG_FILE);
        return;
    }
    vl_dispatch_audit(bridge, call);
    run_libvirt(bridge, call, do_qmp, NULL, NULL);
}

void
vl_dispatch_vm_shutdown(VlBridge *bridge, VlCall *call)
{
    const char *via = vl_dispatch_param(call, "via");
    VlVm *vm = vl_bridge_find_vm(bridge, vl_dispatch_param(call, "vm"));
    gboolean agent_ok = vm && vm->link && vl_guest_link_state(vm->link) == VL_AGENT_RESPONSIVE;

    vl_dispatch_audit(bridge, call);
    if (via == NULL || g_str_equal(via, "auto")) {
        via = agent_ok ? "agent" : "acpi";
    }
    if (g_str_equal(via, "agent")) {
        g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
        g_autoptr(VlJson) args = NULL;

        if (vm == NULL) {
            vl_dispatch_fail(call, VL_RPC_NOT_FOUND,
                             "no VM named %s (vmlinkctl vm list shows the VMs)",
                             vl_dispatch_param(call, "vm"));
            return;
        }
        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "mode");
        vl_json_builder_add_string(b, "poweroff");
        vl_json_builder_end_object(b);
        args = vl_json_builder_finish(b);
        vl_dispatch_guest_command(bridge, call, vm, "shutdown", args, TRUE);
        return;
    }
    run_libvirt(bridge, call, do_shutdown_acpi, NULL, NULL);
}
