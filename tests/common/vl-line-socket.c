/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-line-socket.h"

#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

/* clang-format off */
G_DEFINE_QUARK(vl-line-socket-error-quark, vl_line_socket_error)
/* clang-format on */

/* Line sockets ------------------------------------------------------------------------------ */

struct _VlLineSocket {
    GSocket *socket;
    GString *buf;
};

VlLineSocket *
vl_line_socket_connect(const char *path, guint timeout_s, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);

    for (;;) {
        g_autoptr(GError) local_error = NULL;
        g_autoptr(GSocket) socket =
            g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, error);

        if (socket == NULL) {
            return NULL;
        }
        if (g_socket_connect(socket, address, NULL, &local_error)) {
            VlLineSocket *s = g_new0(VlLineSocket, 1);
            s->socket = g_steal_pointer(&socket);
            s->buf = g_string_new(NULL);
            return s;
        }
        if (g_get_monotonic_time() > deadline) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
                                       "connecting to %s: ", path);
            return NULL;
        }
        g_usleep(50 * 1000);
    }
}

void
vl_line_socket_free(VlLineSocket *s)
{
    if (s) {
        g_socket_close(s->socket, NULL);
        g_object_unref(s->socket);
        g_string_free(s->buf, TRUE);
        g_free(s);
    }
}

gboolean
vl_line_socket_send(VlLineSocket *s, const char *data, gsize len, GError **error)
{
    while (len > 0) {
        gssize n = g_socket_send(s->socket, data, len, NULL, error);
        if (n < 0) {
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

char *
vl_line_socket_recv(VlLineSocket *s, guint timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        const char *nl = memchr(s->buf->str, '\n', s->buf->len);
        char chunk[4096];
        gssize n;
        gint64 left;

        if (nl) {
            gsize line_len = (gsize)(nl - s->buf->str);
            char *line = g_strndup(s->buf->str, line_len);
            g_string_erase(s->buf, 0, (gssize)line_len + 1);
            return line;
        }
        left = deadline - g_get_monotonic_time();
        if (left <= 0 || !g_socket_condition_timed_wait(s->socket, G_IO_IN, left, NULL, NULL)) {
            g_set_error(error, VL_LINE_SOCKET_ERROR, VL_LINE_SOCKET_ERROR_TIMEOUT,
                        "no line within %u ms", timeout_ms);
            return NULL;
        }
        n = g_socket_receive(s->socket, chunk, sizeof chunk, NULL, error);
        if (n < 0) {
            return NULL;
        }
        if (n == 0) {
            g_set_error_literal(error, VL_LINE_SOCKET_ERROR, VL_LINE_SOCKET_ERROR_CLOSED,
                                "the peer closed the connection");
            return NULL;
        }
        g_string_append_len(s->buf, chunk, n);
    }
}

gboolean
vl_line_socket_sync(VlLineSocket *s, const char *echo_prefix, guint timeout_s, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;

    for (guint n = 0; g_get_monotonic_time() < deadline; n++) {
        g_autofree char *line = g_strdup_printf("sync-%u\n", n);
        g_autofree char *expected = g_strdup_printf("%ssync-%u", echo_prefix, n);
        gint64 round_end = g_get_monotonic_time() + 500 * 1000;

        if (!vl_line_socket_send(s, line, strlen(line), error)) {
            return FALSE;
        }
        while (g_get_monotonic_time() < round_end) {
            g_autoptr(GError) local_error = NULL;
            g_autofree char *reply = vl_line_socket_recv(
                s, (guint)((round_end - g_get_monotonic_time()) / 1000 + 1), &local_error);

            if (reply == NULL) {
                if (g_error_matches(local_error, VL_LINE_SOCKET_ERROR,
                                    VL_LINE_SOCKET_ERROR_TIMEOUT)) {
                    break;
                }
                g_propagate_error(error, g_steal_pointer(&local_error));
                return FALSE;
            }
            if (g_str_equal(reply, expected)) {
                return TRUE;
            }
        }
    }
    g_set_error(error, VL_LINE_SOCKET_ERROR, VL_LINE_SOCKET_ERROR_TIMEOUT,
                "the guest did not echo a sync line within %u s", timeout_s);
    return FALSE;
}
