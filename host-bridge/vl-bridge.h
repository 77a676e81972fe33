/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge's state, shared by its parts: the configuration, the epoll set of the guest
 * channels, the event stream, and one VlVm per libvirt domain. Everything here lives on the one
 * thread of the main loop; only libvirt calls of the control plane run on worker threads, and
 * they get copies, never these structures.
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "vl-bridge-config.h"
#include "vl-epoll.h"
#include "vl-events.h"
#include "vl-guest-cache.h"
#include "vl-guest-link.h"

G_BEGIN_DECLS

typedef struct _VlBridge VlBridge;
typedef struct _VlDomains VlDomains;
typedef struct _VlRpcServer VlRpcServer;
typedef struct _VlOwnership VlOwnership;
typedef struct _VlAudit VlAudit;
typedef struct _VlPush VlPush;
typedef struct _VlTlsIdentity VlTlsIdentity;
typedef struct _VlQgaGuest VlQgaGuest;

typedef struct {
    VlBridge *bridge;
    char *name;
    char *uuid;
    int state; /* virDomainState */
    gboolean active;
    VlGuestCache *cache;
    VlGuestLink *link;
    VlQgaGuest *qga; /* its QEMU guest agent, through libvirt (vl-qga-guest.h) */
} VlVm;

struct _VlBridge {
    VlBridgeConfig *config;
    VlEpoll *epoll;
    VlEvents *events;
    GHashTable *vms;     /* uuid → VlVm */
    GHashTable *by_name; /* name → VlVm (borrowed from vms) */
    VlDomains *domains;
    GThreadPool *workers;  /* libvirt calls of the control plane */
    GThreadPool *qga_pool; /* requests to QEMU guest agents through libvirt; made when needed */
    /* The manager's control plane (issue 6). */
    VlTlsIdentity *identity; /* the bridge's key and certificate (owned by main); NULL in unit
                              * tests without one */
    VlRpcServer *tls_server; /* the TLS listener; NULL without one */
    VlOwnership *ownership;  /* who owns the bridge; password hash (always there) */
    VlAudit *audit;          /* the audit log */
    VlPush *push;            /* events and statistics to the owner's URLs */
    /* What the connections and the push were last aligned with (vl_dispatch_sync_ownership):
     * the ownership's generation, and the manager the push target belongs to (NULL: none). */
    guint64 ownership_generation;
    char *push_owner;
};

VlBridge *vl_bridge_new(VlBridgeConfig *config, GError **error);
void vl_bridge_free(VlBridge *bridge);

/* The SHA-256 fingerprint of the bridge's current certificate (renewed and rotated in place), or
 * NULL without an identity. */
const char *vl_bridge_fingerprint(const VlBridge *bridge);

/* The VM a "vm" member names (name or UUID) among the known ones, or NULL. */
VlVm *vl_bridge_find_vm(VlBridge *bridge, const char *vm);

/* Adds or updates a VM (name, state); returns it. */
VlVm *vl_bridge_vm_update(VlBridge *bridge, const char *uuid, const char *name, int state,
                          gboolean active);
/* Attaches its agent channel at path (NULL: detach and forget the cache). */
void vl_bridge_vm_set_channel(VlBridge *bridge, VlVm *vm, const char *agent_path);
/* Whether it runs with an org.qemu.guest_agent.0 channel (libvirt holds its socket). */
void vl_bridge_vm_set_qga_channel(VlBridge *bridge, VlVm *vm, gboolean present);
/* The VM whose agent ("vmlink" or "qemu-ga") changed state, or whose cache changed sections
 * (mask of vl_report_sections indexes): the agent.state and guest.report events. */
void vl_bridge_emit_agent_state(VlVm *vm, VlAgentState state, const char *kind);
void vl_bridge_emit_report(VlVm *vm, guint mask, gboolean full);
void vl_bridge_vm_remove(VlBridge *bridge, const char *uuid);

/* A snapshot uuid → VlVmAgent (vl-vm-ops.h) of the VMs with an agent, for worker threads
 * (vm.list). */
GHashTable *vl_bridge_agent_states(VlBridge *bridge);

G_END_DECLS
