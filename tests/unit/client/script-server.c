/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "script-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "vl-protocol.h"
#include "vl-tls-context.h"

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
    SSL_CTX *ctx;        /* TLS: the server's context; NULL for a UNIX socket */
    guint16 port;
    char *client_fingerprint;
};

/* One accepted connection: a socket, and over TLS its SSL. */
typedef struct {
    int fd;
    SSL *ssl;
} Conn;

static gssize
conn_send(Conn *c, const char *data, gsize len)
{
    size_t n = 0;

    if (c->ssl == NULL) {
        /* MSG_NOSIGNAL: a client that gave up is the end of the script, not a SIGPIPE. */
        return send(c->fd, data, len, MSG_NOSIGNAL);
    }
    return SSL_write_ex(c->ssl, data, len, &n) == 1 ? (gssize)n : -1;
}

static gssize
conn_recv(Conn *c, char *buf, gsize len)
{
    size_t n = 0;

    if (c->ssl == NULL) {
        return recv(c->fd, buf, len, 0);
    }
    return SSL_read_ex(c->ssl, buf, len, &n) == 1 ? (gssize)n : 0;
}

static gboolean
write_all(Conn *c, const char *data, gsize len)
{
    while (len > 0) {
        gssize n = conn_send(c, data, len);

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
read_line(Conn *c, GString *in)
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
        n = conn_recv(c, buf, sizeof(buf));
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
play(ScriptServer *server, Conn *c, GString *in)
{
    g_autofree char *id = g_strdup("null");

    for (const ScriptStep *step = server->steps; step->kind != STEP_END; step++) {
        switch (step->kind) {
        case STEP_READ: {
            char *line = read_line(c, in);

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

            if (!write_all(c, text, strlen(text))) {
                return FALSE;
            }
            break;
        }
        case STEP_SPLIT: {
            g_autofree char *text = with_id(step->text, id);
            gsize cut = MIN(step->size, strlen(text));

            if (!write_all(c, text, cut)) {
                return FALSE;
            }
            wait_drained(c->fd);
            if (!write_all(c, text + cut, strlen(text) - cut)) {
                return FALSE;
            }
            break;
        }
        case STEP_STRING: {
            g_autoptr(GString) text = string_response(id, step->size);

            if (!write_all(c, text->str, text->len)) {
                return FALSE;
            }
            break;
        }
        case STEP_CLOSE:
            return FALSE;
        case STEP_HOLD: {
            struct pollfd pfd = {.fd = c->fd, .events = POLLRDHUP};

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
    Conn c = {.fd = accept(server->listen_fd, NULL, NULL)};

    if (c.fd < 0) {
        return NULL; /* woken by script_server_free(): nobody connected */
    }
    if (server->ctx) {
        X509 *peer;

        c.ssl = SSL_new(server->ctx);
        SSL_set_fd(c.ssl, c.fd);
        if (SSL_accept(c.ssl) != 1) {
            ERR_clear_error();
            SSL_free(c.ssl);
            close(c.fd);
            return NULL; /* the client refused the handshake, or this server's TLS version */
        }
        peer = SSL_get1_peer_certificate(c.ssl);
        server->client_fingerprint = peer ? vl_tls_x509_fingerprint(peer) : NULL;
        X509_free(peer);
    }
    if (play(server, &c, in)) {
        char *line;

        /* The script is over: whatever the client still sends is recorded, until it closes. */
        while ((line = read_line(&c, in)) != NULL) {
            g_ptr_array_add(server->requests, line);
        }
    }
    if (c.ssl) {
        SSL_shutdown(c.ssl);
        SSL_free(c.ssl);
        ERR_clear_error();
    }
    close(c.fd);
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

/* A context that offers TLS 1.1 at most: what an old or misconfigured peer would. */
static SSL_CTX *
old_tls_context(const VlTlsIdentity *identity)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    g_assert_nonnull(ctx);
    SSL_CTX_set_security_level(ctx, 0);
    g_assert_true(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION));
    g_assert_true(SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION));
    g_assert_true(SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"));
    g_assert_true(SSL_CTX_use_certificate(ctx, vl_tls_identity_cert(identity)) == 1);
    g_assert_true(SSL_CTX_use_PrivateKey(ctx, vl_tls_identity_key(identity)) == 1);
    return ctx;
}

ScriptServer *
script_server_start_tls(const ScriptStep *steps, const ScriptTls *tls)
{
    ScriptServer *server = g_new0(ScriptServer, 1);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    g_autoptr(GError) error = NULL;

    server->steps = steps;
    server->requests = g_ptr_array_new_with_free_func(g_free);
    server->ctx = tls->tls11_only ? old_tls_context(tls->identity)
                                  : vl_tls_context_new_server(tls->identity, &error);
    g_assert_no_error(error);
    server->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(server->listen_fd, >=, 0);
    g_assert_cmpint(bind(server->listen_fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    g_assert_cmpint(getsockname(server->listen_fd, (struct sockaddr *)&sin, &len), ==, 0);
    g_assert_cmpint(listen(server->listen_fd, 4), ==, 0);
    server->port = ntohs(sin.sin_port);
    server->address = g_strdup_printf("tls://127.0.0.1:%u", server->port);
    server->thread = g_thread_new("script-server", serve, server);
    return server;
}

guint16
script_server_port(const ScriptServer *server)
{
    return server->port;
}

const char *
script_server_client_fingerprint(const ScriptServer *server)
{
    return server->client_fingerprint;
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
    if (server->path) {
        unlink(server->path);
        g_rmdir(server->dir);
    }
    SSL_CTX_free(server->ctx);
    g_free(server->client_fingerprint);
    g_ptr_array_unref(server->requests);
    g_free(server->address);
    g_free(server->path);
    g_free(server->dir);
    g_free(server);
}
