/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest.info for people: a summary of the report's sections (OS, host, memory, CPUs), then
 * tables of interfaces, file systems and users. Applications can be thousands: they are counted
 * unless asked for by name (--section applications).
 */
#include <string.h>

#include "vl-ctl-format.h"
#include "vl-ctl-show.h"

#define MEMBER(node, name) vl_json_object_get((node), (name))
#define STRING(node, name) vl_json_get_string(MEMBER((node), (name)))

static gboolean
asked_for(const VlJson *params, const char *section)
{
    const VlJson *sections = MEMBER(params, "sections");

    for (guint i = 0; i < vl_json_array_length(sections); i++) {
        if (g_strcmp0(vl_json_get_string(vl_json_array_get(sections, i)), section) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

static void
line(VlCtlTable *t, const char *label, char *value)
{
    vl_ctl_table_row(t);
    vl_ctl_table_cell(t, label);
    vl_ctl_table_cell_take(t, value);
}

static char *
describe_agent(const VlJson *agent)
{
    GString *s = g_string_new(STRING(agent, "state"));

    if (STRING(agent, "name")) {
        g_string_append_printf(s, ", %s %s", STRING(agent, "name"),
                               STRING(agent, "version") ? STRING(agent, "version") : "");
    }
    if (MEMBER(agent, "protocol")) {
        g_string_append_printf(s, ", protocol %" G_GINT64_FORMAT,
                               vl_json_get_int(MEMBER(agent, "protocol")));
    }
    if (MEMBER(agent, "connected_since")) {
        g_autofree char *since =
            vl_ctl_format_time(vl_json_get_int(MEMBER(agent, "connected_since")) * 1000, FALSE);
        g_string_append_printf(s, ", connected since %s", since);
    }
    return g_string_free(s, FALSE);
}

static void
summary_lines(const VlJson *params, const VlJson *result, VlCtlTable *t)
{
    const VlJson *sections = MEMBER(result, "sections");
    const VlJson *os = MEMBER(sections, "os");
    const VlJson *host = MEMBER(sections, "host");
    const VlJson *memory = MEMBER(sections, "memory");
    const VlJson *cpu = MEMBER(sections, "cpu");
    const VlJson *apps = MEMBER(sections, "applications");
    const VlJson *counters = MEMBER(result, "counters");

    line(t, "VM:", g_strdup_printf("%s (%s)", STRING(result, "name"), STRING(result, "uuid")));
    line(t, "Agent:", describe_agent(MEMBER(result, "agent")));
    if (os) {
        const char *name = STRING(os, "pretty_name");

        line(t, "OS:",
             g_strdup_printf("%s, %s", name && *name ? name : STRING(os, "name"),
                             STRING(os, "arch")));
        line(t, "Kernel:", g_strdup(STRING(os, "kernel_release")));
    }
    if (host) {
        const char *fqdn = STRING(host, "fqdn");

        if (fqdn && *fqdn && g_strcmp0(fqdn, STRING(host, "hostname")) != 0) {
            line(t, "Host name:", g_strdup_printf("%s (%s)", STRING(host, "hostname"), fqdn));
        } else {
            line(t, "Host name:", g_strdup(STRING(host, "hostname")));
        }
        if (STRING(host, "timezone")) {
            line(t, "Time zone:", g_strdup(STRING(host, "timezone")));
        }
        line(t, "Uptime:",
             MEMBER(host, "uptime_s")
                 ? vl_ctl_format_duration(vl_json_get_int(MEMBER(host, "uptime_s")))
                 : NULL);
    }
    if (memory) {
        g_autofree char *total =
            vl_ctl_format_size((double)vl_json_get_int(MEMBER(memory, "total_kib")) * 1024);

        if (MEMBER(memory, "available_kib")) {
            g_autofree char *available =
                vl_ctl_format_size((double)vl_json_get_int(MEMBER(memory, "available_kib")) * 1024);
            line(t, "Memory:", g_strdup_printf("%s total, %s available", total, available));
        } else {
            line(t, "Memory:", g_strdup_printf("%s total", total));
        }
    }
    if (cpu) {
        GString *s = g_string_new(NULL);

        g_string_append_printf(s, "%" G_GINT64_FORMAT, vl_json_get_int(MEMBER(cpu, "count")));
        if (MEMBER(cpu, "load1")) {
            g_string_append_printf(s, ", load %.2f %.2f %.2f",
                                   vl_json_get_double(MEMBER(cpu, "load1")),
                                   vl_json_get_double(MEMBER(cpu, "load5")),
                                   vl_json_get_double(MEMBER(cpu, "load15")));
        }
        line(t, "CPUs:", g_string_free(s, FALSE));
    }
    if (apps && !asked_for(params, "applications")) {
        line(t, "Applications:",
             g_strdup_printf("%u installed (--section applications lists them)",
                             vl_json_array_length(apps)));
    }
    if (counters) {
        line(t, "Channel:",
             g_strdup_printf("%" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT
                             " refused, %" G_GINT64_FORMAT " connections",
                             vl_json_get_int(MEMBER(counters, "frames")),
                             vl_json_get_int(MEMBER(counters, "invalid")),
                             vl_json_get_int(MEMBER(counters, "connects"))));
    }
}

static char *
addresses(const VlJson *interface)
{
    const VlJson *list = MEMBER(interface, "addresses");
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *a = vl_json_array_get(list, i);

        g_string_append_printf(s, "%s%s/%" G_GINT64_FORMAT, i ? ", " : "", STRING(a, "address"),
                               vl_json_get_int(MEMBER(a, "prefix")));
    }
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

static void
interfaces_table(const VlJson *network, GString *out)
{
    const VlJson *list = MEMBER(network, "interfaces");
    g_autoptr(VlCtlTable) t = vl_ctl_table_new("INTERFACE", "MAC", "ADDRESSES", NULL);

    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *interface = vl_json_array_get(list, i);

        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, STRING(interface, "name"));
        vl_ctl_table_cell(t, STRING(interface, "mac"));
        vl_ctl_table_cell_take(t, addresses(interface));
    }
    g_string_append_c(out, '\n');
    vl_ctl_table_render(t, out);
}

static char *
bytes_or_null(const VlJson *node, const char *name)
{
    const VlJson *v = MEMBER(node, name);

    return v ? vl_ctl_format_size((double)vl_json_get_int(v)) : NULL;
}

static void
filesystems_table(const VlJson *list, GString *out)
{
    g_autoptr(VlCtlTable) t =
        vl_ctl_table_new("MOUNT POINT", "TYPE", "DEVICE", "SIZE", "USED", "USE%", NULL);

    vl_ctl_table_align_right(t, 3);
    vl_ctl_table_align_right(t, 4);
    vl_ctl_table_align_right(t, 5);
    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *fs = vl_json_array_get(list, i);

        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, STRING(fs, "mountpoint"));
        vl_ctl_table_cell(t, STRING(fs, "type"));
        vl_ctl_table_cell(t, STRING(fs, "device"));
        vl_ctl_table_cell_take(t, bytes_or_null(fs, "total_bytes"));
        vl_ctl_table_cell_take(t, bytes_or_null(fs, "used_bytes"));
        vl_ctl_table_cell_take(
            t, vl_ctl_format_percent((double)vl_json_get_int(MEMBER(fs, "used_bytes")),
                                     (double)vl_json_get_int(MEMBER(fs, "total_bytes"))));
    }
    g_string_append_c(out, '\n');
    vl_ctl_table_render(t, out);
}

static void
users_table(const VlJson *list, GString *out)
{
    g_autoptr(VlCtlTable) t =
        vl_ctl_table_new("USER", "SESSION", "SEAT", "TTY", "FROM", "SINCE", "LOCKED", NULL);

    if (vl_json_array_length(list) == 0) {
        g_string_append(out, "\nNobody is logged in.\n");
        return;
    }
    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *u = vl_json_array_get(list, i);
        const VlJson *since = MEMBER(u, "since");
        const VlJson *locked = MEMBER(u, "locked");

        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, STRING(u, "name"));
        vl_ctl_table_cell(t, STRING(u, "session"));
        vl_ctl_table_cell(t, STRING(u, "seat"));
        vl_ctl_table_cell(t, STRING(u, "tty"));
        vl_ctl_table_cell(t, STRING(u, "remote_host"));
        vl_ctl_table_cell_take(t, since ? vl_ctl_format_time(vl_json_get_int(since) * 1000, FALSE)
                                        : NULL);
        vl_ctl_table_cell(t, locked ? (vl_json_get_bool(locked) ? "yes" : "no") : NULL);
    }
    g_string_append_c(out, '\n');
    vl_ctl_table_render(t, out);
}

static void
applications_table(const VlJson *list, GString *out)
{
    g_autoptr(VlCtlTable) t = vl_ctl_table_new("APPLICATION", "VERSION", NULL);

    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *app = vl_json_array_get(list, i);

        vl_ctl_table_row(t);
        vl_ctl_table_cell(t, STRING(app, "name"));
        vl_ctl_table_cell(t, STRING(app, "version"));
    }
    g_string_append_c(out, '\n');
    vl_ctl_table_render(t, out);
}

void
vl_ctl_show_guest_info(const VlJson *params, const VlJson *result, GString *out)
{
    const VlJson *sections = MEMBER(result, "sections");
    g_autoptr(VlCtlTable) summary = vl_ctl_table_new_plain();

    summary_lines(params, result, summary);
    vl_ctl_table_render(summary, out);
    if (vl_json_object_size(sections) == 0) {
        g_string_append(out, "\nNo report from the guest yet: is vmlink-agent installed and "
                             "running in it?\n");
        return;
    }
    if (MEMBER(sections, "network")) {
        interfaces_table(MEMBER(sections, "network"), out);
    }
    if (MEMBER(sections, "filesystems")) {
        filesystems_table(MEMBER(sections, "filesystems"), out);
    }
    if (MEMBER(sections, "users")) {
        users_table(MEMBER(sections, "users"), out);
    }
    if (MEMBER(sections, "applications") && asked_for(params, "applications")) {
        applications_table(MEMBER(sections, "applications"), out);
    }
}
