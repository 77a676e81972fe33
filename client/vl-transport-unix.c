/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UNIX socket transport: vmlinkd's local socket on the KVM host. */
#include "vl-transport.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl-client.h"

static gssize
lost(VlTransport *t, int errsv, GError **error)
{
    g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED, "connection to %s lost: %s",
                t->address, g_strerror(errsv));
    return -1;
}

static gssize
unix_read(VlTransport *t, void *buf, gsize len, GIOCondition *ret_wait, GError **error)
{
    for (;;) {
        gssize n = recv(t->fd, buf, len, 0);

        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            *ret_wait = G_IO_IN;
            return -1;
        }
        return lost(t, errno, error);
    }
}

static gssize
unix_write(VlTransport *t, const void *buf, gsize len, GIOCondition *ret_wait, GError **error)
{
    for (;;) {
        /* MSG_NOSIGNAL: a server gone away is an error to report, not a SIGPIPE to die of. */
        gssize n = send(t->fd, buf, len, MSG_NOSIGNAL);

        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            *ret_wait = G_IO_OUT;
            return -1;
        }
        return lost(t, errno, error);
    }
}

static void
unix_close(VlTransport *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
}

static const VlTransportClass unix_class = {
    .scheme = "unix",
    .read = unix_read,
    .write = unix_write,
    .close = unix_close,
};

static VlClientError
connect_error_code(int errsv)
{
    switch (errsv) {
    case ENOENT:
    case ECONNREFUSED:
    case ENOTDIR:
        return VL_CLIENT_ERROR_NO_SERVER;
    case EACCES:
    case EPERM:
        return VL_CLIENT_ERROR_PERMISSION;
    default:
        return VL_CLIENT_ERROR_CONNECT;
    }
}

VlTransport *
vl_transport_unix_open(const char *path, const char *address, GError **error)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    VlTransport *t;
    int fd;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                    "%s: a UNIX socket path has at most %zu bytes", address,
                    sizeof(sun.sun_path) - 1);
        return NULL;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int errsv = errno;
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CONNECT, "cannot connect to %s: %s",
                    address, g_strerror(errsv));
        return NULL;
    }
    /* Connecting to a local socket does not wait for the server, so it may block; reading and
     * writing are non-blocking so that each call can keep its deadline. */
    while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        int errsv = errno;

        if (errsv == EINTR) {
            continue;
        }
        if (errsv == EISCONN) {
            break; /* an interrupted connect completed meanwhile */
        }
        close(fd);
        g_set_error(error, VL_CLIENT_ERROR, connect_error_code(errsv), "cannot connect to %s: %s",
                    address, g_strerror(errsv));
        return NULL;
    }
    if (!g_unix_set_fd_nonblocking(fd, TRUE, error)) {
        close(fd);
        return NULL;
    }

    t = g_new0(VlTransport, 1);
    t->klass = &unix_class;
    t->fd = fd;
    t->address = g_strdup(address);
    return t;
}
