/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge's writing to a guest: frames queue in the link's output buffer and go out as the
 * socket takes them. Commands may carry a password (guest.login), so every byte is wiped once
 * sent or dropped, and the buffer never grows by realloc while it holds bytes.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "vl-guest-link-private.h"
#include "vl-protocol.h"

#define MAX_OUTPUT (1024 * 1024)

void
vl_guest_link_update_watch(VlGuestLink *link)
{
    uint32_t events = 0;

    if (link->fd < 0 || link->phase == LINK_IDLE) {
        return;
    }
    if (link->phase == LINK_CONNECTING || link->outbuf->len > 0) {
        events |= EPOLLOUT;
    }
    if (link->phase != LINK_CONNECTING && !vl_epoll_timer_armed(link->resume)) {
        events |= EPOLLIN;
    }
    vl_epoll_modify(link->epoll, link->fd, events);
}

gboolean
vl_guest_link_flush_output(VlGuestLink *link)
{
    while (link->outbuf->len > 0) {
        ssize_t n = send(link->fd, link->outbuf->data, link->outbuf->len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        if (n < 0) {
            g_autofree char *why = g_strdup_printf("write failed: %s", g_strerror(errno));

            vl_guest_link_disconnect(link, why);
            return FALSE;
        }
        g_byte_array_remove_range(link->outbuf, 0, (guint)n);
        /* What moved up left its old copy past the end. */
        OPENSSL_cleanse(link->outbuf->data + link->outbuf->len, (gsize)n);
    }
    vl_guest_link_update_watch(link);
    return TRUE;
}

/*
 * Output is wiped once sent or dropped, since commands may carry a password (guest.login). A
 * buffer that grows while it holds bytes is copied here rather than by realloc, which would
 * leave the old copy behind unwiped.
 */
static void
outbuf_append(VlGuestLink *link, const char *data, gsize len)
{
    if (link->outbuf->len > 0) {
        GByteArray *bigger = g_byte_array_sized_new(link->outbuf->len + (guint)len);

        g_byte_array_append(bigger, link->outbuf->data, link->outbuf->len);
        OPENSSL_cleanse(link->outbuf->data, link->outbuf->len);
        g_byte_array_unref(link->outbuf);
        link->outbuf = bigger;
    }
    g_byte_array_append(link->outbuf, (const guint8 *)data, (guint)len);
}

void
vl_guest_link_clear_output(VlGuestLink *link)
{
    OPENSSL_cleanse(link->outbuf->data, link->outbuf->len);
    g_byte_array_set_size(link->outbuf, 0);
}

gboolean
vl_guest_link_send(VlGuestLink *link, const VlJson *message)
{
    g_autoptr(GString) frame = vl_frame_encode(message);

    if (link->outbuf->len + frame->len > MAX_OUTPUT) {
        /* The guest does not read: commands pile up in vain. */
        OPENSSL_cleanse(frame->str, frame->len);
        vl_guest_link_disconnect(link, "the guest stopped reading its channel");
        return FALSE;
    }
    outbuf_append(link, frame->str, frame->len);
    OPENSSL_cleanse(frame->str, frame->len);
    return vl_guest_link_flush_output(link);
}
