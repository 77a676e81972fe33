/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hashing queue of vl-password.h: a FIFO of checks, the head running on a GTask worker
 * thread, the next started when it answers on the loop.
 */
#include <gio/gio.h>

#include "vl-password.h"

typedef struct {
    VlPasswordQueue *queue; /* NULL once the queue is freed: answer "cancelled" */
    char *stored;
    char *password;
    gsize len;
    char *new_password;
    gsize new_len;
    guint log2_n, r, p;
    VlPasswordChecked done;
    gpointer user_data;
} Check;

struct _VlPasswordQueue {
    GQueue waiting; /* Check */
    Check *running;
    guint log2_n, r, p;
    guint max_waiting;
};

static void
check_free(Check *c)
{
    vl_password_free(c->password, c->len);
    vl_password_free(c->new_password, c->new_len);
    g_free(c->stored);
    g_free(c);
}

static void
check_cancel(Check *c)
{
    g_autoptr(GError) error =
        g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "vmlinkd is stopping");

    c->done(NULL, error, c->user_data);
    check_free(c);
}

VlPasswordQueue *
vl_password_queue_new(void)
{
    VlPasswordQueue *q = g_new0(VlPasswordQueue, 1);

    g_queue_init(&q->waiting);
    q->log2_n = VL_PASSWORD_LOG2_N;
    q->r = VL_PASSWORD_R;
    q->p = VL_PASSWORD_P;
    q->max_waiting = VL_PASSWORD_QUEUE_MAX_WAITING;
    return q;
}

void
vl_password_queue_free(VlPasswordQueue *q)
{
    Check *c;

    if (q == NULL) {
        return;
    }
    while ((c = g_queue_pop_head(&q->waiting)) != NULL) {
        check_cancel(c);
    }
    if (q->running) {
        q->running->queue = NULL; /* its thread cannot be stopped: it answers when done */
    }
    g_free(q);
}

void
vl_password_queue_set_cost(VlPasswordQueue *q, guint log2_n, guint r, guint p)
{
    q->log2_n = log2_n;
    q->r = r;
    q->p = p;
}

void
vl_password_queue_set_max_waiting(VlPasswordQueue *q, guint max_waiting)
{
    q->max_waiting = max_waiting;
}

gboolean
vl_password_queue_is_full(const VlPasswordQueue *q)
{
    /* With none running, the next check runs at once: it does not wait. */
    return q->running != NULL && g_queue_get_length((GQueue *)&q->waiting) >= q->max_waiting;
}

guint
vl_password_queue_length(const VlPasswordQueue *q)
{
    return g_queue_get_length((GQueue *)&q->waiting) + (q->running != NULL);
}

/* On the worker thread: the Check is this thread's alone until it returns. */
static void
check_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
    Check *c = task_data;
    GError *error = NULL;
    char *hash = NULL;
    gboolean ok = vl_password_verify(c->stored, c->password, c->len, &error);

    /* Wipe each secret as soon as it has served. */
    vl_password_free(g_steal_pointer(&c->password), c->len);
    if (ok && c->new_password) {
        hash =
            vl_password_hash_with_cost(c->new_password, c->new_len, c->log2_n, c->r, c->p, &error);
    }
    vl_password_free(g_steal_pointer(&c->new_password), c->new_len);
    if (error) {
        g_task_return_error(task, error);
    } else {
        g_task_return_pointer(task, hash ? hash : g_strdup(""), g_free);
    }
}

static void start_next(VlPasswordQueue *q);

static void
check_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
    Check *c = user_data;
    VlPasswordQueue *q = c->queue;
    g_autoptr(GError) error = NULL;
    g_autofree char *hash = g_task_propagate_pointer(G_TASK(res), &error);

    if (q == NULL) {
        check_cancel(c);
        return;
    }
    q->running = NULL;
    c->done(hash && *hash ? hash : NULL, error, c->user_data);
    check_free(c);
    start_next(q);
}

static void
start_next(VlPasswordQueue *q)
{
    g_autoptr(GTask) task = NULL;
    Check *c;

    if (q->running || (c = g_queue_pop_head(&q->waiting)) == NULL) {
        return;
    }
    q->running = c;
    task = g_task_new(NULL, NULL, check_done, c);
    g_task_set_task_data(task, c, NULL);
    g_task_run_in_thread(task, check_thread);
}

gboolean
vl_password_queue_check(VlPasswordQueue *q, const char *stored, char *password, gsize len,
                        char *new_password, gsize new_len, VlPasswordChecked done,
                        gpointer user_data)
{
    Check *c;

    if (vl_password_queue_is_full(q)) {
        vl_password_free(password, len);
        vl_password_free(new_password, new_len);
        return FALSE;
    }
    c = g_new0(Check, 1);
    c->queue = q;
    c->stored = g_strdup(stored);
    c->password = password;
    c->len = len;
    c->new_password = new_password;
    c->new_len = new_len;
    c->log2_n = q->log2_n;
    c->r = q->r;
    c->p = q->p;
    c->done = done;
    c->user_data = user_data;
    g_queue_push_tail(&q->waiting, c);
    start_next(q);
    return TRUE;
}
