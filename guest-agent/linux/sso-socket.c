/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux side of vl-sso-socket.h: a UNIX stream socket watched with g_unix_fd_add. */
#include "vl-sso-socket.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl-sso-request.h"
#include "vl-sso.h"

struct _VlSsoSocket {
    VlSsoTokens *tokens;
    char *path;
    int fd;
    dev_t dev; /* of the socket file, so only ours is removed */
    ino_t ino;
    guint accept_id;
    uid_t required_uid;
    guint timeout_ms;
    GPtrArray *clients; /* of Client */
};

/* One connection: reads the request into REQUEST, then writes REPLY, then is closed. */
typedef struct {
    VlSsoSocket *owner;
    int fd;
    pid_t pid;
    guint io_id;
    guint timeout_id;
    VlSecret *request; /* VL_SSO_REQUEST_MAX bytes */
    gsize received;
    VlSecret *reply; /* NULL while reading */
    gsize sent;
} Client;

static void set_error_errno(GError **error, int errsv, const char *format, ...) G_GNUC_PRINTF(3, 4);

static void
set_error_errno(GError **error, int errsv, const char *format, ...)
{
    g_autofree char *what = NULL;
    va_list args;

    va_start(args, format);
    what = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", what, g_strerror(errsv));
}

static void
client_free(gpointer data)
{
    Client *c = data;

    if (c->io_id) {
        g_source_remove(c->io_id);
    }
    if (c->timeout_id) {
        g_source_remove(c->timeout_id);
    }
    close(c->fd);
    vl_secret_free(c->request);
    vl_secret_free(c->reply);
    g_free(c);
}

static void
client_close(Client *c)
{
    g_ptr_array_remove_fast(c->owner->clients, c);
}

static gboolean on_client_writable(int fd, GIOCondition condition, gpointer user_data);

/* Writes what the socket takes; TRUE when all of the reply is out. */
static gboolean
client_write(Client *c, GError **error)
{
    const char *data = vl_secret_data(c->reply);
    gsize len = vl_secret_len(c->reply);

    while (c->sent < len) {
        ssize_t n = send(c->fd, data + c->sent, len - c->sent, MSG_NOSIGNAL);

        if (n < 0) {
            int errsv = errno;

            if (errsv == EINTR) {
                continue;
            }
            if (errsv == EAGAIN || errsv == EWOULDBLOCK) {
                return FALSE;
            }
            set_error_errno(error, errsv, "%s", "send");
            return FALSE;
        }
        c->sent += (gsize)n;
    }
    return TRUE;
}

/* Sends REPLY (taking it) and closes the connection once it is out. */
static void
client_reply(Client *c, VlSecret *reply)
{
    g_autoptr(GError) error = NULL;

    /* The request is no longer needed: wipe it now rather than at close. */
    g_clear_pointer(&c->request, vl_secret_free);
    c->reply = reply;
    if (reply == NULL || client_write(c, &error) || error) {
        client_close(c);
        return;
    }
    g_source_remove(c->io_id);
    c->io_id = g_unix_fd_add(c->fd, G_IO_OUT, on_client_writable, c);
}

static void
client_reply_error(Client *c, const char *reason)
{
    g_autofree char *text = g_strdup_printf("ERR %s\n", reason);

    client_reply(c, vl_secret_new_from_data(text, strlen(text), NULL));
}

static gboolean
on_client_writable(int fd, GIOCondition condition, gpointer user_data)
{
    Client *c = user_data;
    g_autoptr(GError) error = NULL;

    if (client_write(c, &error) || error) {
        c->io_id = 0;
        client_close(c);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* Answers a well-formed request for TOKEN (NUL-terminated, in the request buffer). */
static void
client_answer(Client *c, const char *token)
{
    g_autofree char *user = NULL;
    g_autoptr(VlSecret) password = NULL;
    VlSecret *reply;
    char *p;
    gsize user_len;

    if (!vl_sso_tokens_take(c->owner->tokens, token, g_get_monotonic_time(), &user, &password)) {
        g_message("single sign-on: unknown token from pid %d", (int)c->pid);
        client_reply_error(c, "unknown-token");
        return;
    }
    user_len = strlen(user);
    reply = vl_secret_new(3 + user_len + 1 + vl_secret_len(password) + 1, NULL);
    if (reply == NULL) {
        /* No memory for the answer; the credentials are gone like any taken token's. */
        client_close(c);
        return;
    }
    p = vl_secret_data(reply);
    memcpy(p, "OK\n", 3);
    memcpy(p + 3, user, user_len + 1);
    memcpy(p + 3 + user_len + 1, vl_secret_data(password), vl_secret_len(password) + 1);
    g_message("audit: single sign-on credentials of user %s handed to pid %d", user, (int)c->pid);
    client_reply(c, reply);
}

static gboolean
on_client_readable(int fd, GIOCondition condition, gpointer user_data)
{
    Client *c = user_data;
    char *data = vl_secret_data(c->request);
    const char *token = NULL;
    const char *reason = NULL;
    ssize_t n;

    n = recv(fd, data + c->received, VL_SSO_REQUEST_MAX - c->received, 0);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            return G_SOURCE_CONTINUE;
        }
        c->io_id = 0;
        client_close(c);
        return G_SOURCE_REMOVE;
    }
    c->received += (gsize)n;
    switch (vl_sso_request_parse(data, c->received, n == 0, &token, &reason)) {
    case VL_SSO_REQUEST_INCOMPLETE:
        return G_SOURCE_CONTINUE;
    case VL_SSO_REQUEST_BAD:
        client_reply_error(c, reason);
        break;
    case VL_SSO_REQUEST_GET:
        /* The store takes the token as a string: it ends where the line's newline is. */
        data[c->received - 1] = '\0';
        client_answer(c, token);
        break;
    }
    return G_SOURCE_CONTINUE; /* client_reply removed or replaced this source */
}

static gboolean
on_client_timeout(gpointer user_data)
{
    Client *c = user_data;

    g_message("single sign-on: closed the credential socket connection of pid %d after %u ms",
              (int)c->pid, c->owner->timeout_ms);
    c->timeout_id = 0;
    client_close(c);
    return G_SOURCE_REMOVE;
}

static void
refuse(int fd, const char *text)
{
    /* Best effort: the socket is fresh and the text short, so it fits in one send. */
    (void)send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
}

static gboolean
on_accept(int fd, GIOCondition condition, gpointer user_data)
{
    VlSsoSocket *s = user_data;
    struct ucred cred;
    socklen_t cred_len = sizeof(cred);
    Client *c;
    int cfd;

    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
            g_warning("single sign-on: accept on %s: %s", s->path, g_strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0 ||
        cred_len != sizeof(cred)) {
        g_warning("single sign-on: no peer credentials on %s: %s", s->path, g_strerror(errno));
        close(cfd);
        return G_SOURCE_CONTINUE;
    }
    if (cred.uid != s->required_uid) {
        g_message("audit: single sign-on: refused pid %d of uid %u on the credential socket",
                  (int)cred.pid, (unsigned)cred.uid);
        refuse(cfd, "ERR not-root\n");
        return G_SOURCE_CONTINUE;
    }
    if (s->clients->len >= VL_SSO_SOCKET_MAX_CLIENTS) {
        g_warning("single sign-on: %u connections open already; closed the one of pid %d",
                  s->clients->len, (int)cred.pid);
        close(cfd);
        return G_SOURCE_CONTINUE;
    }

    c = g_new0(Client, 1);
    c->owner = s;
    c->fd = cfd;
    c->pid = cred.pid;
    c->request = vl_secret_new(VL_SSO_REQUEST_MAX, NULL);
    if (c->request == NULL) {
        close(cfd);
        g_free(c);
        return G_SOURCE_CONTINUE;
    }
    c->io_id = g_unix_fd_add(cfd, G_IO_IN, on_client_readable, c);
    c->timeout_id = g_timeout_add(s->timeout_ms, on_client_timeout, c);
    g_ptr_array_add(s->clients, c);
    return G_SOURCE_CONTINUE;
}

/* The directory must exist and be writable by its owner only, which must be us or root: else
 * someone else could replace the socket with their own. */
static gboolean
prepare_directory(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    struct stat st;

    if (lstat(dir, &st) < 0) {
        if (errno != ENOENT) {
            set_error_errno(error, errno, "cannot inspect %s", dir);
            return FALSE;
        }
        if (g_mkdir_with_parents(dir, 0755) < 0 || chmod(dir, 0755) < 0) {
            set_error_errno(error, errno, "cannot create %s", dir);
            return FALSE;
        }
        if (lstat(dir, &st) < 0) {
            set_error_errno(error, errno, "cannot inspect %s", dir);
            return FALSE;
        }
    }
    if (!S_ISDIR(st.st_mode) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
        (st.st_uid != geteuid() && st.st_uid != 0)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "%s must be a directory that only its owner (root or this user) may write",
                    dir);
        return FALSE;
    }
    return TRUE;
}

/* Removes a socket file nobody listens on; refuses anything else in the way. */
static gboolean
remove_stale(const char *path, const struct sockaddr_un *addr, GError **error)
{
    struct stat st;
    int fd;
    int r;

    if (lstat(path, &st) < 0) {
        if (errno == ENOENT) {
            return TRUE;
        }
        set_error_errno(error, errno, "cannot inspect %s", path);
        return FALSE;
    }
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists and is not a socket", path);
        return FALSE;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_error_errno(error, errno, "%s", "socket");
        return FALSE;
    }
    r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
    close(fd);
    if (r == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "another process listens on %s",
                    path);
        return FALSE;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        set_error_errno(error, errno, "cannot remove the stale socket %s", path);
        return FALSE;
    }
    return TRUE;
}

VlSsoSocket *
vl_sso_socket_new(VlSsoTokens *tokens, const char *path, GError **error)
{
    g_autoptr(VlSsoSocket) s = g_new0(VlSsoSocket, 1);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;
    mode_t old_umask;
    int r;
    int errsv;

    s->tokens = tokens;
    s->path = g_strdup(path ? path : VL_SSO_SOCKET_PATH);
    s->fd = -1;
    s->required_uid = 0;
    s->timeout_ms = VL_SSO_SOCKET_TIMEOUT_MS;
    s->clients = g_ptr_array_new_with_free_func(client_free);

    if (strlen(s->path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "socket path %s is too long",
                    s->path);
        return NULL;
    }
    memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
    if (!prepare_directory(s->path, error) || !remove_stale(s->path, &addr, error)) {
        return NULL;
    }

    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        set_error_errno(error, errno, "%s", "socket");
        return NULL;
    }
    /* Born 0600: there is no moment at which others could connect. The agent is
     * single-threaded here, so changing the process's umask briefly is safe. */
    old_umask = umask(0177);
    r = bind(s->fd, (const struct sockaddr *)&addr, sizeof(addr));
    errsv = errno;
    umask(old_umask);
    if (r < 0) {
        set_error_errno(error, errsv, "cannot bind %s", s->path);
        return NULL;
    }
    if (lstat(s->path, &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    if (listen(s->fd, SOMAXCONN) < 0) {
        set_error_errno(error, errno, "cannot listen on %s", s->path);
        return NULL;
    }
    s->accept_id = g_unix_fd_add(s->fd, G_IO_IN, on_accept, s);
    return g_steal_pointer(&s);
}

void
vl_sso_socket_free(VlSsoSocket *s)
{
    struct stat st;

    if (s == NULL) {
        return;
    }
    g_ptr_array_unref(s->clients);
    if (s->accept_id) {
        g_source_remove(s->accept_id);
    }
    if (s->fd >= 0) {
        close(s->fd);
        if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino) {
            unlink(s->path);
        }
    }
    g_free(s->path);
    g_free(s);
}

void
vl_sso_socket_set_required_uid(VlSsoSocket *s, uid_t uid)
{
    s->required_uid = uid;
}

void
vl_sso_socket_set_timeout(VlSsoSocket *s, guint timeout_ms)
{
    s->timeout_ms = timeout_ms;
}

const char *
vl_sso_socket_get_path(const VlSsoSocket *s)
{
    return s->path;
}
