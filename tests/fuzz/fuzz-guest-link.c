/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: what a guest sends down its channel, through the bridge's real link end. The
 * input is split at its first newline-free 0xff byte (if any) into two parts: the bytes a guest
 * sends before the handshake, and after it. The link runs on a socketpair with the handshake
 * done by the target itself; after the input the guest side shuts down, so the link reads every
 * byte before it sees the end. Then the cache's content is copied out as guest.info does and
 * every section is checked against the catalogue: nothing that failed validation may be there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vl-guest-link.h"
#include "vl-protocol.h"

static const VlGuestLinkCallbacks callbacks = {NULL};

/* Reads and forgets what the link sent; FALSE once it has closed its end. */
static gboolean
drain(int fd)
{
    char buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
    }
    return n != 0;
}

/* Writes without blocking, running the link's loop while the socket is full. */
static void
send_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno != EAGAIN) {
            return;
        }
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        }
        g_main_context_iteration(NULL, FALSE);
        drain(fd);
    }
}

/* The nonce of the link's hello. */
static char *
read_nonce(int fd)
{
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    char *start;

    buf[MAX(n, 0)] = '\0';
    start = strstr(buf, "\"nonce\":\"");
    return start ? g_strndup(start + 9, strcspn(start + 9, "\"")) : NULL;
}

static void
quiet(const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const VlGuestLinkLimits limits = {
        .max_frame = 4096,
        .rate_burst = 1,
        .heartbeat_s = 5,
        .reconnect_max_s = 1,
    };
    const uint8_t *split = memchr(data, 0xff, size);
    size_t before = split ? (size_t)(split - data) : 0;
    size_t after_start = split ? before + 1 : 0;
    g_autoptr(VlEpoll) epoll = vl_epoll_new(NULL, NULL);
    g_autoptr(VlGuestCache) cache = vl_guest_cache_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) sections = NULL;
    g_autofree char *nonce = NULL;
    g_autofree char *hello = NULL;
    VlGuestLink *link;
    int fds[2];

    /* The link logs each refusal: expected here, and slow. */
    g_log_set_handler(NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet, NULL);
    if (size > 256 * 1024 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
        return 0;
    }
    link = vl_guest_link_new(epoll, "fuzz", &limits, cache, &callbacks, NULL);
    vl_guest_link_start_fd(link, fds[0]);
    nonce = read_nonce(fds[1]);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    send_all(fds[1], data, before);
    hello = g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"%s\","
                            "\"agent\":{\"name\":\"fuzz\",\"version\":\"1\"}}\n",
                            nonce ? nonce : "none");
    send_all(fds[1], (const uint8_t *)hello, strlen(hello));
    send_all(fds[1], data + after_start, size - after_start);
    shutdown(fds[1], SHUT_WR);
    /* The link closes its end when it has read everything up to the shutdown. */
    while (drain(fds[1])) {
        g_main_context_iteration(NULL, FALSE);
    }

    /* Whatever reached the cache is valid, section by section. */
    vl_guest_cache_add_sections(cache, G_MAXUINT, b);
    sections = vl_json_builder_finish(b);
    for (guint i = 0; vl_report_sections[i]; i++) {
        const VlJson *section = vl_json_object_get(sections, vl_report_sections[i]);

        if (section && !vl_report_validate_section(vl_report_sections[i], section, NULL)) {
            g_error("an invalid %s section reached the cache", vl_report_sections[i]);
        }
    }
    vl_guest_link_free(link);
    close(fds[1]);
    while (g_main_context_iteration(NULL, FALSE)) {
    }
    return 0;
}
