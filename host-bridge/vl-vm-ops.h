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

/* The domain a "vm" member names: a name, or a UUID in its 36-character form (looked up as a
 * UUID only). VL_RPC_NOT_FOUND when there is none. The caller frees it (virDomainFree). */
virDomainPtr vl_vm_lookup(virConnectPtr conn, const char *vm, GError **error);

/*
 * Sets error from libvirt's last error on this thread, prefixed with what was being done
 * ("vm.start web1: Requested operation is not valid: ..."), and resets libvirt's. Call it right
 * after the call that failed: every libvirt API call, even virDomainGetName or virDomainFree,
 * resets the thread's error first.
 */
void vl_vm_set_libvirt_error(GError **error, const char *what);

/* The catalogue's name of a virDomainState ("running", "shutoff"...); "nostate" for others. */
const char *vl_vm_state_name(int state);

/* {name, uuid, state} of a domain. */
VlJson *vl_vm_state_result(virDomainPtr domain, GError **error);

/* A VM's agent as vm.list shows it. */
typedef struct {
    const char *state; /* "connected" or "responsive" */
    const char *kind;  /* "vmlink" or "qemu-ga" */
} VlVmAgent;

/* vm.list, sorted by name. agent_states maps a UUID string to a VlVmAgent (a snapshot taken on
 * the loop's thread; read-only here); a VM not in it, or with another state, is "absent".
 * NULL: all absent. */
VlJson *vl_vm_list(virConnectPtr conn, GHashTable *agent_states, GError **error);

/* vm.define: {name, uuid, state}. A name or UUID that exists already is VL_RPC_CONFLICT (libvirt
 * itself would replace that VM's definition). On the test driver, domain_type is "test". */
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

/*
 * vm.start, vm.destroy, ...: {name, uuid, state} after the action (vm.shutdown's "via" is the
 * caller's to add; after undefine, the state it had). A VM in a state the action does not apply
 * to (start a running VM, pause a paused one, undefine a running one) is VL_RPC_CONFLICT,
 * whatever the driver would have said. START_PAUSED does not fall back to a running start.
 */
VlJson *vl_vm_act(virConnectPtr conn, const char *vm, VlVmAction action, GError **error);

/*
 * vm.attach_device / vm.detach_device, given the method's whole params object: {name, uuid,
 * device}, the device as given plus, after an attach, the MAC (or target) libvirt chose. The
 * running VM is changed, and its definition when persistent (default: whether the VM is).
 * Detach finds the device (a disk by target, a NIC by MAC) in the VM's XML: VL_RPC_NOT_FOUND.
 */
VlJson *vl_vm_attach_device(virConnectPtr conn, const VlJson *params, GError **error);
VlJson *vl_vm_detach_device(virConnectPtr conn, const VlJson *params, GError **error);

/* vm.qmp: {"return": ...}; a QMP error answer is VL_RPC_FAILED "QMP <class>: <desc>". A reply
 * that is not strict JSON, or nested deeper than a response frame may be, is VL_RPC_FAILED. */
VlJson *vl_vm_qmp(virConnectPtr conn, const char *vm, const VlJson *command, GError **error);

/* vm.stats (vl-vm-stats.c): {vms: [...]} for one VM (running or not), or for every running or
 * paused VM when vm is NULL, sorted by name. Figures the driver does not give are left out. */
VlJson *vl_vm_stats(virConnectPtr conn, const char *vm, GError **error);

G_END_DECLS
