/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-qga-server.h"

#include "vl-channel.h"
#include "vl-protocol.h"
#include "vl-qga-reader.h"

struct _VlQgaServer {
    const VlQgaContext *q;
    VlChannel *channel;
    VlQgaReader *reader;
};

static void
send_frame(VlQgaServer *s, GString *frame)
{
    if (!vl_channel_send(s->channel, frame->str, frame->len)) {
        g_debug("qga: answer dropped: no host, or the host is not reading");
    }
    g_string_free(frame, TRUE);
}

static void
send_error(VlQgaServer *s, const char *klass, const char *desc, const VlJson *id)
{
    send_frame(s, vl_qga_encode_error(klass, desc, id));
}

static void
handle_value(VlQgaServer *s, const char *text, gsize len)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) message = NULL;
    g_autofree char *desc = NULL;
    const char *klass = NULL;
    VlQgaRequest request;
    VlJsonBuilder *b;
    GString *frame;

    message = vl_json_parse_strict(text, len, VL_FRAME_DEFAULT_MAX_DEPTH, &error);
    if (message == NULL) {
        g_autofree char *why = g_strdup_printf("JSON parse error, %s", error->message);

        send_error(s, VL_QGA_GENERIC_ERROR, why, NULL);
        return;
    }
    if (!vl_qga_request_check(message, &request, &klass, &desc)) {
        send_error(s, klass, desc, request.id);
        return;
    }
    if (!vl_qga_command_enabled(s->q->config, request.command)) {
        g_autofree char *why =
            g_strdup_printf("Command %s has been disabled", request.command->name);

        g_message("audit: refused disabled command %s", request.command->name);
        send_error(s, VL_QGA_COMMAND_NOT_FOUND, why, request.id);
        return;
    }
    /* The answer is written as the command makes it, the sentinel first for
     * guest-sync-delimited, and sent with one write. */
    frame = g_string_sized_new(1024);
    if (g_str_equal(request.command->name, "guest-sync-delimited")) {
        g_string_append_c(frame, VL_QGA_SENTINEL);
    }
    b = vl_qga_answer_begin(frame);
    if (!vl_qga_run(s->q, &request, b, &error)) {
        vl_json_builder_free(b);
        g_string_free(frame, TRUE);
        send_error(s, VL_QGA_GENERIC_ERROR, error->message, request.id);
        return;
    }
    vl_qga_answer_end(b, request.id);
    if (!request.command->success_response) {
        g_string_free(frame, TRUE);
        return;
    }
    g_string_append_c(frame, '\n');
    send_frame(s, frame);
}

static void
on_received(const char *data, gsize len, gpointer user_data)
{
    VlQgaServer *s = user_data;

    while (len > 0) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        gsize used = 0;
        gsize text_len = 0;

        if (!vl_qga_reader_push(s->reader, data, len, &used, &text, &text_len, &error)) {
            send_error(s, VL_QGA_GENERIC_ERROR, error->message, NULL);
        } else if (text) {
            handle_value(s, text, text_len);
        }
        data += used;
        len -= used;
    }
}

static void
on_connected(gpointer user_data)
{
    VlQgaServer *s = user_data;

    g_message("qga: host connected");
    vl_qga_reader_reset(s->reader);
}

static void
on_disconnected(gpointer user_data)
{
    VlQgaServer *s = user_data;

    g_message("qga: host disconnected");
    vl_qga_reader_reset(s->reader);
}

VlQgaServer *
vl_qga_server_new(const VlQgaContext *q, const char *spec, GError **error)
{
    static const VlChannelCallbacks callbacks = {on_connected, on_received, on_disconnected};
    VlQgaServer *s = g_new0(VlQgaServer, 1);

    s->q = q;
    s->reader = vl_qga_reader_new(VL_QGA_READER_DEFAULT_MAX_SIZE);
    s->channel = vl_channel_open(spec, &callbacks, s, error);
    if (s->channel == NULL) {
        vl_qga_server_free(s);
        return NULL;
    }
    return s;
}

void
vl_qga_server_free(VlQgaServer *s)
{
    if (s) {
        vl_channel_free(s->channel);
        vl_qga_reader_free(s->reader);
        g_free(s);
    }
}
