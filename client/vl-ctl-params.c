/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What each command puts into its params: its options (each sets a member, or is read by the
 * command's build function), the build functions for what the options cannot say, and
 * vl_ctl_command_params(), which builds the params of a parsed command line and checks them
 * against the catalogue before anything is sent.
 */
#include <stdio.h>
#include <string.h>

#include "vl-ctl-params.h"
#include "vl-ctl.h"
#include "vl-protocol.h"

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

gboolean
vl_ctl_build_define(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
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
begin_device(VlJsonBuilder *b, const char *kind)
{
    vl_json_builder_member(b, "device");
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "kind", kind);
}

gboolean
vl_ctl_build_attach_disk(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    begin_device(params, "disk");
    vl_json_builder_add_member_string(params, "path", vl_ctl_args_positional(args, 1));
    vl_json_builder_add_member_string(params, "target", vl_ctl_args_get(args, "target"));
    vl_json_builder_add_member_string(params, "format", vl_ctl_args_get(args, "format"));
    if (vl_ctl_args_get(args, "readonly")) {
        vl_json_builder_member(params, "readonly");
        vl_json_builder_add_bool(params, TRUE);
    }
    vl_json_builder_end_object(params);
    return TRUE;
}

gboolean
vl_ctl_build_detach_disk(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    begin_device(params, "disk");
    vl_json_builder_add_member_string(params, "target", vl_ctl_args_positional(args, 1));
    vl_json_builder_end_object(params);
    return TRUE;
}

gboolean
vl_ctl_build_attach_nic(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
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
    vl_json_builder_add_member_string(params, "network", network);
    vl_json_builder_add_member_string(params, "bridge", bridge);
    vl_json_builder_add_member_string(params, "mac", vl_ctl_args_get(args, "mac"));
    vl_json_builder_add_member_string(params, "model", vl_ctl_args_get(args, "model"));
    vl_json_builder_end_object(params);
    return TRUE;
}

gboolean
vl_ctl_build_detach_nic(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    begin_device(params, "nic");
    vl_json_builder_add_member_string(params, "mac", vl_ctl_args_positional(args, 1));
    vl_json_builder_end_object(params);
    return TRUE;
}

gboolean
vl_ctl_build_qmp(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    const char *text = vl_ctl_args_positional(args, 1);
    g_autoptr(VlJson) command = NULL;

    vl_json_builder_member(params, "command");
    if (text[0] != '{') {
        /* A bare command name: what people type most ("query-status"). */
        vl_json_builder_begin_object(params);
        vl_json_builder_add_member_string(params, "execute", text);
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

gboolean
vl_ctl_build_guest_shutdown(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    vl_json_builder_add_member_string(params, "mode",
                                      vl_ctl_args_get(args, "reboot") ? "reboot" : "poweroff");
    return TRUE;
}

gboolean
vl_ctl_build_login(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
{
    vl_json_builder_add_member_string(params, "user", vl_ctl_args_positional(args, 1));
    return TRUE;
}

gboolean
vl_ctl_check_events(const VlCtlArgs *args, VlJsonBuilder *params, GError **error)
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

/* Options ---------------------------------------------------------------------------------- */

const VlCtlOption vl_ctl_start_options[] = {
    {"paused", VL_CTL_FLAG, NULL, "Start with the CPUs stopped (vm resume starts them)", NULL,
     FALSE, "paused"},
    {NULL},
};

const VlCtlOption vl_ctl_shutdown_options[] = {
    {"via", VL_CTL_STRING, "WAY",
     "agent: ask the vmlink agent; acpi: press the power button; auto (default): the agent when "
     "it answers, else acpi",
     shutdown_ways, FALSE, "via"},
    {NULL},
};

const VlCtlOption vl_ctl_attach_disk_options[] = {
    {"target", VL_CTL_STRING, "DEV", "Device name in the guest (vdb); default: the next free one",
     NULL, FALSE, NULL},
    {"format", VL_CTL_STRING, "FORMAT", "Image format: raw (default) or qcow2", disk_formats, FALSE,
     NULL},
    {"readonly", VL_CTL_FLAG, NULL, "Attach read-only", NULL, FALSE, NULL},
    {NULL},
};

const VlCtlOption vl_ctl_attach_nic_options[] = {
    {"network", VL_CTL_STRING, "NAME", "Join this libvirt network", NULL, FALSE, NULL},
    {"bridge", VL_CTL_STRING, "NAME", "Join this bridge of the host", NULL, FALSE, NULL},
    {"mac", VL_CTL_STRING, "MAC", "MAC address (52:54:00:12:34:56); default: libvirt picks one",
     NULL, FALSE, NULL},
    {"model", VL_CTL_STRING, "MODEL", "Device model: virtio (default), e1000, e1000e, rtl8139",
     nic_models, FALSE, NULL},
    {NULL},
};

const VlCtlOption vl_ctl_info_options[] = {
    {"section", VL_CTL_STRING, "SECTION",
     "Only this section: os, host, network, memory, applications (listed only when asked "
     "for), filesystems, users, cpu; repeat for more",
     vl_report_sections, TRUE, "sections"},
    {NULL},
};

const VlCtlOption vl_ctl_refresh_options[] = {
    {"section", VL_CTL_STRING, "SECTION", "Only this section (see guest info); repeat for more",
     vl_report_sections, TRUE, "sections"},
    {NULL},
};

const VlCtlOption vl_ctl_logoff_options[] = {
    {"session", VL_CTL_STRING, "ID",
     "The session to end (guest info lists them); default: the active one", NULL, FALSE, "session"},
    {NULL},
};

const VlCtlOption vl_ctl_guest_shutdown_options[] = {
    {"reboot", VL_CTL_FLAG, NULL, "Reboot instead of powering off", NULL, FALSE, NULL},
    {"delay", VL_CTL_INT, "SECONDS", "Wait this long first (at most 86400)", NULL, FALSE,
     "delay_s"},
    {"message", VL_CTL_STRING, "TEXT", "Tell the logged-in users this", NULL, FALSE, "message"},
    {NULL},
};

const VlCtlOption vl_ctl_login_options[] = {
    {"console", VL_CTL_STRING, "NAME",
     "The console to log in on: tty1, ttyS0, hvc0 or graphical; default: the first of the "
     "guest's configured ones that exists",
     NULL, FALSE, "console"},
    {"domain", VL_CTL_STRING, "NAME", "The user's domain, where the guest has domains", NULL, FALSE,
     "domain"},
    {"password-stdin", VL_CTL_FLAG, NULL,
     "Read the password from the standard input (one line), even on a terminal", NULL, FALSE, NULL},
    {NULL},
};

const VlCtlOption vl_ctl_events_options[] = {
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

const VlCtlOption vl_ctl_take_options[] = {
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

const VlCtlOption vl_ctl_password_options[] = {
    {"password-stdin", VL_CTL_FLAG, NULL,
     "Read the current and the new password from the standard input, one line each", NULL, FALSE,
     NULL},
    {NULL},
};

const VlCtlOption vl_ctl_rotate_options[] = {
    {"bridge", VL_CTL_FLAG, NULL, "Give the bridge a new key and certificate, and pin it", NULL,
     FALSE, NULL},
    {"manager", VL_CTL_FLAG, NULL,
     "Renew this manager's certificate now (same key) and have the bridge pin it", NULL, FALSE,
     NULL},
    {NULL},
};

const VlCtlOption vl_ctl_receive_options[] = {
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

/* Params ------------------------------------------------------------------------------------- */

/* The fields but the one named skip: what a command's params hold before its run function adds
 * the secret it asks for. The caller frees the copy (not the fields it points to). */
static VlField *
fields_without(const VlField *fields, const char *skip)
{
    gsize n = 0;
    VlField *copy;

    for (const VlField *f = fields; f->name; f++) {
        n++;
    }
    copy = g_new0(VlField, n + 1);
    n = 0;
    for (const VlField *f = fields; f->name; f++) {
        if (strcmp(f->name, skip) != 0) {
            copy[n++] = *f;
        }
    }
    return copy;
}

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
        vl_json_builder_add_member_string(b, "vm", vl_ctl_args_positional(args, 0));
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
     * a value out of range. A run function's params are checked when it sends them, except
     * for commands whose params lack only the secret their run function adds: those are
     * checked here without it. */
    if (entry && (!cmd->run || cmd->secret)) {
        g_autofree VlField *fields =
            cmd->secret ? fields_without(entry->fields, cmd->secret) : NULL;

        if (!vl_fields_validate(fields ? fields : entry->fields, params, "params", &local_error)) {
            g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE, "%s: %s (see vmlinkctl %s --help)",
                        words, local_error->message, words);
            return NULL;
        }
    }
    return g_steal_pointer(&params);
}
