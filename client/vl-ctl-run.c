/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Carrying out a command: one call, its result as JSON or for people; for events, the
 * subscription and then the events as they come, one line each, flushed so that a script
 * reading a pipe sees each event when it happens.
 */
#include <string.h>

#include "vl-ctl-show.h"
#include "vl-ctl.h"

static gboolean
write_out(FILE *out, const char *text, gsize len, GError **error)
{
    if (fwrite(text, 1, len, out) != len || fflush(out) != 0) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_OUTPUT, "cannot write the output");
        return FALSE;
    }
    return TRUE;
}

static gboolean
follow_events(VlClient *client, const VlCtlArgs *args, FILE *out, GError **error)
{
    gboolean follow = vl_ctl_args_get(args, "follow") != NULL;
    const char *count_text = vl_ctl_args_get(args, "count");
    guint64 count = count_text ? g_ascii_strtoull(count_text, NULL, 10) : 1;
    /* Events come when they come: wait for them without limit unless asked otherwise. */
    int timeout_ms = args->timeout_s < 0 ? -1 : vl_ctl_args_timeout_ms(args);

    for (guint64 n = 0; follow || n < count; n++) {
        g_autoptr(VlJson) event = vl_client_next_event(client, timeout_ms, error);
        g_autofree char *line = NULL;
        g_autofree char *text = NULL;

        if (event == NULL) {
            return FALSE;
        }
        text = args->json ? vl_json_to_string(event, NULL) : vl_ctl_show_event(event);
        line = g_strconcat(text, "\n", NULL);
        if (!write_out(out, line, strlen(line), error)) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vl_ctl_run(VlClient *client, const VlCtlArgs *args, const VlJson *params, FILE *out, GError **error)
{
    const VlCtlCommand *cmd = args->command;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(GString) text = g_string_new(NULL);

    result = vl_client_call(client, cmd->method, params, vl_ctl_args_timeout_ms(args), error);
    if (result == NULL) {
        return FALSE;
    }
    if (cmd->follows_events) {
        return follow_events(client, args, out, error);
    }
    if (args->json) {
        g_autofree char *json = vl_json_to_pretty_string(result);
        g_string_append_printf(text, "%s\n", json);
    } else {
        cmd->show(params, result, text);
    }
    return write_out(out, text->str, text->len, error);
}
