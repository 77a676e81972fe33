/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlink-agent: the guest agent. This file reads the command line and the configuration, then
 * either prints a report (--dump-report) or runs the agent on its channel.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl-agent-config.h"
#include "vl-agent.h"
#include "vl-catalogue.h"
#include "vl-channel.h"
#include "vl-protocol.h"
#include "vl-report.h"

typedef struct {
    char *config_path;
    char *channel;
    char *qga_channel;
    char *qga_method; /* qemu-ga's -m and -p */
    char *qga_path;
    char *qga_blocked; /* qemu-ga's -b and -a: commands, separated by commas */
    char *qga_allowed;
    char *qga_statedir;
    char *root;
    char **sections;
    gboolean dump_report;
    gboolean version;
} Options;

static gboolean
parse_options(int *argc, char ***argv, Options *o, GError **error)
{
    const GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path,
         "Read the configuration from FILE (default " VL_AGENT_CONFIG_FILE ")", "FILE"},
        {"channel", 0, 0, G_OPTION_ARG_STRING, &o->channel,
         "Talk to the host over METHOD:ADDRESS: virtio-serial:PATH, unix-listen:PATH or "
         "vsock-listen:PORT (default " VL_AGENT_DEFAULT_CHANNEL ")",
         "METHOD:ADDRESS"},
        {"qga-channel", 0, 0, G_OPTION_ARG_STRING, &o->qga_channel,
         "Speak the QEMU guest agent protocol over METHOD:ADDRESS, as --channel "
         "(default " VL_AGENT_DEFAULT_QGA_CHANNEL "; none: not at all)",
         "METHOD:ADDRESS"},
        {"method", 'm', 0, G_OPTION_ARG_STRING, &o->qga_method,
         "As qemu-ga: the QEMU guest agent protocol's transport (virtio-serial, unix-listen, "
         "vsock-listen)",
         "METHOD"},
        {"path", 'p', 0, G_OPTION_ARG_STRING, &o->qga_path,
         "As qemu-ga: its device or socket path (for vsock-listen, CID:PORT or PORT)", "PATH"},
        {"block-rpcs", 'b', 0, G_OPTION_ARG_STRING, &o->qga_blocked,
         "As qemu-ga: commands to refuse, separated by commas", "LIST"},
        {"allow-rpcs", 'a', 0, G_OPTION_ARG_STRING, &o->qga_allowed,
         "As qemu-ga: the only commands to allow, separated by commas", "LIST"},
        {"statedir", 't', 0, G_OPTION_ARG_FILENAME, &o->qga_statedir,
         "As qemu-ga: its state folder (vmlink-agent keeps no state there)", "DIR"},
        {"dump-report", 0, 0, G_OPTION_ARG_NONE, &o->dump_report,
         "Print the full report as the JSON of the protocol and exit", NULL},
        {"section", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->sections,
         "With --dump-report: only this section (os, host, network, memory, applications, "
         "filesystems, users, cpu); repeat for more",
         "NAME"},
        {"root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o->root,
         "Read system files below DIR instead of / (for tests)", "DIR"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);

    g_option_context_set_summary(context,
                                 "The vmlink guest agent: reports what the guest looks like to "
                                 "the host as it changes, and carries out the host's commands.");
    g_option_context_set_description(context,
                                     "See vmlink-agent(8) and " VL_AGENT_CONFIG_FILE ".\n");
    g_option_context_add_main_entries(context, entries, NULL);
    return g_option_context_parse(context, argc, argv, error);
}

static int
dump_report(const VlAgentConfig *config, const Options *o)
{
    VlCollectContext ctx = {
        .root = o->root ? o->root : "/",
        .net_exclude = (const char *const *)config->net_exclude,
        .fs_exclude = (const char *const *)config->fs_exclude,
    };
    g_autoptr(GDBusConnection) bus = NULL;
    g_autoptr(VlJson) sections = NULL;
    g_autoptr(VlJson) report = NULL;
    g_autofree char *text = NULL;

    for (char **s = o->sections; s && *s; s++) {
        if (!g_strv_contains(vl_report_sections, *s)) {
            g_autofree char *known = g_strjoinv(", ", (char **)vl_report_sections);
            fprintf(stderr, "vmlink-agent: unknown section \"%s\" (sections: %s)\n", *s, known);
            return 2;
        }
    }
    if (o->root == NULL) {
        /* logind answers for the users section; without a system bus, utmp does. */
        bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
        ctx.system_bus = bus;
    }
    sections = vl_report_collect(&ctx, (const char *const *)o->sections);
    report = vl_report_message(0, o->sections == NULL, sections);
    text = vl_json_to_pretty_string(report);
    printf("%s\n", text);
    return 0;
}

/* qemu-ga's spelling of the channel: -m METHOD -p PATH. */
static char *
qga_spec(const Options *o, GError **error)
{
    const char *method = o->qga_method ? o->qga_method : "virtio-serial";
    const char *path = o->qga_path;

    if (g_str_equal(method, "isa-serial")) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "-m isa-serial is not supported: use virtio-serial, unix-listen or "
                    "vsock-listen");
        return NULL;
    }
    if (path == NULL) {
        if (!g_str_equal(method, "virtio-serial")) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-m %s needs a path (-p)",
                        method);
            return NULL;
        }
        return g_strdup(VL_AGENT_DEFAULT_QGA_CHANNEL);
    }
    if (g_str_equal(method, "vsock-listen") && strchr(path, ':')) {
        path = strrchr(path, ':') + 1; /* qemu-ga's CID:PORT; the agent listens on any CID */
    }
    return g_strdup_printf("%s:%s", method, path);
}

/* qemu-ga's -b and -a: lists separated by commas, added to the configuration's. */
static void
add_commands(char ***list, const char *text)
{
    g_auto(GStrv) names = g_strsplit(text, ",", -1);
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);

    for (char **n = *list; n && *n; n++) {
        g_ptr_array_add(all, g_strdup(*n));
    }
    for (char **n = names; *n; n++) {
        if (*g_strstrip(*n)) {
            g_ptr_array_add(all, g_strdup(*n));
        }
    }
    g_ptr_array_add(all, NULL);
    g_strfreev(*list);
    *list = (char **)g_ptr_array_steal(all, NULL);
}

int
main(int argc, char **argv)
{
    Options o = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAgentConfig) config = vl_agent_config_new();
    int status;

    /* Before anything can start a thread: SIGIO must only ever reach the channel's signalfd. */
    vl_channel_block_signals();
    setlocale(LC_ALL, "");
    if (!parse_options(&argc, &argv, &o, &error)) {
        fprintf(stderr, "vmlink-agent: %s (see --help)\n", error->message);
        return 2;
    }
    if (o.version) {
        printf("vmlink-agent %s (guest protocol %d)\n", VL_VERSION, VL_GUEST_PROTOCOL_VERSION);
        return 0;
    }
    if (o.config_path || g_file_test(VL_AGENT_CONFIG_FILE, G_FILE_TEST_EXISTS)) {
        if (!vl_agent_config_load(config, o.config_path ? o.config_path : VL_AGENT_CONFIG_FILE,
                                  &error)) {
            fprintf(stderr, "vmlink-agent: %s\n", error->message);
            return 2;
        }
    }
    if (o.channel && !vl_agent_config_set_channel(config, o.channel, &error)) {
        fprintf(stderr, "vmlink-agent: --channel: %s\n", error->message);
        return 2;
    }
    if (o.qga_method || o.qga_path) {
        g_autofree char *spec = qga_spec(&o, &error);

        if (spec == NULL || !vl_agent_config_set_qga_channel(config, spec, &error)) {
            fprintf(stderr, "vmlink-agent: -m/-p: %s\n", error->message);
            return 2;
        }
        /* Run as qemu-ga: the vmlink channel only when asked for. */
        if (o.channel == NULL) {
            vl_agent_config_set_channel(config, VL_AGENT_CHANNEL_NONE, NULL);
        }
    }
    if (o.qga_channel && !vl_agent_config_set_qga_channel(config, o.qga_channel, &error)) {
        fprintf(stderr, "vmlink-agent: --qga-channel: %s\n", error->message);
        return 2;
    }
    if (o.qga_blocked) {
        add_commands(&config->blocked, o.qga_blocked);
    }
    if (o.qga_allowed) {
        add_commands(&config->allowed, o.qga_allowed);
    }

    if (o.dump_report) {
        status = dump_report(config, &o);
    } else {
        status = vl_agent_run(config, o.root ? o.root : "/");
    }
    g_free(o.config_path);
    g_free(o.channel);
    g_free(o.qga_channel);
    g_free(o.qga_method);
    g_free(o.qga_path);
    g_free(o.qga_blocked);
    g_free(o.qga_allowed);
    g_free(o.qga_statedir);
    g_free(o.root);
    g_strfreev(o.sections);
    return status;
}
