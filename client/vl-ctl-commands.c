/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl's commands: one table entry each (words, arguments, options, the method called,
 * how its params are built and its result shown), and the lookups in it. The options and the
 * build functions the entries name are in vl-ctl-params.c. A new command is a new entry here.
 */
#include <string.h>

#include "vl-ctl-params.h"
#include "vl-ctl-receive.h"
#include "vl-ctl-show.h"
#include "vl-ctl.h"

/* clang-format off */
G_DEFINE_QUARK(vl-ctl-error-quark, vl_ctl_error)
/* clang-format on */

/* The table ---------------------------------------------------------------------------------- */

/* guest login's answer comes late at times: PAM delays the answer to a wrong password by
 * seconds, and a session starting in a guest under emulation (TCG) takes a while. */
#define LOGIN_TIMEOUT_S 180

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
        .options = vl_ctl_take_options,
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
        .options = vl_ctl_password_options,
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
        .options = vl_ctl_rotate_options,
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
        .build = vl_ctl_build_define,
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
        .options = vl_ctl_start_options,
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
        .options = vl_ctl_shutdown_options,
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
        .options = vl_ctl_attach_disk_options,
        .build = vl_ctl_build_attach_disk,
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
        .build = vl_ctl_build_detach_disk,
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
        .options = vl_ctl_attach_nic_options,
        .build = vl_ctl_build_attach_nic,
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
        .build = vl_ctl_build_detach_nic,
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
        .build = vl_ctl_build_qmp,
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
        .options = vl_ctl_info_options,
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
        .name = "login",
        .args = "NAME USER",
        .vm_arg = TRUE,
        .method = "guest.login",
        .summary = "Log a user in on a console of the guest with their password (single sign-on).",
        .description =
            "Asks for USER's password on the terminal without echo, or reads one line from the "
            "standard input when it is not a terminal or with --password-stdin; it is sent once, "
            "to this VM's agent, and wiped. Prints what the guest did: logged the user in (exit "
            "status 0), handed the credentials to its graphical greeter (0), or why not (1): "
            "wrong credentials, not allowed by the guest's [sso] policy in "
            "/etc/vmlink/agent.conf, no such console, a session already there, or not used in "
            "time. PAM's delay after a wrong password and a session starting in a slow guest "
            "take time, so the answer is awaited longer than for other commands.",
        .example = "guest login web1 alice --console ttyS0 --password-stdin",
        .options = vl_ctl_login_options,
        .build = vl_ctl_build_login,
        .run = vl_ctl_guest_login,
        .secret = "password",
        .timeout_s = LOGIN_TIMEOUT_S,
    },
    {
        .group = "guest",
        .name = "logoff",
        .args = "NAME",
        .vm_arg = TRUE,
        .method = "guest.logoff",
        .summary = "Ask the VM's agent to end a user session.",
        .example = "guest logoff web1 --session 3",
        .options = vl_ctl_logoff_options,
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
        .options = vl_ctl_refresh_options,
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
        .options = vl_ctl_guest_shutdown_options,
        .build = vl_ctl_build_guest_shutdown,
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
        .options = vl_ctl_events_options,
        .build = vl_ctl_check_events,
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
            "certificate push here; it is for trying push out, never for production. Each "
            "connection has --timeout seconds (default 30) for its handshake and request.",
        .example = "receive-events --listen :7002 --json",
        .options = vl_ctl_receive_options,
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
