/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlink-agent: the guest agent. This file reads the command line and the configuration, then
 * either prints a report (--dump-report) or runs the agent on its channel.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "vl-agent-config.h"
#include "vl-agent.h"
#include "vl-catalogue.h"
#include "vl-channel.h"
#include "vl-protocol.h"
#include "vl-report.h"

typedef struct {
    char *config_path;
    char *channel;
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

    if (o.dump_report) {
        status = dump_report(config, &o);
    } else {
        status = vl_agent_run(config, o.root ? o.root : "/");
    }
    g_free(o.config_path);
    g_free(o.channel);
    g_free(o.root);
    g_strfreev(o.sections);
    return status;
}
