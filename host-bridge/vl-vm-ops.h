/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VM lifecycle through libvirt: what vm.list, vm.define, vm.start ... vm.qmp do, as plain
 * synchronous functions. vmlinkd runs each on a worker thread (libvirt connections are
 * thread-safe) so a slow libvirtd never stalls the event loop and the guest channels on it.
 *
 * Each returns the method's "result" object, shaped as the control catalogue's entry says, or
 * NULL with a VL_CALL_ERROR whose code is the JSON-RPC code to answer with: VL_RPC_NOT_FOUND (no
 * such VM or device), VL_RPC_CONFLICT (the VM's state does not allow it: starting a running VM,
 * undefining a running one), VL_RPC_INVALID_PARAMS, VL_RPC_TIMEOUT, VL_RPC_FAILED (libvirt
 * refused; its message is kept).
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "vl-domain-xml.h"
#include "vl-json.h"

G_BEGIN_DECLS

/* The domain a "vm" member names: a name, or a UUID in its 36-character form. */
virDomainPtr vl_vm_lookup(virConnectPtr conn, const char *vm, GError **error);

/* Sets error from libvirt's last error on this thread, prefixed with what was being done. */
void vl_vm_set_libvirt_error(GError **error, const char *what);

/* The catalogue's name of a virDomainState ("running", "shutoff"...). */
const char *vl_vm_state_name(int state);

/* {name, uuid, state} of a domain. */
VlJson *vl_vm_state_result(virDomainPtr domain, GError **error);

/* vm.list. agent_states maps a UUID string to "connected" or "responsive" (a snapshot taken
 * on the loop's thread; read-only here); a VM not in it is "absent". NULL: all absent. */
VlJson *vl_vm_list(virConnectPtr conn, GHashTable *agent_states, GError **error);

/* vm.define: {name, uuid, state}. */
VlJson *vl_vm_define(virConnectPtr conn, const VlJson *spec, const VlDomainXmlOptions *options,
                     GError **error);

typedef enum {
    VL_VM_START,
    VL_VM_START_PAUSED,
    VL_VM_SHUTDOWN_ACPI,
    VL_VM_DESTROY,
    VL_VM_REBOOT,
    VL_VM_RESET,
    VL_VM_PAUSE,
    VL_VM_RESUME,
    VL_VM_UNDEFINE,
} VlVmAction;

/* vm.start, vm.destroy, ...: {name, uuid, state} after the action. */
VlJson *vl_vm_act(virConnectPtr conn, const char *vm, VlVmAction action, GError **error);

/* vm.attach_device / vm.detach_device, given the method's whole params object. */
VlJson *vl_vm_attach_device(virConnectPtr conn, const VlJson *params, GError **error);
VlJson *vl_vm_detach_device(virConnectPtr conn, const VlJson *params, GError **error);

/* vm.qmp: {"return": ...}; a QMP error answer is VL_RPC_FAILED with QEMU's class and desc. */
VlJson *vl_vm_qmp(virConnectPtr conn, const char *vm, const VlJson *command, GError **error);

/* vm.stats: {vms: [...]} for one VM, or for every running VM when vm is NULL. */
VlJson *vl_vm_stats(virConnectPtr conn, const char *vm, GError **error);

G_END_DECLS
