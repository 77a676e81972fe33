/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the dispatcher's files: vl-dispatch.c (the table, host, guest and event methods) and
 * vl-dispatch-vm.c (the vm.* methods through libvirt).
 */
#pragma once

#include "vl-dispatch.h"
#include "vl-jsonrpc.h"

G_BEGIN_DECLS

/* A string member of the call's params, or NULL. */
const char *vl_dispatch_param(VlCall *call, const char *name);
/* Answers the call with an error of VL_CALL_ERROR code (and frees it). */
void vl_dispatch_fail(VlCall *call, VlRpcCode code, const char *format, ...) G_GNUC_PRINTF(3, 4);
/* Logs a call that changes something: method, VM and who asked. */
void vl_dispatch_audit(VlCall *call);
/* Sends command to vm's agent and answers the call with its reply ({reply}) or, for
 * vm.shutdown through the agent (shutdown TRUE), in vm.shutdown's shape. */
void vl_dispatch_guest_command(VlBridge *bridge, VlCall *call, VlVm *vm, const char *command,
                               const VlJson *args, gboolean shutdown);

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
