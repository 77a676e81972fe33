/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the dispatcher's files: vl-dispatch.c (the table, the access rule, guest methods),
 * vl-dispatch-host.c (host.* methods: ownership), vl-dispatch-events.c (events.*) and
 * vl-dispatch-vm.c (the vm.* methods through libvirt).
 */
#pragma once

#include "vl-audit.h"
#include "vl-dispatch.h"
#include "vl-jsonrpc.h"

G_BEGIN_DECLS

/* A string member of the call's params, or NULL. */
const char *vl_dispatch_param(VlCall *call, const char *name);
/* Answers the call with an error of VL_CALL_ERROR code (and frees it). */
void vl_dispatch_fail(VlCall *call, VlRpcCode code, const char *format, ...) G_GNUC_PRINTF(3, 4);
/* Writes a call that changes something to the audit log when it is answered: method, VM, who
 * asked (the owner's id over TLS) and how it ended. */
void vl_dispatch_audit(VlBridge *bridge, VlCall *call);
/* The same with who->manager given (the id a host.take_ownership claims; NULL: null). */
void vl_dispatch_audit_as(VlBridge *bridge, VlCall *call, const char *manager);
/* Who made the call, for an audit record now (strings borrowed from call and manager). */
void vl_dispatch_who(VlCall *call, const char *manager, VlAuditWho *ret_who);
/* The owner's id when the call comes from it over TLS; NULL from the local socket. */
const char *vl_dispatch_caller_manager(VlBridge *bridge, VlCall *call);
/* Sends command to vm's agent and answers the call with its reply ({reply}) or, for
 * vm.shutdown through the agent (shutdown TRUE), in vm.shutdown's shape. */
/* How long a guest login may take (or command-timeout, if that is longer). */
#define VL_DISPATCH_LOGIN_TIMEOUT_S 150

void vl_dispatch_guest_command(VlBridge *bridge, VlCall *call, VlVm *vm, const char *command,
                               const VlJson *args, gboolean shutdown);

/*
 * Aligns what was authorised with the ownership after any change (a call, or the state file
 * re-read): when its generation moved, points the push at the owner now (its queue dropped when
 * the manager changed, so that a new owner gets only events from its time) and closes every TLS
 * connection whose certificate is not the owner's, and with them their event streams. Cheap
 * when nothing changed.
 */
void vl_dispatch_sync_ownership(VlBridge *bridge);
/* Wipes the call's password and new_password params in place, for a call refused before the
 * handler took them (vl-dispatch-host.c copies them out and wipes them itself). */
void vl_dispatch_wipe_secrets(VlCall *call);

/* vl-dispatch-host.c */
void vl_dispatch_host_info(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_take(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_release(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_change_password(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_rotate(VlBridge *bridge, VlCall *call);

/* vl-dispatch-events.c */
/* events.since answers with at most about this many bytes of events (at least one), and says
 * "more": a whole ring at once could pass the connection's output cap, and the manager could then
 * never fill its gap. */
#define VL_DISPATCH_SINCE_MAX_BYTES (1024 * 1024)
void vl_dispatch_events_subscribe(VlBridge *bridge, VlCall *call);
void vl_dispatch_events_since(VlBridge *bridge, VlCall *call);

/* vl-dispatch-vm.c */
void vl_dispatch_vm_list(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_define(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_start(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_shutdown(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_act(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_stats(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_attach(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_detach(VlBridge *bridge, VlCall *call);
void vl_dispatch_vm_qmp(VlBridge *bridge, VlCall *call);

G_END_DECLS
