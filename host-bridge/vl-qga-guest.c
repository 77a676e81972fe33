/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-qga-guest.h"

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "vl-domains.h"
#include "vl-qga-info.h"

#define POOL_THREADS 4              /* requests to different VMs at once */
#define GRACE_S 3                   /* after an agent connected or a vmlink agent left */
#define REPLY_MAX (4 * 1024 * 1024) /* bytes of one agent answer we parse */
#define VERSION_MAX 64              /* as the catalogue's agent.version */
/* A request still out after this many timeouts is logged: virDomainGetGuestInfo has no timeout
 * of ours, only libvirt's own wait for the agent. */
#define HANG_TIMEOUTS 3

struct _VlQgaGuest {
    VlVm *vm;
    guint64 id;      /* unique among all guests ever made: answers find their guest by it */
    guint64 request; /* the request in flight, or the last one */
    gboolean in_flight;
    gboolean channel; /* the VM runs with the port */
    guint timer;
    VlAgentState state;
    char *version;
    gint64 connected_since;
    gint64 last_heard;
    gboolean reported;
    gboolean warned;      /* a failure was logged as a warning since the last answer */
    gint64 started_us;    /* when the request in flight started (monotonic) */
    gboolean warned_slow; /* the request in flight was logged as hanging */
    guint hang_timer;     /* fires HANG_TIMEOUTS timeouts after the request started */
};

/* One request, made on a worker thread; the answer goes back to the loop. */
typedef struct {
    VlBridge *bridge;
    char *uuid;
    char *label;
    guint64 guest_id;
    guint64 request;
    guint timeout_s;
    virConnectPtr conn;
    /* The answer. */
    gboolean ok;
    gboolean absent; /* libvirt says the agent is not connected */
    char *error;
    char *version;
    VlJson *sections;
    guint dropped;
} Request;

static void schedule(VlQgaGuest *qga, guint delay_s);
static gboolean deliver(gpointer data);
static gboolean on_hanging(gpointer user_data);

static void
request_free(Request *r)
{
    g_free(r->uuid);
    g_free(r->label);
    if (r->conn) {
        virConnectClose(r->conn);
    }
    g_free(r->error);
    g_free(r->version);
    g_clear_pointer(&r->sections, vl_json_unref);
    g_free(r);
}

/* The worker's side ------------------------------------------------------------------------- */

static void
fail(Request *r, const char *what)
{
    virErrorPtr e = virGetLastError();

    r->absent = e && e->code == VIR_ERR_AGENT_UNRESPONSIVE && e->message &&
                strstr(e->message, "not connected") != NULL;
    r->error = g_strdup_printf("%s: %s", what, e && e->message ? e->message : "failed");
    virResetLastError();
}

/* The "return" value of an agent command, or NULL (error set) when it failed. */
static VlJson *
agent_command(Request *r, virDomainPtr dom, const char *command, gboolean required)
{
    g_autofree char *json = g_strdup_printf("{\"execute\":\"%s\"}", command);
    g_autofree char *reply = virDomainQemuAgentCommand(dom, json, (int)r->timeout_s, 0);
    g_autoptr(VlJson) parsed = NULL;
    g_autoptr(GError) error = NULL;
    VlJson *value;
    gsize len;

    if (reply == NULL) {
        if (required) {
            fail(r, command);
        } else {
            virResetLastError();
        }
        return NULL;
    }
    len = strlen(reply);
    if (len > REPLY_MAX || (parsed = vl_json_parse(reply, len, &error)) == NULL ||
        (value = vl_json_object_get(parsed, "return")) == NULL) {
        if (required) {
            r->error = g_strdup_printf("%s: the agent's answer is not valid (%s)", command,
                                       len > REPLY_MAX ? "too long" : "no return value");
        }
        return NULL;
    }
    return vl_json_ref(value);
}

/* guest-info: the version, and whether a command is there and enabled. */
static gboolean
has_command(const VlJson *info, const char *name)
{
    const VlJson *commands = vl_json_object_get(info, "supported_commands");

    for (guint i = 0; i < vl_json_array_length(commands); i++) {
        const VlJson *c = vl_json_array_get(commands, i);
        const char *n = vl_json_get_string(vl_json_object_get(c, "name"));

        if (g_strcmp0(n, name) == 0) {
            return vl_json_get_bool(vl_json_object_get(c, "enabled"));
        }
    }
    return FALSE;
}

static char *
version_of(const VlJson *info)
{
    const char *v = vl_json_get_string(vl_json_object_get(info, "version"));
    gsize len = v ? strlen(v) : 0;

    if (len == 0 || len > VERSION_MAX || !g_utf8_validate(v, (gssize)len, NULL)) {
        return NULL;
    }
    for (const char *p = v; *p; p++) {
        if (g_ascii_iscntrl(*p)) {
            return NULL;
        }
    }
    return g_strdup(v);
}

static void
run_request(gpointer data, gpointer pool_data)
{
    Request *r = data;
    virDomainPtr dom = virDomainLookupByUUIDString(r->conn, r->uuid);
    g_autoptr(VlJson) info = NULL;
    g_autoptr(VlJson) vcpus = NULL;
    g_autoptr(VlJson) load = NULL;
    virTypedParameterPtr params = NULL;
    int n_params = 0;

    if (dom == NULL) {
        fail(r, "lookup");
        goto done;
    }
    /* Bounded by the timeout: tells whether the agent answers before the unbounded call. */
    if ((info = agent_command(r, dom, "guest-info", TRUE)) == NULL) {
        goto done;
    }
    r->version = version_of(info);
    /* types 0: every kind the agent supports; commands it lacks or disabled are skipped. */
    if (virDomainGetGuestInfo(dom, 0, &params, &n_params, 0) < 0) {
        fail(r, "virDomainGetGuestInfo");
        goto done;
    }
    if (has_command(info, "guest-get-vcpus")) {
        vcpus = agent_command(r, dom, "guest-get-vcpus", FALSE);
    }
    if (has_command(info, "guest-get-load")) {
        load = agent_command(r, dom, "guest-get-load", FALSE);
    }
    r->sections = vl_qga_info_sections(
        &(VlQgaInfo){.params = params, .n_params = n_params, .vcpus = vcpus, .load = load},
        &r->dropped);
    r->ok = TRUE;
done:
    virTypedParamsFree(params, n_params);
    if (dom) {
        virDomainFree(dom);
    }
    g_idle_add_full(G_PRIORITY_DEFAULT, deliver, r, (GDestroyNotify)request_free);
}

/* The loop's side ------------------------------------------------------------------------- */

static guint64 next_id = 1;

VlQgaGuest *
vl_qga_guest_new(VlVm *vm)
{
    VlQgaGuest *qga = g_new0(VlQgaGuest, 1);

    qga->vm = vm;
    qga->id = next_id++;
    qga->state = VL_AGENT_ABSENT;
    return qga;
}

void
vl_qga_guest_free(VlQgaGuest *qga)
{
    if (qga == NULL) {
        return;
    }
    g_clear_handle_id(&qga->timer, g_source_remove);
    g_clear_handle_id(&qga->hang_timer, g_source_remove);
    g_free(qga->version);
    g_free(qga);
}

/* Whether the VM's vmlink agent is the one to believe: it answers. One that stopped without a
 * word counts as connected, not responsive, three heartbeats later. */
static gboolean
vmlink_present(const VlQgaGuest *qga)
{
    return qga->vm->link && vl_guest_link_state(qga->vm->link) == VL_AGENT_RESPONSIVE;
}

static void
set_state(VlQgaGuest *qga, VlAgentState state)
{
    if (qga->state == state) {
        return;
    }
    qga->state = state;
    if (state == VL_AGENT_ABSENT) {
        qga->connected_since = 0;
    }
    if (!vmlink_present(qga)) {
        vl_bridge_emit_agent_state(qga->vm, state, "qemu-ga");
    }
}

static void
start_request(VlQgaGuest *qga)
{
    VlBridge *b = qga->vm->bridge;
    virConnectPtr conn = b->domains ? vl_domains_connection(b->domains) : NULL;
    Request *r;

    if (conn == NULL) {
        return; /* libvirt is away: the VMs are tracked again when it is back */
    }
    r = g_new0(Request, 1);
    r->bridge = b;
    r->uuid = g_strdup(qga->vm->uuid);
    r->label = g_strdup(qga->vm->name);
    r->guest_id = qga->id;
    r->request = ++qga->request;
    r->timeout_s = (guint)b->config->qga_timeout_s;
    r->conn = conn;
    qga->in_flight = TRUE;
    qga->started_us = g_get_monotonic_time();
    qga->warned_slow = FALSE;
    g_clear_handle_id(&qga->hang_timer, g_source_remove);
    qga->hang_timer = g_timeout_add_seconds(r->timeout_s * HANG_TIMEOUTS, on_hanging, qga);
    if (b->qga_pool == NULL) {
        b->qga_pool = g_thread_pool_new(run_request, NULL, POOL_THREADS, FALSE, NULL);
    }
    g_thread_pool_push(b->qga_pool, r, NULL);
}

/* Says once per request when libvirt has held it for HANG_TIMEOUTS timeouts: the VM gets no
 * other request meanwhile. */
static gboolean
on_hanging(gpointer user_data)
{
    VlQgaGuest *qga = user_data;
    gint64 out_s = (g_get_monotonic_time() - qga->started_us) / G_USEC_PER_SEC;

    qga->hang_timer = 0;
    if (qga->in_flight) {
        g_warning(
            "vm %s: a request to qemu-ga through libvirt has not returned for %" G_GINT64_FORMAT
            " s (libvirt waits on the guest's agent); the VM's guest info is not refreshed "
            "until it does",
            qga->vm->name, out_s);
        qga->warned_slow = TRUE;
    }
    return G_SOURCE_REMOVE;
}

static gboolean
tick(gpointer user_data)
{
    VlQgaGuest *qga = user_data;
    guint interval = (guint)qga->vm->bridge->config->qga_interval_s;

    qga->timer = 0;
    if (qga->channel && !qga->in_flight && !vmlink_present(qga)) {
        start_request(qga);
    } else if (qga->channel && interval) {
        schedule(qga, interval);
    }
    return G_SOURCE_REMOVE;
}

static void
schedule(VlQgaGuest *qga, guint delay_s)
{
    g_clear_handle_id(&qga->timer, g_source_remove);
    if (!qga->vm->bridge->config->qga_enabled || !qga->channel) {
        return;
    }
    qga->timer = delay_s ? g_timeout_add_seconds(delay_s, tick, qga) : g_idle_add(tick, qga);
}

static void
apply(VlQgaGuest *qga, Request *r)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    guint mask;

    qga->last_heard = now;
    if (qga->connected_since == 0) {
        qga->connected_since = now;
    }
    g_free(qga->version);
    qga->version = g_steal_pointer(&r->version);
    if (qga->warned) {
        g_message("vm %s: qemu-ga answers again", r->label);
        qga->warned = FALSE;
    }
    if (r->dropped) {
        g_debug("vm %s: %u entries of qemu-ga's answers left out (not within the catalogue)",
                r->label, r->dropped);
    }
    set_state(qga, VL_AGENT_RESPONSIVE);
    if (vmlink_present(qga)) {
        return; /* it said hello meanwhile */
    }
    mask = vl_guest_cache_apply_report(qga->vm->cache, r->sections, TRUE, now);
    if (!qga->reported) {
        /* guest.info is qemu-ga's from now on: say so, though its state may be as it was. */
        qga->reported = TRUE;
        vl_bridge_emit_agent_state(qga->vm, qga->state, "qemu-ga");
    }
    if (mask) {
        vl_bridge_emit_report(qga->vm, mask, TRUE);
    }
}

static gboolean
deliver(gpointer data)
{
    Request *r = data;
    VlVm *vm = g_hash_table_lookup(r->bridge->vms, r->uuid);
    VlQgaGuest *qga = vm ? vm->qga : NULL;
    guint interval;

    if (qga == NULL || qga->id != r->guest_id || qga->request != r->request) {
        return G_SOURCE_REMOVE; /* the VM went away, or stopped and started again */
    }
    qga->in_flight = FALSE;
    g_clear_handle_id(&qga->hang_timer, g_source_remove);
    if (qga->warned_slow) {
        g_message("vm %s: the request to qemu-ga returned after %" G_GINT64_FORMAT " s", r->label,
                  (g_get_monotonic_time() - qga->started_us) / G_USEC_PER_SEC);
        qga->warned_slow = FALSE;
    }
    if (!qga->channel) {
        return G_SOURCE_REMOVE;
    }
    if (r->ok) {
        apply(qga, r);
    } else {
        if (!qga->warned && !r->absent && !vmlink_present(qga)) {
            g_warning("vm %s: qemu-ga does not answer through libvirt: %s", r->label, r->error);
            qga->warned = TRUE;
        } else {
            g_debug("vm %s: qemu-ga: %s", r->label, r->error);
        }
        set_state(qga, r->absent ? VL_AGENT_ABSENT : VL_AGENT_CONNECTED);
    }
    interval = (guint)r->bridge->config->qga_interval_s;
    if (interval) {
        schedule(qga, interval);
    }
    return G_SOURCE_REMOVE;
}

void
vl_qga_guest_set_channel(VlQgaGuest *qga, gboolean present)
{
    if (qga->channel == present) {
        return;
    }
    qga->channel = present;
    if (present) {
        schedule(qga, GRACE_S);
        return;
    }
    g_clear_handle_id(&qga->timer, g_source_remove);
    qga->in_flight = FALSE; /* an answer still on its way is for the VM's last run */
    qga->request++;
    qga->reported = FALSE;
    g_clear_pointer(&qga->version, g_free);
    qga->last_heard = 0;
    set_state(qga, VL_AGENT_ABSENT);
}

void
vl_qga_guest_agent_event(VlQgaGuest *qga, gboolean connected)
{
    if (connected) {
        if (!qga->in_flight) {
            schedule(qga, GRACE_S);
        }
        return;
    }
    set_state(qga, VL_AGENT_ABSENT);
}

void
vl_qga_guest_vmlink_back(VlQgaGuest *qga)
{
    qga->reported = FALSE; /* its full report replaced what qemu-ga said */
}

void
vl_qga_guest_vmlink_gone(VlQgaGuest *qga)
{
    if (!qga->in_flight) {
        schedule(qga, GRACE_S);
    }
}

void
vl_qga_guest_get_info(const VlQgaGuest *qga, VlQgaGuestInfo *ret)
{
    ret->state = qga->state;
    ret->version = qga->version;
    ret->connected_since = qga->connected_since;
    ret->last_heard = qga->last_heard;
    ret->reported = qga->reported;
}
