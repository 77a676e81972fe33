/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-guest-link.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl-guest-link-private.h"
#include "vl-protocol.h"

#define READ_CHUNK (64 * 1024)
/* Frames handled in one turn of a channel: then the others get theirs (a flooding guest
 * would otherwise hold the loop for a whole chunk of small frames, milliseconds of work). */
#define FRAMES_PER_TURN 16
#define RECONNECT_MIN_MS 250

static void process_input(VlGuestLink *link);

const char *
vl_agent_state_name(VlAgentState state)
{
    switch (state) {
    case VL_AGENT_ABSENT:
        return "absent";
    case VL_AGENT_CONNECTED:
        return "connected";
    case VL_AGENT_RESPONSIVE:
        return "responsive";
    }
    return "absent";
}

/* Logging ----------------------------------------------------------------------------------- */

G_GNUC_PRINTF(2, 3)
void
vl_guest_link_complain(VlGuestLink *link, const char *format, ...)
{
    guint suppressed = 0;
    g_autofree char *text = NULL;
    va_list args;

    if (!vl_log_limit_allow(&link->log_limit, g_get_monotonic_time(), &suppressed)) {
        return;
    }
    va_start(args, format);
    text = g_strdup_vprintf(format, args);
    va_end(args);
    if (suppressed) {
        g_warning("vm %s: %s (%u similar messages suppressed)", link->label, text, suppressed);
    } else {
        g_warning("vm %s: %s", link->label, text);
    }
}

/* State -------------------------------------------------------------------------------------- */

static void
set_state(VlGuestLink *link, VlAgentState state)
{
    if (link->state == state) {
        return;
    }
    link->state = state;
    if (link->callbacks.state_changed) {
        link->callbacks.state_changed(link, state, link->user_data);
    }
}

static void
watch_expired(gpointer user_data)
{
    VlGuestLink *link = user_data;
    gint64 limit = (gint64)link->limits.heartbeat_s * UNRESPONSIVE_HEARTBEATS * G_USEC_PER_SEC;
    gint64 silent = g_get_monotonic_time() - link->last_heard_us;

    link->watch_armed = FALSE;
    if (link->phase != LINK_READY) {
        return;
    }
    if (silent >= limit) {
        set_state(link, VL_AGENT_CONNECTED);
    } else {
        link->watch_armed = TRUE;
        vl_epoll_timer_start(link->watch, (guint)((limit - silent) / 1000) + 1);
    }
}

/* A valid message arrived: the agent is responsive. Costs no timer work while the timer runs. */
static void
heard(VlGuestLink *link)
{
    link->last_heard_us = g_get_monotonic_time();
    link->last_heard = g_get_real_time() / G_USEC_PER_SEC;
    link->counters.frames++;
    if (link->phase == LINK_READY && !link->watch_armed) {
        link->watch_armed = TRUE;
        vl_epoll_timer_start(link->watch,
                             link->limits.heartbeat_s * UNRESPONSIVE_HEARTBEATS * 1000);
    }
    if (link->phase == LINK_READY) {
        set_state(link, VL_AGENT_RESPONSIVE);
    }
}

static void
send_hello(VlGuestLink *link)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) hello = NULL;

    g_free(link->nonce);
    link->nonce = vl_protocol_new_nonce();
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, "hello");
    vl_json_builder_member(b, "versions");
    vl_json_builder_begin_array(b);
    vl_json_builder_add_int(b, VL_GUEST_PROTOCOL_VERSION);
    vl_json_builder_end_array(b);
    vl_json_builder_member(b, "nonce");
    vl_json_builder_add_string(b, link->nonce);
    vl_json_builder_member(b, "capabilities");
    vl_json_builder_begin_array(b);
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
    hello = vl_json_builder_finish(b);
    link->phase = LINK_HELLO_SENT;
    vl_guest_link_send(link, hello);
}

/* Messages from the guest -------------------------------------------------------------------- */

static void
handle_hello(VlGuestLink *link, const VlJson *frame)
{
    const char *nonce = vl_json_get_string(vl_json_object_get(frame, "nonce"));
    const VlJson *agent = vl_json_object_get(frame, "agent");
    static const guint ours[] = {VL_GUEST_PROTOCOL_VERSION};
    g_autoptr(GError) error = NULL;
    guint version = 0;

    if (nonce == NULL) {
        /* The agent greets first when it starts: it restarted, or missed our hello. */
        if (link->phase == LINK_READY) {
            g_message("vm %s: the agent started again; greeting it", link->label);
            vl_guest_link_fail_pending(link, "restarted");
            set_state(link, VL_AGENT_ABSENT);
        }
        send_hello(link);
        return;
    }
    if (link->nonce == NULL || !g_str_equal(nonce, link->nonce)) {
        return; /* an answer to an earlier connection's hello */
    }
    if (!vl_protocol_negotiate(vl_json_object_get(frame, "versions"), ours, G_N_ELEMENTS(ours),
                               &version, &error)) {
        link->counters.invalid++;
        vl_guest_link_complain(link, "agent hello refused: %s", error->message);
        return;
    }
    g_free(link->agent_name);
    g_free(link->agent_version);
    link->agent_name = g_strdup(vl_json_get_string(vl_json_object_get(agent, "name")));
    link->agent_version = g_strdup(vl_json_get_string(vl_json_object_get(agent, "version")));
    link->protocol = version;
    link->phase = LINK_READY;
    link->reconnect_ms = 0;
    link->connected_since = g_get_real_time() / G_USEC_PER_SEC;
    g_message("vm %s: agent %s %s connected (protocol %u)", link->label, link->agent_name,
              link->agent_version, version);
    heard(link);
}

static void
handle_frame(VlGuestLink *link, const VlJson *frame)
{
    g_autoptr(GError) error = NULL;
    const VlEntry *entry = NULL;
    const char *type;

    if (!vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_GUEST, frame, &entry, &error)) {
        link->counters.invalid++;
        vl_guest_link_complain(link, "invalid message from the guest: %s", error->message);
        return;
    }
    type = entry->name;
    if (g_str_equal(type, "hello")) {
        handle_hello(link, frame);
        return;
    }
    if (link->phase != LINK_READY) {
        return; /* left over from before our hello: dropped without a word */
    }
    heard(link);
    if (g_str_equal(type, "report")) {
        gboolean full = vl_json_get_bool(vl_json_object_get(frame, "full"));
        guint mask = vl_guest_cache_apply_report(link->cache, vl_json_object_get(frame, "sections"),
                                                 full, g_get_real_time() / G_USEC_PER_SEC);

        if (link->callbacks.report && (mask || full)) {
            link->callbacks.report(link, mask, full, link->user_data);
        }
    } else if (g_str_equal(type, "heartbeat")) {
        vl_guest_cache_apply_heartbeat(link->cache, vl_json_object_get(frame, "memory"),
                                       g_get_real_time() / G_USEC_PER_SEC);
    } else if (g_str_equal(type, "event")) {
        if (link->callbacks.event) {
            link->callbacks.event(link, frame, link->user_data);
        }
        /* Said on its way out: gone now, rather than silent three heartbeats from now. */
        if (g_strcmp0(vl_json_get_string(vl_json_object_get(frame, "event")), "agent_stopping") ==
            0) {
            set_state(link, VL_AGENT_ABSENT);
        }
    } else if (g_str_equal(type, "reply") || g_str_equal(type, "error")) {
        vl_guest_link_handle_reply(link, type, frame);
    }
}

/* Reading ------------------------------------------------------------------------------------ */

static void
resume_reading(gpointer user_data)
{
    process_input(user_data);
}

static void
pause_reading(VlGuestLink *link, gint64 wait_us)
{
    link->counters.rate_limited++;
    vl_epoll_timer_start(link->resume, (guint)(wait_us / 1000) + 1);
    vl_guest_link_update_watch(link);
}

/* Ends this channel's turn with input left: it goes on after every other channel ready now
 * has had a turn (a timer due at once runs after the epoll batch, in the next dispatch). */
static void
yield_turn(VlGuestLink *link)
{
    vl_epoll_timer_start(link->resume, 0);
    vl_guest_link_update_watch(link);
}

/*
 * Feeds bytes to the frame reader, a frame at a time, while the rate allows and at most
 * FRAMES_PER_TURN of them. Returns how many were used: fewer than len when the rate limit paused
 * reading or the turn ended (the caller keeps the rest), or G_MAXSIZE when the link was
 * disconnected meanwhile (its buffers were emptied).
 */
static gsize
process_bytes(VlGuestLink *link, const char *data, gsize len)
{
    int fd = link->fd;
    gsize done = 0;
    guint frames = 0;

    while (done < len) {
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gint64 now = g_get_monotonic_time();
        gsize used = 0;
        gboolean ok;

        if (!vl_token_bucket_take(&link->messages, 1, now)) {
            pause_reading(link, vl_token_bucket_wait_us(&link->messages, 1, now));
            break;
        }
        if (frames++ == FRAMES_PER_TURN) {
            link->messages.tokens = MIN(link->messages.burst, link->messages.tokens + 1);
            yield_turn(link);
            break;
        }
        ok = vl_frame_reader_push(link->reader, data + done, len - done, &used, &frame, &error);
        done += used;
        if (!ok) {
            link->counters.invalid++;
            vl_guest_link_complain(link, "bad frame from the guest: %s", error->message);
        } else if (frame) {
            handle_frame(link, frame);
        } else {
            /* no complete frame: give the token back */
            link->messages.tokens = MIN(link->messages.burst, link->messages.tokens + 1);
        }
        if (link->fd != fd) {
            return G_MAXSIZE;
        }
    }
    return done;
}

/* Feeds what the rate limit held back, then watches the socket again. */
static void
process_input(VlGuestLink *link)
{
    gsize done;

    if (link->inbuf == NULL) {
        vl_guest_link_update_watch(link);
        return;
    }
    done = process_bytes(link, (const char *)link->inbuf->data, link->inbuf->len);

    if (done == G_MAXSIZE) {
        return;
    }
    /* Dropped once at the end, not after each frame: a chunk of many small frames would
     * otherwise be moved once per frame. */
    g_byte_array_remove_range(link->inbuf, 0, (guint)done);
    if (link->inbuf->len == 0) {
        g_clear_pointer(&link->inbuf, g_byte_array_unref);
    }
    vl_guest_link_update_watch(link);
}

static void
read_input(VlGuestLink *link)
{
    guint8 buf[READ_CHUNK];
    ssize_t n;
    gint64 now;
    gsize done;

    n = recv(link->fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        g_autofree char *why = n == 0 ? g_strdup("the channel closed")
                                      : g_strdup_printf("read: %s", g_strerror(errno));

        vl_guest_link_disconnect(link, why);
        return;
    }
    now = g_get_monotonic_time();
    if (link->inbuf) {
        /* Something was held back: keep the order. */
        g_byte_array_append(link->inbuf, buf, (guint)n);
        process_input(link);
    } else {
        /* The common case: frames straight from this buffer, only a remainder kept. */
        done = process_bytes(link, (const char *)buf, (gsize)n);
        if (done == G_MAXSIZE) {
            return;
        }
        if (done < (gsize)n) {
            link->inbuf = g_byte_array_new();
            g_byte_array_append(link->inbuf, buf + done, (guint)((gsize)n - done));
        }
        vl_guest_link_update_watch(link);
    }
    if (link->phase != LINK_IDLE && !vl_token_bucket_spend(&link->bytes, (double)n, now) &&
        !vl_epoll_timer_armed(link->resume)) {
        /* Over the byte rate: read nothing more until the debt is paid. */
        pause_reading(link, vl_token_bucket_wait_us(&link->bytes, 0, now));
    }
}

static void
on_socket(int fd, uint32_t events, gpointer user_data)
{
    VlGuestLink *link = user_data;

    if (link->phase == LINK_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);

        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            g_autofree char *why = g_strdup_printf("connect: %s", g_strerror(err));

            vl_guest_link_disconnect(link, why);
            return;
        }
        link->counters.connects++;
        send_hello(link);
        return;
    }
    if ((events & EPOLLOUT) && !vl_guest_link_flush_output(link)) {
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (!vl_epoll_timer_armed(link->resume)) {
            read_input(link);
        }
    }
}

/* Connections -------------------------------------------------------------------------------- */

static void reconnect(gpointer user_data);

static void
close_socket(VlGuestLink *link)
{
    if (link->fd >= 0) {
        vl_epoll_remove(link->epoll, link->fd);
        close(link->fd);
        link->fd = -1;
    }
    vl_epoll_timer_stop(link->resume);
    vl_epoll_timer_stop(link->watch);
    link->watch_armed = FALSE;
    g_clear_pointer(&link->inbuf, g_byte_array_unref);
    vl_guest_link_clear_output(link);
    vl_frame_reader_reset(link->reader);
    g_clear_pointer(&link->nonce, g_free);
    link->phase = LINK_IDLE;
    link->connected_since = 0;
}

static void
schedule_reconnect(VlGuestLink *link)
{
    if (!link->started || link->path == NULL || vl_epoll_timer_armed(link->reconnect)) {
        return;
    }
    link->reconnect_ms = link->reconnect_ms == 0
                             ? RECONNECT_MIN_MS
                             : MIN(link->reconnect_ms * 2, link->limits.reconnect_max_s * 1000);
    vl_epoll_timer_start(link->reconnect, link->reconnect_ms);
}

void
vl_guest_link_disconnect(VlGuestLink *link, const char *why)
{
    gboolean was_ready = link->phase == LINK_READY;

    if (was_ready) {
        g_message("vm %s: agent channel lost: %s", link->label, why);
    } else {
        g_debug("vm %s: %s", link->label, why);
    }
    close_socket(link);
    vl_guest_link_fail_pending(link, why);
    set_state(link, VL_AGENT_ABSENT);
    schedule_reconnect(link);
}

static void
attach_fd(VlGuestLink *link, int fd, gboolean connecting)
{
    g_autoptr(GError) error = NULL;
    gint64 now = g_get_monotonic_time();

    link->fd = fd;
    link->phase = connecting ? LINK_CONNECTING : LINK_HELLO_SENT;
    vl_token_bucket_init(&link->messages, link->limits.rate_messages, link->limits.rate_burst, now);
    vl_token_bucket_init(&link->bytes, link->limits.rate_bytes,
                         MAX(link->limits.rate_bytes, 4.0 * (double)link->limits.max_frame), now);
    if (!vl_epoll_add(link->epoll, fd, connecting ? EPOLLOUT : EPOLLIN, on_socket, link, &error)) {
        g_warning("vm %s: %s", link->label, error->message);
        close(fd);
        link->fd = -1;
        link->phase = LINK_IDLE;
        schedule_reconnect(link);
        return;
    }
    if (!connecting) {
        link->counters.connects++;
        send_hello(link);
    }
}

static void
reconnect(gpointer user_data)
{
    VlGuestLink *link = user_data;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(link->path) >= sizeof(addr.sun_path)) {
        vl_guest_link_complain(link, "channel socket path too long: %s", link->path);
        return;
    }
    strcpy(addr.sun_path, link->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
            /* Every VM waiting for a socket would say the same: once is enough. */
            g_warning_once("out of file descriptors for the VMs' channels (%s): raise "
                           "LimitNOFILE in vmlinkd.service; retrying",
                           g_strerror(errno));
        } else {
            vl_guest_link_complain(link, "socket: %s", g_strerror(errno));
        }
        schedule_reconnect(link);
        return;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
        attach_fd(link, fd, FALSE);
    } else if (errno == EINPROGRESS || errno == EAGAIN) {
        attach_fd(link, fd, TRUE);
    } else {
        g_debug("vm %s: connect %s: %s", link->label, link->path, g_strerror(errno));
        close(fd);
        schedule_reconnect(link);
    }
}

/* Life --------------------------------------------------------------------------------------- */

VlGuestLink *
vl_guest_link_new(VlEpoll *epoll, const char *label, const VlGuestLinkLimits *limits,
                  VlGuestCache *cache, const VlGuestLinkCallbacks *callbacks, gpointer user_data)
{
    VlGuestLink *link = g_new0(VlGuestLink, 1);

    link->epoll = epoll;
    link->label = g_strdup(label);
    link->limits = *limits;
    link->limits.heartbeat_s = MAX(link->limits.heartbeat_s, 1);
    link->limits.reconnect_max_s = MAX(link->limits.reconnect_max_s, 1);
    link->cache = cache;
    link->callbacks = *callbacks;
    link->user_data = user_data;
    link->fd = -1;
    link->reader = vl_frame_reader_new(limits->max_frame, VL_FRAME_DEFAULT_MAX_DEPTH);
    link->outbuf = g_byte_array_new();
    link->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)vl_guest_link_pending_free);
    link->reconnect = vl_epoll_timer_new(epoll, reconnect, link);
    link->resume = vl_epoll_timer_new(epoll, resume_reading, link);
    link->watch = vl_epoll_timer_new(epoll, watch_expired, link);
    return link;
}

void
vl_guest_link_stop(VlGuestLink *link)
{
    link->started = FALSE;
    vl_epoll_timer_stop(link->reconnect);
    if (link->fd >= 0 || link->phase != LINK_IDLE) {
        vl_guest_link_disconnect(link, "the link was stopped");
    }
    link->reconnect_ms = 0;
}

void
vl_guest_link_free(VlGuestLink *link)
{
    if (link == NULL) {
        return;
    }
    link->callbacks.state_changed = NULL;
    vl_guest_link_stop(link);
    g_hash_table_unref(link->pending);
    vl_epoll_timer_free(link->reconnect);
    vl_epoll_timer_free(link->resume);
    vl_epoll_timer_free(link->watch);
    vl_frame_reader_free(link->reader);
    g_clear_pointer(&link->inbuf, g_byte_array_unref);
    vl_guest_link_clear_output(link);
    g_byte_array_unref(link->outbuf);
    g_free(link->path);
    g_free(link->label);
    g_free(link->nonce);
    g_free(link->agent_name);
    g_free(link->agent_version);
    g_free(link);
}

void
vl_guest_link_start(VlGuestLink *link, const char *path)
{
    if (link->started && g_strcmp0(link->path, path) == 0) {
        return; /* already on it */
    }
    vl_guest_link_stop(link);
    g_free(link->path);
    link->path = g_strdup(path);
    link->started = TRUE;
    reconnect(link);
}

void
vl_guest_link_start_fd(VlGuestLink *link, int fd)
{
    vl_guest_link_stop(link);
    g_clear_pointer(&link->path, g_free);
    link->started = TRUE;
    attach_fd(link, fd, FALSE);
}

const char *
vl_guest_link_path(const VlGuestLink *link)
{
    return link->path;
}

VlAgentState
vl_guest_link_state(const VlGuestLink *link)
{
    return link->state;
}

void
vl_guest_link_get_info(const VlGuestLink *link, VlGuestLinkInfo *info)
{
    VlFrameStats stats;

    vl_frame_reader_get_stats(link->reader, &stats);
    info->state = link->state;
    info->agent_name = link->phase == LINK_READY ? link->agent_name : NULL;
    info->agent_version = link->phase == LINK_READY ? link->agent_version : NULL;
    info->protocol = link->phase == LINK_READY ? link->protocol : 0;
    info->connected_since = link->connected_since;
    info->last_heard = link->last_heard;
    info->counters = link->counters;
    info->counters.dropped_bytes = stats.dropped_bytes;
}
