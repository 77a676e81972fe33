/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-rpc-server.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "vl-frame.h"
#include "vl-jsonrpc.h"

#define READ_CHUNK (64 * 1024)
#define LISTEN_BACKLOG 64
#define ACCEPT_PAUSE_S 1

struct _VlRpcServer {
    char *path;
    int fd;
    guint source_id;
    guint pause_id; /* accepting paused: out of file descriptors */
    VlRpcLimits limits;
    VlRpcHandler handler;
    gpointer user_data;
    GList *conns; /* VlRpcConn, each holding a reference */
};

struct _VlRpcConn {
    gint refs;
    VlRpcServer *server; /* NULL once closed */
    int fd;
    guint source_id;
    GIOCondition watching;
    char *peer;
    VlFrameReader *reader;
    GQueue output;       /* GBytes */
    gsize output_offset; /* bytes of the head already written */
    gsize output_len;    /* bytes queued */
    guint inflight;
    gboolean read_closed; /* the client sent EOF: answer what is in flight, then close */
    VlEvents *events;
    guint subscription;
    GStrv kinds;
};

struct _VlCall {
    VlRpcConn *conn;
    VlJson *id; /* NULL for a notification */
    VlJson *message;
    const VlEntry *entry;
    VlCallDone done;
    gpointer done_data;
};

static void conn_close(VlRpcConn *conn, const char *why);
static void conn_update_watch(VlRpcConn *conn);

static VlRpcConn *
conn_ref(VlRpcConn *conn)
{
    g_atomic_int_inc(&conn->refs);
    return conn;
}

static void
conn_unref(VlRpcConn *conn)
{
    if (!g_atomic_int_dec_and_test(&conn->refs)) {
        return;
    }
    g_queue_clear_full(&conn->output, (GDestroyNotify)g_bytes_unref);
    vl_frame_reader_free(conn->reader);
    g_strfreev(conn->kinds);
    g_free(conn->peer);
    g_free(conn);
}

/* Output ------------------------------------------------------------------------------------- */

static gboolean
conn_flush(VlRpcConn *conn)
{
    while (!g_queue_is_empty(&conn->output)) {
        GBytes *head = g_queue_peek_head(&conn->output);
        gsize size;
        const guint8 *data = g_bytes_get_data(head, &size);
        ssize_t n = send(conn->fd, data + conn->output_offset, size - conn->output_offset,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        if (n < 0) {
            g_autofree char *why = g_strdup_printf("write: %s", g_strerror(errno));

            conn_close(conn, why);
            return FALSE;
        }
        conn->output_offset += (gsize)n;
        conn->output_len -= (gsize)n;
        if (conn->output_offset == size) {
            g_bytes_unref(g_queue_pop_head(&conn->output));
            conn->output_offset = 0;
        }
    }
    conn_update_watch(conn);
    return TRUE;
}

static void
conn_send_bytes(VlRpcConn *conn, GBytes *frame)
{
    if (conn->server == NULL) {
        return;
    }
    if (conn->output_len + g_bytes_get_size(frame) > conn->server->limits.max_output) {
        conn_close(conn, "the client does not read what it is sent (output cap reached)");
        return;
    }
    conn->output_len += g_bytes_get_size(frame);
    g_queue_push_tail(&conn->output, g_bytes_ref(frame));
    conn_flush(conn);
}

static void
conn_send(VlRpcConn *conn, const VlJson *message)
{
    GString *frame = vl_frame_encode(message);
    g_autoptr(GBytes) bytes = g_string_free_to_bytes(frame);

    conn_send_bytes(conn, bytes);
}

static void
conn_send_error(VlRpcConn *conn, const VlJson *id, VlRpcCode code, const char *message)
{
    g_autoptr(VlJson) response = vl_rpc_new_error(id, code, message);

    conn_send(conn, response);
}

/* Calls -------------------------------------------------------------------------------------- */

const char *
vl_call_method(const VlCall *call)
{
    return call->entry->name;
}

const VlEntry *
vl_call_entry(const VlCall *call)
{
    return call->entry;
}

const VlJson *
vl_call_params(const VlCall *call)
{
    static VlJson *empty;
    const VlJson *params = vl_json_object_get(call->message, "params");

    if (params) {
        return params;
    }
    if (g_once_init_enter(&empty)) {
        g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

        vl_json_builder_begin_object(b);
        vl_json_builder_end_object(b);
        g_once_init_leave(&empty, vl_json_builder_finish(b));
    }
    return empty;
}

VlRpcConn *
vl_call_conn(const VlCall *call)
{
    return call->conn->server ? call->conn : NULL;
}

const char *
vl_call_peer(const VlCall *call)
{
    return call->conn->peer;
}

/* Only the local socket exists until the TLS listener lands (the accessors keep their meaning). */
gboolean
vl_call_is_local(const VlCall *call)
{
    (void)call;
    return TRUE;
}

const char *
vl_call_peer_address(const VlCall *call)
{
    (void)call;
    return NULL;
}

X509 *
vl_call_peer_cert(const VlCall *call)
{
    (void)call;
    return NULL;
}

const char *
vl_call_peer_fingerprint(const VlCall *call)
{
    (void)call;
    return NULL;
}

static void
call_free(VlCall *call)
{
    VlRpcConn *conn = call->conn;

    conn->inflight--;
    if (conn->server) {
        conn_update_watch(conn);
    }
    vl_json_unref(call->id);
    vl_json_unref(call->message);
    g_free(call);
    conn_unref(conn);
}

void
vl_call_on_done(VlCall *call, VlCallDone func, gpointer user_data)
{
    call->done = func;
    call->done_data = user_data;
}

void
vl_call_return(VlCall *call, const VlJson *result)
{
    if (call->done) {
        call->done(call, NULL, call->done_data);
    }
    if (call->id) {
        g_autoptr(VlJson) response = vl_rpc_new_result(call->id, result);

        conn_send(call->conn, response);
    }
    call_free(call);
}

void
vl_call_fail(VlCall *call, const GError *error)
{
    if (call->done) {
        call->done(call, error, call->done_data);
    }
    if (call->id) {
        conn_send_error(call->conn, call->id, vl_rpc_code_for_error(error), error->message);
    }
    call_free(call);
}

/* Input -------------------------------------------------------------------------------------- */

static void
handle_frame(VlRpcConn *conn, VlJson *frame)
{
    g_autoptr(GError) error = NULL;
    VlRpcKind kind;
    const VlEntry *entry = NULL;
    VlRpcCode code = VL_RPC_INVALID_REQUEST;
    VlJson *id = vl_json_object_get(frame, "id");
    VlCall *call;

    if (!vl_rpc_validate(frame, VL_SENDER_CLIENT, &kind, &entry, &code, &error)) {
        /* An id of the wrong type cannot be echoed: answer with null. */
        const VlJson *echo =
            id && (vl_json_kind(id) == VL_JSON_STRING || vl_json_kind(id) == VL_JSON_INT) ? id
                                                                                          : NULL;
        conn_send_error(conn, echo, code, error->message);
        return;
    }
    if (kind != VL_RPC_REQUEST && kind != VL_RPC_NOTIFICATION) {
        return; /* a response: the bridge asks the client nothing */
    }
    call = g_new0(VlCall, 1);
    call->conn = conn_ref(conn);
    call->id = id ? vl_json_ref(id) : NULL;
    call->message = vl_json_ref(frame);
    call->entry = entry;
    conn->inflight++;
    conn->server->handler(call, conn->server->user_data);
}

static void
conn_read(VlRpcConn *conn)
{
    char buf[READ_CHUNK];
    ssize_t n = recv(conn->fd, buf, sizeof(buf), MSG_DONTWAIT);
    const char *data = buf;

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n == 0) {
        /* A half-close (shutdown(SHUT_WR), as `socat` does): the answers still go out. */
        conn->read_closed = TRUE;
        conn_update_watch(conn);
        return;
    }
    if (n < 0) {
        conn_close(conn, g_strerror(errno));
        return;
    }
    conn_ref(conn);
    while (n > 0 && conn->server) {
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 0;

        if (!vl_frame_reader_push(conn->reader, data, (gsize)n, &used, &frame, &error)) {
            conn_send_error(conn, NULL, vl_rpc_code_for_frame_error(error), error->message);
        } else if (frame) {
            handle_frame(conn, frame);
        }
        data += used;
        n -= (ssize_t)used;
    }
    conn_unref(conn);
}

static gboolean
on_conn_io(int fd, GIOCondition condition, gpointer user_data)
{
    VlRpcConn *conn = user_data;

    conn_ref(conn);
    if ((condition & G_IO_OUT) && conn->server) {
        conn_flush(conn);
    }
    if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && conn->server) {
        conn_read(conn);
    }
    conn_unref(conn);
    return G_SOURCE_CONTINUE;
}

static void
conn_update_watch(VlRpcConn *conn)
{
    GIOCondition want = 0;

    if (conn->server == NULL) {
        return;
    }
    if (conn->read_closed && conn->inflight == 0 && g_queue_is_empty(&conn->output)) {
        conn_close(conn, "closed by the client");
        return;
    }
    if (!conn->read_closed && conn->inflight < conn->server->limits.max_inflight) {
        want |= G_IO_IN;
    }
    if (!g_queue_is_empty(&conn->output)) {
        want |= G_IO_OUT;
    }
    if (want == conn->watching && conn->source_id) {
        return;
    }
    g_clear_handle_id(&conn->source_id, g_source_remove);
    conn->watching = want;
    if (want) {
        conn->source_id = g_unix_fd_add(conn->fd, want, on_conn_io, conn);
    }
}

static void
on_event(const VlEvent *event, gpointer user_data)
{
    VlRpcConn *conn = user_data;

    if (conn->kinds == NULL || g_strv_contains((const char *const *)conn->kinds, event->kind)) {
        conn_send_bytes(conn, event->frame);
    }
}

void
vl_rpc_conn_subscribe(VlRpcConn *conn, VlEvents *events, const char *const *kinds)
{
    if (conn->subscription) {
        vl_events_unsubscribe(conn->events, conn->subscription);
    }
    g_strfreev(conn->kinds);
    conn->kinds = kinds ? g_strdupv((char **)kinds) : NULL;
    conn->events = events;
    conn->subscription = vl_events_subscribe(events, on_event, conn);
}

gboolean
vl_rpc_conn_replay(VlRpcConn *conn, VlEvents *events, const char *const *kinds, guint64 seq)
{
    g_auto(GStrv) saved = g_steal_pointer(&conn->kinds);
    gboolean complete;

    /* on_event filters by conn->kinds: lend it these for the replay. */
    conn->kinds = kinds ? g_strdupv((char **)kinds) : NULL;
    complete = vl_events_replay(events, seq, on_event, conn);
    g_strfreev(conn->kinds);
    conn->kinds = g_steal_pointer(&saved);
    return complete;
}

static void
conn_close(VlRpcConn *conn, const char *why)
{
    VlRpcServer *server = conn->server;

    if (server == NULL) {
        return;
    }
    g_debug("control connection (%s) closed: %s", conn->peer, why);
    if (conn->subscription) {
        vl_events_unsubscribe(conn->events, conn->subscription);
        conn->subscription = 0;
    }
    g_clear_handle_id(&conn->source_id, g_source_remove);
    close(conn->fd);
    conn->fd = -1;
    conn->server = NULL;
    server->conns = g_list_remove(server->conns, conn);
    conn_unref(conn);
}

/* Listening ---------------------------------------------------------------------------------- */

static gboolean on_accept(int fd, GIOCondition condition, gpointer user_data);

static gboolean
resume_accept(gpointer user_data)
{
    VlRpcServer *server = user_data;

    server->pause_id = 0;
    server->source_id = g_unix_fd_add(server->fd, G_IO_IN, on_accept, server);
    return G_SOURCE_REMOVE;
}

static gboolean
on_accept(int fd, GIOCondition condition, gpointer user_data)
{
    VlRpcServer *server = user_data;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    VlRpcConn *conn;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (cfd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
            /* The listener stays readable while the connection waits: stop watching it for a
             * while, or the loop would spin on it. */
            g_warning("control socket %s: out of file descriptors (%s); not accepting for %d s "
                      "(raise LimitNOFILE in vmlinkd.service)",
                      server->path, g_strerror(errno), ACCEPT_PAUSE_S);
            server->source_id = 0;
            server->pause_id = g_timeout_add_seconds(ACCEPT_PAUSE_S, resume_accept, server);
            return G_SOURCE_REMOVE;
        }
        if (errno != EAGAIN && errno != EINTR) {
            g_warning("control socket %s: accept: %s", server->path, g_strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
        static const char refusal[] =
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,\"message\":\"only root "
            "may use the local control socket\"}}\n";

        g_warning("control socket %s: refused uid %d (pid %d): only root may connect", server->path,
                  (int)cred.uid, (int)cred.pid);
        (void)!send(cfd, refusal, sizeof(refusal) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(cfd);
        return G_SOURCE_CONTINUE;
    }
    conn = g_new0(VlRpcConn, 1);
    conn->refs = 1;
    conn->server = server;
    conn->fd = cfd;
    conn->peer = g_strdup_printf("uid %d pid %d", (int)cred.uid, (int)cred.pid);
    conn->reader = vl_frame_reader_new(server->limits.max_request, VL_FRAME_DEFAULT_MAX_DEPTH);
    g_queue_init(&conn->output);
    server->conns = g_list_prepend(server->conns, conn);
    conn_update_watch(conn);
    g_debug("control connection from %s", conn->peer);
    return G_SOURCE_CONTINUE;
}

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
    server = g_new0(VlRpcServer, 1);
    server->path = g_strdup(path);
    server->fd = fd;
    server->limits = *limits;
    server->handler = handler;
    server->user_data = user_data;
    server->source_id = g_unix_fd_add(fd, G_IO_IN, on_accept, server);
    return server;
}

void
vl_rpc_server_free(VlRpcServer *server)
{
    if (server == NULL) {
        return;
    }
    while (server->conns) {
        conn_close(server->conns->data, "the server stops");
    }
    g_clear_handle_id(&server->source_id, g_source_remove);
    g_clear_handle_id(&server->pause_id, g_source_remove);
    close(server->fd);
    unlink(server->path);
    g_free(server->path);
    g_free(server);
}

guint
vl_rpc_server_connections(const VlRpcServer *server)
{
    return g_list_length(server->conns);
}
