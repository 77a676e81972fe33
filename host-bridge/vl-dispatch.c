/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-dispatch-private.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "vl-domains.h"
#include "vl-jsonrpc.h"
#include "vl-ownership.h"
#include "vl-protocol.h"
#include "vl-push.h"
#include "vl-qga-guest.h"
#include "vl-tls-context.h"

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

const char *
vl_dispatch_caller_manager(VlBridge *bridge, VlCall *call)
{
    const VlOwner *owner = vl_ownership_owner(bridge->ownership);

    /* Over TLS only the owner's calls get past the access rule (host.take_ownership names its
     * own manager). */
    return vl_call_is_local(call) || owner == NULL ? NULL : owner->manager_id;
}

void
vl_dispatch_who(VlCall *call, const char *manager, VlAuditWho *who)
{
    gboolean local = vl_call_is_local(call);
    gint64 uid = -1;

    if (local && sscanf(vl_call_peer(call), "uid %" G_GINT64_FORMAT, &uid) != 1) {
        uid = -1;
    }
    *who = (VlAuditWho){
        .manager = manager,
        .address = local                        ? NULL
                   : vl_call_peer_address(call) ? vl_call_peer_address(call)
                                                : vl_call_peer(call),
        .uid = uid,
        .fingerprint = vl_call_peer_fingerprint(call),
    };
}

typedef struct {
    VlBridge *bridge;
    char *manager;
} AuditHook;

static void
audit_done(VlCall *call, const GError *error, gpointer user_data)
{
    AuditHook *hook = user_data;
    VlAuditWho who;

    vl_dispatch_who(call, hook->manager, &who);
    /* A throttled password attempt is a refusal: a client hammering must not flood the log. */
    if (g_error_matches(error, VL_CALL_ERROR, VL_RPC_RATE_LIMITED)) {
        vl_audit_refusal(hook->bridge->audit, &who, vl_call_method(call), error);
    } else if (g_str_equal(vl_call_method(call), "guest.login")) {
        /* Whom the manager logged in; the outcome is the agent's, in its reply and its log. */
        g_autofree char *user = g_strescape(vl_dispatch_param(call, "user"), NULL);
        g_autofree char *target =
            g_strdup_printf("%s, user %s", vl_dispatch_param(call, "vm"), user);

        vl_audit_record(hook->bridge->audit, &who, vl_call_method(call), target, error);
    } else {
        vl_audit_record(hook->bridge->audit, &who, vl_call_method(call),
                        vl_dispatch_param(call, "vm"), error);
    }
    g_free(hook->manager);
    g_free(hook);
}

void
vl_dispatch_audit_as(VlBridge *bridge, VlCall *call, const char *manager)
{
    AuditHook *hook = g_new0(AuditHook, 1);

    hook->bridge = bridge;
    hook->manager = g_strdup(manager);
    vl_call_on_done(call, audit_done, hook);
}

void
vl_dispatch_audit(VlBridge *bridge, VlCall *call)
{
    vl_dispatch_audit_as(bridge, call, vl_dispatch_caller_manager(bridge, call));
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
    guint timeout_s = (guint)bridge->config->command_timeout_s;

    /* A login waits for PAM, for a console's session to start and for a greeter to use the
     * credentials: the agent bounds each by its [sso] settings, at most two minutes in all. */
    if (g_str_equal(command, "login")) {
        timeout_s = MAX(timeout_s, VL_DISPATCH_LOGIN_TIMEOUT_S);
    }
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
    vl_guest_link_command(vm->link, command, args, timeout_s, guest_replied, gc);
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
    static const char *const login_args[] = {"user", "password", "domain", "console", NULL};
    static const char *const no_args[] = {NULL};
    const char *method = vl_call_method(call);
    VlVm *vm = call_vm(bridge, call);
    g_autoptr(VlJson) args = NULL;
    const char *command;

    if (vm == NULL) {
        vl_dispatch_wipe_secrets(call); /* guest.login's password, answered already */
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
    } else if (g_str_equal(method, "guest.login")) {
        g_autoptr(VlJson) given = args_from(call, login_args);

        /* json-glib's copies of a node share its text, so the password goes into args as a
         * string of its own: the request's is wiped at once, args' once the command is written
         * to the channel. */
        args = vl_json_object_with_string(given, "password", vl_dispatch_param(call, "password"));
        vl_dispatch_wipe_secrets(call);
        command = "login";
    } else {
        args = args_from(call, refresh_args);
        command = "refresh";
    }
    vl_dispatch_audit(bridge, call);
    vl_dispatch_guest_command(bridge, call, vm, command, args, FALSE);
    vl_json_wipe_member(args, "password");
}

/* Answers from the bridge's own state -------------------------------------------------------- */

/* An optional count or time: left out while 0 (not known yet). */
static void
add_nonzero(VlJsonBuilder *b, const char *name, gint64 value)
{
    if (value) {
        vl_json_builder_add_member_int(b, name, value);
    }
}

/* The agent object of guest.info: the vmlink agent's while it answers; else qemu-ga's when
 * libvirt reaches one; else the vmlink agent's again (absent or silent, or never there). */
static void
add_agent(VlJsonBuilder *b, VlVm *vm, const VlGuestLinkInfo *info)
{
    VlQgaGuestInfo qga = {.state = VL_AGENT_ABSENT};
    gboolean vmlink = info->state != VL_AGENT_ABSENT || info->agent_name != NULL;

    if (info->state != VL_AGENT_RESPONSIVE && vm->qga) {
        vl_qga_guest_get_info(vm->qga, &qga);
    }
    vl_json_builder_member(b, "agent");
    vl_json_builder_begin_object(b);
    if (qga.state != VL_AGENT_ABSENT || qga.reported) {
        vl_json_builder_add_member_string(b, "state", vl_agent_state_name(qga.state));
        vl_json_builder_add_member_string(b, "kind", "qemu-ga");
        vl_json_builder_add_member_string(b, "name", "qemu-ga");
        vl_json_builder_add_member_string(b, "version", qga.version);
        add_nonzero(b, "connected_since", qga.connected_since);
        add_nonzero(b, "last_heard", qga.last_heard);
    } else {
        vl_json_builder_add_member_string(b, "state", vl_agent_state_name(info->state));
        vl_json_builder_add_member_string(b, "kind", vmlink ? "vmlink" : NULL);
        vl_json_builder_add_member_string(b, "name", info->agent_name);
        vl_json_builder_add_member_string(b, "version", info->agent_version);
        add_nonzero(b, "protocol", info->protocol);
        add_nonzero(b, "connected_since", info->connected_since);
        add_nonzero(b, "last_heard", info->last_heard);
    }
    vl_json_builder_end_object(b);
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
    add_agent(b, vm, &info);
    vl_json_builder_member(b, "sections");
    vl_guest_cache_add_sections(vm->cache, mask, b);
    vl_json_builder_member(b, "updated");
    vl_guest_cache_add_updated(vm->cache, mask, b);
    vl_json_builder_member(b, "counters");
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_int(b, "frames", (gint64)info.counters.frames);
    vl_json_builder_add_member_int(b, "invalid", (gint64)info.counters.invalid);
    vl_json_builder_add_member_int(b, "rate_limited", (gint64)info.counters.rate_limited);
    vl_json_builder_add_member_int(b, "dropped_bytes", (gint64)info.counters.dropped_bytes);
    vl_json_builder_add_member_int(b, "connects", (gint64)info.counters.connects);
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    result = vl_json_builder_finish(b);
    vl_call_return(call, result);
}

/* The table ---------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    Method method;
} methods[] = {
    {"host.info", vl_dispatch_host_info},
    {"host.take_ownership", vl_dispatch_host_take},
    {"host.release_ownership", vl_dispatch_host_release},
    {"host.change_password", vl_dispatch_host_change_password},
    {"host.rotate_certificate", vl_dispatch_host_rotate},
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
    {"guest.login", m_guest_command},
    {"guest.refresh", m_guest_command},
    {"events.subscribe", vl_dispatch_events_subscribe},
    {"events.since", vl_dispatch_events_since},
};

static Method
find_method(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (g_str_equal(methods[i].name, name)) {
            return methods[i].method;
        }
    }
    return NULL;
}

gboolean
vl_dispatch_serves(const char *name)
{
    return find_method(name) != NULL;
}

/* The access rule ----------------------------------------------------------------------------- */

void
vl_dispatch_wipe_secrets(VlCall *call)
{
    vl_rpc_wipe_secrets(vl_call_params(call));
}

static gboolean
keep_owner(X509 *peer_cert, gpointer user_data)
{
    return vl_ownership_is_owner(user_data, peer_cert);
}

void
vl_dispatch_sync_ownership(VlBridge *bridge)
{
    VlOwnership *o = bridge->ownership;
    const VlOwner *owner;

    if (vl_ownership_generation(o) == bridge->ownership_generation) {
        return;
    }
    bridge->ownership_generation = vl_ownership_generation(o);
    owner = vl_ownership_owner(o);
    /* The push first: an event about the change, emitted after this, reaches the new owner. */
    if (bridge->push) {
        if (g_strcmp0(bridge->push_owner, owner ? owner->manager_id : NULL) != 0) {
            vl_push_set_target(bridge->push, NULL, NULL, NULL);
        }
        if (owner) {
            vl_push_set_target(bridge->push, owner->event_url, owner->stats_url,
                               owner->certificate);
        }
    }
    g_free(bridge->push_owner);
    bridge->push_owner = owner ? g_strdup(owner->manager_id) : NULL;
    /* What the old state authorised goes: connections of another certificate, their streams. */
    if (bridge->tls_server) {
        vl_rpc_server_close_unless(bridge->tls_server, keep_owner, o);
    }
}

gboolean
vl_dispatch_poll_ownership(gpointer user_data)
{
    VlBridge *bridge = user_data;

    /* Between calls too: an administrator who moves state.json away, or a damaged file, ends the
     * owner's streams and push within a second, not at the next call. */
    vl_ownership_poll(bridge->ownership, g_get_monotonic_time());
    vl_dispatch_sync_ownership(bridge);
    return G_SOURCE_CONTINUE;
}

/* The owner's certificate, renewed with the same key, becomes the pin: the next renewal is
 * compared with this one, and the push pins it too. */
static void
pin_renewal(VlBridge *bridge, VlCall *call)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *pem = vl_tls_x509_pem(vl_call_peer_cert(call));
    g_autofree char *manager = g_strdup(vl_dispatch_caller_manager(bridge, call));
    VlAuditWho who;

    if (pem == NULL || !vl_ownership_set_pin(bridge->ownership, pem, &error)) {
        g_warning("ownership: cannot pin the renewed certificate of manager %s: %s", manager,
                  error ? error->message : "unreadable certificate");
    }
    vl_dispatch_who(call, manager, &who);
    vl_audit_record(bridge->audit, &who, "ownership.pin_renewed", NULL, error);
    vl_dispatch_sync_ownership(bridge);
}

/* Answers a refused call (and audits the refusal); its secrets go first. */
static void
refuse(VlBridge *bridge, VlCall *call, const GError *error)
{
    VlAuditWho who;

    vl_dispatch_wipe_secrets(call);
    vl_dispatch_who(call, NULL, &who);
    vl_audit_refusal(bridge->audit, &who, vl_call_method(call), error);
    vl_call_fail(call, error);
}

/* Whether the call may run; when not, it is answered (and audited) here. */
static gboolean
allowed(VlBridge *bridge, VlCall *call)
{
    const char *name = vl_call_method(call);
    g_autoptr(GError) error = NULL;
    gboolean renewed = FALSE;
    X509 *cert = vl_call_peer_cert(call);

    if (vl_call_is_local(call)) {
        /* Root on the host is the administrator and may do everything, but is no manager. */
        if (!g_str_equal(name, "host.take_ownership")) {
            return TRUE;
        }
        vl_dispatch_wipe_secrets(call);
        vl_dispatch_fail(call, VL_RPC_UNAUTHORIZED,
                         "host.take_ownership needs a manager's TLS client certificate: call it "
                         "over TLS (vmlinkctl --connect tls://%s host take-ownership). Root here "
                         "may release ownership or set the password (vmlinkd --set-password)",
                         g_get_host_name());
        return FALSE;
    }
    if (!vl_ownership_allows(bridge->ownership, name, cert, &renewed, &error)) {
        refuse(bridge, call, error);
        return FALSE;
    }
    if (renewed) {
        pin_renewal(bridge, call);
    }
    /* The owner's connection: its limits are lifted (the check is remembered per certificate,
     * and any change of owner or pin closes it unless it still passes). */
    if (vl_call_conn(call) && vl_ownership_is_owner(bridge->ownership, cert)) {
        vl_rpc_conn_set_trusted(vl_call_conn(call), TRUE);
    }
    return TRUE;
}

void
vl_dispatch(VlCall *call, gpointer user_data)
{
    VlBridge *bridge = user_data;
    const char *name = vl_call_method(call);
    Method method = find_method(name);

    if (method == NULL) {
        vl_dispatch_wipe_secrets(call);
        vl_dispatch_fail(call, VL_RPC_METHOD_NOT_FOUND, "%s is not served by this vmlinkd", name);
        return;
    }
    /* The state file may have been changed by the administrator since the last look; what it
     * no longer authorises goes before the call is judged. */
    vl_ownership_poll(bridge->ownership, g_get_monotonic_time());
    vl_dispatch_sync_ownership(bridge);
    if (allowed(bridge, call)) {
        method(bridge, call);
    }
}
