/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmlinkctl --help at each level: the program, a group of commands, one command. */
#include "vl-ctl-format.h"
#include "vl-ctl.h"

static const char *const exit_statuses =
    "Exit status:\n"
    "  0  success\n"
    "  1  the call failed: vmlinkd answered with an error, did not answer in time, or answered\n"
    "     something the protocol does not allow\n"
    "  2  usage error: the command line or its input is wrong\n"
    "  3  cannot connect to vmlinkd, or the connection was lost; over TLS also: the bridge\n"
    "     is not the one pinned, or not known to this manager yet\n";

static const char *const global_options =
    "Global options (before or after the command):\n"
    "  --connect ADDRESS  vmlinkd's address: unix:PATH or PATH on its host, tls://HOST[:PORT]\n"
    "                     from elsewhere (port 8899; as this manager, see FILES in\n"
    "                     vmlinkctl(1)) (default: $VMLINK_CONNECT, else\n"
    "                     " VL_CLIENT_DEFAULT_ADDRESS ")\n"
    "  --json             Print results as JSON, for scripts\n"
    "  --timeout SECONDS  How long to wait for each answer (default 30 unless the command's\n"
    "                     --help says otherwise; 0: no limit)\n"
    "  --help, -h         This help; after a command, that command's help\n"
    "  --version          Print the version\n";

/* "NAME [--paused] [--via WAY]": the arguments and options of a command's usage line. */
static char *
synopsis(const VlCtlCommand *c)
{
    GString *s = g_string_new(c->args);

    if (c->synopsis) {
        g_string_append_printf(s, "%s%s", s->len ? " " : "", c->synopsis);
        return g_string_free(s, FALSE);
    }
    for (const VlCtlOption *o = c->options; o && o->name; o++) {
        if (s->len) {
            g_string_append_c(s, ' ');
        }
        if (o->kind == VL_CTL_FLAG) {
            g_string_append_printf(s, "[--%s]", o->name);
        } else {
            g_string_append_printf(s, "[--%s %s]%s", o->name, o->value, o->repeat ? "..." : "");
        }
    }
    return g_string_free(s, FALSE);
}

static void
command_list(const char *group, GString *out)
{
    g_autoptr(VlCtlTable) t = vl_ctl_table_new_plain();

    for (const VlCtlCommand *c = vl_ctl_commands; c->name; c++) {
        g_autofree char *words = vl_ctl_command_words(c);

        if (group && g_strcmp0(c->group, group) != 0) {
            continue;
        }
        vl_ctl_table_row(t);
        vl_ctl_table_cellf(t, "  %s", words);
        vl_ctl_table_cell(t, c->summary);
    }
    vl_ctl_table_render(t, out);
}

static void
main_help(GString *out)
{
    g_string_append(out,
                    "Usage: vmlinkctl [--connect ADDRESS] [--json] [--timeout SECONDS] COMMAND "
                    "...\n\n"
                    "Manages the VMs of a KVM host and sees into their guests, through the host's "
                    "vmlinkd.\n\nCommands:\n");
    command_list(NULL, out);
    g_string_append_printf(out, "\n%s\n%s\n", global_options, exit_statuses);
    g_string_append(out, "Examples:\n"
                         "  vmlinkctl vm list\n"
                         "  vmlinkctl --json guest info web1\n"
                         "  vmlinkctl events --follow\n"
                         "  vmlinkctl --connect tls://kvm1 host take-ownership\n\n"
                         "See vmlinkctl(1).\n");
}

static void
group_help(const char *group, GString *out)
{
    int index = vl_ctl_group_index(group);

    g_string_append_printf(out, "Usage: vmlinkctl %s COMMAND ...\n\n%s.\n\nCommands:\n", group,
                           vl_ctl_group_summaries[index]);
    command_list(group, out);
    g_string_append_printf(out,
                           "\nvmlinkctl %s COMMAND --help tells a command's arguments and options, "
                           "with an example.\n",
                           group);
}

static void
command_help(const VlCtlCommand *c, GString *out)
{
    g_autofree char *words = vl_ctl_command_words(c);
    g_autofree char *usage = synopsis(c);

    g_string_append_printf(out, "Usage: vmlinkctl %s%s%s\n\n%s\n", words, *usage ? " " : "", usage,
                           c->summary);
    if (c->description) {
        g_string_append_printf(out, "%s\n", c->description);
    }
    if (c->method) {
        g_string_append_printf(out, "It calls the control plane method %s.\n", c->method);
    }
    if (c->options && c->options->name) {
        g_autoptr(VlCtlTable) t = vl_ctl_table_new_plain();

        for (const VlCtlOption *o = c->options; o->name; o++) {
            vl_ctl_table_row(t);
            if (o->kind == VL_CTL_FLAG) {
                vl_ctl_table_cellf(t, "  --%s", o->name);
            } else {
                vl_ctl_table_cellf(t, "  --%s %s", o->name, o->value);
            }
            vl_ctl_table_cell(t, o->help);
        }
        g_string_append(out, "\nOptions:\n");
        vl_ctl_table_render(t, out);
    }
    g_string_append_printf(out, "\nExample:\n  vmlinkctl %s\n\n", c->example);
    if (c->timeout_s) {
        g_string_append_printf(out,
                               "Global options: --connect ADDRESS, --json, --timeout SECONDS "
                               "(default %u for this command) (see vmlinkctl --help).\n",
                               c->timeout_s);
    } else {
        g_string_append(out, "Global options: --connect ADDRESS, --json, --timeout SECONDS (see "
                             "vmlinkctl --help).\n");
    }
}

void
vl_ctl_help(const VlCtlArgs *args, GString *out)
{
    if (args->command) {
        command_help(args->command, out);
    } else if (args->group) {
        group_help(args->group, out);
    } else {
        main_help(out);
    }
}
