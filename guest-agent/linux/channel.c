/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The channel on Linux: a virtio-serial port, or a listening UNIX or vsock socket.
 *
 * How a virtio-serial port behaves (measured, see ../shared/notes/machine.md): while no host
 * process is connected to the port's socket on the host, poll() reports POLLIN|POLLHUP at once
 * and read() returns 0, so a loop that keeps the fd in its poll set spins. With O_ASYNC and
 * F_SETOWN the kernel sends SIGIO when the host connects and when it disconnects. So: the port
 * is watched only while a host is attached, and a signalfd in the main loop says when to look
 * again. SIGIO is blocked for the whole process by vl_channel_block_signals() before any
 * thread starts, so it can only arrive through the signalfd.
 */
#include "vl-channel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#define OUT_QUEUE_MAX (8 * 1024 * 1024)
#define READ_CHUNK 65536

typedef enum {
    KIND_VIRTIO,
    KIND_LISTEN,
} Kind;

struct _VlChannel {
    Kind kind;
    VlChannelCallbacks cb;
    gpointer user_data;
    char *path;    /* virtio port, or UNIX socket to unlink at the end */
    int fd;        /* the port, or the accepted host connection; -1 */
    int listen_fd; /* KIND_LISTEN; -1 */
    int signal_fd; /* KIND_VIRTIO: SIGIO */
    guint fd_watch;
    guint listen_watch;
    guint signal_watch;
    guint initial_check;
    gboolean connected;
    gboolean watching_out;
    GByteArray *out;
};

void
vl_channel_block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void watch_fd(VlChannel *ch);

static void
unwatch_fd(VlChannel *ch)
{
    if (ch->fd_watch) {
        g_source_remove(ch->fd_watch);
        ch->fd_watch = 0;
    }
}

/* The host side went away: forget queued output and stop watching until it comes back. */
static void
lost_host(VlChannel *ch)
{
    unwatch_fd(ch);
    g_byte_array_set_size(ch->out, 0);
    if (ch->kind == KIND_LISTEN && ch->fd >= 0) {
        close(ch->fd);
        ch->fd = -1;
    }
    if (ch->connected) {
        ch->connected = FALSE;
        ch->cb.disconnected(ch->user_data);
    }
}

static void
found_host(VlChannel *ch)
{
    ch->connected = TRUE;
    watch_fd(ch);
    ch->cb.connected(ch->user_data);
}

/* Writes what the queue holds; FALSE when the host side is gone. */
static gboolean
flush_out(VlChannel *ch)
{
    while (ch->out->len > 0) {
        ssize_t n = write(ch->fd, ch->out->data, ch->out->len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        if (n <= 0) {
            return FALSE;
        }
        g_byte_array_remove_range(ch->out, 0, (guint)n);
    }
    /* Watch for writability only while something waits to go out. */
    if ((ch->out->len > 0) != ch->watching_out) {
        unwatch_fd(ch);
        watch_fd(ch);
    }
    return TRUE;
}

static gboolean
on_fd(int fd, GIOCondition condition, gpointer user_data)
{
    VlChannel *ch = user_data;
    char buf[READ_CHUNK];

    if (condition & G_IO_IN) {
        ssize_t n = read(fd, buf, sizeof buf);

        if (n > 0) {
            ch->cb.received(buf, (gsize)n, ch->user_data);
            /* The frame reader keeps (and wipes) its own copy; a login's password was here. */
            explicit_bzero(buf, (gsize)n);
            return G_SOURCE_CONTINUE;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return G_SOURCE_CONTINUE;
        }
        /* 0: the host closed its side (or, on a port, is not attached). */
        ch->fd_watch = 0;
        lost_host(ch);
        return G_SOURCE_REMOVE;
    }
    if (condition & G_IO_OUT) {
        if (!flush_out(ch)) {
            ch->fd_watch = 0;
            lost_host(ch);
            return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
    }
    if (condition & (G_IO_HUP | G_IO_ERR)) {
        ch->fd_watch = 0;
        lost_host(ch);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/*
 * The fd's source may recurse: GLib otherwise takes a source's fds out of the poll set while it
 * dispatches it and puts them back after, and each of those changes writes the main context's
 * eventfd (once another thread exists, as GLib's own worker for signals), which the next poll
 * then reads: three system calls more for every request. on_fd runs no nested main loop.
 */
static void
watch_fd(VlChannel *ch)
{
    GIOCondition condition = G_IO_IN | G_IO_HUP | G_IO_ERR;
    GSource *source;

    ch->watching_out = ch->out->len > 0;
    if (ch->watching_out) {
        condition |= G_IO_OUT;
    }
    source = g_unix_fd_source_new(ch->fd, condition);
    g_source_set_can_recurse(source, TRUE);
    g_source_set_callback(source, G_SOURCE_FUNC(on_fd), ch, NULL);
    ch->fd_watch = g_source_attach(source, NULL);
    g_source_unref(source);
}

/* virtio-serial --------------------------------------------------------------------------- */

/* Whether a host process is attached to the port now. */
static gboolean
port_attached(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

static gboolean
on_sigio(int fd, GIOCondition condition, gpointer user_data)
{
    VlChannel *ch = user_data;
    struct signalfd_siginfo info;

    while (read(fd, &info, sizeof info) == sizeof info) {
    }
    if (port_attached(ch->fd)) {
        if (!ch->connected) {
            found_host(ch);
        }
    } else if (ch->connected) {
        lost_host(ch);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
check_attached(gpointer user_data)
{
    VlChannel *ch = user_data;

    ch->initial_check = 0;
    if (!ch->connected && port_attached(ch->fd)) {
        found_host(ch);
    }
    return G_SOURCE_REMOVE;
}

static gboolean
open_virtio(VlChannel *ch, GError **error)
{
    sigset_t set;
    int flags;

    ch->fd = open(ch->path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (ch->fd < 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot open %s: %s%s",
                    ch->path, g_strerror(saved),
                    saved == EBUSY ? " (another process has the port open)"
                    : saved == ENOENT
                        ? " (the VM has no such virtio-serial port; check its libvirt channel)"
                        : "");
        return FALSE;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    ch->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    flags = fcntl(ch->fd, F_GETFL);
    if (ch->signal_fd < 0 || fcntl(ch->fd, F_SETOWN, getpid()) < 0 ||
        fcntl(ch->fd, F_SETFL, flags | O_ASYNC) < 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved),
                    "cannot arrange change signals for %s: %s", ch->path, g_strerror(saved));
        return FALSE;
    }
    ch->signal_watch = g_unix_fd_add(ch->signal_fd, G_IO_IN, on_sigio, ch);
    return TRUE;
}

/* unix-listen, vsock-listen --------------------------------------------------------------- */

static gboolean
on_accept(int fd, GIOCondition condition, gpointer user_data)
{
    VlChannel *ch = user_data;
    int client = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (client < 0) {
        return G_SOURCE_CONTINUE;
    }
    /* One host at a time: a new connection replaces the old one. */
    lost_host(ch);
    ch->fd = client;
    found_host(ch);
    return G_SOURCE_CONTINUE;
}

static gboolean
listen_socket(VlChannel *ch, int fd, const struct sockaddr *addr, socklen_t len, GError **error)
{
    ch->listen_fd = fd;
    if (fd < 0 || bind(fd, addr, len) < 0 || listen(fd, 4) < 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot listen on %s: %s",
                    ch->path, g_strerror(saved));
        return FALSE;
    }
    ch->listen_watch = g_unix_fd_add(fd, G_IO_IN, on_accept, ch);
    return TRUE;
}

static gboolean
open_unix(VlChannel *ch, GError **error)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(ch->path) >= sizeof addr.sun_path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "socket path too long: %s",
                    ch->path);
        return FALSE;
    }
    strcpy(addr.sun_path, ch->path);
    unlink(ch->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (!listen_socket(ch, fd, (struct sockaddr *)&addr, sizeof addr, error)) {
        return FALSE;
    }
    chmod(ch->path, 0600);
    return TRUE;
}

static gboolean
open_vsock(VlChannel *ch, guint port, GError **error)
{
    struct sockaddr_vm addr = {
        .svm_family = AF_VSOCK,
        .svm_port = port,
        .svm_cid = VMADDR_CID_ANY,
    };
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    return listen_socket(ch, fd, (struct sockaddr *)&addr, sizeof addr, error);
}

/* Common --------------------------------------------------------------------------------- */

VlChannel *
vl_channel_open(const char *spec, const VlChannelCallbacks *callbacks, gpointer user_data,
                GError **error)
{
    g_autoptr(VlChannel) ch = g_new0(VlChannel, 1);
    const char *colon = strchr(spec, ':');
    g_autofree char *method = colon ? g_strndup(spec, colon - spec) : g_strdup(spec);
    gboolean ok;

    ch->cb = *callbacks;
    ch->user_data = user_data;
    ch->fd = ch->listen_fd = ch->signal_fd = -1;
    ch->out = g_byte_array_new();
    ch->path = g_strdup(colon ? colon + 1 : "");

    if (g_str_equal(method, "virtio-serial")) {
        ch->kind = KIND_VIRTIO;
        ok = open_virtio(ch, error);
        if (ok) {
            /* A host may be attached already; callbacks never run before open returns. */
            ch->initial_check = g_idle_add(check_attached, ch);
        }
    } else if (g_str_equal(method, "unix-listen")) {
        ch->kind = KIND_LISTEN;
        ok = open_unix(ch, error);
    } else if (g_str_equal(method, "vsock-listen")) {
        ch->kind = KIND_LISTEN;
        ok = open_vsock(ch, (guint)g_ascii_strtoull(ch->path, NULL, 10), error);
    } else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown channel method %s",
                    method);
        ok = FALSE;
    }
    return ok ? g_steal_pointer(&ch) : NULL;
}

void
vl_channel_free(VlChannel *ch)
{
    if (ch == NULL) {
        return;
    }
    unwatch_fd(ch);
    if (ch->initial_check) {
        g_source_remove(ch->initial_check);
    }
    if (ch->listen_watch) {
        g_source_remove(ch->listen_watch);
    }
    if (ch->signal_watch) {
        g_source_remove(ch->signal_watch);
    }
    if (ch->fd >= 0) {
        close(ch->fd);
    }
    if (ch->listen_fd >= 0) {
        close(ch->listen_fd);
        if (ch->path[0] == '/') {
            unlink(ch->path);
        }
    }
    if (ch->signal_fd >= 0) {
        close(ch->signal_fd);
    }
    g_byte_array_unref(ch->out);
    g_free(ch->path);
    g_free(ch);
}

gboolean
vl_channel_send(VlChannel *ch, const char *data, gsize len)
{
    if (ch == NULL) {
        return FALSE; /* a channel that is "none" */
    }
    if (!ch->connected || ch->out->len + len > OUT_QUEUE_MAX) {
        return FALSE;
    }
    g_byte_array_append(ch->out, (const guint8 *)data, (guint)len);
    if (!flush_out(ch)) {
        lost_host(ch);
        return FALSE;
    }
    return TRUE;
}

gboolean
vl_channel_is_connected(VlChannel *ch)
{
    return ch->connected;
}
