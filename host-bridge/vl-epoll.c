/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-epoll.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <gio/gio.h>

#define BATCH 64

typedef struct {
    int fd;
    uint32_t events;
    VlEpollFunc func;
    gpointer user_data;
    gboolean removed;
} Watch;

typedef struct {
    GSource source;
    VlEpoll *owner;
} EpollSource;

struct _VlEpoll {
    int epfd;
    GSource *source;
    GHashTable *watches;  /* fd → Watch */
    GPtrArray *graveyard; /* watches removed during a dispatch, freed after it */
    gboolean dispatching;
    GSequence *timers; /* VlEpollTimer armed, by deadline then by arming order */
    guint64 next_order;
};

struct _VlEpollTimer {
    VlEpoll *epoll;
    VlEpollTimerFunc func;
    gpointer user_data;
    GSequenceIter *iter; /* in epoll->timers while armed, else NULL */
    gint64 due_us;       /* monotonic */
    guint64 order;
};

static void update_ready_time(VlEpoll *e);
static void fire_timers(VlEpoll *e);

static gboolean
epoll_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
    VlEpoll *e = ((EpollSource *)source)->owner;
    struct epoll_event events[BATCH];
    int n;

    n = epoll_wait(e->epfd, events, BATCH, 0);
    if (n < 0 && errno != EINTR) {
        g_warning("epoll_wait: %s", g_strerror(errno));
    }
    e->dispatching = TRUE;
    for (int i = 0; i < n; i++) {
        Watch *w = events[i].data.ptr;

        if (!w->removed) {
            w->func(w->fd, events[i].events, w->user_data);
        }
    }
    e->dispatching = FALSE;
    g_ptr_array_set_size(e->graveyard, 0);
    fire_timers(e);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs epoll_funcs = {
    .dispatch = epoll_dispatch,
};

VlEpoll *
vl_epoll_new(GMainContext *context, GError **error)
{
    VlEpoll *e;
    int epfd = epoll_create1(EPOLL_CLOEXEC);

    if (epfd < 0) {
        int saved = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "epoll_create1: %s",
                    g_strerror(saved));
        return NULL;
    }
    e = g_new0(VlEpoll, 1);
    e->epfd = epfd;
    e->watches = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    e->graveyard = g_ptr_array_new_with_free_func(g_free);
    e->timers = g_sequence_new(NULL);
    e->source = g_source_new(&epoll_funcs, sizeof(EpollSource));
    ((EpollSource *)e->source)->owner = e;
    g_source_set_name(e->source, "vmlink channels (epoll)");
    g_source_add_unix_fd(e->source, epfd, G_IO_IN);
    g_source_attach(e->source, context);
    return e;
}

void
vl_epoll_free(VlEpoll *e)
{
    if (e == NULL) {
        return;
    }
    g_source_destroy(e->source);
    g_source_unref(e->source);
    g_hash_table_unref(e->watches);
    g_ptr_array_unref(e->graveyard);
    /* Timers belong to their owners, who free them before the set; any still armed are
     * only unlinked. */
    while (g_sequence_get_length(e->timers) > 0) {
        VlEpollTimer *t = g_sequence_get(g_sequence_get_begin_iter(e->timers));

        vl_epoll_timer_stop(t);
    }
    g_sequence_free(e->timers);
    close(e->epfd);
    g_free(e);
}

/* Puts the watch into the kernel's set with its events, or takes it out when it has none:
 * hang-ups and errors are reported whatever the mask, so a quiet fd must not be in the set at
 * all, or a peer that hung up while reading is paused would wake the loop without end. */
static int
apply(VlEpoll *e, Watch *w, uint32_t old_events)
{
    struct epoll_event ev = {.events = w->events, .data.ptr = w};

    if (w->events == 0) {
        return old_events == 0 ? 0 : epoll_ctl(e->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    }
    return epoll_ctl(e->epfd, old_events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, w->fd, &ev);
}

gboolean
vl_epoll_add(VlEpoll *e, int fd, uint32_t events, VlEpollFunc func, gpointer user_data,
             GError **error)
{
    Watch *w;

    g_return_val_if_fail(!g_hash_table_contains(e->watches, GINT_TO_POINTER(fd)), FALSE);

    w = g_new0(Watch, 1);
    w->fd = fd;
    w->events = events;
    w->func = func;
    w->user_data = user_data;
    if (apply(e, w, 0) < 0) {
        int saved = errno;

        g_free(w);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "epoll_ctl(ADD, %d): %s", fd,
                    g_strerror(saved));
        return FALSE;
    }
    g_hash_table_insert(e->watches, GINT_TO_POINTER(fd), w);
    return TRUE;
}

void
vl_epoll_modify(VlEpoll *e, int fd, uint32_t events)
{
    Watch *w = g_hash_table_lookup(e->watches, GINT_TO_POINTER(fd));
    uint32_t old_events;

    g_return_if_fail(w != NULL);
    if (w->events == events) {
        return;
    }
    old_events = w->events;
    w->events = events;
    if (apply(e, w, old_events) < 0) {
        g_warning("epoll_ctl(%d): %s", fd, g_strerror(errno));
        w->events = old_events;
    }
}

void
vl_epoll_remove(VlEpoll *e, int fd)
{
    Watch *w = g_hash_table_lookup(e->watches, GINT_TO_POINTER(fd));

    if (w == NULL) {
        return;
    }
    if (w->events != 0) {
        epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
    }
    g_hash_table_steal(e->watches, GINT_TO_POINTER(fd));
    /* Events of this dispatch may still point at it: free it after the batch. */
    w->removed = TRUE;
    if (e->dispatching) {
        g_ptr_array_add(e->graveyard, w);
    } else {
        g_free(w);
    }
}

guint
vl_epoll_size(const VlEpoll *e)
{
    return g_hash_table_size(e->watches);
}

/* Timers ------------------------------------------------------------------------------------- */

static gint
compare_timers(gconstpointer a, gconstpointer b, gpointer user_data)
{
    const VlEpollTimer *x = a;
    const VlEpollTimer *y = b;

    if (x->due_us != y->due_us) {
        return x->due_us < y->due_us ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order;
}

static void
update_ready_time(VlEpoll *e)
{
    GSequenceIter *first = g_sequence_get_begin_iter(e->timers);

    g_source_set_ready_time(e->source, g_sequence_iter_is_end(first)
                                           ? -1
                                           : ((VlEpollTimer *)g_sequence_get(first))->due_us);
}

/* Runs the timers that are due, earliest first; one that a callback arms again for now waits
 * for the next dispatch, so a callback cannot keep the loop here. */
static void
fire_timers(VlEpoll *e)
{
    gint64 now = g_get_monotonic_time();
    guint64 last = e->next_order;

    for (;;) {
        GSequenceIter *first = g_sequence_get_begin_iter(e->timers);
        VlEpollTimer *t;

        if (g_sequence_iter_is_end(first)) {
            break;
        }
        t = g_sequence_get(first);
        if (t->due_us > now || t->order >= last) {
            break;
        }
        g_sequence_remove(first);
        t->iter = NULL;
        t->func(t->user_data);
    }
    update_ready_time(e);
}

VlEpollTimer *
vl_epoll_timer_new(VlEpoll *e, VlEpollTimerFunc func, gpointer user_data)
{
    VlEpollTimer *t = g_new0(VlEpollTimer, 1);

    t->epoll = e;
    t->func = func;
    t->user_data = user_data;
    return t;
}

void
vl_epoll_timer_stop(VlEpollTimer *t)
{
    if (t && t->iter) {
        g_sequence_remove(t->iter);
        t->iter = NULL;
        update_ready_time(t->epoll);
    }
}

void
vl_epoll_timer_free(VlEpollTimer *t)
{
    if (t) {
        vl_epoll_timer_stop(t);
        g_free(t);
    }
}

void
vl_epoll_timer_start(VlEpollTimer *t, guint delay_ms)
{
    if (t->iter) {
        g_sequence_remove(t->iter);
    }
    t->due_us = g_get_monotonic_time() + (gint64)delay_ms * 1000;
    t->order = t->epoll->next_order++;
    t->iter = g_sequence_insert_sorted(t->epoll->timers, t, compare_timers, NULL);
    update_ready_time(t->epoll);
}

gboolean
vl_epoll_timer_armed(const VlEpollTimer *t)
{
    return t->iter != NULL;
}

guint
vl_epoll_timers_armed(const VlEpoll *e)
{
    return (guint)g_sequence_get_length(e->timers);
}
