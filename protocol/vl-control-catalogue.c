/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Control plane protocol v1: the JSON-RPC methods vmlinkd serves to the manager, and the
 * notifications it sends. Each issue that adds a method adds its entry here.
 *
 * A VM is named by "vm": its libvirt name or its UUID. Lifecycle methods answer with the VM's
 * name, UUID and state after the call; guest methods answer with what the agent replied.
 */
#include "vl-control-private.h"
#include "vl-protocol.h"

/* Shared values ----------------------------------------------------------------------------- */

const char *const vl_control_agent_states[] = {"absent", "connected", "responsive", NULL};
const char *const vl_control_agent_kinds[] = {"vmlink", "qemu-ga", NULL};
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

/* guest.* ------------------------------------------------------------------------------------ */

static const VlField agent_info_fields[] = {
    F_ENUM("state", REQ, vl_control_agent_states,
           "absent; connected (hello done; qemu-ga: libvirt sees it, but it did not answer); "
           "responsive (heard from within 3 heartbeats; qemu-ga: answered the last request)"),
    F_ENUM("kind", OPT, vl_control_agent_kinds,
           "Which agent the state and sections come from: vmlink (vmlink-agent on "
           "org.vmlink.agent.0) or qemu-ga (any QEMU guest agent, asked through libvirt when no "
           "vmlink agent is there); absent while neither was heard"),
    F_STRING("name", OPT, 1, VL_ID_MAX_LEN, "Agent program, from its hello (qemu-ga: qemu-ga)"),
    F_STRING("version", OPT, 1, VL_ID_MAX_LEN, "Agent version, from its hello or guest-info"),
    F_INT("protocol", OPT, 1, 65535, "Guest protocol version in use (vmlink)"),
    F_INT("connected_since", OPT, 0, I64_MAX,
          "When the hello completed (qemu-ga: its first answer since it connected), Unix time"),
    F_INT("last_heard", OPT, 0, I64_MAX, "Last valid message or answer, Unix time"),
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
    F_ARRAY("vms", REQ, 0, 100000, vl_control_vm_stats_item, "vm.stats of every running VM"),
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
    {.name = (n), .senders = VL_SENDER_CLIENT, .summary = (what), .fields = vl_control_vm_only,               \
     .result = vl_control_vm_state_result, .example = VM_REQUEST(n)}
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
        .result = vl_control_vm_list_result,
        .example = REQUEST("vm.list", "{}"),
    },
    {
        .name = "vm.define",
        .senders = VL_SENDER_CLIENT,
        .summary = "Defines a persistent VM from a spec; it is not started.",
        .fields = vl_control_vm_define_params,
        .result = vl_control_vm_state_result,
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
        .fields = vl_control_vm_start_params,
        .result = vl_control_vm_state_result,
        .example = VM_REQUEST("vm.start"),
    },
    {
        .name = "vm.shutdown",
        .senders = VL_SENDER_CLIENT,
        .summary = "Asks the guest to power off, through its agent or the ACPI power button; "
                   "returns when asked, not when off (watch vm.lifecycle events).",
        .fields = vl_control_vm_shutdown_params,
        .result = vl_control_vm_shutdown_result,
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
        .fields = vl_control_vm_stats_params,
        .result = vl_control_vm_stats_result,
        .example = VM_REQUEST("vm.stats"),
    },
    {
        .name = "vm.attach_device",
        .senders = VL_SENDER_CLIENT,
        .summary = "Adds a disk or a NIC to a VM (to the running VM and, when persistent, its "
                   "definition).",
        .fields = vl_control_device_params,
        .result = vl_control_device_result,
        .example = REQUEST("vm.attach_device", "{\"vm\":\"web1\",\"device\":{\"kind\":\"disk\","
                                               "\"path\":\"/srv/data.img\",\"target\":\"vdb\"}}"),
    },
    {
        .name = "vm.detach_device",
        .senders = VL_SENDER_CLIENT,
        .summary = "Removes a disk (by target) or a NIC (by MAC) from a VM.",
        .fields = vl_control_device_params,
        .result = vl_control_device_result,
        .example = REQUEST("vm.detach_device", "{\"vm\":\"web1\",\"device\":{\"kind\":\"nic\","
                                               "\"mac\":\"52:54:00:12:34:56\"}}"),
    },
    {
        .name = "vm.qmp",
        .senders = VL_SENDER_CLIENT,
        .summary = "Passes one QMP command to the VM's QEMU through libvirt. Disabled unless "
                   "[control] qmp-passthrough = true in bridge.conf.",
        .fields = vl_control_qmp_params,
        .result = vl_control_qmp_result,
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
        .fields = vl_control_vm_only,
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
