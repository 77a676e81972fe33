/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-domains.h"

#include <libvirt-glib/libvirt-glib.h>
#include <libvirt/virterror.h>

#include "vl-domain-xml.h"
#include "vl-qga-guest.h"
#include "vl-vm-ops.h"

#define RECONNECT_MIN_MS 500
#define RECONNECT_MAX_MS 30000
#define KEEPALIVE_INTERVAL_S 5
#define KEEPALIVE_COUNT 3

struct _VlDomains {
    VlBridge *bridge;
    char *uri;
    virConnectPtr conn;
    int lifecycle_id;
    int agent_id; /* libvirt's agent lifecycle events (the QEMU guest agent's port) */
    guint reconnect_id;
    guint reconnect_ms;
    guint teardown_id;
    gboolean warned; /* the first failure to connect is a warning, the rest debug */
};

static gboolean try_connect(gpointer user_data);

/* libvirt prints every error to stderr unless told otherwise; vmlinkd reports its own. */
static void
quiet(void *user_data, virErrorPtr error)
{
}

void
vl_domains_init(void)
{
    virSetErrorFunc(NULL, quiet);
    gvir_event_register();
}

const char *
vl_domains_uri(const VlDomains *d)
{
    return d->uri;
}

virConnectPtr
vl_domains_connection(VlDomains *d)
{
    if (d->conn == NULL) {
        return NULL;
    }
    virConnectRef(d->conn);
    return d->conn;
}

static const char *const event_names[] = {
    [VIR_DOMAIN_EVENT_DEFINED] = "defined",   [VIR_DOMAIN_EVENT_UNDEFINED] = "undefined",
    [VIR_DOMAIN_EVENT_STARTED] = "started",   [VIR_DOMAIN_EVENT_SUSPENDED] = "suspended",
    [VIR_DOMAIN_EVENT_RESUMED] = "resumed",   [VIR_DOMAIN_EVENT_STOPPED] = "stopped",
    [VIR_DOMAIN_EVENT_SHUTDOWN] = "shutdown", [VIR_DOMAIN_EVENT_PMSUSPENDED] = "pmsuspended",
    [VIR_DOMAIN_EVENT_CRASHED] = "crashed",
};

/* Reads one domain's state and channel into the bridge. */
static void
track(VlDomains *d, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    int state = VIR_DOMAIN_NOSTATE;
    int active = virDomainIsActive(dom);
    VlVm *vm;

    if (virDomainGetUUIDString(dom, uuid) < 0) {
        return;
    }
    if (virDomainGetState(dom, &state, NULL, 0) < 0) {
        virResetLastError();
        return; /* gone meanwhile: its event follows */
    }
    vm = vl_bridge_vm_update(d->bridge, uuid, virDomainGetName(dom), state, active == 1);
    if (active == 1) {
        g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
        VlDomainChannels channels = {NULL, NULL};
        g_autoptr(GError) error = NULL;

        if (xml == NULL || !vl_domain_xml_channels(xml, &channels, &error)) {
            g_warning("vm %s: cannot read its channels: %s", vm->name,
                      error ? error->message : virGetLastErrorMessage());
            virResetLastError();
        } else {
            if (channels.agent_path) {
                vl_bridge_vm_set_channel(d->bridge, vm, channels.agent_path);
            } else {
                g_debug("vm %s: no %s channel", vm->name, "org.vmlink.agent.0");
            }
            vl_bridge_vm_set_qga_channel(d->bridge, vm, channels.qga_path != NULL);
        }
        vl_domain_channels_clear(&channels);
    } else {
        vl_bridge_vm_set_channel(d->bridge, vm, NULL);
        vl_bridge_vm_set_qga_channel(d->bridge, vm, FALSE);
    }
}

/* After connecting: every domain libvirt has, and none it does not. */
static void
reconcile(VlDomains *d)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(d->conn, &doms, 0);
    guint running = 0;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer key;

    if (n < 0) {
        g_warning("libvirt: cannot list domains: %s", virGetLastErrorMessage());
        virResetLastError();
        return;
    }
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(doms[i], uuid) == 0) {
            g_hash_table_add(seen, g_strdup(uuid));
        }
        track(d, doms[i]);
        running += virDomainIsActive(doms[i]) == 1;
        virDomainFree(doms[i]);
    }
    free(doms);
    g_hash_table_iter_init(&iter, d->bridge->vms);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_hash_table_contains(seen, key)) {
            g_ptr_array_add(gone, g_strdup(key));
        }
    }
    for (guint i = 0; i < gone->len; i++) {
        vl_bridge_vm_remove(d->bridge, gone->pdata[i]);
    }
    g_message("libvirt: %d domains, %u of them running", n, running);
}

static int
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    VlDomains *d = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN];
    const char *reason = event >= 0 && event < (int)G_N_ELEMENTS(event_names) && event_names[event]
                             ? event_names[event]
                             : "changed";
    g_autoptr(VlJsonBuilder) jb = vl_json_builder_new();
    g_autoptr(VlJson) data = NULL;
    VlVm *vm;

    if (virDomainGetUUIDString(dom, uuid) < 0) {
        return 0;
    }
    if (event == VIR_DOMAIN_EVENT_UNDEFINED && virDomainIsActive(dom) != 1) {
        virResetLastError();
        vm = g_hash_table_lookup(d->bridge->vms, uuid);
        vl_json_builder_begin_object(jb);
        vl_json_builder_member(jb, "state");
        vl_json_builder_add_string(jb, "shutoff");
        vl_json_builder_member(jb, "reason");
        vl_json_builder_add_string(jb, reason);
        vl_json_builder_end_object(jb);
        data = vl_json_builder_finish(jb);
        vl_events_emit(d->bridge->events, "vm.lifecycle", virDomainGetName(dom), uuid, data);
        if (vm) {
            vl_bridge_vm_remove(d->bridge, uuid);
        }
        return 0;
    }
    track(d, dom);
    vm = g_hash_table_lookup(d->bridge->vms, uuid);
    vl_json_builder_begin_object(jb);
    vl_json_builder_member(jb, "state");
    vl_json_builder_add_string(jb, vl_vm_state_name(vm ? vm->state : VIR_DOMAIN_NOSTATE));
    vl_json_builder_member(jb, "reason");
    vl_json_builder_add_string(jb, reason);
    vl_json_builder_end_object(jb);
    data = vl_json_builder_finish(jb);
    vl_events_emit(d->bridge->events, "vm.lifecycle", virDomainGetName(dom), uuid, data);
    return 0;
}

static void
on_agent_lifecycle(virConnectPtr conn, virDomainPtr dom, int state, int reason, void *opaque)
{
    VlDomains *d = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN];
    VlVm *vm;

    if (virDomainGetUUIDString(dom, uuid) < 0) {
        return;
    }
    vm = g_hash_table_lookup(d->bridge->vms, uuid);
    if (vm && vm->qga) {
        vl_qga_guest_agent_event(vm->qga,
                                 state == VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED);
    }
}

static void
schedule_connect(VlDomains *d)
{
    if (d->reconnect_id) {
        return;
    }
    d->reconnect_ms =
        d->reconnect_ms == 0 ? RECONNECT_MIN_MS : MIN(d->reconnect_ms * 2, RECONNECT_MAX_MS);
    d->reconnect_id = g_timeout_add(d->reconnect_ms, try_connect, d);
}

static void
drop_connection(VlDomains *d)
{
    if (d->conn == NULL) {
        return;
    }
    if (d->lifecycle_id >= 0) {
        virConnectDomainEventDeregisterAny(d->conn, d->lifecycle_id);
        d->lifecycle_id = -1;
    }
    if (d->agent_id >= 0) {
        virConnectDomainEventDeregisterAny(d->conn, d->agent_id);
        d->agent_id = -1;
    }
    virConnectClose(d->conn);
    d->conn = NULL;
    virResetLastError();
}

static gboolean
teardown(gpointer user_data)
{
    VlDomains *d = user_data;

    d->teardown_id = 0;
    drop_connection(d);
    schedule_connect(d);
    return G_SOURCE_REMOVE;
}

static void
on_close(virConnectPtr conn, int reason, void *opaque)
{
    VlDomains *d = opaque;

    g_warning("libvirt: the connection to %s closed (reason %d); connecting again", d->uri, reason);
    /* Not from inside libvirt's own callback: on the next loop iteration. */
    if (d->teardown_id == 0) {
        d->teardown_id = g_idle_add(teardown, d);
    }
}

static gboolean
try_connect(gpointer user_data)
{
    VlDomains *d = user_data;

    d->reconnect_id = 0;
    d->conn = virConnectOpen(d->uri);
    if (d->conn == NULL) {
        if (!d->warned) {
            g_warning("libvirt: cannot connect to %s: %s (is libvirtd running? retrying)", d->uri,
                      virGetLastErrorMessage());
            d->warned = TRUE;
        }
        virResetLastError();
        schedule_connect(d);
        return G_SOURCE_REMOVE;
    }
    d->warned = FALSE;
    d->reconnect_ms = 0;
    if (virConnectSetKeepAlive(d->conn, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT) < 0) {
        virResetLastError(); /* local drivers (test:///) have no keepalive */
    }
    virConnectRegisterCloseCallback(d->conn, on_close, d, NULL);
    d->lifecycle_id =
        virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), d, NULL);
    if (d->lifecycle_id < 0) {
        g_warning("libvirt: no lifecycle events from %s: %s", d->uri, virGetLastErrorMessage());
        virResetLastError();
    }
    d->agent_id =
        virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                         VIR_DOMAIN_EVENT_CALLBACK(on_agent_lifecycle), d, NULL);
    if (d->agent_id < 0) {
        virResetLastError(); /* the test driver has none: the interval still applies */
    }
    g_message("libvirt: connected to %s", d->uri);
    reconcile(d);
    return G_SOURCE_REMOVE;
}

VlDomains *
vl_domains_new(VlBridge *bridge, const char *uri)
{
    VlDomains *d = g_new0(VlDomains, 1);

    d->bridge = bridge;
    d->uri = g_strdup(uri);
    d->lifecycle_id = -1;
    d->agent_id = -1;
    return d;
}

void
vl_domains_start(VlDomains *d)
{
    try_connect(d);
}

void
vl_domains_refresh(VlDomains *d, const char *uuid)
{
    virDomainPtr dom;

    if (d->conn == NULL || (dom = virDomainLookupByUUIDString(d->conn, uuid)) == NULL) {
        virResetLastError();
        return;
    }
    track(d, dom);
    virDomainFree(dom);
}

void
vl_domains_free(VlDomains *d)
{
    if (d == NULL) {
        return;
    }
    g_clear_handle_id(&d->reconnect_id, g_source_remove);
    g_clear_handle_id(&d->teardown_id, g_source_remove);
    if (d->conn) {
        virConnectUnregisterCloseCallback(d->conn, on_close);
    }
    drop_connection(d);
    g_free(d->uri);
    g_free(d);
}
