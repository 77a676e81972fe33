/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control plane's VM methods (vm.*): their params and results, for the table in
 * vl-control-catalogue.c. Lifecycle methods answer with the VM's name, UUID and state after the
 * call.
 */
#include "vl-control-private.h"
#include "vl-protocol.h"

static const char *const vm_states[] = {"running", "blocked",     "paused",  "shutdown", "shutoff",
                                        "crashed", "pmsuspended", "nostate", NULL};
static const char *const accels[] = {"kvm", "tcg", NULL};
static const char *const disk_formats[] = {"raw", "qcow2", NULL};
static const char *const disk_buses[] = {"virtio", "sata", "scsi", "usb", NULL};
static const char *const disk_devices[] = {"disk", "cdrom", NULL};
static const char *const nic_models[] = {"virtio", "e1000", "e1000e", "rtl8139", NULL};
static const char *const device_kinds[] = {"disk", "nic", NULL};
static const char *const shutdown_ways[] = {"auto", "acpi", "agent", NULL};

const VlField vl_control_vm_only[] = {F_VM, F_END};

/* The VM after a lifecycle call. */
const VlField vl_control_vm_state_result[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_ENUM("state", REQ, vm_states, "State after the call"),
    F_END,
};

/* vm.list ------------------------------------------------------------------------------------ */

static const VlField vm_summary_fields[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_ENUM("state", REQ, vm_states, "libvirt state"),
    F_BOOL("persistent", OPT, "Defined (true) or transient (false)"),
    F_INT("id", OPT, -1, G_MAXINT32, "libvirt domain id while running, else -1"),
    F_INT("memory_kib", OPT, 0, I64_MAX, "Memory, KiB"),
    F_INT("vcpus", OPT, 0, 65536, "Virtual CPUs"),
    F_ENUM("agent", REQ, vl_control_agent_states,
           "The VM's agent: absent, connected or responsive (as guest.info's agent.state: the "
           "vmlink agent while it answers, else a QEMU guest agent libvirt reaches)"),
    F_ENUM("agent_kind", OPT, vl_control_agent_kinds,
           "Which agent: vmlink or qemu-ga; absent while neither is there"),
    F_END,
};
static const VlField vm_summary_item[] = {ITEM_OBJECT(vm_summary_fields, "A VM")};

const VlField vl_control_vm_list_result[] = {
    F_ARRAY("vms", REQ, 0, 100000, vm_summary_item, "Every VM libvirt knows, running or not"),
    F_END,
};

/* vm.define ---------------------------------------------------------------------------------- */

static const VlField spec_boot_fields[] = {
    F_STRING("kernel", REQ, 1, VL_PATH_MAX_LEN, "Kernel image on the host"),
    F_STRING("initrd", OPT, 1, VL_PATH_MAX_LEN, "Initial ramdisk on the host"),
    F_STRING("cmdline", OPT, 0, VL_TEXT_MAX_LEN, "Kernel command line"),
    F_END,
};

static const VlField spec_disk_fields[] = {
    F_STRING("path", REQ, 1, VL_PATH_MAX_LEN, "Image file or block device on the host"),
    F_ENUM("format", OPT, disk_formats, "Image format; default raw"),
    F_ENUM("bus", OPT, disk_buses, "Bus; default virtio (sata for a cdrom)"),
    F_ENUM("device", OPT, disk_devices, "disk (default) or cdrom"),
    F_STRING("target", OPT, 2, 16, "Guest device name (vda); default: the next free one"),
    F_BOOL("readonly", OPT, "Read-only; default false (true for a cdrom)"),
    F_END,
};
static const VlField spec_disk_item[] = {ITEM_OBJECT(spec_disk_fields, "A disk")};

static const VlField spec_nic_fields[] = {
    F_STRING("network", OPT, 1, VM_MAX_LEN, "libvirt network to join"),
    F_STRING("bridge", OPT, 1, 15, "Host bridge to join (instead of a network)"),
    F_STRING("mac", OPT, 17, 17, "MAC address; default: one libvirt picks"),
    F_ENUM("model", OPT, nic_models, "Device model; default virtio"),
    F_END,
};
static const VlField spec_nic_item[] = {ITEM_OBJECT(spec_nic_fields, "A NIC")};

static const VlField spec_fields[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name: letters, digits, '.', '-', '_'"),
    F_STRING("uuid", OPT, 36, 36, "UUID; default: a new one"),
    F_INT("memory_mib", REQ, 16, 16777216, "Memory, MiB"),
    F_INT("vcpus", OPT, 1, 1024, "Virtual CPUs; default 1"),
    F_ENUM("accel", OPT, accels, "kvm (default) or tcg, QEMU's emulator"),
    F_OBJECT("boot", OPT, spec_boot_fields, "Direct kernel boot; absent: boot the first disk"),
    F_ARRAY("disks", OPT, 0, 32, spec_disk_item, "Disks, in boot order"),
    F_ARRAY("nics", OPT, 0, 16, spec_nic_item, "Network interfaces"),
    F_STRING("console_log", OPT, 1, VL_PATH_MAX_LEN, "Write the serial console to this file"),
    F_END,
};

const VlField vl_control_vm_define_params[] = {
    F_OBJECT("spec", REQ, spec_fields,
             "The VM; the vmlink and QEMU guest agent channels are added to it"),
    F_END,
};

/* vm.start, vm.shutdown ---------------------------------------------------------------------- */

const VlField vl_control_vm_start_params[] = {
    F_VM,
    F_BOOL("paused", OPT, "Start with the CPUs stopped; default false"),
    F_END,
};

const VlField vl_control_vm_shutdown_params[] = {
    F_VM,
    F_ENUM("via", OPT, shutdown_ways,
           "acpi: the power button; agent: the vmlink agent; auto (default): the agent when it "
           "is responsive, else acpi"),
    F_END,
};

const VlField vl_control_vm_shutdown_result[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_ENUM("state", REQ, vm_states, "State right after the request (shutting down takes time)"),
    F_ENUM("via", REQ, shutdown_ways, "How it was asked: acpi or agent"),
    F_END,
};

/* vm.stats ----------------------------------------------------------------------------------- */

static const VlField block_stats_fields[] = {
    F_STRING("name", REQ, 1, 32, "Guest device (vda)"),
    F_STRING("path", OPT, 0, VL_PATH_MAX_LEN, "Source on the host"),
    F_INT("rd_bytes", OPT, 0, I64_MAX, "Bytes read"),
    F_INT("wr_bytes", OPT, 0, I64_MAX, "Bytes written"),
    F_INT("rd_reqs", OPT, 0, I64_MAX, "Read requests"),
    F_INT("wr_reqs", OPT, 0, I64_MAX, "Write requests"),
    F_INT("capacity_bytes", OPT, 0, I64_MAX, "Size seen by the guest"),
    F_INT("allocation_bytes", OPT, 0, I64_MAX, "Bytes allocated on the host"),
    F_END,
};
static const VlField block_stats_item[] = {ITEM_OBJECT(block_stats_fields, "A disk")};

static const VlField net_stats_fields[] = {
    F_STRING("name", REQ, 1, 32, "Host side interface (vnet0)"),
    F_INT("rx_bytes", OPT, 0, I64_MAX, "Bytes received by the guest"),
    F_INT("tx_bytes", OPT, 0, I64_MAX, "Bytes sent by the guest"),
    F_INT("rx_pkts", OPT, 0, I64_MAX, "Packets received"),
    F_INT("tx_pkts", OPT, 0, I64_MAX, "Packets sent"),
    F_INT("rx_drop", OPT, 0, I64_MAX, "Received packets dropped"),
    F_INT("tx_drop", OPT, 0, I64_MAX, "Sent packets dropped"),
    F_END,
};
static const VlField net_stats_item[] = {ITEM_OBJECT(net_stats_fields, "A NIC")};

static const VlField vm_stats_fields[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_ENUM("state", REQ, vm_states, "libvirt state"),
    F_INT("cpu_time_ns", OPT, 0, I64_MAX, "CPU time used, nanoseconds"),
    F_INT("vcpus", OPT, 0, 65536, "Virtual CPUs online"),
    F_INT("balloon_current_kib", OPT, 0, I64_MAX, "Memory the guest has now, KiB"),
    F_INT("balloon_maximum_kib", OPT, 0, I64_MAX, "Memory it may have, KiB"),
    F_INT("balloon_rss_kib", OPT, 0, I64_MAX, "Resident memory of the VM's process, KiB"),
    F_ARRAY("block", OPT, 0, 256, block_stats_item, "Per disk"),
    F_ARRAY("net", OPT, 0, 256, net_stats_item, "Per NIC"),
    F_END,
};
const VlField vl_control_vm_stats_item[] = {ITEM_OBJECT(vm_stats_fields, "A VM's statistics")};

const VlField vl_control_vm_stats_params[] = {
    F_STRING("vm", OPT, 1, VM_MAX_LEN, "The VM (name or UUID); absent: every running VM"),
    F_END,
};

const VlField vl_control_vm_stats_result[] = {
    F_ARRAY("vms", REQ, 0, 100000, vl_control_vm_stats_item, "One entry per VM"),
    F_END,
};

/* vm.attach_device, vm.detach_device --------------------------------------------------------- */

static const VlField device_fields[] = {
    F_ENUM("kind", REQ, device_kinds, "disk or nic"),
    F_STRING("path", OPT, 1, VL_PATH_MAX_LEN, "disk: image file or block device (required)"),
    F_ENUM("format", OPT, disk_formats, "disk: image format; default raw"),
    F_ENUM("bus", OPT, disk_buses, "disk: bus; default virtio"),
    F_STRING("target", OPT, 2, 16, "disk: guest device name (vdb); detach: the disk to remove"),
    F_BOOL("readonly", OPT, "disk: read-only"),
    F_STRING("network", OPT, 1, VM_MAX_LEN, "nic: libvirt network to join"),
    F_STRING("bridge", OPT, 1, 15, "nic: host bridge to join"),
    F_STRING("mac", OPT, 17, 17, "nic: MAC address; detach: the NIC to remove"),
    F_ENUM("model", OPT, nic_models, "nic: device model; default virtio"),
    F_END,
};

const VlField vl_control_device_params[] = {
    F_VM,
    F_OBJECT("device", REQ, device_fields, "The device"),
    F_BOOL("persistent", OPT,
           "Also change the VM's definition, so the change outlives a restart; default true "
           "for a persistent VM"),
    F_END,
};

const VlField vl_control_device_result[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_OBJECT("device", REQ, device_fields, "The device as attached or detached (target or mac)"),
    F_END,
};

/* vm.qmp ------------------------------------------------------------------------------------- */

const VlField vl_control_qmp_params[] = {
    F_VM,
    F_OBJECT("command", REQ, NULL, "A QMP command: {\"execute\": ..., \"arguments\": {...}}"),
    F_END,
};

const VlField vl_control_qmp_result[] = {
    F_ANY("return", REQ, "What QEMU returned"),
    F_END,
};
