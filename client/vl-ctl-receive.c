/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push receiver (see vl-ctl-receive.h): listening, TLS, and what is done with each post.
 * Reading HTTP requests is vl-ctl-receive-http.c.
 */
#include "vl-ctl-receive.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vl-ctl-format.h"
#include "vl-ctl-receive-private.h"
#include "vl-ctl-show.h"
#include "vl-frame.h"
#include "vl-json-check.h"
#include "vl-jsonrpc.h"
#include "vl-manager.h"
#include "vl-openssl.h"
#include "vl-tls-context.h"

#define DEFAULT_READ_TIMEOUT_S 10

/* What was printed of one bridge's events, to skip a batch sent again after a lost answer. */
typedef struct {
    guint64 first; /* first seq of the last batch */
    guint64 last;  /* highest seq printed */
    gint64 dropped;
} Seen;

struct _VlReceiver {
    VlReceiverOptions options;
    int listen_fd;
    int stop_pipe[2];
    guint16 port;
    SSL_CTX *ctx;
    GHashTable *seen; /* bridge fingerprint → Seen */
    guint64 printed;
};

/* Listening -------------------------------------------------------------------------------- */

static gboolean
split_listen(const char *text, char **ret_address, char **ret_port, GError **error)
{
    const char *colon;

    if (text[0] == '[') {
        const char *end = strchr(text, ']');

        if (end == NULL || end[1] != ':') {
            goto bad;
        }
        *ret_address = g_strndup(text + 1, (gsize)(end - text - 1));
        colon = end + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL) {
            goto bad;
        }
        *ret_address = colon > text ? g_strndup(text, (gsize)(colon - text)) : NULL;
    }
    if (colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
        g_ascii_strtoull(colon + 1, NULL, 10) > 65535) {
        g_clear_pointer(ret_address, g_free);
        goto bad;
    }
    *ret_port = g_strdup(colon + 1);
    return TRUE;
bad:
    g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE,
                "--listen %s: give ADDR:PORT, [IPV6]:PORT or :PORT (every address)", text);
    return FALSE;
}

static int
bind_first(struct addrinfo *list, GError **error)
{
    int saved = 0;

    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        int one = 1;

        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* Restarted on the same port right away (tests, a person retrying). */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0) {
            return fd;
        }
        saved = errno;
        close(fd);
    }
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot listen: %s",
                g_strerror(saved));
    return -1;
}

static int
listen_on(const char *text, guint16 *ret_port, GError **error)
{
    g_autofree char *address = NULL;
    g_autofree char *port = NULL;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    struct sockaddr_storage bound;
    socklen_t len = sizeof(bound);
    int rc;
    int fd;

    if (!split_listen(text, &address, &port, error)) {
        return -1;
    }
    rc = getaddrinfo(address, port, &hints, &list);
    if (rc != 0) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE, "--listen %s: %s", text,
                    gai_strerror(rc));
        return -1;
    }
    fd = bind_first(list, error);
    freeaddrinfo(list);
    if (fd < 0) {
        g_prefix_error(error, "--listen %s: ", text);
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&bound, &len);
    *ret_port = g_ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

VlReceiver *
vl_receiver_new(const char *listen, const VlReceiverOptions *options, GError **error)
{
    g_autoptr(VlReceiver) r = g_new0(VlReceiver, 1);

    r->options = *options;
    r->listen_fd = -1;
    r->stop_pipe[0] = r->stop_pipe[1] = -1;
    r->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (r->options.read_timeout_s == 0) {
        r->options.read_timeout_s = DEFAULT_READ_TIMEOUT_S;
    }
    r->ctx = vl_tls_context_new_server(options->identity, error);
    if (r->ctx == NULL) {
        return NULL;
    }
    if (!g_unix_open_pipe(r->stop_pipe, FD_CLOEXEC, error)) {
        return NULL;
    }
    r->listen_fd = listen_on(listen, &r->port, error);
    return r->listen_fd < 0 ? NULL : g_steal_pointer(&r);
}

void
vl_receiver_free(VlReceiver *r)
{
    if (r == NULL) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (r->stop_pipe[i] >= 0) {
            close(r->stop_pipe[i]);
        }
    }
    if (r->listen_fd >= 0) {
        close(r->listen_fd);
    }
    g_clear_pointer(&r->ctx, SSL_CTX_free);
    g_hash_table_unref(r->seen);
    g_free(r);
}

guint16
vl_receiver_port(const VlReceiver *r)
{
    return r->port;
}

void
vl_receiver_stop(VlReceiver *r)
{
    char c = 0;

    while (write(r->stop_pipe[1], &c, 1) < 0 && errno == EINTR) {
    }
}

/* Output ----------------------------------------------------------------------------------- */

static gboolean
flush_out(VlReceiver *r, GString *text, GError **error)
{
    FILE *out = r->options.out;

    if (out && (fwrite(text->str, 1, text->len, out) != text->len || fflush(out) != 0)) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_OUTPUT, "cannot write the output");
        return FALSE;
    }
    return TRUE;
}

/* Whether an event is new: a batch whose first event is within the last one's range is a resend
 * (its answer was lost); one starting before that range comes from a restarted bridge. */
static gboolean
event_is_new(Seen *seen, guint64 batch_first, guint64 seq)
{
    return batch_first < seen->first || seq > seen->last;
}

static void
print_events(VlReceiver *r, Seen *seen, const char *host, const VlJson *params, GString *text)
{
    const VlJson *events = vl_json_object_get(params, "events");
    guint64 first =
        (guint64)vl_json_get_int(vl_json_object_get(vl_json_array_get(events, 0), "seq"));
    gint64 dropped = vl_json_get_int(vl_json_object_get(params, "dropped"));
    gboolean restarted = first < seen->first;

    if (dropped > seen->dropped || (restarted && dropped > 0)) {
        g_autofree char *clean = vl_ctl_format_clean(host);
        gint64 more = dropped - (restarted ? 0 : seen->dropped);

        /* Not on stdout with --json: scripts read one event per line there. */
        fprintf(r->options.json  ? stderr
                : r->options.out ? r->options.out
                                 : stderr,
                "%s: %" G_GINT64_FORMAT
                " events dropped by the bridge's full push queue (%" G_GINT64_FORMAT
                " in all): fill the gap with vmlinkctl events --since\n",
                clean, more, dropped);
    }
    seen->dropped = dropped;
    for (guint i = 0; i < vl_json_array_length(events); i++) {
        const VlJson *event = vl_json_array_get(events, i);
        guint64 seq = (guint64)vl_json_get_int(vl_json_object_get(event, "seq"));
        g_autofree char *line = NULL;

        if (!event_is_new(seen, first, seq) ||
            (r->options.count && r->printed >= r->options.count)) {
            continue;
        }
        seen->last = seq;
        r->printed++;
        line = r->options.json ? vl_json_to_string(event, NULL) : vl_ctl_show_event(event);
        g_string_append_printf(text, "%s\n", line);
    }
    seen->first = first;
}

static void
print_stats(VlReceiver *r, const char *host, const VlJson *params, GString *text)
{
    g_autofree char *line = NULL;

    if (r->options.json) {
        line = vl_json_to_string(params, NULL);
        g_string_append_printf(text, "%s\n", line);
    } else {
        g_autofree char *time =
            vl_ctl_format_time(vl_json_get_int(vl_json_object_get(params, "time")), FALSE);
        g_autofree char *clean = vl_ctl_format_clean(host);

        g_string_append_printf(text, "%s  statistics from %s\n", time, clean);
        vl_ctl_show_vm_stats(NULL, params, text);
    }
}

/* Shows a valid post; FALSE only when the output cannot be written. */
static gboolean
show_post(VlReceiver *r, const char *peer_fp, const char *method, const VlJson *params,
          GError **error)
{
    g_autoptr(GString) text = g_string_new(NULL);
    const char *host = vl_json_get_string(vl_json_object_get(params, "host"));
    Seen *seen = g_hash_table_lookup(r->seen, peer_fp);

    if (seen == NULL) {
        seen = g_new0(Seen, 1);
        g_hash_table_insert(r->seen, g_strdup(peer_fp), seen);
    }
    if (strcmp(method, "push.events") == 0) {
        print_events(r, seen, host, params, text);
    } else {
        print_stats(r, host, params, text);
    }
    return flush_out(r, text, error);
}

/* Connections ------------------------------------------------------------------------------ */

/* The body's JSON-RPC notification, checked against the catalogue; NULL with the reason. */
static VlJson *
check_body(const GString *body, const char **ret_method, GError **error)
{
    g_autoptr(VlJson) message = NULL;
    VlRpcKind kind;
    const VlEntry *entry = NULL;
    VlRpcCode code;

    if (!vl_json_check(body->str, body->len, VL_FRAME_DEFAULT_MAX_DEPTH, error) ||
        (message = vl_json_parse(body->str, body->len, error)) == NULL) {
        return NULL;
    }
    if (vl_json_kind(message) != VL_JSON_OBJECT) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT, "the body is not a JSON object");
        return NULL;
    }
    if (!vl_rpc_validate(message, VL_SENDER_SERVER, &kind, &entry, &code, error)) {
        return NULL;
    }
    if (kind != VL_RPC_NOTIFICATION ||
        (strcmp(entry->name, "push.events") != 0 && strcmp(entry->name, "push.stats") != 0)) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_INPUT,
                    "expected a push.events or push.stats notification");
        return NULL;
    }
    *ret_method = entry->name;
    return g_steal_pointer(&message);
}

/* Whether the peer may push; the reason when not. */
static gboolean
accept_peer(VlReceiver *r, X509 *cert, char **ret_who, char **ret_reason)
{
    g_autofree char *fp = cert ? vl_tls_x509_fingerprint(cert) : NULL;

    if (cert == NULL) {
        *ret_reason = g_strdup("no client certificate: only bridges may push");
        return FALSE;
    }
    if (r->options.accept && !r->options.accept(cert, ret_who, r->options.accept_data)) {
        *ret_reason =
            g_strdup_printf("this manager does not own the bridge with certificate %s", fp);
        return FALSE;
    }
    if (*ret_who == NULL) {
        *ret_who = g_strdup(fp);
    }
    return TRUE;
}

/* Serves one request on an established TLS connection. */
static gboolean
serve_request(VlReceiver *r, SSL *ssl, const char *peer_addr, GError **error)
{
    g_autoptr(X509) cert = vl_tls_peer_cert(ssl);
    g_autofree char *who = NULL;
    g_autofree char *reason = NULL;
    g_autofree char *peer_fp = cert ? vl_tls_x509_fingerprint(cert) : NULL;
    g_autoptr(GString) body = g_string_new(NULL);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) message = NULL;
    const char *method = NULL;
    int status;

    status = vl_receive_http_read(ssl, body, &local_error);
    if (status != 0) {
        vl_receive_http_answer(ssl, status, local_error->message);
        g_printerr("vmlinkctl: %s: %s\n", peer_addr, local_error->message);
        return TRUE;
    }
    if (!accept_peer(r, cert, &who, &reason)) {
        vl_receive_http_answer(ssl, 403, reason);
        g_printerr("vmlinkctl: refused a push from %s: %s\n", peer_addr, reason);
        return TRUE;
    }
    message = check_body(body, &method, &local_error);
    if (message == NULL) {
        vl_receive_http_answer(ssl, 400, local_error->message);
        g_printerr("vmlinkctl: a bad push from %s: %s\n", who, local_error->message);
        return TRUE;
    }
    vl_receive_http_answer(ssl, 204, NULL);
    if (!show_post(r, peer_fp, method, vl_json_object_get(message, "params"), error)) {
        return FALSE;
    }
    if (r->options.on_post) {
        r->options.on_post(method, vl_json_object_get(message, "params"), r->options.post_data);
    }
    return TRUE;
}

static char *
describe_peer(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    char host[NI_MAXHOST];
    char port[NI_MAXSERV];

    if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 ||
        getnameinfo((struct sockaddr *)&sa, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return g_strdup("?");
    }
    return g_strdup_printf(sa.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static gboolean
serve_connection(VlReceiver *r, int fd, GError **error)
{
    struct timeval tv = {.tv_sec = r->options.read_timeout_s};
    g_autofree char *peer_addr = describe_peer(fd);
    g_autoptr(SSL) ssl = SSL_new(r->ctx);
    gboolean ok = TRUE;

    /* A bridge that stops halfway cannot hold the receiver longer than this. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        close(fd);
        return TRUE;
    }
    if (SSL_accept(ssl) == 1) {
        ok = serve_request(r, ssl, peer_addr, error);
        SSL_shutdown(ssl);
    } else {
        g_autofree char *why = vl_tls_error_string();

        g_printerr("vmlinkctl: TLS handshake with %s failed%s%s\n", peer_addr, why[0] ? ": " : "",
                   why);
    }
    g_clear_pointer(&ssl, SSL_free);
    close(fd);
    return ok;
}

gboolean
vl_receiver_run(VlReceiver *r, GError **error)
{
    while (r->options.count == 0 || r->printed < r->options.count) {
        struct pollfd fds[2] = {{.fd = r->listen_fd, .events = POLLIN},
                                {.fd = r->stop_pipe[0], .events = POLLIN}};
        int fd;

        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (fds[1].revents) {
            return TRUE;
        }
        fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) {
                continue;
            }
            break;
        }
        if (!serve_connection(r, fd, error)) {
            return FALSE;
        }
    }
    if (r->options.count && r->printed >= r->options.count) {
        return TRUE;
    }
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                "cannot accept connections: %s", g_strerror(errno));
    return FALSE;
}

/* The command ------------------------------------------------------------------------------ */

static gboolean
manager_knows(X509 *cert, char **ret_who, gpointer user_data)
{
    return vl_manager_knows_bridge(user_data, cert, ret_who);
}

gboolean
vl_ctl_receive_events(const VlCtlArgs *args, FILE *out, GError **error)
{
    const char *listen = vl_ctl_args_get(args, "listen");
    const char *count = vl_ctl_args_get(args, "count");
    gboolean any = vl_ctl_args_get(args, "accept-any-bridge") != NULL;
    g_autoptr(VlManager) manager = NULL;
    g_autoptr(VlReceiver) r = NULL;
    VlReceiverOptions options = {.out = out, .json = args->json};

    if (listen == NULL) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE,
                    "receive-events: give --listen ADDR:PORT (see vmlinkctl receive-events "
                    "--help)");
        return FALSE;
    }
    manager = vl_manager_open(NULL, error);
    if (manager == NULL) {
        return FALSE;
    }
    options.identity = vl_manager_identity(manager);
    options.count = count ? g_ascii_strtoull(count, NULL, 10) : 0;
    if (!any) {
        options.accept = manager_knows;
        options.accept_data = manager;
    }
    r = vl_receiver_new(listen, &options, error);
    if (r == NULL) {
        return FALSE;
    }
    /* A bridge that goes away mid-answer must not end the receiver. */
    signal(SIGPIPE, SIG_IGN);
    if (any) {
        g_printerr("vmlinkctl: WARNING: --accept-any-bridge: any bridge (any TLS client with a "
                   "certificate) may push here; for trying out only\n");
    }
    g_printerr("vmlinkctl: listening on %s (port %u), fingerprint %s\n", listen,
               vl_receiver_port(r), vl_tls_identity_fingerprint(options.identity));
    return vl_receiver_run(r, error);
}
