/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TLS transport: vmlinkd's control port on another host. Connecting, the handshake and
 * every read and write are non-blocking, so that each keeps its deadline; the policy (versions,
 * ciphers, this side's certificate) is vl_tls_context_new_client()'s, and the pin is checked by
 * vl-client.c once the handshake is over, before anything is sent. SIGPIPE is blocked around
 * every OpenSSL call (vl_tls_sigpipe_block): a library must not kill its program for a server
 * that went away.
 */
#include "vl-transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "vl-client.h"
#include "vl-openssl.h"
#include "vl-tls-context.h"

typedef struct {
    VlTransport base; /* first: vl_transport_free() frees the whole */
    SSL_CTX *ctx;
    SSL *ssl;
} TlsTransport;

static gssize
lost(VlTransport *t, const char *what, GError **error)
{
    g_autofree char *why = vl_tls_error_string();

    g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED, "connection to %s lost: %s",
                t->address, *why ? why : what);
    return -1;
}

/* What one SSL call's failure means for the vtable: wait (-1, no error), closed (0) or lost. */
static gssize
ssl_failure(TlsTransport *t, int ret, GIOCondition *ret_wait, GError **error)
{
    int err = SSL_get_error(t->ssl, ret);
    int errsv = errno;

    switch (err) {
    case SSL_ERROR_WANT_READ:
        *ret_wait = G_IO_IN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        *ret_wait = G_IO_OUT;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        return lost(&t->base, errsv ? g_strerror(errsv) : "the server closed it", error);
    default:
        return lost(&t->base, "TLS error", error);
    }
}

static gssize
tls_read(VlTransport *base, void *buf, gsize len, GIOCondition *ret_wait, GError **error)
{
    TlsTransport *t = (TlsTransport *)base;
    VlTlsSigpipeGuard guard;
    size_t n = 0;
    int ret;

    ERR_clear_error();
    errno = 0;
    vl_tls_sigpipe_block(&guard);
    ret = SSL_read_ex(t->ssl, buf, len, &n);
    vl_tls_sigpipe_restore(&guard);
    return ret == 1 ? (gssize)n : ssl_failure(t, ret, ret_wait, error);
}

static gssize
tls_write(VlTransport *base, const void *buf, gsize len, GIOCondition *ret_wait, GError **error)
{
    TlsTransport *t = (TlsTransport *)base;
    VlTlsSigpipeGuard guard;
    size_t n = 0;
    int ret;

    ERR_clear_error();
    errno = 0;
    vl_tls_sigpipe_block(&guard);
    ret = SSL_write_ex(t->ssl, buf, len, &n);
    vl_tls_sigpipe_restore(&guard);
    if (ret == 1) {
        return (gssize)n;
    }
    /* A write that meets the server's close is a lost connection, not an end of stream. */
    ret = (int)ssl_failure(t, ret, ret_wait, error);
    if (ret == 0) {
        return lost(base, "the server closed it", error);
    }
    return ret;
}

static void
tls_close(VlTransport *base)
{
    TlsTransport *t = (TlsTransport *)base;

    if (t->ssl) {
        VlTlsSigpipeGuard guard;

        /* Says goodbye when the socket takes it at once; never waits for the answer. */
        vl_tls_sigpipe_block(&guard);
        if (SSL_is_init_finished(t->ssl)) {
            SSL_shutdown(t->ssl);
        }
        vl_tls_sigpipe_restore(&guard);
        SSL_free(g_steal_pointer(&t->ssl));
    }
    SSL_CTX_free(g_steal_pointer(&t->ctx));
    ERR_clear_error();
    if (base->fd >= 0) {
        close(base->fd);
        base->fd = -1;
    }
}

static const VlTransportClass tls_class = {
    .scheme = "tls",
    .read = tls_read,
    .write = tls_write,
    .close = tls_close,
};

/* Connecting --------------------------------------------------------------------------------- */

/* Waits for fd to be ready for events until deadline (-1: never); FALSE when it passed. */
static gboolean
wait_fd(int fd, short events, gint64 deadline)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int timeout = -1;
        int n;

        if (deadline >= 0) {
            gint64 left = deadline - g_get_monotonic_time();

            if (left <= 0) {
                return FALSE;
            }
            timeout = (int)MIN((left + 999) / 1000, G_MAXINT);
        }
        n = poll(&pfd, 1, timeout);
        if (n > 0 || (n < 0 && errno != EINTR)) {
            return TRUE; /* the next operation tells what happened */
        }
    }
}

/* One address: a connected non-blocking socket, or -1 with *ret_errno (ETIMEDOUT: deadline). */
static int
connect_one(const struct addrinfo *ai, gint64 deadline, int *ret_errno)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int err = 0;
    socklen_t err_len = sizeof(err);

    if (fd < 0) {
        *ret_errno = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        return fd;
    }
    if (errno != EINPROGRESS && errno != EINTR) {
        *ret_errno = errno;
        close(fd);
        return -1;
    }
    if (!wait_fd(fd, POLLOUT, deadline)) {
        *ret_errno = ETIMEDOUT;
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0) {
        err = errno;
    }
    if (err != 0) {
        *ret_errno = err;
        close(fd);
        return -1;
    }
    return fd;
}

static int
connect_any(const char *host, guint16 port, const char *address, gint64 deadline, double timeout_s,
            GError **error)
{
    const struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    g_autofree char *service = g_strdup_printf("%u", port);
    struct addrinfo *list = NULL;
    int last_errno = ECONNREFUSED;
    int rc = getaddrinfo(host, service, &hints, &list);

    if (rc != 0) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CONNECT,
                    "cannot connect to %s: cannot resolve %s: %s", address, host,
                    rc == EAI_SYSTEM ? g_strerror(errno) : gai_strerror(rc));
        return -1;
    }
    /* Each address in turn (IPv6 and IPv4 of a name), all within the one deadline. */
    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = connect_one(ai, deadline, &last_errno);

        if (fd >= 0) {
            freeaddrinfo(list);
            return fd;
        }
        if (last_errno == ETIMEDOUT && deadline >= 0 && g_get_monotonic_time() >= deadline) {
            break;
        }
    }
    freeaddrinfo(list);
    if (last_errno == ETIMEDOUT) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CONNECT,
                    "cannot connect to %s: no answer within %g s", address, timeout_s);
    } else {
        g_set_error(error, VL_CLIENT_ERROR,
                    last_errno == ECONNREFUSED ? VL_CLIENT_ERROR_NO_SERVER
                                               : VL_CLIENT_ERROR_CONNECT,
                    "cannot connect to %s: %s", address, g_strerror(last_errno));
    }
    return -1;
}

static gboolean
is_ip_literal(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1 ||
           strchr(host, '%') != NULL;
}

static gboolean
handshake(TlsTransport *t, gint64 deadline, double timeout_s, GError **error)
{
    for (;;) {
        VlTlsSigpipeGuard guard;
        int ret, err, errsv;
        short events;

        ERR_clear_error();
        errno = 0;
        vl_tls_sigpipe_block(&guard);
        ret = SSL_connect(t->ssl);
        errsv = errno;
        vl_tls_sigpipe_restore(&guard);
        if (ret == 1) {
            return TRUE;
        }
        err = SSL_get_error(t->ssl, ret);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            if (!wait_fd(t->base.fd, events, deadline)) {
                g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_TLS,
                            "TLS handshake with %s: no answer within %g s (is it vmlinkd's TLS "
                            "port?)",
                            t->base.address, timeout_s);
                return FALSE;
            }
            continue;
        }
        {
            g_autofree char *why = vl_tls_error_string();

            if (*why == '\0') {
                g_free(why);
                why = g_strdup(errsv ? g_strerror(errsv) : "the server closed the connection");
            }
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_TLS,
                        "TLS handshake with %s failed: %s (is it vmlinkd's TLS port, with TLS "
                        "1.2 or later?)",
                        t->base.address, why);
        }
        return FALSE;
    }
}

VlTransport *
vl_transport_tls_open(const char *host, guint16 port, const char *address,
                      const VlClientOptions *options, GError **error)
{
    int timeout_ms = options->timeout_ms == 0 ? VL_CLIENT_CONNECT_TIMEOUT_MS : options->timeout_ms;
    gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    double timeout_s = timeout_ms / 1000.0;
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlTransport) transport = NULL;
    TlsTransport *t;
    int fd;

    t = g_new0(TlsTransport, 1);
    t->base.klass = &tls_class;
    t->base.fd = -1;
    t->base.address = g_strdup(address);
    transport = &t->base;

    t->ctx = vl_tls_context_new_client(options->identity, &local_error);
    if (t->ctx == NULL) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_TLS, "cannot connect to %s: %s",
                    address, local_error->message);
        return NULL;
    }
    fd = connect_any(host, port, address, deadline, timeout_s, error);
    if (fd < 0) {
        return NULL;
    }
    t->base.fd = fd;
    /*
     * A call is a small request and a small answer: Nagle would hold back the tail of a request
     * (or of a TLS flight) until the server's delayed ACK, 40 ms and more for nothing.
     */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)) < 0) {
        g_debug("%s: cannot set TCP_NODELAY: %s", address, g_strerror(errno));
    }
    t->ssl = SSL_new(t->ctx);
    if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1 ||
        (!is_ip_literal(host) && SSL_set_tlsext_host_name(t->ssl, host) != 1)) {
        g_autofree char *why = vl_tls_error_string();

        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_TLS, "cannot connect to %s: %s",
                    address, why);
        return NULL;
    }
    /*
     * A server that closes without close_notify reads as an end of stream: every message is a
     * frame that says where it ends, so a cut is seen as a cut message anyway.
     */
    SSL_set_options(t->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (!handshake(t, deadline, timeout_s, error)) {
        return NULL;
    }
    t->base.peer_cert = vl_tls_peer_cert(t->ssl);
    if (t->base.peer_cert == NULL) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_IDENTITY,
                    "%s presented no certificate: it is not a vmlink bridge", address);
        return NULL;
    }
    {
        g_autofree char *how = vl_tls_describe(t->ssl);
        g_debug("%s: %s", address, how);
    }
    return g_steal_pointer(&transport);
}
