/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-dispatch-private.h"

#include "vl-domains.h"
#include "vl-jsonrpc.h"
#include "vl-protocol.h"

typedef void (*Method)(VlBridge *bridge, VlCall *call);

const char *
vl_dispatch_param(VlCall *call, const char *name)
{
    return vl_json_get_string(vl_json_object_get(vl_call_params(call), name));
}

void
vl_dispatch_fail(VlCall *call, VlRpcCode code, const char *format, ...)
{
    g_autoptr(GError) error = NULL;
    va_list args;

    va_start(args, format);
    error = g_error_new_valist(VL_CALL_ERROR, code, format, args);
    va_end(args);
    vl_call_fail(call, error);
}

void
vl_dispatch_audit(VlCall *call)
{
    const char *vm = vl_dispatch_param(call, "vm");

    g_message("control: %s%s%s by %s", vl_call_method(call), vm ? " " : "", vm ? vm : "",
              vl_call_peer(call));
}

/* Guest methods: through the VM's agent ------------------------------------------------------ */

/* The VM of the call's "vm", or NULL after answering not found. */
static VlVm *
call_vm(VlBridge *bridge, VlCall *call)
{
    const char *name = vl_dispatch_param(call, "vm");
    VlVm *vm = vl_bridge_find_vm(bridge, name);

    if (vm == NULL) {
        vl_dispatch_fail(call, VL_RPC_NOT_FOUND, "no VM named %s (vmlinkctl vm list shows the VMs)",
                         name);
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

void
vl_dispatch_guest_command(VlBridge *bridge, VlCall *call, VlVm *vm, const char *command,
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
        args = vl_dispatch_param(call, "mode")
                   ? g_steal_pointer(&given)
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
    vl_dispatch_audit(call);
    vl_dispatch_guest_command(bridge, call, vm, command, args, FALSE);
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
    {"vm.list", vl_dispatch_vm_list},
    {"vm.define", vl_dispatch_vm_define},
    {"vm.start", vl_dispatch_vm_start},
    {"vm.shutdown", vl_dispatch_vm_shutdown},
    {"vm.destroy", vl_dispatch_vm_act},
    {"vm.reboot", vl_dispatch_vm_act},
    {"vm.reset", vl_dispatch_vm_act},
    {"vm.pause", vl_dispatch_vm_act},
    {"vm.resume", vl_dispatch_vm_act},
    {"vm.undefine", vl_dispatch_vm_act},
    {"vm.stats", vl_dispatch_vm_stats},
    {"vm.attach_device", vl_dispatch_vm_attach},
    {"vm.detach_device", vl_dispatch_vm_detach},
    {"vm.qmp", vl_dispatch_vm_qmp},
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
    vl_dispatch_fail(call, VL_RPC_METHOD_NOT_FOUND, "%s is not served by this vmlinkd", name);
}
