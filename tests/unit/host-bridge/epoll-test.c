/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The channels' event source: fd watches (level-triggered, quiet watches out of the kernel's
 * set, removal from inside a callback) and timers (order, re-arming and freeing from inside
 * callbacks), all behind one GSource.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vl-check.h"
#include "vl-epoll.h"

static void
run_for(guint ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

/* Watches ---------------------------------------------------------------------------------- */

typedef struct {
    guint calls;
    uint32_t events;
    VlEpoll *epoll;
    int remove_fd; /* removed by the callback, if >= 0 */
} Seen;

static void
on_fd(int fd, uint32_t events, gpointer user_data)
{
    Seen *seen = user_data;
    char buf[16];

    seen->calls++;
    seen->events |= events;
    if (events & EPOLLIN) {
        (void)!read(fd, buf, sizeof(buf));
    }
    if (seen->remove_fd >= 0) {
        vl_epoll_remove(seen->epoll, seen->remove_fd);
        seen->remove_fd = -1;
    }
}

START_TEST(test_watches)
{
    g_autoptr(VlEpoll) e = vl_epoll_new(NULL, NULL);
    Seen a = {.epoll = e, .remove_fd = -1};
    Seen b = {.epoll = e, .remove_fd = -1};
    int p[2], q[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, q), 0);
    ck_assert(vl_epoll_add(e, p[0], EPOLLIN, on_fd, &a, NULL));
    ck_assert(vl_epoll_add(e, q[0], EPOLLIN, on_fd, &b, NULL));
    ck_assert_uint_eq(vl_epoll_size(e), 2);

    ck_assert_int_eq(write(p[1], "x", 1), 1);
    run_for(20);
    ck_assert_uint_eq(a.calls, 1);
    ck_assert_uint_eq(b.calls, 0);

    /* Quiet: not even the peer's hang-up is reported, until it asks for events again. */
    vl_epoll_modify(e, p[0], 0);
    close(p[1]);
    run_for(20);
    ck_assert_uint_eq(a.calls, 1);
    vl_epoll_modify(e, p[0], EPOLLIN);
    run_for(20);
    ck_assert_uint_gt(a.calls, 1);
    ck_assert(a.events & EPOLLHUP);
    vl_epoll_remove(e, p[0]);

    /* Both ready in one batch; the first callback removes the other: it is not called. */
    close(p[0]);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
    ck_assert(vl_epoll_add(e, p[0], EPOLLIN, on_fd, &a, NULL));
    a.calls = b.calls = 0;
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    ck_assert_int_eq(write(q[1], "y", 1), 1);
    a.remove_fd = q[0];
    b.remove_fd = p[0];
    run_for(20);
    ck_assert_uint_eq(a.calls + b.calls, 1);
    ck_assert_uint_eq(vl_epoll_size(e), 1);
    for (guint i = 0; i < 2; i++) {
        close(p[i]);
        close(q[i]);
    }
}
END_TEST

/* Timers ----------------------------------------------------------------------------------- */

typedef struct {
    GString *order;
    char name;
    VlEpollTimer *timer;
    gboolean again;   /* re-arm once from the callback */
    gboolean free_it; /* free itself from the callback */
} Tick;

static void
on_tick(gpointer user_data)
{
    Tick *t = user_data;

    g_string_append_c(t->order, t->name);
    if (t->again) {
        t->again = FALSE;
        vl_epoll_timer_start(t->timer, 5);
    }
    if (t->free_it) {
        vl_epoll_timer_free(t->timer);
        t->timer = NULL;
    }
}

START_TEST(test_timers)
{
    g_autoptr(VlEpoll) e = vl_epoll_new(NULL, NULL);
    g_autoptr(GString) order = g_string_new(NULL);
    Tick a = {order, 'a'}, b = {order, 'b'}, c = {order, 'c'}, d = {order, 'd'};

    a.timer = vl_epoll_timer_new(e, on_tick, &a);
    b.timer = vl_epoll_timer_new(e, on_tick, &b);
    c.timer = vl_epoll_timer_new(e, on_tick, &c);
    d.timer = vl_epoll_timer_new(e, on_tick, &d);
    vl_epoll_timer_start(a.timer, 30);
    vl_epoll_timer_start(b.timer, 10);
    vl_epoll_timer_start(c.timer, 20);
    vl_epoll_timer_start(d.timer, 25);
    vl_epoll_timer_stop(d.timer); /* never fires */
    ck_assert_uint_eq(vl_epoll_timers_armed(e), 3);
    b.again = TRUE;   /* fires again 5 ms later: before c */
    c.free_it = TRUE; /* frees itself as it fires */
    run_for(80);
    ck_assert_str_eq(order->str, "bbca");
    ck_assert_uint_eq(vl_epoll_timers_armed(e), 0);
    ck_assert(!vl_epoll_timer_armed(a.timer));
    ck_assert_ptr_null(c.timer);

    /* Re-arming moves the deadline; freeing an armed timer disarms it. */
    g_string_truncate(order, 0);
    vl_epoll_timer_start(a.timer, 10);
    vl_epoll_timer_start(b.timer, 15);
    vl_epoll_timer_start(a.timer, 40);
    vl_epoll_timer_start(d.timer, 20);
    vl_epoll_timer_free(d.timer);
    run_for(70);
    ck_assert_str_eq(order->str, "ba");
    vl_epoll_timer_free(a.timer);
    vl_epoll_timer_free(b.timer);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_watches, test_timers, NULL};

    return vl_check_run(vl_check_suite("epoll", tests));
}
