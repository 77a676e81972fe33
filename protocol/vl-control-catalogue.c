/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Control plane protocol v1: the JSON-RPC methods vmlinkd serves to the manager, and the
 * notifications it sends. Each issue that adds a method adds its entry here.
 *
 * A VM is named by "vm": its libvirt name or its UUID. Lifecycle methods answer with the VM's
 * name, UUID and state after the call; guest methods answer with what the agent replied.
 */
#include "vl-catalogue-private.h"
#include "vl-protocol.h"

#define VM_MAX_LEN 64 /* libvirt names in practice, and UUIDs */

/* Shared values ----------------------------------------------------------------------------- */

static const char *const vm_states[] = {"running", "blocked",     "paused",  "shutdown", "shutoff",
                                        "crashed", "pmsuspended", "nostate", NULL};
static const char *const agent_states[] = {"absent", "connected", "responsive", NULL};
static const char *const accels[] = {"kvm", "tcg", NULL};
static const char *const disk_formats[] = {"raw", "qcow2", NULL};
static const char *const disk_buses[] = {"virtio", "sata", "scsi", "usb", NULL};
static const char *const disk_devices[] = {"disk", "cdrom", NULL};
static const char *const nic_models[] = {"virtio", "e1000", "e1000e", "rtl8139", NULL};
static const char *const device_kinds[] = {"disk", "nic", NULL};
static const char *const shutdown_ways[] = {"auto", "acpi", "agent", NULL};
static const char *const shutdown_modes[] = {"poweroff", "reboot", NULL};
static const char *const event_kinds[] = {
    "vm.lifecycle",     "agent.state", "guest.report", "guest.event", "host.ownership",
    "host.certificate", NULL};
static const char *const ownership_states[] = {"unowned", "owned", "damaged", NULL};

static const VlField version_item[] = {ITEM_INT(1, 65535, "A protocol version")};
static const VlField section_item[] = {ITEM_ENUM(vl_report_sections, "A report section")};
static const VlField event_kind_item[] = {ITEM_ENUM(event_kinds, "An event kind")};

static const VlField push_state_fields[] = {
    F_STRING("event_url", OPT, 0, VL_URL_MAX_LEN, "Where events go"),
    F_STRING("stats_url", OPT, 0, VL_URL_MAX_LEN, "Where statistics go"),
    F_INT("queued", REQ, 0, I64_MAX, "Events waiting to be sent"),
    F_INT("sent", REQ, 0, I64_MAX, "Events delivered"),
    F_INT("dropped", REQ, 0, I64_MAX, "Events dropped because the queue was full"),
    F_INT("stats_sent", REQ, 0, I64_MAX, "Statistics posts delivered"),
    F_INT("failures", REQ, 0, I64_MAX, "Failed posts (each retried with backoff)"),
    F_STRING("last_error", OPT, 0, VL_TEXT_MAX_LEN, "Why the last post failed"),
    F_INT("last_success", OPT, 0, I64_MAX, "When a post last succeeded, Unix time"),
    F_END,
};

#define F_VM F_STRING("vm", REQ, 1, VM_MAX_LEN, "The VM: its name or UUID")

static const VlField vm_only[] = {F_VM, F_END};

/* The VM after a lifecycle call. */
static const VlField vm_state_result[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_ENUM("state", REQ, vm_states, "State after the call"),
    F_END,
};

/* host.info ---------------------------------------------------------------------------------- */

static const VlField host_info_result[] = {
    F_STRING("name", REQ, 1, 64, "Program name (vmlinkd)"),
    F_STRING("version", REQ, 1, 64, "Program version"),
    F_ARRAY("protocol_versions", REQ, 1, 16, version_item, "Control plane versions served"),
    F_STRING("hostname", OPT, 0, 253, "Host name of the KVM host"),
    F_STRING("libvirt_uri", OPT, 0, VL_PATH_MAX_LEN, "The libvirt connection vmlinkd uses"),
    F_BOOL("libvirt_connected", OPT, "Whether that connection is up now"),
    F_INT("vms", OPT, 0, G_MAXINT32, "VMs known to libvirt"),
    F_INT("agents", OPT, 0, G_MAXINT32, "VMs whose vmlink agent is connected"),
    F_STRING("fingerprint", OPT, 95, 95,
             "SHA-256 fingerprint of the bridge's TLS certificate (AB:CD:...), to compare before "
             "taking ownership"),
    F_BOOL("password_set", OPT,
           "Whether an agent password is set (without one, no manager can "
           "take ownership)"),
    F_ENUM("ownership", OPT, ownership_states,
           "unowned; owned (by owner); damaged (the state file cannot be trusted: nobody owns "
           "the bridge until the administrator repairs it, see vmlinkd(8))"),
    F_STRING("owner", OPT, 1, VL_MANAGER_ID_MAX_LEN, "The owning manager's id"),
    F_INT("owned_since", OPT, 0, I64_MAX, "When it took ownership, Unix time"),
    F_BOOL("caller_is_owner", OPT, "Whether this connection is the owner's (or the host's root)"),
    F_OBJECT("push", OPT, push_state_fields, "Pushing to the owner's URLs (owner only)"),
    F_END,
};

/* Ownership ---------------------------------------------------------------------------------- */

static const VlField take_ownership_params[] = {
    F_STRING("password", REQ, 1, VL_PASSWORD_MAX_LEN, "The agent password (never logged)"),
    F_STRING("manager_id", REQ, 1, VL_MANAGER_ID_MAX_LEN,
             "Who the manager is: letters, digits, '.', '-', '_', '@'"),
    F_STRING("manager_certificate", REQ, 1, VL_CERT_MAX_LEN,
             "The manager's certificate (PEM): the one this connection presents, pinned from now "
             "on"),
    F_STRING("event_url", OPT, 0, VL_URL_MAX_LEN,
             "https:// URL the bridge POSTs event batches to; empty or absent: no push"),
    F_STRING("stats_url", OPT, 0, VL_URL_MAX_LEN,
             "https:// URL the bridge POSTs statistics to; empty or absent: no push"),
    F_END,
};

static const VlField ownership_result[] = {
    F_STRING("owner", REQ, 1, VL_MANAGER_ID_MAX_LEN, "The owning manager's id"),
    F_STRING("certificate", REQ, 1, VL_CERT_MAX_LEN, "The bridge's certificate (PEM), to pin"),
    F_STRING("fingerprint", REQ, 95, 95, "Its SHA-256 fingerprint"),
    F_INT("not_after", REQ, 0, I64_MAX, "When it expires, Unix time"),
    F_END,
};

static const VlField release_result[] = {
    F_STRING("released_by", REQ, 1, VL_MANAGER_ID_MAX_LEN, "The manager that owned the bridge"),
    F_END,
};

static const VlField change_password_params[] = {
    F_STRING("password", REQ, 1, VL_PASSWORD_MAX_LEN, "The current agent password"),
    F_STRING("new_password", REQ, 8, VL_PASSWORD_MAX_LEN, "The new one (at least 8 bytes)"),
    F_END,
};

static const VlField rotate_params[] = {
    F_STRING("manager_certificate", OPT, 1, VL_CERT_MAX_LEN,
             "The manager's new certificate (PEM) to pin instead of the current one"),
    F_BOOL("bridge", OPT,
           "Give the bridge a new key and certificate; new connections use it, this one ends "
           "after the answer"),
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
    F_ENUM("agent", REQ, agent_states, "The vmlink agent: absent, connected or responsive"),
    F_END,
};
static const VlField vm_summary_item[] = {ITEM_OBJECT(vm_summary_fields, "A VM")};

static const VlField vm_list_result[] = {
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

static const VlField vm_define_params[] = {
    F_OBJECT("spec", REQ, spec_fields,
             "The VM; the vmlink and QEMU guest agent channels are added to it"),
    F_END,
};

/* vm.start, vm.shutdown ---------------------------------------------------------------------- */

static const VlField vm_start_params[] = {
    F_VM,
    F_BOOL("paused", OPT, "Start with the CPUs stopped; default false"),
    F_END,
};

static const VlField vm_shutdown_params[] = {
    F_VM,
    F_ENUM("via", OPT, shutdown_ways,
           "acpi: the power button; agent: the vmlink agent; auto (default): the agent when it "
           "is responsive, else acpi"),
    F_END,
};

static const VlField vm_shutdown_result[] = {
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
static const VlField vm_stats_item[] = {ITEM_OBJECT(vm_stats_fields, "A VM's statistics")};

static const VlField vm_stats_params[] = {
    F_STRING("vm", OPT, 1, VM_MAX_LEN, "The VM (name or UUID); absent: every running VM"),
    F_END,
};

static const VlField vm_stats_result[] = {
    F_ARRAY("vms", REQ, 0, 100000, vm_stats_item, "One entry per VM"),
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

static const VlField device_params[] = {
    F_VM,
    F_OBJECT("device", REQ, device_fields, "The device"),
    F_BOOL("persistent", OPT,
           "Also change the VM's definition, so the change outlives a restart; default true "
           "for a persistent VM"),
    F_END,
};

static const VlField device_result[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_OBJECT("device", REQ, device_fields, "The device as attached or detached (target or mac)"),
    F_END,
};

/* vm.qmp ------------------------------------------------------------------------------------- */

static const VlField qmp_params[] = {
    F_VM,
    F_OBJECT("command", REQ, NULL, "A QMP command: {\"execute\": ..., \"arguments\": {...}}"),
    F_END,
};

static const VlField qmp_result[] = {
    F_ANY("return", REQ, "What QEMU returned"),
    F_END,
};

/* guest.* ------------------------------------------------------------------------------------ */

static const VlField agent_info_fields[] = {
    F_ENUM("state", REQ, agent_states,
           "absent; connected (hello done); responsive (heard from within 3 heartbeats)"),
    F_STRING("name", OPT, 1, VL_ID_MAX_LEN, "Agent program, from its hello"),
    F_STRING("version", OPT, 1, VL_ID_MAX_LEN, "Agent version, from its hello"),
    F_INT("protocol", OPT, 1, 65535, "Guest protocol version in use"),
    F_INT("connected_since", OPT, 0, I64_MAX, "When the hello completed, Unix time"),
    F_INT("last_heard", OPT, 0, I64_MAX, "Last valid message, Unix time"),
    F_END,
};

static const VlField section_times_fields[] = {
    F_INT("os", OPT, 0, I64_MAX, "Unix time"),
    F_INT("host", OPT, 0, I64_MAX, "Unix time"),
    F_INT("network", OPT, 0, I64_MAX, "Unix time"),
    F_INT("memory", OPT, 0, I64_MAX, "Unix time"),
    F_INT("applications", OPT, 0, I64_MAX, "Unix time"),
    F_INT("filesystems", OPT, 0, I64_MAX, "Unix time"),
    F_INT("users", OPT, 0, I64_MAX, "Unix time"),
    F_INT("cpu", OPT, 0, I64_MAX, "Unix time"),
    F_END,
};

static const VlField channel_counters_fields[] = {
    F_INT("frames", REQ, 0, I64_MAX, "Valid messages received"),
    F_INT("invalid", REQ, 0, I64_MAX, "Messages refused (framing, JSON, catalogue, state)"),
    F_INT("rate_limited", REQ, 0, I64_MAX, "Messages dropped by the rate limit"),
    F_INT("dropped_bytes", REQ, 0, I64_MAX, "Bytes of oversized frames dropped"),
    F_INT("connects", REQ, 0, I64_MAX, "Connections to the channel so far"),
    F_END,
};

static const VlField guest_info_params[] = {
    F_VM,
    F_ARRAY("sections", OPT, 0, 8, section_item, "Sections to return; absent: all"),
    F_END,
};

static const VlField guest_info_result[] = {
    F_STRING("name", REQ, 1, VM_MAX_LEN, "VM name"),
    F_STRING("uuid", REQ, 36, 36, "VM UUID"),
    F_OBJECT("agent", REQ, agent_info_fields, "The agent"),
    F_OBJECT("sections", REQ, vl_report_section_fields,
             "The guest's last report, partial updates merged; a section is absent until "
             "reported"),
    F_OBJECT("updated", REQ, section_times_fields, "When each section was last reported"),
    F_OBJECT("counters", REQ, channel_counters_fields, "The channel's counters"),
    F_END,
};

static const VlField guest_shutdown_params[] = {
    F_VM,
    F_ENUM("mode", OPT, shutdown_modes, "poweroff (default) or reboot"),
    F_INT("delay_s", OPT, 0, 86400, "Seconds the guest waits first; default 0"),
    F_STRING("message", OPT, 0, VL_TEXT_MAX_LEN, "Shown to logged-in users"),
    F_END,
};

static const VlField guest_logoff_params[] = {
    F_VM,
    F_STRING("session", OPT, 1, VL_ID_MAX_LEN, "The session; absent: the active one"),
    F_END,
};

static const VlField guest_refresh_params[] = {
    F_VM,
    F_ARRAY("sections", OPT, 0, 8, section_item, "Sections to refresh; absent: all"),
    F_END,
};

static const VlField guest_login_params[] = {
    F_VM,
    F_STRING("user", REQ, 1, 256, "The guest user to log in"),
    F_STRING("password", REQ, 1, VL_PASSWORD_MAX_LEN,
             "Their password: forwarded once, wiped at once, never logged or audited"),
    F_STRING("domain", OPT, 0, 256, "Domain, where the guest has one"),
    F_STRING("console", OPT, 1, 64, "tty1, ttyS0, hvc0 or graphical; absent: the agent chooses"),
    F_END,
};

static const VlField guest_reply_result[] = {
    F_OBJECT("reply", REQ, NULL, "The agent's reply"),
    F_END,
};

/* events ------------------------------------------------------------------------------------- */

static const VlField subscribe_params[] = {
    F_ARRAY("events", OPT, 0, 8, event_kind_item, "Kinds to receive; absent: all"),
    F_INT("since", OPT, 0, I64_MAX,
          "First send the kept events after this sequence number (see events.since)"),
    F_END,
};

static const VlField subscribe_result[] = {
    F_INT("seq", REQ, 0, I64_MAX, "Sequence number of the last event sent before this call"),
    F_BOOL("gap", OPT,
           "With since: events after it had already left the bridge's ring, so some are missing "
           "(resynchronise with guest.info and vm.list)"),
    F_END,
};

static const VlField event_params[] = {
    F_INT("seq", REQ, 1, I64_MAX, "Sequence number: one more than the event before"),
    F_INT("time", REQ, 0, I64_MAX, "When vmlinkd saw it, Unix time in milliseconds"),
    F_ENUM("event", REQ, event_kinds, "Kind"),
    F_STRING("vm", OPT, 1, VM_MAX_LEN, "The VM's name"),
    F_STRING("uuid", OPT, 36, 36, "The VM's UUID"),
    F_OBJECT("data", REQ, NULL,
             "vm.lifecycle: {state, reason}; agent.state: {state}; guest.report: {sections, "
             "full}; guest.event: the agent's event {event, time, data}"),
    F_END,
};

static const VlField event_item[] = {ITEM_OBJECT(event_params, "An event, as notified")};

static const VlField since_params[] = {
    F_INT("seq", REQ, 0, I64_MAX, "The last sequence number the caller has"),
    F_ARRAY("events", OPT, 0, 8, event_kind_item, "Kinds to return; absent: all"),
    F_END,
};

static const VlField since_result[] = {
    F_ARRAY("events", REQ, 0, 1000000, event_item,
            "The kept events after seq, oldest first; at most about 1 MiB of them per answer"),
    F_INT("seq", REQ, 0, I64_MAX, "The last sequence number emitted"),
    F_BOOL("gap", REQ, "Events after seq have already left the ring: some are missing"),
    F_BOOL("more", OPT,
           "More kept events follow those returned: ask again from the last seq returned"),
    F_END,
};

/* Push (the bridge POSTs these to the owner's URLs, as JSON-RPC notifications) ---------------- */

static const VlField push_events_params[] = {
    F_STRING("host", REQ, 1, 253, "The bridge's host name"),
    F_STRING("fingerprint", REQ, 95, 95, "The bridge's certificate fingerprint"),
    F_ARRAY("events", REQ, 1, 10000, event_item, "Events in sequence order"),
    F_INT("dropped", REQ, 0, I64_MAX,
          "Events dropped so far because the push queue was full (the manager should fill the "
          "gap with events.since or resynchronise)"),
    F_END,
};

static const VlField push_stats_params[] = {
    F_STRING("host", REQ, 1, 253, "The bridge's host name"),
    F_STRING("fingerprint", REQ, 95, 95, "The bridge's certificate fingerprint"),
    F_INT("time", REQ, 0, I64_MAX, "When collected, Unix time in milliseconds"),
    F_ARRAY("vms", REQ, 0, 100000, vm_stats_item, "vm.stats of every running VM"),
    F_END,
};

/* The table ---------------------------------------------------------------------------------- */

#define REQUEST(method, params)                                                                    \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" method "\",\"params\":" params "}"
#define VM_REQUEST(method) REQUEST(method, "{\"vm\":\"web1\"}")
#define EXAMPLE_FINGERPRINT                                                                        \
    "3A:5F:0C:91:7E:22:B4:D8:61:0F:AA:93:4C:E2:17:58:C9:30:6D:BE:11:72:8A:F4:05:E9:3B:C6:20:7D:"   \
    "94:1A"

/* clang-format off */
#define VM_METHOD(n, what)                                                                         \
    {.name = (n), .senders = VL_SENDER_CLIENT, .summary = (what), .fields = vm_only,               \
     .result = vm_state_result, .example = VM_REQUEST(n)}
/* clang-format on */

static const VlEntry control_entries[] = {
    {
        .name = "host.info",
        .senders = VL_SENDER_CLIENT,
        .summary = "Who this bridge is. Always allowed, owned or not.",
        .fields = vl_no_fields,
        .result = host_info_result,
        .example = REQUEST("host.info", "{}"),
    },
    {
        .name = "host.take_ownership",
        .senders = VL_SENDER_CLIENT,
        .summary = "Makes the calling manager the bridge's owner: proves the agent password, pins "
                   "the certificate this TLS connection presents, and answers with the bridge's "
                   "certificate to pin. Allowed when unowned, or to the owner's manager_id again "
                   "(recovery after its certificate expired). Failures are audited and throttled "
                   "per source address.",
        .fields = take_ownership_params,
        .result = ownership_result,
        .example = REQUEST("host.take_ownership",
                           "{\"password\":\"s3cret\",\"manager_id\":\"engine1\","
                           "\"manager_certificate\":\"-----BEGIN CERTIFICATE-----\\n...\","
                           "\"event_url\":\"https://engine1:7002/events\"}"),
    },
    {
        .name = "host.release_ownership",
        .senders = VL_SENDER_CLIENT,
        .summary = "The owner gives the bridge up (the host's root may too): its certificate is "
                   "unpinned and pushing stops. The password stays.",
        .fields = vl_no_fields,
        .result = release_result,
        .example = REQUEST("host.release_ownership", "{}"),
    },
    {
        .name = "host.change_password",
        .senders = VL_SENDER_CLIENT,
        .summary = "The owner changes the agent password.",
        .fields = change_password_params,
        .result = NULL,
        .example = REQUEST("host.change_password",
                           "{\"password\":\"s3cret\",\"new_password\":\"n3w-s3cret\"}"),
    },
    {
        .name = "host.rotate_certificate",
        .senders = VL_SENDER_CLIENT,
        .summary = "The owner replaces its pinned certificate, the bridge's, or both, before they "
                   "expire. Answers with the bridge's (new) certificate.",
        .fields = rotate_params,
        .result = ownership_result,
        .example = REQUEST("host.rotate_certificate", "{\"bridge\":true}"),
    },
    {
        .name = "vm.list",
        .senders = VL_SENDER_CLIENT,
        .summary = "Every VM libvirt knows, with its state and its agent's.",
        .fields = vl_no_fields,
        .result = vm_list_result,
        .example = REQUEST("vm.list", "{}"),
    },
    {
        .name = "vm.define",
        .senders = VL_SENDER_CLIENT,
        .summary = "Defines a persistent VM from a spec; it is not started.",
        .fields = vm_define_params,
        .result = vm_state_result,
        .example =
            REQUEST("vm.define", "{\"spec\":{\"name\":\"web1\",\"memory_mib\":1024,\"vcpus\":1,"
                                 "\"accel\":\"tcg\",\"boot\":{\"kernel\":\"/srv/vmlinuz\","
                                 "\"initrd\":\"/srv/initrd\",\"cmdline\":\"console=ttyS0\"},"
                                 "\"disks\":[{\"path\":\"/srv/web1.qcow2\",\"format\":\"qcow2\"}],"
                                 "\"nics\":[{\"network\":\"default\"}]}}"),
    },
    {
        .name = "vm.start",
        .senders = VL_SENDER_CLIENT,
        .summary = "Starts a defined VM.",
        .fields = vm_start_params,
        .result = vm_state_result,
        .example = VM_REQUEST("vm.start"),
    },
    {
        .name = "vm.shutdown",
        .senders = VL_SENDER_CLIENT,
        .summary = "Asks the guest to power off, through its agent or the ACPI power button; "
                   "returns when asked, not when off (watch vm.lifecycle events).",
        .fields = vm_shutdown_params,
        .result = vm_shutdown_result,
        .example = REQUEST("vm.shutdown", "{\"vm\":\"web1\",\"via\":\"auto\"}"),
    },
    VM_METHOD("vm.destroy", "Stops a VM at once, like pulling the plug."),
    VM_METHOD("vm.reboot", "Asks the guest to reboot (ACPI)."),
    VM_METHOD("vm.reset", "Resets the VM at once, like the reset button."),
    VM_METHOD("vm.pause", "Stops the VM's CPUs; memory is kept."),
    VM_METHOD("vm.resume", "Starts the CPUs of a paused VM again."),
    VM_METHOD("vm.undefine", "Removes a stopped VM's definition (its disks are kept)."),
    {
        .name = "vm.stats",
        .senders = VL_SENDER_CLIENT,
        .summary = "CPU, balloon, block and network statistics of one VM or of every running VM.",
        .fields = vm_stats_params,
        .result = vm_stats_result,
        .example = VM_REQUEST("vm.stats"),
    },
    {
        .name = "vm.attach_device",
        .senders = VL_SENDER_CLIENT,
        .summary = "Adds a disk or a NIC to a VM (to the running VM and, when persistent, its "
                   "definition).",
        .fields = device_params,
        .result = device_result,
        .example = REQUEST("vm.attach_device", "{\"vm\":\"web1\",\"device\":{\"kind\":\"disk\","
                                               "\"path\":\"/srv/data.img\",\"target\":\"vdb\"}}"),
    },
    {
        .name = "vm.detach_device",
        .senders = VL_SENDER_CLIENT,
        .summary = "Removes a disk (by target) or a NIC (by MAC) from a VM.",
        .fields = device_params,
        .result = device_result,
        .example = REQUEST("vm.detach_device", "{\"vm\":\"web1\",\"device\":{\"kind\":\"nic\","
                                               "\"mac\":\"52:54:00:12:34:56\"}}"),
    },
    {
        .name = "vm.qmp",
        .senders = VL_SENDER_CLIENT,
        .summary = "Passes one QMP command to the VM's QEMU through libvirt. Disabled unless "
                   "[control] qmp-passthrough = true in bridge.conf.",
        .fields = qmp_params,
        .result = qmp_result,
        .example =
            REQUEST("vm.qmp", "{\"vm\":\"web1\",\"command\":{\"execute\":\"query-status\"}}"),
    },
    {
        .name = "guest.info",
        .senders = VL_SENDER_CLIENT,
        .summary = "What the VM's agent last reported, from vmlinkd's cache (no guest round "
                   "trip).",
        .fields = guest_info_params,
        .result = guest_info_result,
        .example = REQUEST("guest.info", "{\"vm\":\"web1\",\"sections\":[\"os\",\"network\"]}"),
    },
    {
        .name = "guest.shutdown",
        .senders = VL_SENDER_CLIENT,
        .summary = "Asks the agent to power off or reboot the guest; answers with the agent's "
                   "reply.",
        .fields = guest_shutdown_params,
        .result = guest_reply_result,
        .example = REQUEST("guest.shutdown", "{\"vm\":\"web1\",\"mode\":\"reboot\"}"),
    },
    {
        .name = "guest.lock",
        .senders = VL_SENDER_CLIENT,
        .summary = "Asks the agent to lock the guest's screens.",
        .fields = vm_only,
        .result = guest_reply_result,
        .example = VM_REQUEST("guest.lock"),
    },
    {
        .name = "guest.logoff",
        .senders = VL_SENDER_CLIENT,
        .summary = "Asks the agent to end a user session.",
        .fields = guest_logoff_params,
        .result = guest_reply_result,
        .example = VM_REQUEST("guest.logoff"),
    },
    {
        .name = "guest.login",
        .senders = VL_SENDER_CLIENT,
        .summary = "Single sign-on: logs a user in on a console of the guest with the manager's "
                   "credentials (the owner only; audited without the password). The reply says "
                   "what happened: logged_in, handed_to_greeter, wrong_credentials, not_allowed, "
                   "no_console, already_logged_in or timed_out.",
        .fields = guest_login_params,
        .result = guest_reply_result,
        .example = REQUEST("guest.login", "{\"vm\":\"web1\",\"user\":\"alice\","
                                          "\"password\":\"s3cret\",\"console\":\"ttyS0\"}"),
    },
    {
        .name = "guest.refresh",
        .senders = VL_SENDER_CLIENT,
        .summary = "Asks the agent to report sections in full again.",
        .fields = guest_refresh_params,
        .result = guest_reply_result,
        .example = REQUEST("guest.refresh", "{\"vm\":\"web1\",\"sections\":[\"users\"]}"),
    },
    {
        .name = "events.subscribe",
        .senders = VL_SENDER_CLIENT,
        .summary = "Starts event notifications on this connection.",
        .fields = subscribe_params,
        .result = subscribe_result,
        .example = REQUEST("events.subscribe", "{\"events\":[\"vm.lifecycle\",\"agent.state\"]}"),
    },
    {
        .name = "events.since",
        .senders = VL_SENDER_CLIENT,
        .summary = "The events after a sequence number, from the bridge's ring of recent events: "
                   "how a reconnecting manager fills its gap.",
        .fields = since_params,
        .result = since_result,
        .example = REQUEST("events.since", "{\"seq\":40}"),
    },
    {
        .name = "event",
        .senders = VL_SENDER_SERVER,
        .summary = "A notification to subscribed connections: something happened to a VM or "
                   "its guest.",
        .fields = event_params,
        .example = "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"seq\":42,"
                   "\"time\":1763769700123,\"event\":\"agent.state\",\"vm\":\"web1\","
                   "\"uuid\":\"0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f\","
                   "\"data\":{\"state\":\"responsive\"}}}",
    },
    {
        .name = "push.events",
        .senders = VL_SENDER_SERVER,
        .summary = "POSTed to the owner's event_url: a batch of events, in order. A batch whose "
                   "answer was lost is sent again: deduplicate by seq.",
        .fields = push_events_params,
        .example = "{\"jsonrpc\":\"2.0\",\"method\":\"push.events\",\"params\":{\"host\":"
                   "\"kvm1\",\"fingerprint\":\"" EXAMPLE_FINGERPRINT "\",\"dropped\":0,"
                   "\"events\":[{\"seq\":42,\"time\":1763769700123,\"event\":"
                   "\"vm.lifecycle\",\"vm\":\"web1\",\"uuid\":"
                   "\"0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f\",\"data\":{\"state\":\"running\","
                   "\"reason\":\"booted\"}}]}}",
    },
    {
        .name = "push.stats",
        .senders = VL_SENDER_SERVER,
        .summary = "POSTed to the owner's stats_url every interval: every running VM's vm.stats.",
        .fields = push_stats_params,
        .example = "{\"jsonrpc\":\"2.0\",\"method\":\"push.stats\",\"params\":{\"host\":"
                   "\"kvm1\",\"fingerprint\":\"" EXAMPLE_FINGERPRINT "\",\"time\":"
                   "1763769700123,\"vms\":[{\"name\":\"web1\",\"uuid\":"
                   "\"0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f\",\"state\":\"running\","
                   "\"cpu_time_ns\":81234000000,\"vcpus\":1}]}}",
    },
    {.name = NULL},
};

const VlCatalogue vl_control_catalogue = {
    .id = "control-method",
    .title = "Control plane methods",
    .key = "method",
    .member = "params",
    .sender_names = {"manager", "bridge"},
    .entries = control_entries,
};

const VlCatalogue *const vl_catalogues[] = {
    &vl_guest_catalogue,
    &vl_guest_command_catalogue,
    &vl_guest_event_catalogue,
    &vl_control_catalogue,
    NULL,
};
