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
void vl_dispatch_guest_command(VlBridge *bridge, VlCall *call, VlVm *vm, const char *command,
                               const VlJson *args, gboolean shutdown);

/* vl-dispatch-host.c */
void vl_dispatch_host_info(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_take(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_release(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_change_password(VlBridge *bridge, VlCall *call);
void vl_dispatch_host_rotate(VlBridge *bridge, VlCall *call);

/* vl-dispatch-events.c */
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
