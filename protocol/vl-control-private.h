/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the control catalogue's files: the table and the host, guest and event methods
 * (vl-control-catalogue.c), and the VM methods' fields (vl-control-vm.c).
 */
#pragma once

#include "vl-catalogue-private.h"

#define VM_MAX_LEN 64 /* libvirt names in practice, and UUIDs */
#define F_VM F_STRING("vm", REQ, 1, VM_MAX_LEN, "The VM: its name or UUID")

extern const char *const vl_control_agent_states[];
extern const char *const vl_control_agent_kinds[];

extern const VlField vl_control_vm_only[];
extern const VlField vl_control_vm_state_result[];
extern const VlField vl_control_vm_list_result[];
extern const VlField vl_control_vm_define_params[];
extern const VlField vl_control_vm_start_params[];
extern const VlField vl_control_vm_shutdown_params[];
extern const VlField vl_control_vm_shutdown_result[];
extern const VlField vl_control_vm_stats_item[];
extern const VlField vl_control_vm_stats_params[];
extern const VlField vl_control_vm_stats_result[];
extern const VlField vl_control_device_params[];
extern const VlField vl_control_device_result[];
extern const VlField vl_control_qmp_params[];
extern const VlField vl_control_qmp_result[];
