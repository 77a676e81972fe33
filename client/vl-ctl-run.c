/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Carrying out a command: one call, its result as JSON or for people; for events, the
 * subscription and then the events as they come, one line each, flushed so that a script
 * reading a pipe sees each event when it happens. Commands that are more than one call have a
 * run function of their own (vl-ctl-owner.c).
 */
#include <string.h>

#include "vl-ctl-show.h"
#include "vl-ctl.h"

gboolean
vl_ctl_write(FILE *out, const char *text, GError **error)
{
    gsize len = strlen(text);

    if (fwrite(text, 1, len, out) != len || fflush(out) != 0) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_OUTPUT, "cannot write the output");
        return FALSE;
    }
    return TRUE;
}

static gboolean
write_event(FILE *out, const VlCtlArgs *args, const VlJson *event, GError **error)
{
    g_autofree char *text = args->json ? vl_json_to_string(event, NULL) : vl_ctl_show_event(event);
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    return vl_ctl_write(out, line, error);
}

/* The bridge's ring no longer holds every event after --since: say so where people look, and
 * keep stdout for the events. */
static void
warn_gap(const VlJson *result, const char *since)
{
    const VlJson *gap = vl_json_object_get(result, "gap");

    if (since && gap && vl_json_get_bool(gap)) {
        fprintf(stderr,
                "vmlinkctl: events after #%s have already left the bridge's ring: some are "
                "missing (resynchronise with vm list and guest info)\n",
                since);
    }
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

        if (event == NULL || !write_event(out, args, event, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vl_ctl_events_since(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                    GError **error)
{
    const VlJson *kinds = vl_json_object_get(params, "events");
    const char *since = vl_ctl_args_get(args, "since");
    gint64 seq = g_ascii_strtoll(since, NULL, 10);
    gboolean more = TRUE;

    /* The events kept after SEQ, once: the subscription's params, as events.since has them. The
     * bridge answers in parts of about 1 MiB ("more"): ask again from the last one shown. */
    for (guint part = 0; more; part++) {
        g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
        g_autoptr(VlJson) request = NULL;
        g_autoptr(VlJson) result = NULL;
        const VlJson *events;
        guint n;

        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "seq");
        vl_json_builder_add_int(b, seq);
        if (kinds) {
            vl_json_builder_member(b, "events");
            vl_json_builder_add_node(b, kinds);
        }
        vl_json_builder_end_object(b);
        request = vl_json_builder_finish(b);
        result = vl_client_call(session->client, "events.since", request,
                                vl_ctl_args_timeout_ms(args), error);
        if (result == NULL) {
            return FALSE;
        }
        if (part == 0) {
            warn_gap(result, since);
        }
        events = vl_json_object_get(result, "events");
        n = vl_json_array_length(events);
        for (guint i = 0; i < n; i++) {
            if (!write_event(session->out, args, vl_json_array_get(events, i), error)) {
                return FALSE;
            }
        }
        more = vl_json_get_bool(vl_json_object_get(result, "more")) && n > 0;
        if (n > 0) {
            seq = vl_json_get_int(vl_json_object_get(vl_json_array_get(events, n - 1), "seq"));
        }
    }
    return TRUE;
}

gboolean
vl_ctl_run(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params, GError **error)
{
    const VlCtlCommand *cmd = args->command;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(GString) text = g_string_new(NULL);

    if (cmd->run) {
        return cmd->run(session, args, params, error);
    }
    if (cmd->follows_events && vl_ctl_args_get(args, "since") && !vl_ctl_args_get(args, "follow") &&
        !vl_ctl_args_get(args, "count")) {
        return vl_ctl_events_since(session, args, params, error);
    }
    result =
        vl_client_call(session->client, cmd->method, params, vl_ctl_args_timeout_ms(args), error);
    if (result == NULL) {
        return FALSE;
    }
    if (cmd->follows_events) {
        warn_gap(result, vl_ctl_args_get(args, "since"));
        return follow_events(session->client, args, session->out, error);
    }
    if (args->json) {
        g_autofree char *json = vl_json_to_pretty_string(result);
        g_string_append_printf(text, "%s\n", json);
    } else {
        cmd->show(params, result, text);
    }
    return vl_ctl_write(session->out, text->str, error);
}
