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
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
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

#define DEFAULT_DEADLINE_MS (30 * 1000)

/* What was printed of one bridge's events, to skip a batch sent again after a lost answer. */
typedef struct {
    guint64 first; /* first seq of the last batch */
    guint64 last;  /* highest seq printed */
    gint64 dropped;
} Seen;

VlReceiver *
vl_receiver_new(const char *listen, const VlReceiverOptions *options, GError **error)
{
    g_autoptr(VlReceiver) r = g_new0(VlReceiver, 1);

    r->options = *options;
    r->listen_fd = -1;
    r->wake_pipe[0] = r->wake_pipe[1] = -1;
    g_mutex_init(&r->lock);
    g_cond_init(&r->ended);
    r->active = g_hash_table_new(g_direct_hash, g_direct_equal);
    r->ended_threads = g_ptr_array_new();
    r->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (r->options.deadline_ms == 0) {
        r->options.deadline_ms = DEFAULT_DEADLINE_MS;
    }
    r->ctx = vl_tls_context_new_server(options->identity, error);
    if (r->ctx == NULL) {
        return NULL;
    }
    if (!g_unix_open_pipe(r->wake_pipe, FD_CLOEXEC, error) ||
        !g_unix_set_fd_nonblocking(r->wake_pipe[0], TRUE, error) ||
        !g_unix_set_fd_nonblocking(r->wake_pipe[1], TRUE, error)) {
        return NULL;
    }
    r->listen_fd = vl_receive_listen(listen, &r->port, error);
    return r->listen_fd < 0 ? NULL : g_steal_pointer(&r);
}

void
vl_receiver_free(VlReceiver *r)
{
    if (r == NULL) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (r->wake_pipe[i] >= 0) {
            close(r->wake_pipe[i]);
        }
    }
    if (r->listen_fd >= 0) {
        close(r->listen_fd);
    }
    g_clear_pointer(&r->ctx, SSL_CTX_free);
    g_hash_table_unref(r->active);
    g_ptr_array_unref(r->ended_threads); /* empty: vl_receiver_run() joined them */
    g_hash_table_unref(r->seen);
    g_clear_error(&r->error);
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->ended);
    g_free(r);
}

guint16
vl_receiver_port(const VlReceiver *r)
{
    return r->port;
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

/* Whether the peer may push; the reason when not. Called with the lock held. */
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

void
vl_receive_say(VlReceiver *r, const char *format, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, format);
    text = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_mutex_lock(&r->lock);
    if (!r->stopping) {
        g_printerr("vmlinkctl: %s\n", text);
    }
    g_mutex_unlock(&r->lock);
}

/* Shows a valid post and hands it to on_post; FALSE only when the output cannot be written. */
static gboolean
take_post(VlReceiver *r, const char *peer_fp, const char *method, const VlJson *params,
          GError **error)
{
    gboolean ok;

    g_mutex_lock(&r->lock);
    ok = show_post(r, peer_fp, method, params, error);
    if (ok && r->options.on_post) {
        r->options.on_post(method, params, r->options.post_data);
    }
    g_mutex_unlock(&r->lock);
    return ok;
}

/*
 * The peer's certificate is checked before anything is read: a client that is not an owned bridge
 * is answered at once, and cannot make the receiver read (or hold on to) anything.
 */
gboolean
vl_receive_serve(VlReceiver *r, VlReceiveConn *conn, const char *peer_addr, GError **error)
{
    g_autoptr(X509) cert = vl_tls_peer_cert(conn->ssl);
    g_autofree char *who = NULL;
    g_autofree char *reason = NULL;
    g_autofree char *peer_fp = cert ? vl_tls_x509_fingerprint(cert) : NULL;
    g_autoptr(GString) body = g_string_new(NULL);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) message = NULL;
    const char *method = NULL;
    gboolean accepted;
    int status;

    g_mutex_lock(&r->lock);
    accepted = accept_peer(r, cert, &who, &reason);
    g_mutex_unlock(&r->lock);
    if (!accepted) {
        vl_receive_http_answer(conn, 403, reason);
        vl_receive_say(r, "refused a push from %s: %s", peer_addr, reason);
        return TRUE;
    }
    status = vl_receive_http_read(conn, body, &local_error);
    if (status != 0) {
        vl_receive_http_answer(conn, status, local_error->message);
        vl_receive_say(r, "%s (%s): %s", peer_addr, who, local_error->message);
        return TRUE;
    }
    message = check_body(body, &method, &local_error);
    if (message == NULL) {
        vl_receive_http_answer(conn, 400, local_error->message);
        vl_receive_say(r, "a bad push from %s: %s", who, local_error->message);
        return TRUE;
    }
    vl_receive_http_answer(conn, 204, NULL);
    return take_post(r, peer_fp, method, vl_json_object_get(message, "params"), error);
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
    if (args->timeout_s == 0) {
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_USAGE,
                    "receive-events: --timeout 0 would let any client hold a connection forever: "
                    "give the seconds a bridge has to send its POST (default %d)",
                    DEFAULT_DEADLINE_MS / 1000);
        return FALSE;
    }
    if (args->timeout_s > 0) {
        options.deadline_ms = (guint)vl_ctl_args_timeout_ms(args);
    }
    if (!any) {
        options.accept = manager_knows;
        options.accept_data = manager;
    }
    r = vl_receiver_new(listen, &options, error);
    if (r == NULL) {
        return FALSE;
    }
    if (any) {
        g_printerr("vmlinkctl: WARNING: --accept-any-bridge: any bridge (any TLS client with a "
                   "certificate) may push here; for trying out only\n");
    }
    g_printerr("vmlinkctl: listening on %s (port %u), fingerprint %s\n", listen,
               vl_receiver_port(r), vl_tls_identity_fingerprint(options.identity));
    return vl_receiver_run(r, error);
}
