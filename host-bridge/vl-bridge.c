/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-bridge.h"

#include "vl-tls-identity.h"

#include <string.h>

#include "vl-audit.h"
#include "vl-catalogue.h"
#include "vl-ownership.h"
#include "vl-qga-guest.h"
#include "vl-vm-ops.h"

#define EVENT_RING 4096

static void
vm_free(VlVm *vm)
{
    vl_guest_link_free(vm->link);
    vl_qga_guest_free(vm->qga);
    vl_guest_cache_free(vm->cache);
    g_free(vm->name);
    g_free(vm->uuid);
    g_free(vm);
}

VlBridge *
vl_bridge_new(VlBridgeConfig *config, GError **error)
{
    VlBridge *b = g_new0(VlBridge, 1);

    b->config = config;
    b->audit = vl_audit_new(config->audit_log, error);
    if (b->audit == NULL) {
        g_free(b);
        return NULL;
    }
    b->epoll = vl_epoll_new(NULL, error);
    if (b->epoll == NULL) {
        vl_audit_free(b->audit);
        g_free(b);
        return NULL;
    }
    b->ownership = vl_ownership_new(config->state_dir, (guint)config->login_backoff_max_s);
    /* main sets the push target from this state: that is where everything starts. */
    b->ownership_generation = vl_ownership_generation(b->ownership);
    b->push_owner = vl_ownership_owner(b->ownership)
                        ? g_strdup(vl_ownership_owner(b->ownership)->manager_id)
                        : NULL;
    b->events = vl_events_new(EVENT_RING);
    b->vms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)vm_free);
    b->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return b;
}

const char *
vl_bridge_fingerprint(const VlBridge *bridge)
{
    return bridge->identity ? vl_tls_identity_fingerprint(bridge->identity) : NULL;
}

void
vl_bridge_free(VlBridge *b)
{
    if (b == NULL) {
        return;
    }
    /* Ownership first: password checks still queued are answered, and audited. */
    vl_ownership_free(b->ownership);
    vl_audit_free(b->audit);
    g_hash_table_unref(b->by_name);
    g_hash_table_unref(b->vms);
    if (b->qga_pool) {
        /* Requests still running end on their own; their answers are never delivered. */
        g_thread_pool_free(b->qga_pool, TRUE, FALSE);
    }
    g_free(b->push_owner);
    vl_events_free(b->events);
    vl_epoll_free(b->epoll);
    g_free(b);
}

VlVm *
vl_bridge_find_vm(VlBridge *b, const char *name)
{
    VlVm *vm = g_hash_table_lookup(b->vms, name);
    char uuid[37];

    if (vm == NULL) {
        vm = g_hash_table_lookup(b->by_name, name);
    }
    if (vm == NULL && strlen(name) == 36) {
        /* A UUID in capitals: libvirt's are lower case. */
        for (guint i = 0; i <= 36; i++) {
            uuid[i] = g_ascii_tolower(name[i]);
        }
        vm = g_hash_table_lookup(b->vms, uuid);
    }
    return vm;
}

/* Link callbacks: what the guest did becomes events. ---------------------------------------- */

void
vl_bridge_emit_agent_state(VlVm *vm, VlAgentState state, const char *kind)
{
    g_autoptr(VlJsonBuilder) jb = vl_json_builder_new();
    g_autoptr(VlJson) data = NULL;

    vl_json_builder_begin_object(jb);
    vl_json_builder_member(jb, "state");
    vl_json_builder_add_string(jb, vl_agent_state_name(state));
    vl_json_builder_add_member_string(jb, "kind", kind);
    vl_json_builder_end_object(jb);
    data = vl_json_builder_finish(jb);
    vl_events_emit(vm->bridge->events, "agent.state", vm->name, vm->uuid, data);
}

void
vl_bridge_emit_report(VlVm *vm, guint mask, gboolean full)
{
    g_autoptr(VlJsonBuilder) jb = vl_json_builder_new();
    g_autoptr(VlJson) data = NULL;

    vl_json_builder_begin_object(jb);
    vl_json_builder_member(jb, "sections");
    vl_json_builder_begin_array(jb);
    for (guint i = 0; vl_report_sections[i]; i++) {
        if (mask & (1u << i)) {
            vl_json_builder_add_string(jb, vl_report_sections[i]);
        }
    }
    vl_json_builder_end_array(jb);
    vl_json_builder_member(jb, "full");
    vl_json_builder_add_bool(jb, full);
    vl_json_builder_end_object(jb);
    data = vl_json_builder_finish(jb);
    vl_events_emit(vm->bridge->events, "guest.report", vm->name, vm->uuid, data);
}

static void
on_agent_state(VlGuestLink *link, VlAgentState state, gpointer user_data)
{
    VlVm *vm = user_data;

    vl_bridge_emit_agent_state(vm, state, "vmlink");
    if (vm->qga && state == VL_AGENT_RESPONSIVE) {
        vl_qga_guest_vmlink_back(vm->qga);
    } else if (vm->qga) {
        vl_qga_guest_vmlink_gone(vm->qga);
    }
}

static void
on_report(VlGuestLink *link, guint mask, gboolean full, gpointer user_data)
{
    vl_bridge_emit_report(user_data, mask, full);
}

static void
on_event(VlGuestLink *link, const VlJson *message, gpointer user_data)
{
    VlVm *vm = user_data;
    g_autoptr(VlJsonBuilder) jb = vl_json_builder_new();
    g_autoptr(VlJson) data = NULL;

    vl_json_builder_begin_object(jb);
    vl_json_builder_member(jb, "event");
    vl_json_builder_add_string(jb, vl_json_get_string(vl_json_object_get(message, "event")));
    vl_json_builder_member(jb, "time");
    vl_json_builder_add_int(jb, vl_json_get_int(vl_json_object_get(message, "time")));
    vl_json_builder_member(jb, "data");
    vl_json_builder_add_node(jb, vl_json_object_get(message, "data"));
    vl_json_builder_end_object(jb);
    data = vl_json_builder_finish(jb);
    vl_events_emit(vm->bridge->events, "guest.event", vm->name, vm->uuid, data);
}

static const VlGuestLinkCallbacks link_callbacks = {
    .state_changed = on_agent_state,
    .report = on_report,
    .event = on_event,
};

/* VMs ------------------------------------------------------------------------------------------ */

VlVm *
vl_bridge_vm_update(VlBridge *b, const char *uuid, const char *name, int state, gboolean active)
{
    VlVm *vm = g_hash_table_lookup(b->vms, uuid);

    if (vm == NULL) {
        vm = g_new0(VlVm, 1);
        vm->bridge = b;
        vm->uuid = g_strdup(uuid);
        vm->cache = vl_guest_cache_new();
        g_hash_table_insert(b->vms, vm->uuid, vm);
    }
    if (g_strcmp0(vm->name, name) != 0) {
        if (vm->name && g_hash_table_lookup(b->by_name, vm->name) == vm) {
            g_hash_table_remove(b->by_name, vm->name);
        }
        g_free(vm->name);
        vm->name = g_strdup(name);
        g_hash_table_insert(b->by_name, vm->name, vm);
    }
    vm->state = state;
    vm->active = active;
    return vm;
}

void
vl_bridge_vm_set_channel(VlBridge *b, VlVm *vm, const char *agent_path)
{
    if (agent_path == NULL) {
        if (vm->link) {
            vl_guest_link_stop(vm->link);
        }
        vl_guest_cache_clear(vm->cache);
        return;
    }
    if (vm->link == NULL) {
        VlGuestLinkLimits limits = {
            .max_frame = b->config->max_frame,
            .rate_messages = (double)b->config->rate_messages,
            .rate_burst = (double)b->config->rate_burst,
            .rate_bytes = (double)b->config->rate_bytes,
            .heartbeat_s = (guint)b->config->heartbeat_s,
            .reconnect_max_s = (guint)b->config->reconnect_max_s,
        };

        vm->link = vl_guest_link_new(b->epoll, vm->name, &limits, vm->cache, &link_callbacks, vm);
    }
    vl_guest_link_start(vm->link, agent_path);
}

void
vl_bridge_vm_set_qga_channel(VlBridge *b, VlVm *vm, gboolean present)
{
    if (vm->qga == NULL) {
        if (!present || !b->config->qga_enabled) {
            return;
        }
        vm->qga = vl_qga_guest_new(vm);
    }
    vl_qga_guest_set_channel(vm->qga, present);
}

void
vl_bridge_vm_remove(VlBridge *b, const char *uuid)
{
    VlVm *vm = g_hash_table_lookup(b->vms, uuid);

    if (vm && g_hash_table_lookup(b->by_name, vm->name) == vm) {
        g_hash_table_remove(b->by_name, vm->name);
    }
    g_hash_table_remove(b->vms, uuid);
}

/* As guest.info's agent object chooses (vl-dispatch.c): the vmlink agent while it answers,
 * else qemu-ga when libvirt reaches one, else the vmlink agent's link if it has one. */
static VlVmAgent *
vm_agent(VlVm *vm)
{
    VlAgentState state = vm->link ? vl_guest_link_state(vm->link) : VL_AGENT_ABSENT;
    VlQgaGuestInfo qga = {.state = VL_AGENT_ABSENT};
    VlVmAgent *agent;

    if (state != VL_AGENT_RESPONSIVE && vm->qga) {
        vl_qga_guest_get_info(vm->qga, &qga);
    }
    if (qga.state == VL_AGENT_ABSENT && state == VL_AGENT_ABSENT) {
        return NULL;
    }
    agent = g_new0(VlVmAgent, 1);
    if (qga.state != VL_AGENT_ABSENT) {
        agent->state = vl_agent_state_name(qga.state);
        agent->kind = "qemu-ga";
    } else {
        agent->state = vl_agent_state_name(state);
        agent->kind = "vmlink";
    }
    return agent;
}

GHashTable *
vl_bridge_agent_states(VlBridge *b)
{
    GHashTable *states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, b->vms);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        VlVm *vm = value;
        VlVmAgent *agent = vm_agent(vm);

        if (agent) {
            g_hash_table_insert(states, g_strdup(vm->uuid), agent);
        }
    }
    return states;
}
