/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One GSource for many file descriptors: an epoll set whose own fd is the only thing the GLib
 * loop polls. GLib's poll() walks every registered fd on every iteration, so its cost grows
 * with the number of VM channels; epoll hands back only the ready ones, so the cost of a
 * message stays the same with 10 or 5,000 channels.
 *
 * Watches are level-triggered, and each dispatch handles at most a bounded batch of ready fds:
 * a channel that always has data (a flooding guest) gets one turn per batch like every other,
 * as long as its callback reads a bounded amount per call.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct _VlEpoll VlEpoll;

/* events: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, as epoll reported them. */
typedef void (*VlEpollFunc)(int fd, uint32_t events, gpointer user_data);

/* Creates the set and attaches its source to context (NULL: the default context). */
VlEpoll *vl_epoll_new(GMainContext *context, GError **error);
void vl_epoll_free(VlEpoll *epoll);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlEpoll, vl_epoll_free)

/* Watches fd for events (EPOLLIN and/or EPOLLOUT; 0 keeps it registered but quiet: not even
 * a hang-up is reported until it asks for events again). */
gboolean vl_epoll_add(VlEpoll *epoll, int fd, uint32_t events, VlEpollFunc func, gpointer user_data,
                      GError **error);
/* Changes what fd is watched for. */
void vl_epoll_modify(VlEpoll *epoll, int fd, uint32_t events);
/* Stops watching fd; safe from inside a callback, for any fd (its pending events are dropped).
 * The caller still owns and closes fd, after this call. */
void vl_epoll_remove(VlEpoll *epoll, int fd);

/* Number of fds watched. */
guint vl_epoll_size(const VlEpoll *epoll);

/*
 * Timers of the same source: a GLib timeout per channel would be one GSource per VM, and GLib
 * walks every source on every iteration of the loop, so a host of thousands of VMs would pay
 * for all of them on each message. These are kept sorted by deadline in the set, and the
 * source's ready time is the earliest one.
 */
typedef struct _VlEpollTimer VlEpollTimer;
typedef void (*VlEpollTimerFunc)(gpointer user_data);

VlEpollTimer *vl_epoll_timer_new(VlEpoll *epoll, VlEpollTimerFunc func, gpointer user_data);
/* Frees a timer (armed or not); safe from inside any callback, its own included. */
void vl_epoll_timer_free(VlEpollTimer *timer);
/* Arms the timer to fire once, delay_ms from now (replacing an earlier deadline). */
void vl_epoll_timer_start(VlEpollTimer *timer, guint delay_ms);
void vl_epoll_timer_stop(VlEpollTimer *timer);
gboolean vl_epoll_timer_armed(const VlEpollTimer *timer);

/* Number of timers armed. */
guint vl_epoll_timers_armed(const VlEpoll *epoll);

G_END_DECLS
