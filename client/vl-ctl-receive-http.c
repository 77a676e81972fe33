/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push receiver's connections: TLS on a non-blocking socket where every wait ends at the
 * connection's one deadline (a peer that sends a byte now and then cannot stretch it), and just
 * enough HTTP/1.1 for a bridge's POSTs: a request line, headers within a bound, and a body of a
 * declared Content-Length within a bound. Anything else is answered with the status that says
 * what to change, and the connection is closed after every answer.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "vl-ctl-receive-private.h"
#include "vl-ctl-receive.h"

#define HEAD_END "\r\n\r\n"

/* A status and why, for the caller to answer with. */
static int fail(GError **error, int status, const char *format, ...) G_GNUC_PRINTF(3, 4);

static int
fail(GError **error, int status, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    g_propagate_error(error, g_error_new_valist(VL_CTL_ERROR, VL_CTL_ERROR_INPUT, format, args));
    va_end(args);
    return status;
}

/* Connections ------------------------------------------------------------------------------ */

/* How long, and how much, a closing connection is read on to deliver its answer. */
#define LINGER_US (2 * G_USEC_PER_SEC)
#define LINGER_MAX_BYTES (1024 * 1024)

/* Waits for events on conn's socket until its deadline; FALSE when that passed. */
static gboolean
wait_fd(VlReceiveConn *conn, short events, gint64 deadline)
{
    for (;;) {
        struct pollfd pfd = {.fd = conn->fd, .events = events};
        gint64 left = deadline - g_get_monotonic_time();
        int n;

        if (left <= 0) {
            return FALSE;
        }
        n = poll(&pfd, 1, (int)MIN((left + 999) / 1000, G_MAXINT));
        if (n > 0 || (n < 0 && errno != EINTR)) {
            return TRUE; /* the next operation tells what happened */
        }
    }
}

/* After an SSL call returned ret: TRUE once the socket is ready for what it wants, to call it
 * again; FALSE when it failed or the deadline passed (conn->timed_out). */
static gboolean
retry_ssl(VlReceiveConn *conn, int ret)
{
    int err = SSL_get_error(conn->ssl, ret);

    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        return FALSE;
    }
    if (!wait_fd(conn, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, conn->deadline)) {
        conn->timed_out = TRUE;
        return FALSE;
    }
    return TRUE;
}

gboolean
vl_receive_conn_handshake(VlReceiveConn *conn)
{
    for (;;) {
        int ret;

        ERR_clear_error();
        ret = SSL_accept(conn->ssl);
        if (ret == 1) {
            return TRUE;
        }
        if (!retry_ssl(conn, ret)) {
            return FALSE;
        }
    }
}

/* Bytes read (> 0), or 0 when the peer closed, broke the TLS session or the deadline passed. */
static int
read_some(VlReceiveConn *conn, char *buf, int len)
{
    for (;;) {
        int n;

        ERR_clear_error();
        n = SSL_read(conn->ssl, buf, len);
        if (n > 0) {
            return n;
        }
        if (!retry_ssl(conn, n)) {
            return 0;
        }
    }
}

static void
write_all(VlReceiveConn *conn, const char *data, gsize len)
{
    gsize done = 0;

    /* Partial writes are on in the shared TLS policy: write until all is out. */
    while (done < len) {
        int n;

        ERR_clear_error();
        n = SSL_write(conn->ssl, data + done, (int)(len - done));
        if (n > 0) {
            done += (gsize)n;
        } else if (!retry_ssl(conn, n)) {
            return; /* the bridge went away, or its time is up: nothing to tell it any more */
        }
    }
}

void
vl_receive_conn_close(VlReceiveConn *conn)
{
    gint64 until = MIN(conn->deadline, g_get_monotonic_time() + LINGER_US);
    gsize drained = 0;
    char buf[16384];

    ERR_clear_error();
    if (SSL_is_init_finished(conn->ssl)) {
        SSL_shutdown(conn->ssl); /* once, without waiting for the peer's */
    }
    ERR_clear_error();
    shutdown(conn->fd, SHUT_WR);
    while (drained < LINGER_MAX_BYTES && wait_fd(conn, POLLIN, until)) {
        ssize_t n = recv(conn->fd, buf, sizeof(buf), 0);

        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
            break;
        }
        drained += n > 0 ? (gsize)n : 0;
    }
}

/* Requests --------------------------------------------------------------------------------- */

static int
ended_early(VlReceiveConn *conn, GError **error)
{
    return conn->timed_out ? fail(error, 408, "the request did not arrive in time")
                           : fail(error, 400, "the connection ended before the request did");
}

/* Reads until the end of the headers; their length (end included) or a status. */
static int
read_head(VlReceiveConn *conn, GString *in, gsize *ret_head_len, GError **error)
{
    char buf[16384];
    const char *end;

    while ((end = g_strstr_len(in->str, (gssize)in->len, HEAD_END)) == NULL) {
        int n;

        if (in->len > VL_RECEIVER_MAX_HEADER) {
            return fail(error, 431, "the headers are longer than %d bytes", VL_RECEIVER_MAX_HEADER);
        }
        n = read_some(conn, buf, sizeof(buf));
        if (n == 0) {
            return ended_early(conn, error);
        }
        g_string_append_len(in, buf, n);
    }
    *ret_head_len = (gsize)(end - in->str) + strlen(HEAD_END);
    if (*ret_head_len > VL_RECEIVER_MAX_HEADER) {
        return fail(error, 431, "the headers are longer than %d bytes", VL_RECEIVER_MAX_HEADER);
    }
    return 0;
}

static int
check_request_line(const char *line, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(line, " ", 4);

    if (g_strv_length(parts) != 3 || !g_str_has_prefix(parts[2], "HTTP/1.")) {
        return fail(error, 400, "not an HTTP/1.1 request");
    }
    if (strcmp(parts[0], "POST") != 0) {
        return fail(error, 405, "only POST is served here");
    }
    return 0;
}

/* The Content-Length of the headers (lines after the request line), or a status. */
static int
read_length(char **lines, gint64 *ret_length, GError **error)
{
    *ret_length = -1;
    for (guint i = 1; lines[i] && lines[i][0]; i++) {
        char *colon = strchr(lines[i], ':');
        g_autofree char *value = NULL;

        if (colon == NULL) {
            return fail(error, 400, "a header line without a colon");
        }
        *colon = '\0';
        value = g_strstrip(g_strdup(colon + 1));
        if (g_ascii_strcasecmp(lines[i], "Transfer-Encoding") == 0) {
            return fail(error, 411, "send the body with a Content-Length, not chunked");
        }
        if (g_ascii_strcasecmp(lines[i], "Content-Length") != 0) {
            continue;
        }
        if (value[0] == '\0' || strspn(value, "0123456789") != strlen(value) ||
            strlen(value) > 10) {
            return fail(error, 400, "Content-Length is not a number");
        }
        if (*ret_length >= 0 && *ret_length != g_ascii_strtoll(value, NULL, 10)) {
            return fail(error, 400, "two different Content-Lengths");
        }
        *ret_length = g_ascii_strtoll(value, NULL, 10);
    }
    if (*ret_length < 0) {
        return fail(error, 411, "a Content-Length is required");
    }
    if (*ret_length > VL_RECEIVER_MAX_BODY) {
        return fail(error, 413, "the body is larger than %d bytes", VL_RECEIVER_MAX_BODY);
    }
    return 0;
}

int
vl_receive_http_parse_head(const char *data, gsize len, gint64 *ret_length, GError **error)
{
    g_autofree char *head = g_strndup(data, len);
    g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
    int status;

    *ret_length = -1;
    if (len > VL_RECEIVER_MAX_HEADER) {
        return fail(error, 431, "the headers are longer than %d bytes", VL_RECEIVER_MAX_HEADER);
    }
    if (strlen(head) != len) {
        return fail(error, 400, "a NUL byte in the headers");
    }
    status = check_request_line(lines[0] ? lines[0] : "", error);
    return status != 0 ? status : read_length(lines, ret_length, error);
}

int
vl_receive_http_read(VlReceiveConn *conn, GString *body, GError **error)
{
    g_autoptr(GString) in = g_string_new(NULL);
    gsize head_len = 0;
    gint64 length;
    char buf[65536];
    int status;

    status = read_head(conn, in, &head_len, error);
    if (status != 0) {
        return status;
    }
    status = vl_receive_http_parse_head(in->str, head_len, &length, error);
    if (status != 0) {
        return status;
    }
    g_string_truncate(body, 0);
    g_string_append_len(body, in->str + head_len, (gssize)MIN(in->len - head_len, (gsize)length));
    while (body->len < (gsize)length) {
        int n = read_some(conn, buf, (int)MIN(sizeof(buf), (gsize)length - body->len));

        if (n == 0) {
            return ended_early(conn, error);
        }
        g_string_append_len(body, buf, n);
    }
    return 0;
}

static const char *
status_text(int status)
{
    switch (status) {
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Error";
    }
}

void
vl_receive_http_answer(VlReceiveConn *conn, int status, const char *reason)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append_printf(s, "HTTP/1.1 %d %s\r\nConnection: close\r\n", status,
                           status_text(status));
    if (status == 204) {
        g_string_append(s, "\r\n");
    } else {
        g_autofree char *text = g_strdup_printf("%s\n", reason ? reason : status_text(status));

        g_string_append_printf(s,
                               "Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
                               "%" G_GSIZE_FORMAT "\r\n\r\n%s",
                               strlen(text), text);
    }
    write_all(conn, s->str, s->len);
}
