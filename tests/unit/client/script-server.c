/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "script-server.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <linux/sockios.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl-protocol.h"

/* How long a split write waits for the client to read the first part before going on anyway:
 * only a bound against a client that stopped reading, never something a test measures. */
#define DRAIN_WAIT_US (10 * G_USEC_PER_SEC)

struct _ScriptServer {
    char *dir;
    char *path;
    char *address;
    int listen_fd;
    const ScriptStep *steps;
    GThread *thread;
    GPtrArray *requests; /* char *: written by the thread, read after it ended */
};

static gboolean
write_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        /* MSG_NOSIGNAL: a client that gave up is the end of the script, not a SIGPIPE. */
        gssize n = send(fd, data, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* Waits until the client has read everything written so far (SIOCOUTQ counts what it has not),
 * so that what is written next reaches it in another read. */
static void
wait_drained(int fd)
{
    gint64 give_up = g_get_monotonic_time() + DRAIN_WAIT_US;
    int pending = 0;

    while (ioctl(fd, SIOCOUTQ, &pending) == 0 && pending > 0 && g_get_monotonic_time() < give_up) {
        g_usleep(1000);
    }
}

/* The next line without its newline; NULL at the end of the stream. */
static char *
read_line(int fd, GString *in)
{
    for (;;) {
        char *nl = memchr(in->str, '\n', in->len);
        char buf[4096];
        gssize n;

        if (nl) {
            char *line = g_strndup(in->str, nl - in->str);
            g_string_erase(in, 0, nl - in->str + 1);
            return line;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(in, buf, n);
    }
}

static char *
id_of(const char *line)
{
    g_autoptr(VlJson) request = vl_json_parse(line, strlen(line), NULL);
    const VlJson *id = request ? vl_json_object_get(request, "id") : NULL;

    return id ? vl_json_to_string(id, NULL) : g_strdup("null");
}

static char *
with_id(const char *text, const char *id)
{
    g_auto(GStrv) parts = g_strsplit(text, "$ID", -1);

    return g_strjoinv(id, parts);
}

static GString *
string_response(const char *id, gsize size)
{
    GString *s = g_string_sized_new(size + 128);

    g_string_append_printf(s, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"return\":\"", id);
    for (gsize i = 0; i < size; i++) {
        g_string_append_c(s, (char)('a' + i % 26));
    }
    g_string_append(s, "\"}}\n");
    return s;
}

/* Plays the steps; FALSE when the connection ended before the script did. */
static gboolean
play(ScriptServer *server, int fd, GString *in)
{
    g_autofree char *id = g_strdup("null");

    for (const ScriptStep *step = server->steps; step->kind != STEP_END; step++) {
        switch (step->kind) {
        case STEP_READ: {
            char *line = read_line(fd, in);

            if (line == NULL) {
                return FALSE;
            }
            g_ptr_array_add(server->requests, line);
            g_free(id);
            id = id_of(line);
            break;
        }
        case STEP_SEND: {
            g_autofree char *text = with_id(step->text, id);

            if (!write_all(fd, text, strlen(text))) {
                return FALSE;
            }
            break;
        }
        case STEP_SPLIT: {
            g_autofree char *text = with_id(step->text, id);
            gsize cut = MIN(step->size, strlen(text));

            if (!write_all(fd, text, cut)) {
                return FALSE;
            }
            wait_drained(fd);
            if (!write_all(fd, text + cut, strlen(text) - cut)) {
                return FALSE;
            }
            break;
        }
        case STEP_STRING: {
            g_autoptr(GString) text = string_response(id, step->size);

            if (!write_all(fd, text->str, text->len)) {
                return FALSE;
            }
            break;
        }
        case STEP_CLOSE:
            return FALSE;
        case STEP_HOLD: {
            struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};

            while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
            }
            return FALSE;
        }
        case STEP_END:
            break;
        }
    }
    return TRUE;
}

static gpointer
serve(gpointer data)
{
    ScriptServer *server = data;
    g_autoptr(GString) in = g_string_new(NULL);
    int fd = accept(server->listen_fd, NULL, NULL);

    if (fd < 0) {
        return NULL; /* woken by script_server_free(): nobody connected */
    }
    if (play(server, fd, in)) {
        char *line;

        /* The script is over: whatever the client still sends is recorded, until it closes. */
        while ((line = read_line(fd, in)) != NULL) {
            g_ptr_array_add(server->requests, line);
        }
    }
    close(fd);
    return NULL;
}

ScriptServer *
script_server_start(const ScriptStep *steps)
{
    ScriptServer *server = g_new0(ScriptServer, 1);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    server->dir = g_dir_make_tmp("vl-client-XXXXXX", NULL);
    g_assert_nonnull(server->dir);
    server->path = g_build_filename(server->dir, "vmlinkd.sock", NULL);
    server->address = g_strconcat("unix:", server->path, NULL);
    server->steps = steps;
    server->requests = g_ptr_array_new_with_free_func(g_free);

    g_assert_cmpuint(strlen(server->path), <, sizeof(sun.sun_path));
    strcpy(sun.sun_path, server->path);
    server->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(server->listen_fd, >=, 0);
    g_assert_cmpint(bind(server->listen_fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    g_assert_cmpint(listen(server->listen_fd, 4), ==, 0);
    server->thread = g_thread_new("script-server", serve, server);
    return server;
}

const char *
script_server_address(const ScriptServer *server)
{
    return server->address;
}

const char *
script_server_path(const ScriptServer *server)
{
    return server->path;
}

GPtrArray *
script_server_finish(ScriptServer *server)
{
    if (server->thread) {
        g_thread_join(g_steal_pointer(&server->thread));
    }
    return server->requests;
}

void
script_server_free(ScriptServer *server)
{
    if (server == NULL) {
        return;
    }
    if (server->thread) {
        /* Wakes an accept() nobody answered; a connection being played ends when its client
         * closes, which it has by now. */
        shutdown(server->listen_fd, SHUT_RDWR);
        g_thread_join(server->thread);
    }
    close(server->listen_fd);
    unlink(server->path);
    g_rmdir(server->dir);
    g_ptr_array_unref(server->requests);
    g_free(server->address);
    g_free(server->path);
    g_free(server->dir);
    g_free(server);
}
