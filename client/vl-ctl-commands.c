/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl's commands: one table entry each (words, arguments, options, the method called,
 * how its params are built and its result shown), and the build functions for the params the
 * table cannot describe. A new command is a new entry here.
 */
#include <stdio.h>
#include <string.h>

#include "vl-ctl-receive.h"
#include "vl-ctl-show.h"
#include "vl-ctl.h"
#include "vl-protocol.h"

/* clang-format off */
G_DEFINE_QUARK(vl-ctl-error-quark, vl_ctl_error)
/* clang-format on */

/* The control catalogue's values, repeated here for the parser's messages; the ctl-commands test
 * checks each list against the catalogue. */
static const char *const shutdown_ways[] = {"auto", "acpi", "agent", NULL};
static const char *const disk_formats[] = {"raw", "qcow2", NULL};
static const char *const nic_models[] = {"virtio", "e1000", "e1000e", "rtl8139", NULL};
static const char *const event_kinds[] = {
    "vm.lifecycle",     "agent.state", "guest.report", "guest.event", "host.ownership",
    "host.certificate", NULL};

/* Build functions ---------------------------------------------------------------------------- */

/* A JSON object given on the command line or in a file; what names it in messages. */
static VlJson *
parse_object(const char *text, gsize len, const char *what, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) node = NULL;

    if (!vl_json_check(text, len, VL_FRAME_DEFAULT_MAX_DEPTH, &local_error) ||
        (node = vl_json_parse(text, len, &local_error)) == NULL) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT, "%s is not valid JSON: %s", what,
                    local_error->message);
        return NULL;
    }
    if (vl_json_kind(node) != VL_JSON_OBJECT) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT, "%s is a JSON %s, not an object", what,
                    vl_json_kind_name(vl_json_kind(node)));
        return NULL;
    }
    return g_steal_pointer(&node);
}

static gboolean
read_stdin(GString *out, GError **error)
{
    char buf[16384];
    size_t n;

    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        g_string_append_len(out, buf, (gssize)n);
    }
    if (ferror(stdin)) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT, "cannot read the standard input");
        return FALSE;
    }
    return TRUE;
}

static gboolean
build_define(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    const char *file = vl_ctl_args_positional(args, 0);
    g_autoptr(GString) text = g_string_new(NULL);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) spec = NULL;
    g_autofree char *what = NULL;

    if (strcmp(file, "-") == 0) {
        if (!read_stdin(text, error)) {
            return FALSE;
        }
        what = g_strdup("the spec on the standard input");
    } else {
        g_autofree char *contents = NULL;
        gsize len = 0;

        if (!g_file_get_contents(file, &contents, &len, &local_error)) {
            g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT, "cannot read the spec: %s",
                        local_error->message);
            return FALSE;
        }
        g_string_append_len(text, contents, (gssize)len);
        what = g_strdup_printf("the spec in %s", file);
    }
    spec = parse_object(text->str, text->len, what, error);
    if (spec == NULL) {
        return FALSE;
    }
    vl_json_builder_member(params, "spec");
    vl_json_builder_add_node(params, spec);
    return TRUE;
}

static void
add_string(VlJsonBuilder *b, const char *member, const char *value)
{
    if (value) {
        vl_json_builder_member(b, member);
        vl_json_builder_add_string(b, value);
    }
}

static void
begin_device(VlJsonBuilder *b, const char *kind)
{
    vl_json_builder_member(b, "device");
    vl_json_builder_begin_object(b);
    add_string(b, "kind", kind);
}

static gboolean
build_attach_disk(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    begin_device(params, "disk");
    add_string(params, "path", vl_ctl_args_positional(args, 1));
    add_string(params, "target", vl_ctl_args_get(args, "target"));
    add_string(params, "format", vl_ctl_args_get(args, "format"));
    if (vl_ctl_args_get(args, "readonly")) {
        vl_json_builder_member(params, "readonly");
        vl_json_builder_add_bool(params, TRUE);
    }
    vl_json_builder_end_object(params);
    return TRUE;
}

static gboolean
build_detach_disk(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    begin_device(params, "disk");
    add_string(params, "target", vl_ctl_args_positional(args, 1));
    vl_json_builder_end_object(params);
    return TRUE;
}

static gboolean
build_attach_nic(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    const char *network = vl_ctl_args_get(args, "network");
    const char *bridge = vl_ctl_args_get(args, "bridge");

    if ((network == NULL) == (bridge == NULL)) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE,
                    "give either --network NAME (a libvirt network) or --bridge "
                    "NAME (a host bridge) (see vmlinkctl vm attach-nic --help)");
        return FALSE;
    }
    begin_device(params, "nic");
    add_string(params, "network", network);
    add_string(params, "bridge", bridge);
    add_string(params, "mac", vl_ctl_args_get(args, "mac"));
    add_string(params, "model", vl_ctl_args_get(args, "model"));
    vl_json_builder_end_object(params);
    return TRUE;
}

static gboolean
build_detach_nic(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    begin_device(params, "nic");
    add_string(params, "mac", vl_ctl_args_positional(args, 1));
    vl_json_builder_end_object(params);
    return TRUE;
}

static gboolean
build_qmp(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    const char *text = vl_ctl_args_positional(args, 1);
    g_autoptr(VlJson) command = NULL;

    vl_json_builder_member(params, "command");
    if (text[0] != '{') {
        /* A bare command name: what people type most ("query-status"). */
        vl_json_builder_begin_object(params);
        add_string(params, "execute", text);
        vl_json_builder_end_object(params);
        return TRUE;
    }
    command = parse_object(text, strlen(text), "the QMP command", error);
    if (command == NULL) {
        return FALSE;
    }
    vl_json_builder_add_node(params, command);
    return TRUE;
}

static gboolean
build_guest_shutdown(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    add_string(params, "mode", vl_ctl_args_get(args, "reboot") ? "reboot" : "poweroff");
    return TRUE;
}

static gboolean
check_events(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    if (vl_ctl_args_get(args, "follow") && vl_ctl_args_get(args, "count")) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE,
                    "--follow prints events until interrupted and --count stops after N: give "
                    "one of them (see vmlinkctl events --help)");
        return FALSE;
    }
    if (vl_ctl_args_get(args, "since") &&
        (vl_ctl_args_get(args, "follow") || vl_ctl_args_get(args, "count"))) {
        /* The subscription starts with the kept events after SEQ; alone, --since makes one
         * events.since call instead (vl_ctl_run). */
        vl_json_builder_member(params, "since");
        vl_json_builder_add_int(params, g_ascii_strtoll(vl_ctl_args_get(args, "since"), NULL, 10));
    }
    if (g_strcmp0(vl_ctl_args_get(args, "count"), "0") == 0) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE,
                    "--count: give 1 or more events to wait for (see vmlinkctl events --help)");
        return FALSE;
    }
    return TRUE;
}

/* The table ---------------------------------------------------------------------------------- */

static const VlCtlOption start_options[] = {
    {"paused", VL_CTL_FLAG, NULL, "Start with the CPUs stopped (vm resume starts them)", NULL,
     FALSE, "paused"},
    {NULL},
};

static const VlCtlOption shutdown_options[] = {
    {"via", VL_CTL_STRING, "WAY",
     "agent: ask the vmlink agent; acpi: press the power button; auto (default): the agent when "
     "it answers, else acpi",
     shutdown_ways, FALSE, "via"},
    {NULL},
};

static const VlCtlOption attach_disk_options[] = {
    {"target", VL_CTL_STRING, "DEV", "Device name in the guest (vdb); default: the next free one",
     NULL, FALSE, NULL},
    {"format", VL_CTL_STRING, "FORMAT", "Image format: raw (default) or qcow2", disk_formats, FALSE,
     NULL},
    {"readonly", VL_CTL_FLAG, NULL, "Attach read-only", NULL, FALSE, NULL},
    {NULL},
};

static const VlCtlOption attach_nic_options[] = {
    {"network", VL_CTL_STRING, "NAME", "Join this libvirt network", NULL, FALSE, NULL},
    {"bridge", VL_CTL_STRING, "NAME", "Join this bridge of the host", NULL, FALSE, NULL},
    {"mac", VL_CTL_STRING, "MAC", "MAC address (52:54:00:12:34:56); default: libvirt picks one",
     NULL, FALSE, NULL},
    {"model", VL_CTL_STRING, "MODEL", "Device model: virtio (default), e1000, e1000e, rtl8139",
     nic_models, FALSE, NULL},
    {NULL},
};

static const VlCtlOption info_options[] = {
    {"section", VL_CTL_STRING, "SECTION",
     "Only this section: os, host, network, memory, applications (listed only when asked "
     "for), filesystems, users, cpu; repeat for more",
     vl_report_sections, TRUE, "sections"},
    {NULL},
};

static const VlCtlOption refresh_options[] = {
    {"section", VL_CTL_STRING, "SECTION", "Only this section (see guest info); repeat for more",
     vl_report_sections, TRUE, "sections"},
    {NULL},
};

static const VlCtlOption logoff_options[] = {
    {"session", VL_CTL_STRING, "ID",
     "The session to end (guest info lists them); default: the active one", NULL, FALSE, "session"},
    {NULL},
};

static const VlCtlOption guest_shutdown_options[] = {
    {"reboot", VL_CTL_FLAG, NULL, "Reboot instead of powering off", NULL, FALSE, NULL},
    {"delay", VL_CTL_INT, "SECONDS", "Wait this long first (at most 86400)", NULL, FALSE,
     "delay_s"},
    {"message", VL_CTL_STRING, "TEXT", "Tell the logged-in users this", NULL, FALSE, "message"},
    {NULL},
};

static const VlCtlOption events_options[] = {
    {"follow", VL_CTL_FLAG, NULL, "Print events until interrupted (Ctrl-C)", NULL, FALSE, NULL},
    {"count", VL_CTL_INT, "N", "Stop after N events (default 1)", NULL, FALSE, NULL},
    {"kind", VL_CTL_STRING, "KIND",
     "Only events of this kind: vm.lifecycle, agent.state, guest.report, guest.event, "
     "host.ownership, host.certificate; repeat for more",
     event_kinds, TRUE, "events"},
    {"since", VL_CTL_INT, "SEQ",
     "The kept events after sequence number SEQ: printed once, or with --follow or --count "
     "before the new ones",
     NULL, FALSE, NULL},
    {NULL},
};

static const VlCtlOption take_options[] = {
    {"fingerprint", VL_CTL_STRING, "FP",
     "The bridge's SHA-256 fingerprint as vmlinkd --fingerprint prints it: no question asked "
     "when it matches, refused when not",
     NULL, FALSE, NULL},
    {"event-url", VL_CTL_STRING, "URL", "https:// URL the bridge POSTs events to", NULL, FALSE,
     NULL},
    {"stats-url", VL_CTL_STRING, "URL", "https:// URL the bridge POSTs statistics to", NULL, FALSE,
     NULL},
    {"password-stdin", VL_CTL_FLAG, NULL,
     "Read the agent password from the standard input (one line), even on a terminal", NULL, FALSE,
     NULL},
    {NULL},
};

static const VlCtlOption password_options[] = {
    {"password-stdin", VL_CTL_FLAG, NULL,
     "Read the current and the new password from the standard input, one line each", NULL, FALSE,
     NULL},
    {NULL},
};

static const VlCtlOption rotate_options[] = {
    {"bridge", VL_CTL_FLAG, NULL, "Give the bridge a new key and certificate, and pin it", NULL,
     FALSE, NULL},
    {"manager", VL_CTL_FLAG, NULL,
     "Renew this manager's certificate now (same key) and have the bridge pin it", NULL, FALSE,
     NULL},
    {NULL},
};

static const VlCtlOption receive_options[] = {
    {"listen", VL_CTL_STRING, "ADDR:PORT",
     "Where to listen: ADDR:PORT, [IPV6]:PORT, or :PORT for every address (required)", NULL, FALSE,
     NULL},
    {"count", VL_CTL_INT, "N", "Stop after N events (default: run until interrupted)", NULL, FALSE,
     NULL},
    {"accept-any-bridge", VL_CTL_FLAG, NULL,
     "INSECURE, for trying out: accept pushes from any bridge, not only those this manager owns",
     NULL, FALSE, NULL},
    {NULL},
};

/* clang-format off */
#define VM_COMMAND(verb, m, what, show_func)                                                       \
    {.group = "vm", .name = (verb), .args = "NAME", .vm_arg = TRUE, .method = (m),                 \
     .summary = (what), .example = "vm " verb " web1", .show = (show_func)}
/* clang-format on */

const VlCtlCommand vl_ctl_commands[] = {
    {
        .group = "host",
        .name = "info",
        .method = "host.info",
        .summary = "Show which vmlinkd answers, its versions, its libvirt connection and "
                   "who owns it.",
        .description = "Over TLS it works before this manager owns the bridge, and shows the "
                       "certificate the bridge presented.",
        .example = "host info",
        .show = vl_ctl_show_host_info,
        .run = vl_ctl_owner_host_info,
        .unpinned_ok = TRUE,
    },
    {
        .group = "host",
        .name = "take-ownership",
        .method = "host.take_ownership",
        .summary = "Make this manager the bridge's owner, with the agent password.",
        .description =
            "Over TLS only. Shows the bridge's certificate fingerprint and asks to confirm it, "
            "unless --fingerprint gives it; then asks for the agent password (without echo), or "
            "reads one line from the standard input when it is not a terminal or with "
            "--password-stdin. Sends this manager's id and certificate, and pins the bridge's "
            "certificate under ~/.config/vmlink/hosts.",
        .example = "--connect tls://kvm1 host take-ownership --fingerprint AB:CD:...:EF "
                   "--password-stdin",
        .options = take_options,
        .build = vl_ctl_owner_check_take,
        .run = vl_ctl_owner_take,
        .unpinned_ok = TRUE,
    },
    {
        .group = "host",
        .name = "release-ownership",
        .method = "host.release_ownership",
        .summary = "Give the bridge up; this manager forgets its pin.",
        .example = "--connect tls://kvm1 host release-ownership",
        .run = vl_ctl_owner_release,
    },
    {
        .group = "host",
        .name = "change-password",
        .method = "host.change_password",
        .summary = "Change the agent password (the owner only).",
        .description = "Asks for the current password and the new one twice on a terminal; "
                       "else reads two lines from the standard input: current, new.",
        .example = "--connect tls://kvm1 host change-password",
        .options = password_options,
        .run = vl_ctl_owner_change_password,
    },
    {
        .group = "host",
        .name = "rotate-certificate",
        .method = "host.rotate_certificate",
        .synopsis = "[--bridge] [--manager]",
        .summary = "Replace the bridge's key and certificate, or renew this manager's.",
        .description = "Over TLS only. --bridge: the bridge makes a new key and certificate and "
                       "sends it on this authenticated connection; it is pinned. --manager: "
                       "this manager's certificate is renewed now (same key) and the bridge "
                       "pins it. Both renew on their own before they expire; this is for doing "
                       "it now.",
        .example = "--connect tls://kvm1 host rotate-certificate --bridge",
        .options = rotate_options,
        .build = vl_ctl_owner_check_rotate,
        .run = vl_ctl_owner_rotate,
    },
    {
        .group = "vm",
        .name = "list",
        .method = "vm.list",
        .summary = "List every VM of the host: state, agent, memory and CPUs.",
        .example = "vm list",
        .show = vl_ctl_show_vm_list,
    },
    {
        .group = "vm",
        .name = "define",
        .args = "FILE",
        .method = "vm.define",
        .summary = "Define a VM from a JSON spec file (- reads the standard input).",
        .description = "The file holds the \"spec\" object of the vm.define method (see "
                       "docs/protocol.md): name, memory_mib, and optionally vcpus, accel, boot, "
                       "disks, nics. The VM is defined, not started.",
        .example = "vm define web1.json",
        .build = build_define,
        .show = vl_ctl_show_vm_state,
    },
    {
        .group = "vm",
        .name = "start",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "vm.start",
        .summary = "Start a defined VM.",
        .example = "vm start web1 --paused",
        .options = start_options,
        .show = vl_ctl_show_vm_state,
    },
    {
        .group = "vm",
        .name = "shutdown",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "vm.shutdown",
        .summary = "Ask the guest to power off; returns when asked, not when off.",
        .description = "Watch it happen with: vmlinkctl events --kind vm.lifecycle --follow",
        .example = "vm shutdown web1 --via acpi",
        .options = shutdown_options,
        .show = vl_ctl_show_vm_shutdown,
    },
    VM_COMMAND("destroy", "vm.destroy", "Stop a VM at once, like pulling the plug.",
               vl_ctl_show_vm_state),
    VM_COMMAND("reboot", "vm.reboot", "Ask the guest to reboot (ACPI).", vl_ctl_show_vm_state),
    VM_COMMAND("reset", "vm.reset", "Reset a VM at once, like the reset button.",
               vl_ctl_show_vm_state),
    VM_COMMAND("pause", "vm.pause", "Stop a VM's CPUs; its memory is kept.", vl_ctl_show_vm_state),
    VM_COMMAND("resume", "vm.resume", "Start the CPUs of a paused VM again.", vl_ctl_show_vm_state),
    VM_COMMAND("undefine", "vm.undefine", "Remove a stopped VM's definition; its disks are kept.",
               vl_ctl_show_vm_state),
    {
        .group = "vm",
        .name = "stats",
        .args = "[NAME]",
        .vm_arg = TRUE,
        .method = "vm.stats",
        .summary = "Show CPU, memory, disk and network figures of one VM, or of every running one.",
        .example = "vm stats web1",
        .show = vl_ctl_show_vm_stats,
    },
    {
        .group = "vm",
        .name = "attach-disk",
        .args = "NAME PATH",
        .vm_arg = TRUE,
        .method = "vm.attach_device",
        .summary = "Attach an image file or block device of the host to a VM as a disk.",
        .example = "vm attach-disk web1 /srv/data.qcow2 --target vdb --format qcow2",
        .options = attach_disk_options,
        .build = build_attach_disk,
        .show = vl_ctl_show_attached,
    },
    {
        .group = "vm",
        .name = "detach-disk",
        .args = "NAME TARGET",
        .vm_arg = TRUE,
        .method = "vm.detach_device",
        .summary = "Detach a disk from a VM, by its device name in the guest.",
        .example = "vm detach-disk web1 vdb",
        .build = build_detach_disk,
        .show = vl_ctl_show_detached,
    },
    {
        .group = "vm",
        .name = "attach-nic",
        .args = "NAME",
        .vm_arg = TRUE,
        .synopsis = "(--network NAME | --bridge NAME) [--mac MAC] [--model MODEL]",
        .method = "vm.attach_device",
        .summary = "Attach a network interface to a VM, on a libvirt network or a host bridge.",
        .example = "vm attach-nic web1 --network default --model virtio",
        .options = attach_nic_options,
        .build = build_attach_nic,
        .show = vl_ctl_show_attached,
    },
    {
        .group = "vm",
        .name = "detach-nic",
        .args = "NAME MAC",
        .vm_arg = TRUE,
        .method = "vm.detach_device",
        .summary = "Detach a network interface from a VM, by its MAC address.",
        .example = "vm detach-nic web1 52:54:00:12:34:56",
        .build = build_detach_nic,
        .show = vl_ctl_show_detached,
    },
    {
        .group = "vm",
        .name = "qmp",
        .args = "NAME JSON",
        .vm_arg = TRUE,
        .method = "vm.qmp",
        .summary = "Pass one QMP command to the VM's QEMU (when bridge.conf allows it).",
        .description = "JSON is a QMP command object ({\"execute\": ..., \"arguments\": {...}}), "
                       "or only the command's name.",
        .example = "vm qmp web1 '{\"execute\":\"query-status\"}'",
        .build = build_qmp,
        .show = vl_ctl_show_qmp,
    },
    {
        .group = "guest",
        .name = "info",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "guest.info",
        .summary = "Show what the VM's agent last reported: OS, addresses, memory, disks, users.",
        .description = "From vmlinkd's cache: the guest is not asked. Applications are counted; "
                       "--section applications lists them.",
        .example = "guest info web1 --section os --section network",
        .options = info_options,
        .show = vl_ctl_show_guest_info,
    },
    {
        .group = "guest",
        .name = "lock",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "guest.lock",
        .summary = "Ask the VM's agent to lock the guest's screens.",
        .example = "guest lock web1",
        .show = vl_ctl_show_guest_reply,
    },
    {
        .group = "guest",
        .name = "logoff",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "guest.logoff",
        .summary = "Ask the VM's agent to end a user session.",
        .example = "guest logoff web1 --session 3",
        .options = logoff_options,
        .show = vl_ctl_show_guest_reply,
    },
    {
        .group = "guest",
        .name = "refresh",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "guest.refresh",
        .summary = "Ask the VM's agent to report its sections in full again.",
        .example = "guest refresh web1 --section users",
        .options = refresh_options,
        .show = vl_ctl_show_guest_reply,
    },
    {
        .group = "guest",
        .name = "shutdown",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "guest.shutdown",
        .summary = "Ask the VM's agent to power off or reboot the guest.",
        .example = "guest shutdown web1 --reboot --delay 60 --message 'Back in 5 minutes'",
        .options = guest_shutdown_options,
        .build = build_guest_shutdown,
        .show = vl_ctl_show_guest_reply,
    },
    {
        .name = "events",
        .method = "events.subscribe",
        .summary = "Print events as they happen: VM lifecycle, agent state, guest changes.",
        .description = "One line per event: local time, #sequence number, kind, VM and what "
                       "happened. With --json, one compact JSON object per line (the event "
                       "notification's params), for scripts. --since SEQ alone prints the "
                       "events the bridge kept after SEQ (events.since) and ends; when some "
                       "have already left its ring, a line on stderr says so.",
        .example = "events --follow --kind vm.lifecycle",
        .options = events_options,
        .build = check_events,
        .follows_events = TRUE,
    },
    {
        .name = "receive-events",
        .synopsis = "--listen ADDR:PORT [--count N] [--accept-any-bridge]",
        .summary = "Receive what owned bridges push (events, statistics) over HTTPS, and print it.",
        .description =
            "A small HTTPS receiver for managers without one: give its https://HOST:PORT/ URL "
            "as event_url and stats_url at host take-ownership. It presents this manager's "
            "certificate and accepts only bridges this manager owns (pinned at "
            "take-ownership). Events are printed as vmlinkctl events prints them (with --json, "
            "one JSON object per event and per statistics post); a batch a bridge sends again "
            "is not printed twice. WARNING: --accept-any-bridge lets ANY TLS client with a "
            "certificate push here; it is for trying push out, never for production.",
        .example = "receive-events --listen :7002 --json",
        .options = receive_options,
        .local = vl_ctl_receive_events,
    },
    {.name = NULL},
};

const char *const vl_ctl_groups[] = {"host", "vm", "guest", NULL};
const char *const vl_ctl_group_summaries[] = {
    "The KVM host and its bridge",
    "VMs through libvirt: lifecycle, devices, statistics",
    "Inside the VM, through its vmlink agent",
    NULL,
};

/* Lookups ------------------------------------------------------------------------------------ */

const VlCtlCommand *
vl_ctl_command_find(const char *group, const char *name)
{
    for (const VlCtlCommand *c = vl_ctl_commands; c->name; c++) {
        if (g_strcmp0(c->group, group) == 0 && g_strcmp0(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

int
vl_ctl_group_index(const char *group)
{
    for (int i = 0; group && vl_ctl_groups[i]; i++) {
        if (strcmp(vl_ctl_groups[i], group) == 0) {
            return i;
        }
    }
    return -1;
}

char *
vl_ctl_command_words(const VlCtlCommand *command)
{
    return command->group ? g_strdup_printf("%s %s", command->group, command->name)
                          : g_strdup(command->name);
}

/* Params ------------------------------------------------------------------------------------- */

static void
add_option(VlJsonBuilder *b, const VlCtlOption *o, GPtrArray *values)
{
    const char *last = g_ptr_array_index(values, values->len - 1);

    vl_json_builder_member(b, o->member);
    if (o->repeat) {
        vl_json_builder_begin_array(b);
        for (guint i = 0; i < values->len; i++) {
            vl_json_builder_add_string(b, g_ptr_array_index(values, i));
        }
        vl_json_builder_end_array(b);
    } else if (o->kind == VL_CTL_FLAG) {
        vl_json_builder_add_bool(b, TRUE);
    } else if (o->kind == VL_CTL_INT) {
        /* The parser accepted only digits that fit. */
        vl_json_builder_add_int(b, g_ascii_strtoll(last, NULL, 10));
    } else {
        vl_json_builder_add_string(b, last);
    }
}

VlJson *
vl_ctl_command_params(const VlCtlArgs *args, GError **error)
{
    const VlCtlCommand *cmd = args->command;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) params = NULL;
    g_autofree char *words = vl_ctl_command_words(cmd);
    const VlEntry *entry =
        cmd->method ? vl_catalogue_lookup(&vl_control_catalogue, cmd->method, VL_SENDER_CLIENT)
                    : NULL;

    g_return_val_if_fail(entry != NULL || cmd->method == NULL, NULL);

    vl_json_builder_begin_object(b);
    if (cmd->vm_arg && vl_ctl_args_positional(args, 0)) {
        add_string(b, "vm", vl_ctl_args_positional(args, 0));
    }
    for (const VlCtlOption *o = cmd->options; o && o->name; o++) {
        GPtrArray *values = vl_ctl_args_get_all(args, o->name);

        if (o->member && values && values->len > 0) {
            add_option(b, o, values);
        }
    }
    if (cmd->build && !cmd->build(args, b, error)) {
        g_prefix_error(error, "%s: ", words);
        return NULL;
    }
    vl_json_builder_end_object(b);
    params = vl_json_builder_finish(b);

    /* What people typed, in the catalogue's words, before anything is sent: a name too long,
     * a value out of range. A run function's params are checked when it sends them. */
    if (entry && !cmd->run && !vl_fields_validate(entry->fields, params, "params", &local_error)) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE, "%s: %s (see vmlinkctl %s --help)",
                    words, local_error->message, words);
        return NULL;
    }
    return g_steal_pointer(&params);
}
