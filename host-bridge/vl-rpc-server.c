/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's listeners: the root-only UNIX socket and the TLS one, accepting
 * connections for vl-rpc-conn.c.
 */
#include "vl-rpc-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#define LISTEN_BACKLOG 64
#define ACCEPT_PAUSE_S 1
/* A client refused for max_connections is logged at most this often. */
#define FULL_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

/* Accepting ---------------------------------------------------------------------------------- */

static gboolean on_accept(int fd, GIOCondition condition, gpointer user_data);

static gboolean
resume_accept(gpointer user_data)
{
    VlRpcServer *server = user_data;

    server->pause_id = 0;
    server->source_id = g_unix_fd_add(server->fd, G_IO_IN, on_accept, server);
    return G_SOURCE_REMOVE;
}

static void
accept_unix(VlRpcServer *server, int cfd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    VlRpcConn *conn;

    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
        static const char refusal[] =
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":\"only root "
            "may use the local control socket\"}}\n";

        g_warning("control socket %s: refused uid %d (pid %d): only root may connect", server->path,
                  (int)cred.uid, (int)cred.pid);
        (void)!send(cfd, refusal, sizeof(refusal) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(cfd);
        return;
    }
    /* Always trusted (root), and a UNIX socket has no Nagle to turn off. */
    conn = vl_rpc_conn_new(server, cfd,
                           g_strdup_printf("uid %d pid %d", (int)cred.uid, (int)cred.pid));
    vl_rpc_conn_update_watch(conn);
    g_debug("control connection from %s", conn->peer);
}

void
vl_rpc_format_peer(const struct sockaddr *sa, socklen_t len, char **ret_address, char **ret_peer)
{
    char host[INET6_ADDRSTRLEN] = "?";
    guint port = 0;

    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        port = ntohs(in6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            /* A dual-stack socket's IPv4 client: the audit log and throttling see 192.0.2.7. */
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof(host));
        } else {
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        }
    } else if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        port = ntohs(in->sin_port);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    }
    *ret_address = g_strdup(host);
    *ret_peer = strchr(host, ':') ? g_strdup_printf("[%s]:%u", host, port)
                                  : g_strdup_printf("%s:%u", host, port);
}

char *
vl_rpc_source_key(const struct sockaddr *sa, socklen_t len)
{
    char *address, *peer;

    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            struct in6_addr prefix = in6->sin6_addr;
            char host[INET6_ADDRSTRLEN];

            memset(&prefix.s6_addr[8], 0, 8);
            inet_ntop(AF_INET6, &prefix, host, sizeof(host));
            return g_strdup_printf("%s/64", host);
        }
    }
    vl_rpc_format_peer(sa, len, &address, &peer);
    g_free(peer);
    return address;
}

/* Connections from source nobody has vouched for yet (handshakes included). */
static guint
count_strangers(const VlRpcServer *server, const char *source)
{
    guint n = 0;

    for (const GList *l = server->conns; l; l = l->next) {
        const VlRpcConn *conn = l->data;

        n += !conn->trusted && g_strcmp0(conn->source, source) == 0;
    }
    return n;
}

/* Too many connections: scanners or a runaway manager; one line a minute is enough. */
static void
log_full(VlRpcServer *server, const char *peer)
{
    gint64 now = g_get_monotonic_time();

    server->full_count++;
    if (server->full_logged_us && now - server->full_logged_us < FULL_LOG_INTERVAL_US) {
        return;
    }
    g_warning("control plane %s: %u connections at once (max-connections); refused %s "
              "(%u refused in the last minute)",
              server->address, server->n_conns, peer, server->full_count);
    server->full_logged_us = now;
    server->full_count = 0;
}

static void
accept_tls(VlRpcServer *server, int cfd, const struct sockaddr *sa, socklen_t len)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *source = vl_rpc_source_key(sa, len);
    char *address, *peer;
    VlRpcConn *conn;
    int one = 1;

    vl_rpc_format_peer(sa, len, &address, &peer);
    if (server->limits.max_connections && server->n_conns >= server->limits.max_connections) {
        log_full(server, peer);
        close(cfd);
        g_free(address);
        g_free(peer);
        return;
    }
    if (count_strangers(server, source) >= VL_RPC_STRANGER_PER_SOURCE) {
        /* Debug only: whoever floods would otherwise fill the log as well. */
        g_debug("control plane %s: refused %s: already %u connections from %s not vouched for",
                server->address, peer, VL_RPC_STRANGER_PER_SOURCE, source);
        close(cfd);
        g_free(address);
        g_free(peer);
        return;
    }
    /* Answers go out at once: with Nagle, the last part of an answer larger than a segment
     * waited for the client's delayed ACK, some 40 ms a call. */
    if (setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
        g_debug("control plane %s: %s: TCP_NODELAY: %s", server->address, peer, g_strerror(errno));
    }
    conn = vl_rpc_conn_new(server, cfd, peer);
    conn->peer_address = address;
    conn->source = g_steal_pointer(&source);
    if (!vl_rpc_tls_start(conn, server->ctx, &error)) {
        g_warning("control plane %s: %s: %s", server->address, peer, error->message);
        conn->tls_failed = TRUE;
        vl_rpc_conn_close(conn, error->message);
        return;
    }
    vl_rpc_conn_update_watch(conn);
}

static gboolean
on_accept(int fd, GIOCondition condition, gpointer user_data)
{
    VlRpcServer *server = user_data;
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int cfd = accept4(fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (cfd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
            /* The listener stays readable while the connection waits: stop watching it for a
             * while, or the loop would spin on it. */
            g_warning("control plane %s: out of file descriptors (%s); not accepting for %d s "
                      "(raise LimitNOFILE in vmlinkd.service)",
                      server->address, g_strerror(errno), ACCEPT_PAUSE_S);
            server->source_id = 0;
            server->pause_id = g_timeout_add_seconds(ACCEPT_PAUSE_S, resume_accept, server);
            return G_SOURCE_REMOVE;
        }
        if (errno != EAGAIN && errno != EINTR) {
            g_warning("control plane %s: accept: %s", server->address, g_strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    if (server->ctx) {
        accept_tls(server, cfd, (struct sockaddr *)&sa, len);
    } else {
        accept_unix(server, cfd);
    }
    return G_SOURCE_CONTINUE;
}

static VlRpcServer *
server_new(int fd, const VlRpcLimits *limits, VlRpcHandler handler, gpointer user_data)
{
    VlRpcServer *server = g_new0(VlRpcServer, 1);

    server->fd = fd;
    server->limits = *limits;
    server->handler = handler;
    server->user_data = user_data;
    server->stranger_idle_ms = VL_RPC_STRANGER_IDLE_S * 1000;
    server->source_id = g_unix_fd_add(fd, G_IO_IN, on_accept, server);
    return server;
}

/* The UNIX socket ---------------------------------------------------------------------------- */

/* A socket file at path that nobody answers on is left over from a dead vmlinkd. */
static gboolean
clear_stale_socket(const char *path, GError **error)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;
    int fd;
    gboolean alive;

    if (lstat(path, &st) < 0) {
        return TRUE;
    }
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "%s exists and is not a socket: remove it or choose another --local-socket",
                    path);
        return FALSE;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    alive = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    if (alive) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                    "another vmlinkd already listens on %s", path);
        return FALSE;
    }
    unlink(path);
    return TRUE;
}

VlRpcServer *
vl_rpc_server_new_unix(const char *path, const VlRpcLimits *limits, VlRpcHandler handler,
                       gpointer user_data, GError **error)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_autofree char *dir = g_path_get_dirname(path);
    VlRpcServer *server;
    mode_t old_mask;
    int fd, r;

    if (strlen(path) >= sizeof(addr.sun_path) || !g_path_is_absolute(path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "control socket %s: not an absolute path of at most %zu bytes", path,
                    sizeof(addr.sun_path) - 1);
        return NULL;
    }
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        int saved = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot create %s: %s", dir,
                    g_strerror(saved));
        return NULL;
    }
    if (!clear_stale_socket(path, error)) {
        return NULL;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    old_mask = umask(0177); /* born 0600: no window in which others could connect */
    r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old_mask);
    if (r < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        int saved = errno;

        if (fd >= 0) {
            close(fd);
        }
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot listen on %s: %s",
                    path, g_strerror(saved));
        return NULL;
    }
    server = server_new(fd, limits, handler, user_data);
    server->path = g_strdup(path);
    server->address = g_strdup(path);
    return server;
}

/* The TLS listener --------------------------------------------------------------------------- */

/* Binds a listening socket; NULL address: every address, IPv6 and IPv4 on one socket. */
static int
tcp_listen(const char *address, guint16 port, GError **error)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    g_autofree char *service = g_strdup_printf("%u", port);
    int fd = -1, saved = 0, r, one = 1, zero = 0;

    hints.ai_family = address ? AF_UNSPEC : AF_INET6;
    r = getaddrinfo(address, service, &hints, &res);
    if (r != 0 && address == NULL) {
        hints.ai_family = AF_INET; /* a kernel without IPv6 */
        r = getaddrinfo(NULL, service, &hints, &res);
    }
    if (r != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "cannot listen on %s: %s",
                    address ? address : "every address", gai_strerror(r));
        return -1;
    }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* A restarted vmlinkd binds again at once despite connections in TIME_WAIT. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6 && address == NULL) {
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                    "cannot listen on %s port %u: %s", address ? address : "every address",
                    (guint)port, g_strerror(saved));
    }
    return fd;
}

VlRpcServer *
vl_rpc_server_new_tls(const char *address, guint16 port, SSL_CTX *ctx, const VlRpcLimits *limits,
                      VlRpcHandler handler, gpointer user_data, GError **error)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    g_autofree char *host = NULL;
    VlRpcServer *server;
    int fd = tcp_listen(address, port, error);

    if (fd < 0) {
        return NULL;
    }
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        int saved = errno;

        close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "getsockname: %s",
                    g_strerror(saved));
        return NULL;
    }
    server = server_new(fd, limits, handler, user_data);
    vl_rpc_format_peer((struct sockaddr *)&sa, len, &host, &server->address);
    server->port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
                                            : ntohs(((struct sockaddr_in *)&sa)->sin_port);
    SSL_CTX_up_ref(ctx);
    server->ctx = ctx;
    return server;
}

void
vl_rpc_server_set_tls_context(VlRpcServer *server, SSL_CTX *ctx)
{
    g_return_if_fail(server->ctx != NULL);
    SSL_CTX_up_ref(ctx);
    SSL_CTX_free(server->ctx);
    server->ctx = ctx;
}

/* The server --------------------------------------------------------------------------------- */

const char *
vl_rpc_server_address(const VlRpcServer *server)
{
    return server->address;
}

guint16
vl_rpc_server_port(const VlRpcServer *server)
{
    return server->port;
}

void
vl_rpc_server_unsubscribe_all(VlRpcServer *server)
{
    for (GList *l = server->conns; l; l = l->next) {
        vl_rpc_conn_unsubscribe(l->data);
    }
}

void
vl_rpc_server_close_unless(VlRpcServer *server, VlRpcKeepFunc keep, gpointer user_data)
{
    GList *conns = NULL;

    /* Closing changes server->conns: walk a copy, each connection held. */
    for (GList *l = server->conns; l; l = l->next) {
        conns = g_list_prepend(conns, vl_rpc_conn_ref(l->data));
    }
    for (GList *l = conns; l; l = l->next) {
        VlRpcConn *conn = l->data;

        /* A handshake still going on was authorised under nothing; its calls will be checked. */
        if (conn->server == NULL || conn->transport == &vl_rpc_plain_transport ||
            conn->handshaking) {
            continue;
        }
        if (!keep(conn->peer_cert, user_data)) {
            vl_rpc_conn_close(conn, "its certificate is no longer allowed (the pin or the owner "
                                    "changed)");
        }
    }
    for (GList *l = conns; l; l = l->next) {
        vl_rpc_conn_unref(l->data);
    }
    g_list_free(conns);
}

void
vl_rpc_server_free(VlRpcServer *server)
{
    if (server == NULL) {
        return;
    }
    while (server->conns) {
        vl_rpc_conn_close(server->conns->data, "the server stops");
    }
    g_clear_handle_id(&server->source_id, g_source_remove);
    g_clear_handle_id(&server->pause_id, g_source_remove);
    close(server->fd);
    if (server->path) {
        unlink(server->path);
    }
    SSL_CTX_free(server->ctx);
    g_free(server->path);
    g_free(server->address);
    g_free(server);
}

guint
vl_rpc_server_connections(const VlRpcServer *server)
{
    return server->n_conns;
}
