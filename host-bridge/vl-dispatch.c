/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-dispatch.h"

#include <gio/gio.h>

#include "vl-domains.h"
#include "vl-jsonrpc.h"
#include "vl-protocol.h"
#include "vl-vm-ops.h"

typedef void (*Method)(VlBridge *bridge, VlCall *call);

static const char *
param_string(VlCall *call, const char *name)
{
    return vl_json_get_string(vl_json_object_get(vl_call_params(call), name));
}

static void fail(VlCall *call, VlRpcCode code, const char *format, ...) G_GNUC_PRINTF(3, 4);

static void
fail(VlCall *call, VlRpcCode code, const char *format, ...)
{
    g_autoptr(GError) error = NULL;
    va_list args;

    va_start(args, format);
    error = g_error_new_valist(VL_CALL_ERROR, code, format, args);
    va_end(args);
    vl_call_fail(call, error);
}

static void
audit(VlCall *call)
{
    const char *vm = param_string(call, "vm");

    g_message("control: %s%s%s by %s", vl_call_method(call), vm ? " " : "", vm ? vm : "",
              vl_call_peer(call));
}

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
        fail(call, VL_RPC_FAILED, "not connected to libvirt at %s (is libvirtd running?)",
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
    return vl_vm_act(conn, param_string(call, "vm"), (VlVmAction)GPOINTER_TO_INT(data), error);
}

/* vm.shutdown by the power button: vm.act's answer, and how it was asked. */
static VlJson *
do_shutdown_acpi(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    g_autoptr(VlJson) state = vl_vm_act(conn, param_string(call, "vm"), VL_VM_SHUTDOWN_ACPI, error);

    return state ? vl_json_object_with_string(state, "via", "acpi") : NULL;
}

static VlJson *
do_stats(virConnectPtr conn, VlCall *call, gpointer data, GError **error)
{
    return vl_vm_stats(conn, param_string(call, "vm"), error);
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
    return vl_vm_qmp(conn, param_string(call, "vm"),
                     vl_json_object_get(vl_call_params(call), "command"), error);
}

static void
m_vm_list(VlBridge *bridge, VlCall *call)
{
    run_libvirt(bridge, call, do_list, vl_bridge_agent_states(bridge),
                (GDestroyNotify)g_hash_table_unref);
}

static void
m_vm_define(VlBridge *bridge, VlCall *call)
{
    audit(call);
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

static void
m_vm_act(VlBridge *bridge, VlCall *call)
{
    audit(call);
    run_libvirt(bridge, call, do_act, GINT_TO_POINTER(action_of(vl_call_method(call))), NULL);
}

static void
m_vm_start(VlBridge *bridge, VlCall *call)
{
    gboolean paused = vl_json_get_bool(vl_json_object_get(vl_call_params(call), "paused"));

    audit(call);
    run_libvirt(bridge, call, do_act, GINT_TO_POINTER(paused ? VL_VM_START_PAUSED : VL_VM_START),
                NULL);
}

static void
m_vm_stats(VlBridge *bridge, VlCall *call)
{
    run_libvirt(bridge, call, do_stats, NULL, NULL);
}

static void
m_vm_attach(VlBridge *bridge, VlCall *call)
{
    audit(call);
    run_libvirt(bridge, call, do_attach, NULL, NULL);
}

static void
m_vm_detach(VlBridge *bridge, VlCall *call)
{
    audit(call);
    run_libvirt(bridge, call, do_detach, NULL, NULL);
}

static void
m_vm_qmp(VlBridge *bridge, VlCall *call)
{
    if (!bridge->config->qmp_passthrough) {
        fail(call, VL_RPC_DISABLED,
             "vm.qmp is disabled: set qmp-passthrough = true in [control] of %s to allow it",
             VL_BRIDGE_CONFIG_FILE);
        return;
    }
    audit(call);
    run_libvirt(bridge, call, do_qmp, NULL, NULL);
}

/* Guest methods: through the VM's agent ------------------------------------------------------ */

/* The VM of the call's "vm", or NULL after answering not found. */
static VlVm *
call_vm(VlBridge *bridge, VlCall *call)
{
    const char *name = param_string(call, "vm");
    VlVm *vm = vl_bridge_find_vm(bridge, name);

    if (vm == NULL) {
        fail(call, VL_RPC_NOT_FOUND, "no VM named %s (vmlinkctl vm list shows the VMs)", name);
    }
    return vm;
}

typedef struct {
    VlCall *call;
    char *name;
    char *uuid;
    gboolean shutdown; /* vm.shutdown through the agent: answer in vm.shutdown's shape */
} GuestCommand;

static void
guest_replied(const VlJson *result, const GError *error, gpointer user_data)
{
    GuestCommand *gc = user_data;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) answer = NULL;

    if (error) {
        vl_call_fail(gc->call, error);
    } else {
        vl_json_builder_begin_object(b);
        if (gc->shutdown) {
            vl_json_builder_member(b, "name");
            vl_json_builder_add_string(b, gc->name);
            vl_json_builder_member(b, "uuid");
            vl_json_builder_add_string(b, gc->uuid);
            vl_json_builder_member(b, "state");
            vl_json_builder_add_string(b, "running");
            vl_json_builder_member(b, "via");
            vl_json_builder_add_string(b, "agent");
        } else {
            vl_json_builder_member(b, "reply");
            vl_json_builder_add_node(b, result);
        }
        vl_json_builder_end_object(b);
        answer = vl_json_builder_finish(b);
        vl_call_return(gc->call, answer);
    }
    g_free(gc->name);
    g_free(gc->uuid);
    g_free(gc);
}

static void
send_guest_command(VlBridge *bridge, VlCall *call, VlVm *vm, const char *command,
                   const VlJson *args, gboolean shutdown)
{
    GuestCommand *gc = g_new0(GuestCommand, 1);

    gc->call = call;
    gc->name = g_strdup(vm->name);
    gc->uuid = g_strdup(vm->uuid);
    gc->shutdown = shutdown;
    if (vm->link == NULL) {
        g_autoptr(GError) error =
            g_error_new(VL_CALL_ERROR, VL_RPC_AGENT_UNAVAILABLE,
                        "%s has no vmlink channel (not running, or defined without one)", vm->name);

        guest_replied(NULL, error, gc);
        return;
    }
    vl_guest_link_command(vm->link, command, args, (guint)bridge->config->command_timeout_s,
                          guest_replied, gc);
}

/* Copies the named members of params into a new object: the command's args. */
static VlJson *
args_from(VlCall *call, const char *const *names)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    for (guint i = 0; names[i]; i++) {
        const VlJson *value = vl_json_object_get(vl_call_params(call), names[i]);

        if (value) {
            vl_json_builder_member(b, names[i]);
            vl_json_builder_add_node(b, value);
        }
    }
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

static void
m_guest_command(VlBridge *bridge, VlCall *call)
{
    static const char *const shutdown_args[] = {"mode", "delay_s", "message", NULL};
    static const char *const logoff_args[] = {"session", NULL};
    static const char *const refresh_args[] = {"sections", NULL};
    static const char *const no_args[] = {NULL};
    const char *method = vl_call_method(call);
    VlVm *vm = call_vm(bridge, call);
    g_autoptr(VlJson) args = NULL;
    const char *command;

    if (vm == NULL) {
        return;
    }
    if (g_str_equal(method, "guest.shutdown")) {
        g_autoptr(VlJson) given = args_from(call, shutdown_args);

        /* The agent needs a mode; power off unless asked otherwise. */
        args = param_string(call, "mode") ? g_steal_pointer(&given)
                                          : vl_json_object_with_string(given, "mode", "poweroff");
        command = "shutdown";
    } else if (g_str_equal(method, "guest.lock")) {
        args = args_from(call, no_args);
        command = "lock_screen";
    } else if (g_str_equal(method, "guest.logoff")) {
        args = args_from(call, logoff_args);
        command = "log_off";
    } else {
        args = args_from(call, refresh_args);
        command = "refresh";
    }
    audit(call);
    send_guest_command(bridge, call, vm, command, args, FALSE);
}

static void
m_vm_shutdown(VlBridge *bridge, VlCall *call)
{
    const char *via = param_string(call, "via");
    VlVm *vm = vl_bridge_find_vm(bridge, param_string(call, "vm"));
    gboolean agent_ok = vm && vm->link && vl_guest_link_state(vm->link) == VL_AGENT_RESPONSIVE;

    audit(call);
    if (via == NULL || g_str_equal(via, "auto")) {
        via = agent_ok ? "agent" : "acpi";
    }
    if (g_str_equal(via, "agent")) {
        g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
        g_autoptr(VlJson) args = NULL;

        if (vm == NULL) {
            fail(call, VL_RPC_NOT_FOUND, "no VM named %s (vmlinkctl vm list shows the VMs)",
                 param_string(call, "vm"));
            return;
        }
        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "mode");
        vl_json_builder_add_string(b, "poweroff");
        vl_json_builder_end_object(b);
        args = vl_json_builder_finish(b);
        send_guest_command(bridge, call, vm, "shutdown", args, TRUE);
        return;
    }
    run_libvirt(bridge, call, do_shutdown_acpi, NULL, NULL);
}

/* Answers from the bridge's own state -------------------------------------------------------- */

static void
m_host_info(VlBridge *bridge, VlCall *call)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;
    virConnectPtr conn = vl_domains_connection(bridge->domains);
    GHashTableIter iter;
    gpointer value;
    gint64 agents = 0;

    g_hash_table_iter_init(&iter, bridge->vms);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        VlVm *vm = value;

        agents += vm->link && vl_guest_link_state(vm->link) != VL_AGENT_ABSENT;
    }
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "name");
    vl_json_builder_add_string(b, "vmlinkd");
    vl_json_builder_member(b, "version");
    vl_json_builder_add_string(b, VL_VERSION);
    vl_json_builder_member(b, "protocol_versions");
    vl_json_builder_begin_array(b);
    vl_json_builder_add_int(b, VL_CONTROL_PROTOCOL_VERSION);
    vl_json_builder_end_array(b);
    vl_json_builder_member(b, "hostname");
    vl_json_builder_add_string(b, g_get_host_name());
    vl_json_builder_member(b, "libvirt_uri");
    vl_json_builder_add_string(b, vl_domains_uri(bridge->domains));
    vl_json_builder_member(b, "libvirt_connected");
    vl_json_builder_add_bool(b, conn != NULL);
    vl_json_builder_member(b, "vms");
    vl_json_builder_add_int(b, g_hash_table_size(bridge->vms));
    vl_json_builder_member(b, "agents");
    vl_json_builder_add_int(b, agents);
    if (bridge->fingerprint) {
        vl_json_builder_member(b, "fingerprint");
        vl_json_builder_add_string(b, bridge->fingerprint);
    }
    vl_json_builder_member(b, "password_set");
    vl_json_builder_add_bool(b, bridge->password_set);
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    if (conn) {
        virConnectClose(conn);
    }
    vl_call_return(call, result);
}

static void
add_int_member(VlJsonBuilder *b, const char *name, gint64 value)
{
    vl_json_builder_member(b, name);
    vl_json_builder_add_int(b, value);
}

static void
m_guest_info(VlBridge *bridge, VlCall *call)
{
    VlVm *vm = call_vm(bridge, call); /* when NULL, the call is answered and gone */
    const VlJson *sections;
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(VlJson) result = NULL;
    VlGuestLinkInfo info = {.state = VL_AGENT_ABSENT};
    guint mask;

    if (vm == NULL) {
        return;
    }
    sections = vl_json_object_get(vl_call_params(call), "sections");
    mask = sections ? 0 : G_MAXUINT;
    for (guint i = 0; i < vl_json_array_length(sections); i++) {
        int index =
            vl_guest_cache_section_index(vl_json_get_string(vl_json_array_get(sections, i)));

        mask |= index >= 0 ? 1u << index : 0;
    }
    if (vm->link) {
        vl_guest_link_get_info(vm->link, &info);
    }
    b = vl_json_builder_new();
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "name");
    vl_json_builder_add_string(b, vm->name);
    vl_json_builder_member(b, "uuid");
    vl_json_builder_add_string(b, vm->uuid);
    vl_json_builder_member(b, "agent");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "state");
    vl_json_builder_add_string(b, vl_agent_state_name(info.state));
    if (info.agent_name) {
        vl_json_builder_member(b, "name");
        vl_json_builder_add_string(b, info.agent_name);
    }
    if (info.agent_version) {
        vl_json_builder_member(b, "version");
        vl_json_builder_add_string(b, info.agent_version);
    }
    if (info.protocol) {
        add_int_member(b, "protocol", info.protocol);
    }
    if (info.connected_since) {
        add_int_member(b, "connected_since", info.connected_since);
    }
    if (info.last_heard) {
        add_int_member(b, "last_heard", info.last_heard);
    }
    vl_json_builder_end_object(b);
    vl_json_builder_member(b, "sections");
    vl_guest_cache_add_sections(vm->cache, mask, b);
    vl_json_builder_member(b, "updated");
    vl_guest_cache_add_updated(vm->cache, mask, b);
    vl_json_builder_member(b, "counters");
    vl_json_builder_begin_object(b);
    add_int_member(b, "frames", (gint64)info.counters.frames);
    add_int_member(b, "invalid", (gint64)info.counters.invalid);
    add_int_member(b, "rate_limited", (gint64)info.counters.rate_limited);
    add_int_member(b, "dropped_bytes", (gint64)info.counters.dropped_bytes);
    add_int_member(b, "connects", (gint64)info.counters.connects);
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}

static void
m_events_subscribe(VlBridge *bridge, VlCall *call)
{
    const VlJson *kinds = vl_json_object_get(vl_call_params(call), "events");
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) result = NULL;
    VlRpcConn *conn = vl_call_conn(call);

    for (guint i = 0; i < vl_json_array_length(kinds); i++) {
        g_ptr_array_add(names, (gpointer)vl_json_get_string(vl_json_array_get(kinds, i)));
    }
    g_ptr_array_add(names, NULL);
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "seq");
    vl_json_builder_add_int(b, (gint64)vl_events_last_seq(bridge->events));
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    if (conn) {
        vl_rpc_conn_subscribe(conn, bridge->events,
                              kinds ? (const char *const *)names->pdata : NULL);
    }
    vl_call_return(call, result);
}

/* The table ---------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    Method method;
} methods[] = {
    {"host.info", m_host_info},
    {"vm.list", m_vm_list},
    {"vm.define", m_vm_define},
    {"vm.start", m_vm_start},
    {"vm.shutdown", m_vm_shutdown},
    {"vm.destroy", m_vm_act},
    {"vm.reboot", m_vm_act},
    {"vm.reset", m_vm_act},
    {"vm.pause", m_vm_act},
    {"vm.resume", m_vm_act},
    {"vm.undefine", m_vm_act},
    {"vm.stats", m_vm_stats},
    {"vm.attach_device", m_vm_attach},
    {"vm.detach_device", m_vm_detach},
    {"vm.qmp", m_vm_qmp},
    {"guest.info", m_guest_info},
    {"guest.shutdown", m_guest_command},
    {"guest.lock", m_guest_command},
    {"guest.logoff", m_guest_command},
    {"guest.refresh", m_guest_command},
    {"events.subscribe", m_events_subscribe},
};

gboolean
vl_dispatch_serves(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (g_str_equal(methods[i].name, name)) {
            return TRUE;
        }
    }
    return FALSE;
}

void
vl_dispatch(VlCall *call, gpointer user_data)
{
    VlBridge *bridge = user_data;
    const char *name = vl_call_method(call);

    for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (g_str_equal(methods[i].name, name)) {
            methods[i].method(bridge, call);
            return;
        }
    }
    fail(call, VL_RPC_METHOD_NOT_FOUND, "%s is not served by this vmlinkd", name);
}
