/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pushing events and statistics to the owner (see vl-push.h): the queue, the batches, the
 * retries and the statistics timer. The HTTPS side is vl-push-curl.c.
 *
 * The queue holds at most [push] queue-size events waiting; the batch being sent is taken out of
 * it, so that an event is counted as dropped only when it was never delivered. When a POST
 * fails, its batch goes back to the head of the queue (and the oldest go if that overflows).
 */
#include "vl-push.h"

#include <gio/gio.h>
#include <string.h>

#include "vl-domains.h"
#include "vl-jsonrpc.h"
#include "vl-push-private.h"
#include "vl-tls-identity.h"
#include "vl-vm-ops.h"

/* host.info's last_error is at most VL_TEXT_MAX_LEN bytes. */
#define LAST_ERROR_MAX 1000

typedef struct _Gather Gather;

struct _VlPush {
    VlBridge *bridge;
    guint subscription;
    VlPushHttp *http;
    gboolean configured; /* http has the pin and the identity */
    char *event_url;     /* NULL: no event push */
    char *stats_url;     /* NULL: no statistics push */

    GQueue queue;     /* VlJson * (event params), oldest first, waiting */
    GPtrArray *batch; /* VlJson *, the events of the POST in flight */
    VlPushPost *event_post;
    guint send_id;  /* idle source: send the next batch */
    guint retry_id; /* timer: send again after a failure */
    guint retry_delay_s;

    guint stats_timer_id;
    Gather *gather; /* statistics being gathered on a worker thread, or NULL */
    VlPushPost *stats_post;
    VlPushStatsFunc stats_func;
    gpointer stats_data;

    guint64 sent;
    guint64 dropped;
    guint64 stats_sent;
    guint64 failures;
    char *last_error;
    gint64 last_success; /* Unix seconds; 0: never */
};

static void schedule_send(VlPush *push);

/* Counters ----------------------------------------------------------------------------------- */

static void
record_failure(VlPush *push, const char *what, const char *message)
{
    g_autofree char *text = g_strdup_printf("%s: %s", what, message);

    push->failures++;
    if (strlen(text) > LAST_ERROR_MAX) {
        /* Cut at a character boundary: host.info must stay valid UTF-8. */
        *g_utf8_find_prev_char(text, text + LAST_ERROR_MAX) = '\0';
    }
    g_free(push->last_error);
    push->last_error = g_steal_pointer(&text);
}

/* The queue ---------------------------------------------------------------------------------- */

static void
drop_oldest_beyond(VlPush *push, guint64 bound)
{
    while (push->queue.length > bound) {
        vl_json_unref(g_queue_pop_head(&push->queue));
        push->dropped++;
    }
}

static void
on_event(const VlEvent *event, gpointer user_data)
{
    VlPush *push = user_data;

    if (push->event_url == NULL || event->params == NULL) {
        return;
    }
    g_queue_push_tail(&push->queue, vl_json_ref((VlJson *)event->params));
    drop_oldest_beyond(push, push->bridge->config->push_queue);
    schedule_send(push);
}

/* Puts the batch back at the head of the queue, in order, for the next attempt. */
static void
requeue_batch(VlPush *push)
{
    for (guint i = push->batch->len; i > 0; i--) {
        g_queue_push_head(&push->queue, g_ptr_array_steal_index(push->batch, i - 1));
    }
    drop_oldest_beyond(push, push->bridge->config->push_queue);
}

static void
clear_queue(VlPush *push)
{
    g_queue_clear_full(&push->queue, (GDestroyNotify)vl_json_unref);
    g_ptr_array_set_size(push->batch, 0);
}

/* Events ------------------------------------------------------------------------------------- */

static const char *
bridge_fingerprint(VlPush *push)
{
    VlBridge *bridge = push->bridge;

    return vl_bridge_fingerprint(bridge);
}

/* {"jsonrpc": "2.0", "method": method, "params": {host, fingerprint, <member>: value, ...}}:
 * begins the params; the caller adds its members and calls body_finish. */
static VlJsonBuilder *
body_begin(VlPush *push)
{
    VlJsonBuilder *b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "host");
    vl_json_builder_add_string(b, g_get_host_name());
    vl_json_builder_member(b, "fingerprint");
    vl_json_builder_add_string(b, bridge_fingerprint(push));
    return b;
}

static GBytes *
body_finish(VlJsonBuilder *b, const char *method)
{
    g_autoptr(VlJson) params = NULL;
    g_autoptr(VlJson) message = NULL;
    gsize len = 0;
    char *text;

    vl_json_builder_end_object(b);
    params = vl_json_builder_finish(b);
    message = vl_rpc_new_request(method, params, NULL);
    text = vl_json_to_string(message, &len);
    return g_bytes_new_take(text, len);
}

static GBytes *
events_body(VlPush *push)
{
    g_autoptr(VlJsonBuilder) b = body_begin(push);

    vl_json_builder_member(b, "events");
    vl_json_builder_begin_array(b);
    for (guint i = 0; i < push->batch->len; i++) {
        vl_json_builder_add_node(b, g_ptr_array_index(push->batch, i));
    }
    vl_json_builder_end_array(b);
    vl_json_builder_member(b, "dropped");
    vl_json_builder_add_int(b, (gint64)push->dropped);
    return body_finish(b, "push.events");
}

static gboolean
on_retry(gpointer user_data)
{
    VlPush *push = user_data;

    push->retry_id = 0;
    schedule_send(push);
    return G_SOURCE_REMOVE;
}

static void
on_events_sent(const GError *error, gpointer user_data)
{
    VlPush *push = user_data;

    push->event_post = NULL;
    if (error) {
        record_failure(push, "push.events", error->message);
        requeue_batch(push);
        push->retry_id = g_timeout_add_seconds(push->retry_delay_s, on_retry, push);
        push->retry_delay_s =
            (guint)MIN((guint64)push->retry_delay_s * 2, push->bridge->config->push_retry_max_s);
        return;
    }
    push->sent += push->batch->len;
    push->last_success = g_get_real_time() / G_USEC_PER_SEC;
    push->retry_delay_s = 1;
    g_ptr_array_set_size(push->batch, 0);
    schedule_send(push);
}

static gboolean
send_batch(gpointer user_data)
{
    VlPush *push = user_data;
    g_autoptr(GBytes) body = NULL;

    push->send_id = 0;
    if (push->event_url == NULL || !push->configured || push->event_post || push->retry_id) {
        return G_SOURCE_REMOVE;
    }
    while (push->batch->len < push->bridge->config->push_batch && push->queue.length > 0) {
        g_ptr_array_add(push->batch, g_queue_pop_head(&push->queue));
    }
    if (push->batch->len == 0) {
        return G_SOURCE_REMOVE;
    }
    body = events_body(push);
    push->event_post = vl_push_http_post(push->http, push->event_url, body, on_events_sent, push);
    return G_SOURCE_REMOVE;
}

/* Sends from the loop, not from the caller: events emitted together go in one batch. */
static void
schedule_send(VlPush *push)
{
    if (push->send_id == 0 && push->event_post == NULL && push->retry_id == 0 &&
        push->queue.length > 0) {
        push->send_id = g_idle_add(send_batch, push);
    }
}

/* Abandons the POST in flight (its batch waits again) and any pending retry. */
static void
stop_events(VlPush *push)
{
    if (push->event_post) {
        vl_push_http_cancel(push->http, push->event_post);
        push->event_post = NULL;
        requeue_batch(push);
    }
    g_clear_handle_id(&push->retry_id, g_source_remove);
    g_clear_handle_id(&push->send_id, g_source_remove);
    push->retry_delay_s = 1;
}

/* Statistics --------------------------------------------------------------------------------- */

/* One gathering on a worker thread. push is cleared when the push stops caring (free, new
 * target) so that the answer is then dropped. */
struct _Gather {
    VlPush *push;
    VlPushStatsFunc func;
    gpointer data;
    virConnectPtr conn; /* for the default: libvirt's connections are thread-safe */
};

static void
gather_free(Gather *g)
{
    if (g->conn) {
        virConnectClose(g->conn);
    }
    g_free(g);
}

static void
gather_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Gather *g = task_data;
    GError *error = NULL;
    VlJson *stats = g->func ? g->func(g->data, &error) : vl_vm_stats(g->conn, NULL, &error);

    if (stats) {
        g_task_return_pointer(task, stats, (GDestroyNotify)vl_json_unref);
    } else {
        g_task_return_error(task, error);
    }
}

static void
on_stats_sent(const GError *error, gpointer user_data)
{
    VlPush *push = user_data;

    push->stats_post = NULL;
    if (error) {
        /* Not retried: the next interval brings fresher figures. */
        record_failure(push, "push.stats", error->message);
        return;
    }
    push->stats_sent++;
    push->last_success = g_get_real_time() / G_USEC_PER_SEC;
}

static void
on_gathered(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Gather *g = g_task_get_task_data(G_TASK(result));
    VlPush *push = g->push;
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) stats = g_task_propagate_pointer(G_TASK(result), &error);
    g_autoptr(VlJsonBuilder) b = NULL;
    g_autoptr(GBytes) body = NULL;

    if (push == NULL) {
        return; /* freed or retargeted meanwhile */
    }
    push->gather = NULL;
    if (stats == NULL) {
        record_failure(push, "push.stats", error->message);
        return;
    }
    if (push->stats_url == NULL || !push->configured) {
        return;
    }
    b = body_begin(push);
    vl_json_builder_member(b, "time");
    vl_json_builder_add_int(b, g_get_real_time() / 1000);
    vl_json_builder_member(b, "vms");
    vl_json_builder_add_node(b, vl_json_object_get(stats, "vms"));
    body = body_finish(b, "push.stats");
    push->stats_post = vl_push_http_post(push->http, push->stats_url, body, on_stats_sent, push);
}

static gboolean
on_stats_timer(gpointer user_data)
{
    VlPush *push = user_data;
    Gather *g;
    g_autoptr(GTask) task = NULL;

    /* The last round is still under way (a slow libvirtd, a slow manager): skip this one. */
    if (push->gather || push->stats_post) {
        return G_SOURCE_CONTINUE;
    }
    g = g_new0(Gather, 1);
    g->push = push;
    g->func = push->stats_func;
    g->data = push->stats_data;
    if (g->func == NULL) {
        g->conn = push->bridge->domains ? vl_domains_connection(push->bridge->domains) : NULL;
        if (g->conn == NULL) {
            gather_free(g);
            record_failure(push, "push.stats", "not connected to libvirt");
            return G_SOURCE_CONTINUE;
        }
    }
    push->gather = g;
    task = g_task_new(NULL, NULL, on_gathered, NULL);
    g_task_set_task_data(task, g, (GDestroyNotify)gather_free);
    g_task_run_in_thread(task, gather_thread);
    return G_SOURCE_CONTINUE;
}

static void
stop_stats(VlPush *push)
{
    g_clear_handle_id(&push->stats_timer_id, g_source_remove);
    if (push->gather) {
        push->gather->push = NULL;
        push->gather = NULL;
    }
    vl_push_http_cancel(push->http, push->stats_post);
    push->stats_post = NULL;
}

/* The target --------------------------------------------------------------------------------- */

VlPush *
vl_push_new(VlBridge *bridge)
{
    VlPush *push = g_new0(VlPush, 1);

    push->bridge = bridge;
    push->http = vl_push_http_new();
    g_queue_init(&push->queue);
    push->batch = g_ptr_array_new_with_free_func((GDestroyNotify)vl_json_unref);
    push->retry_delay_s = 1;
    push->subscription = vl_events_subscribe(bridge->events, on_event, push);
    return push;
}

void
vl_push_free(VlPush *push)
{
    if (push == NULL) {
        return;
    }
    vl_events_unsubscribe(push->bridge->events, push->subscription);
    stop_events(push);
    stop_stats(push);
    clear_queue(push);
    g_ptr_array_unref(push->batch);
    vl_push_http_free(push->http);
    g_free(push->event_url);
    g_free(push->stats_url);
    g_free(push->last_error);
    g_free(push);
}

static gboolean
is_set(const char *url)
{
    return url && url[0];
}

static char *
url_or_null(const char *url)
{
    return is_set(url) ? g_strdup(url) : NULL;
}

static gboolean
configure(VlPush *push, const char *manager_cert_pem)
{
    g_autoptr(GError) error = NULL;
    VlBridge *bridge = push->bridge;

    if (bridge->identity == NULL) {
        record_failure(push, "push", "the bridge has no TLS identity");
        return FALSE;
    }
    if (!vl_push_http_configure(push->http, vl_tls_identity_dir(bridge->identity), manager_cert_pem,
                                (guint)bridge->config->push_timeout_s, &error)) {
        record_failure(push, "push", error->message);
        return FALSE;
    }
    return TRUE;
}

void
vl_push_set_target(VlPush *push, const char *event_url, const char *stats_url,
                   const char *manager_cert_pem)
{
    g_return_if_fail(manager_cert_pem != NULL || (!is_set(event_url) && !is_set(stats_url)));

    stop_events(push);
    stop_stats(push);
    g_free(push->event_url);
    g_free(push->stats_url);
    push->event_url = url_or_null(event_url);
    push->stats_url = url_or_null(stats_url);
    if (push->event_url == NULL) {
        clear_queue(push); /* a release: the next owner starts from its own time */
    }
    push->configured = (push->event_url || push->stats_url) && configure(push, manager_cert_pem);
    if (!push->configured) {
        return;
    }
    schedule_send(push);
    if (push->stats_url && push->bridge->config->stats_interval_s > 0) {
        push->stats_timer_id = g_timeout_add_seconds((guint)push->bridge->config->stats_interval_s,
                                                     on_stats_timer, push);
    }
}

void
vl_push_set_stats_func(VlPush *push, VlPushStatsFunc func, gpointer user_data)
{
    push->stats_func = func;
    push->stats_data = user_data;
}

void
vl_push_describe(VlPush *push, VlJsonBuilder *b)
{
    if (push->event_url) {
        vl_json_builder_member(b, "event_url");
        vl_json_builder_add_string(b, push->event_url);
    }
    if (push->stats_url) {
        vl_json_builder_member(b, "stats_url");
        vl_json_builder_add_string(b, push->stats_url);
    }
    vl_json_builder_member(b, "queued");
    vl_json_builder_add_int(b, (gint64)(push->queue.length + push->batch->len));
    vl_json_builder_member(b, "sent");
    vl_json_builder_add_int(b, (gint64)push->sent);
    vl_json_builder_member(b, "dropped");
    vl_json_builder_add_int(b, (gint64)push->dropped);
    vl_json_builder_member(b, "stats_sent");
    vl_json_builder_add_int(b, (gint64)push->stats_sent);
    vl_json_builder_member(b, "failures");
    vl_json_builder_add_int(b, (gint64)push->failures);
    if (push->last_error) {
        vl_json_builder_member(b, "last_error");
        vl_json_builder_add_string(b, push->last_error);
    }
    if (push->last_success > 0) {
        vl_json_builder_member(b, "last_success");
        vl_json_builder_add_int(b, push->last_success);
    }
}
