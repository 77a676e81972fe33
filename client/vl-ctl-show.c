/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Results of the host and vm.* methods, and event lines, for people. */
#include "vl-ctl-show.h"

#include <string.h>

#include "vl-ctl-format.h"

#define SUMMARY_MAX_LEN 200

#define MEMBER(node, name) vl_json_object_get((node), (name))
#define STRING(node, name) vl_json_get_string(MEMBER((node), (name)))

/* Optional numbers: NULL (shown "-") when absent. */
static char *
int_or_null(const VlJson *node, const char *name)
{
    const VlJson *v = MEMBER(node, name);

    return v ? g_strdup_printf("%" G_GINT64_FORMAT, vl_json_get_int(v)) : NULL;
}

static char *
size_or_null(const VlJson *node, const char *name, double unit)
{
    const VlJson *v = MEMBER(node, name);

    return v ? vl_ctl_format_size((double)vl_json_get_int(v) * unit) : NULL;
}

static char *
cpu_time(const VlJson *stats)
{
    const VlJson *v = MEMBER(stats, "cpu_time_ns");
    gint64 ns = vl_json_get_int(v);

    if (v == NULL) {
        return NULL;
    }
    if (ns < 60 * G_GINT64_CONSTANT(1000000000)) {
        return g_strdup_printf("%.1fs", (double)ns / 1e9);
    }
    return vl_ctl_format_duration(ns / 1000000000);
}

/* host.info ---------------------------------------------------------------------------------- */

/* Who owns the bridge, and how pushing to the owner goes (shown to the owner only). */
static void
show_ownership(const VlJson *result, VlCtlTable *t)
{
    const VlJson *push = MEMBER(result, "push");
    const char *state = STRING(result, "ownership");

    if (state) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Ownership:");
        if (g_strcmp0(state, "damaged") == 0) {
            vl_ctl_table_cell(t, "damaged: nobody owns it until its state file is repaired (see "
                                 "vmlinkd(8))");
        } else {
            vl_ctl_table_cell(t, state);
        }
    }
    if (STRING(result, "owner")) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Owner:");
        vl_ctl_table_cell_take(t, vl_ctl_format_clean(STRING(result, "owner")));
    }
    if (MEMBER(result, "owned_since")) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Owned since:");
        vl_ctl_table_cell_take(
            t, vl_ctl_format_time(vl_json_get_int(MEMBER(result, "owned_since")) * 1000, FALSE));
    }
    if (MEMBER(result, "caller_is_owner")) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Caller is owner:");
        vl_ctl_table_cell(t, vl_json_get_bool(MEMBER(result, "caller_is_owner")) ? "yes" : "no");
    }
    if (push == NULL) {
        return;
    }
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "Push events to:");
    vl_ctl_table_cell_take(t, vl_ctl_format_clean(STRING(push, "event_url")));
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "Push stats to:");
    vl_ctl_table_cell_take(t, vl_ctl_format_clean(STRING(push, "stats_url")));
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "Push:");
    vl_ctl_table_cellf(
        t,
        "%" G_GINT64_FORMAT " sent, %" G_GINT64_FORMAT " queued, %" G_GINT64_FORMAT
        " dropped, %" G_GINT64_FORMAT " stats sent, %" G_GINT64_FORMAT " failures",
        vl_json_get_int(MEMBER(push, "sent")), vl_json_get_int(MEMBER(push, "queued")),
        vl_json_get_int(MEMBER(push, "dropped")), vl_json_get_int(MEMBER(push, "stats_sent")),
        vl_json_get_int(MEMBER(push, "failures")));
    if (MEMBER(push, "last_success")) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Last push:");
        vl_ctl_table_cell_take(
            t, vl_ctl_format_time(vl_json_get_int(MEMBER(push, "last_success")) * 1000, FALSE));
    }
    if (STRING(push, "last_error")) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Last push error:");
        vl_ctl_table_cell_take(t, vl_ctl_format_clean(STRING(push, "last_error")));
    }
}

void
vl_ctl_show_host_info(const VlJson *params, const VlJson *result, GString *out)
{
    g_autoptr(VlCtlTable) t = vl_ctl_table_new_plain();
    const VlJson *versions = MEMBER(result, "protocol_versions");
    g_autoptr(GString) list = g_string_new(NULL);

    for (guint i = 0; i < vl_json_array_length(versions); i++) {
        g_string_append_printf(list, "%s%" G_GINT64_FORMAT, i ? ", " : "",
                               vl_json_get_int(vl_json_array_get(versions, i)));
    }
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "Bridge:");
    vl_ctl_table_cellf(t, "%s %s", STRING(result, "name"), STRING(result, "version"));
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "Protocol versions:");
    vl_ctl_table_cell(t, list->str);
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "Host name:");
    vl_ctl_table_cell(t, STRING(result, "hostname"));
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "libvirt:");
    if (MEMBER(result, "libvirt_connected")) {
        vl_ctl_table_cellf(
            t, "%s (%s)", STRING(result, "libvirt_uri") ? STRING(result, "libvirt_uri") : "-",
            vl_json_get_bool(MEMBER(result, "libvirt_connected")) ? "connected" : "not connected");
    } else {
        vl_ctl_table_cell(t, STRING(result, "libvirt_uri"));
    }
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "VMs:");
    vl_ctl_table_cell_take(t, int_or_null(result, "vms"));
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, "Agents connected:");
    vl_ctl_table_cell_take(t, int_or_null(result, "agents"));
    if (STRING(result, "fingerprint")) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "TLS fingerprint:");
        vl_ctl_table_cell(t, STRING(result, "fingerprint"));
    }
    if (MEMBER(result, "password_set")) {
        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, "Agent password:");
        vl_ctl_table_cell(t, vl_json_get_bool(MEMBER(result, "password_set"))
                                 ? "set"
                                 : "not set (vmlinkd --set-password)");
    }
    show_ownership(result, t);
    vl_ctl_table_render(t, out);
}

/* vm.list ------------------------------------------------------------------------------------ */

void
vl_ctl_show_vm_list(const VlJson *params, const VlJson *result, GString *out)
{
    g_autoptr(VlCtlTable) t = vl_ctl_table_new("NAME", "STATE", "AGENT", "MEMORY", "VCPUS", NULL);
    const VlJson *vms = MEMBER(result, "vms");

    if (vl_json_array_length(vms) == 0) {
        g_string_append(out, "No VMs (vmlinkctl vm define FILE defines one).\n");
        return;
    }
    vl_ctl_table_align_right(t, 3);
    vl_ctl_table_align_right(t, 4);
    for (guint i = 0; i < vl_json_array_length(vms); i++) {
        const VlJson *vm = vl_json_array_get(vms, i);

        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, STRING(vm, "name"));
        vl_ctl_table_cell(t, STRING(vm, "state"));
        /* A QEMU guest agent is named; the vmlink agent is the usual case. */
        if (g_strcmp0(STRING(vm, "agent_kind"), "qemu-ga") == 0) {
            vl_ctl_table_cell_take(t, g_strdup_printf("%s (qemu-ga)", STRING(vm, "agent")));
        } else {
            vl_ctl_table_cell(t, STRING(vm, "agent"));
        }
        vl_ctl_table_cell_take(t, size_or_null(vm, "memory_kib", 1024));
        vl_ctl_table_cell_take(t, int_or_null(vm, "vcpus"));
    }
    vl_ctl_table_render(t, out);
}

/* Lifecycle ---------------------------------------------------------------------------------- */

void
vl_ctl_show_vm_state(const VlJson *params, const VlJson *result, GString *out)
{
    g_autofree char *name = vl_ctl_format_clean(STRING(result, "name"));

    g_string_append_printf(out, "%s: %s\n", name, STRING(result, "state"));
}

void
vl_ctl_show_vm_shutdown(const VlJson *params, const VlJson *result, GString *out)
{
    g_autofree char *name = vl_ctl_format_clean(STRING(result, "name"));

    g_string_append_printf(out, "%s: shutdown asked through %s (state now: %s)\n", name,
                           STRING(result, "via"), STRING(result, "state"));
}

/* vm.stats ----------------------------------------------------------------------------------- */

/* The sum of one counter over the elements of an array; NULL when no element has it. */
static char *
sum_size(const VlJson *array, const char *name)
{
    gboolean any = FALSE;
    double total = 0;

    for (guint i = 0; i < vl_json_array_length(array); i++) {
        const VlJson *v = MEMBER(vl_json_array_get(array, i), name);

        if (v) {
            any = TRUE;
            total += (double)vl_json_get_int(v);
        }
    }
    return any ? vl_ctl_format_size(total) : NULL;
}

static void
show_devices(const VlJson *stats, GString *out)
{
    const VlJson *block = MEMBER(stats, "block");
    const VlJson *net = MEMBER(stats, "net");

    if (vl_json_array_length(block) > 0) {
        g_autoptr(VlCtlTable) t =
            vl_ctl_table_new("DISK", "READ", "WRITTEN", "SIZE", "ALLOCATED", "SOURCE", NULL);

        for (guint c = 1; c <= 4; c++) {
            vl_ctl_table_align_right(t, c);
        }
        for (guint i = 0; i < vl_json_array_length(block); i++) {
            const VlJson *d = vl_json_array_get(block, i);

            vl_ctl_table_row(t);
            vl_ctl_table_cell(t, STRING(d, "name"));
            vl_ctl_table_cell_take(t, size_or_null(d, "rd_bytes", 1));
            vl_ctl_table_cell_take(t, size_or_null(d, "wr_bytes", 1));
            vl_ctl_table_cell_take(t, size_or_null(d, "capacity_bytes", 1));
            vl_ctl_table_cell_take(t, size_or_null(d, "allocation_bytes", 1));
            vl_ctl_table_cell(t, STRING(d, "path"));
        }
        g_string_append_c(out, '\n');
        vl_ctl_table_render(t, out);
    }
    if (vl_json_array_length(net) > 0) {
        g_autoptr(VlCtlTable) t = vl_ctl_table_new("NIC", "RECEIVED", "SENT", "RX PACKETS",
                                                   "TX PACKETS", "RX DROPS", "TX DROPS", NULL);

        for (guint c = 1; c <= 6; c++) {
            vl_ctl_table_align_right(t, c);
        }
        for (guint i = 0; i < vl_json_array_length(net); i++) {
            const VlJson *n = vl_json_array_get(net, i);

            vl_ctl_table_row(t);
            vl_ctl_table_cell(t, STRING(n, "name"));
            vl_ctl_table_cell_take(t, size_or_null(n, "rx_bytes", 1));
            vl_ctl_table_cell_take(t, size_or_null(n, "tx_bytes", 1));
            vl_ctl_table_cell_take(t, int_or_null(n, "rx_pkts"));
            vl_ctl_table_cell_take(t, int_or_null(n, "tx_pkts"));
            vl_ctl_table_cell_take(t, int_or_null(n, "rx_drop"));
            vl_ctl_table_cell_take(t, int_or_null(n, "tx_drop"));
        }
        g_string_append_c(out, '\n');
        vl_ctl_table_render(t, out);
    }
}

void
vl_ctl_show_vm_stats(const VlJson *params, const VlJson *result, GString *out)
{
    g_autoptr(VlCtlTable) t =
        vl_ctl_table_new("NAME", "STATE", "CPU TIME", "VCPUS", "MEMORY", "MAX MEMORY", "RSS",
                         "DISK READ", "DISK WRITTEN", "NET RX", "NET TX", NULL);
    const VlJson *vms = MEMBER(result, "vms");

    if (vl_json_array_length(vms) == 0) {
        g_string_append(out, "No running VMs.\n");
        return;
    }
    for (guint c = 2; c <= 10; c++) {
        vl_ctl_table_align_right(t, c);
    }
    for (guint i = 0; i < vl_json_array_length(vms); i++) {
        const VlJson *vm = vl_json_array_get(vms, i);

        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, STRING(vm, "name"));
        vl_ctl_table_cell(t, STRING(vm, "state"));
        vl_ctl_table_cell_take(t, cpu_time(vm));
        vl_ctl_table_cell_take(t, int_or_null(vm, "vcpus"));
        vl_ctl_table_cell_take(t, size_or_null(vm, "balloon_current_kib", 1024));
        vl_ctl_table_cell_take(t, size_or_null(vm, "balloon_maximum_kib", 1024));
        vl_ctl_table_cell_take(t, size_or_null(vm, "balloon_rss_kib", 1024));
        vl_ctl_table_cell_take(t, sum_size(MEMBER(vm, "block"), "rd_bytes"));
        vl_ctl_table_cell_take(t, sum_size(MEMBER(vm, "block"), "wr_bytes"));
        vl_ctl_table_cell_take(t, sum_size(MEMBER(vm, "net"), "rx_bytes"));
        vl_ctl_table_cell_take(t, sum_size(MEMBER(vm, "net"), "tx_bytes"));
    }
    vl_ctl_table_render(t, out);
    /* Asked about one VM: its disks and NICs one by one too. */
    if (MEMBER(params, "vm") && vl_json_array_length(vms) == 1) {
        show_devices(vl_json_array_get(vms, 0), out);
    }
}

/* Devices ------------------------------------------------------------------------------------ */

static void
show_device(const VlJson *result, const char *done, GString *out)
{
    const VlJson *device = MEMBER(result, "device");
    const char *kind = STRING(device, "kind");
    const char *which =
        g_strcmp0(kind, "nic") == 0 ? STRING(device, "mac") : STRING(device, "target");
    g_autofree char *line = NULL;
    g_autofree char *clean = NULL;

    if (which == NULL) {
        which = STRING(device, "path");
    }
    line = g_strdup_printf("%s: %s %s %s", STRING(result, "name"), kind, which ? which : "", done);
    clean = vl_ctl_format_clean(line);
    g_string_append_printf(out, "%s\n", clean);
}

void
vl_ctl_show_attached(const VlJson *params, const VlJson *result, GString *out)
{
    show_device(result, "attached", out);
}

void
vl_ctl_show_detached(const VlJson *params, const VlJson *result, GString *out)
{
    show_device(result, "detached", out);
}

/* vm.qmp, guest actions ---------------------------------------------------------------------- */

void
vl_ctl_show_qmp(const VlJson *params, const VlJson *result, GString *out)
{
    /* QMP answers are JSON for people too; only make them safe to print. */
    g_autofree char *text = vl_json_to_pretty_string(MEMBER(result, "return"));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (char **l = lines; *l; l++) {
        g_autofree char *clean = vl_ctl_format_clean(*l);
        g_string_append_printf(out, "%s\n", clean);
    }
}

void
vl_ctl_show_guest_reply(const VlJson *params, const VlJson *result, GString *out)
{
    const VlJson *reply = MEMBER(result, "reply");
    g_autofree char *vm = vl_ctl_format_clean(STRING(params, "vm"));

    if (vl_json_object_size(reply) == 0) {
        g_string_append_printf(out, "%s: done\n", vm);
    } else {
        g_autofree char *text = vl_json_to_string(reply, NULL);
        g_autofree char *clean = vl_ctl_format_clean(text);
        g_string_append_printf(out, "%s: done: %s\n", vm, clean);
    }
}

/* Events ------------------------------------------------------------------------------------- */

static void
append_member_name(const char *name, VlJson *value, gpointer user_data)
{
    GString *s = user_data;

    g_string_append_printf(s, "%s%s", s->len ? ", " : "", name);
}

static void
append_scalar(const char *name, VlJson *value, gpointer user_data)
{
    GString *s = user_data;

    switch (vl_json_kind(value)) {
    case VL_JSON_STRING:
        g_string_append_printf(s, " %s=%s", name, vl_json_get_string(value));
        break;
    case VL_JSON_INT:
    case VL_JSON_DOUBLE:
    case VL_JSON_BOOL: {
        g_autofree char *text = vl_json_to_string(value, NULL);
        g_string_append_printf(s, " %s=%s", name, text);
        break;
    }
    default:
        break; /* objects and arrays make a line too long; --json has them */
    }
}

/* The sections of a guest.report event: an array of names or an object keyed by name. */
static void
append_sections(const VlJson *sections, GString *s)
{
    g_autoptr(GString) names = g_string_new(NULL);

    if (vl_json_kind(sections) == VL_JSON_ARRAY) {
        for (guint i = 0; i < vl_json_array_length(sections); i++) {
            const char *name = vl_json_get_string(vl_json_array_get(sections, i));
            g_string_append_printf(names, "%s%s", i ? ", " : "", name ? name : "?");
        }
    } else {
        vl_json_object_foreach(sections, append_member_name, names);
    }
    g_string_append(s, names->len ? names->str : "nothing");
}

static void
summarize(const char *kind, const VlJson *data, GString *s)
{
    if (g_strcmp0(kind, "vm.lifecycle") == 0 || g_strcmp0(kind, "agent.state") == 0) {
        g_string_append(s, STRING(data, "state") ? STRING(data, "state") : "?");
        if (STRING(data, "reason")) {
            g_string_append_printf(s, " (%s)", STRING(data, "reason"));
        }
    } else if (g_strcmp0(kind, "guest.report") == 0) {
        g_string_append(s, vl_json_get_bool(MEMBER(data, "full")) ? "full report: " : "changed: ");
        append_sections(MEMBER(data, "sections"), s);
    } else if (g_strcmp0(kind, "guest.event") == 0) {
        g_string_append(s, STRING(data, "event") ? STRING(data, "event") : "?");
        vl_json_object_foreach(MEMBER(data, "data"), append_scalar, s);
    } else {
        g_autofree char *text = vl_json_to_string(data, NULL);
        g_string_append(s, text);
    }
}

char *
vl_ctl_show_event(const VlJson *event)
{
    g_autofree char *time = vl_ctl_format_time(vl_json_get_int(MEMBER(event, "time")), TRUE);
    const char *kind = STRING(event, "event");
    const char *vm = STRING(event, "vm") ? STRING(event, "vm") : "-";
    g_autoptr(GString) summary = g_string_new(NULL);
    g_autoptr(GString) line = g_string_new(NULL);

    summarize(kind, MEMBER(event, "data"), summary);
    if (summary->len > SUMMARY_MAX_LEN) {
        /* Cut on a character boundary, and say so. */
        const char *end = g_utf8_find_prev_char(summary->str, summary->str + SUMMARY_MAX_LEN);
        g_string_truncate(summary, end ? (gsize)(end - summary->str) : 0);
        g_string_append(summary, "...");
    }
    g_string_printf(line, "%s  #%-6" G_GINT64_FORMAT " %-12s  %-16s  %s", time,
                    vl_json_get_int(MEMBER(event, "seq")), kind ? kind : "?", vm, summary->str);
    return vl_ctl_format_clean(line->str);
}
