/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bridge's end of a guest channel, driven by scripted guests on socketpairs (and on a
 * listening socket for reconnection): handshake, stale frames, merges into the cache, bad and
 * oversized frames, the rate limit, commands and their replies, errors and timeouts, agent
 * restarts, disconnections and unresponsiveness.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl-guest-link.h"
#include "vl-protocol.h"

#define WAIT_MS 10000

typedef struct {
    VlEpoll *epoll;
    VlGuestCache *cache;
    VlGuestLink *link;
    int guest;         /* the scripted guest's end */
    GString *input;    /* what the guest has read and not yet taken as lines */
    GPtrArray *states; /* VlAgentState as pointers, in order */
    guint reports;
    guint last_mask;
    gboolean last_full;
    guint events;
} Fixture;

static Fixture f;

static const VlGuestLinkLimits default_limits = {
    .max_frame = 4096,
    .rate_messages = 0,
    .rate_burst = 100,
    .rate_bytes = 0,
    .heartbeat_s = 5,
    .reconnect_max_s = 1,
};

static void
on_state(VlGuestLink *link, VlAgentState state, gpointer user_data)
{
    g_ptr_array_add(f.states, GINT_TO_POINTER(state));
}

static void
on_report(VlGuestLink *link, guint mask, gboolean full, gpointer user_data)
{
    f.reports++;
    f.last_mask = mask;
    f.last_full = full;
}

static void
on_event(VlGuestLink *link, const VlJson *message, gpointer user_data)
{
    f.events++;
}

static const VlGuestLinkCallbacks callbacks = {on_state, on_report, on_event};

static void
start_with(const VlGuestLinkLimits *limits)
{
    int fds[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    f.epoll = vl_epoll_new(NULL, NULL);
    f.cache = vl_guest_cache_new();
    f.states = g_ptr_array_new();
    f.input = g_string_new(NULL);
    f.link = vl_guest_link_new(f.epoll, "test-vm", limits, f.cache, &callbacks, NULL);
    f.guest = fds[1];
    vl_guest_link_start_fd(f.link, fds[0]);
}

static void
setup(void)
{
    memset(&f, 0, sizeof(f));
    start_with(&default_limits);
}

static void
teardown(void)
{
    vl_guest_link_free(f.link);
    vl_guest_cache_free(f.cache);
    vl_epoll_free(f.epoll);
    if (f.guest >= 0) {
        close(f.guest);
    }
    g_ptr_array_unref(f.states);
    g_string_free(f.input, TRUE);
    while (g_main_context_iteration(NULL, FALSE)) {
    }
}

/* Runs the loop until cond(data) holds; fails the test after WAIT_MS. */
static void
wait_for(gboolean (*cond)(gpointer), gpointer data, const char *what)
{
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    while (!cond(data)) {
        ck_assert_msg(g_get_monotonic_time() < end, "timed out waiting for %s", what);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static void
guest_send(const char *line)
{
    gsize len = strlen(line);

    ck_assert_int_eq(write(f.guest, line, len), (ssize_t)len);
    ck_assert_int_eq(write(f.guest, "\n", 1), 1);
}

/* The next line the link sent to the guest, parsed. */
static VlJson *
guest_recv(void)
{
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    for (;;) {
        char *nl = memchr(f.input->str, '\n', f.input->len);
        struct pollfd p = {.fd = f.guest, .events = POLLIN};

        if (nl) {
            gsize len = (gsize)(nl - f.input->str);
            g_autoptr(GError) error = NULL;
            VlJson *message = vl_json_parse(f.input->str, len, &error);

            ck_assert_msg(message != NULL, "link sent bad JSON: %s", error ? error->message : "");
            g_string_erase(f.input, 0, (gssize)len + 1);
            return message;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "timed out waiting for a line from the link");
        g_main_context_iteration(NULL, FALSE);
        if (poll(&p, 1, 5) == 1) {
            char buf[4096];
            ssize_t n = read(f.guest, buf, sizeof(buf));

            ck_assert_int_gt(n, 0);
            g_string_append_len(f.input, buf, n);
        }
    }
}

static char *
hello_nonce(void)
{
    g_autoptr(VlJson) hello = guest_recv();
    const VlEntry *entry = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert_msg(vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_HOST, hello, &entry, &error),
                  "%s", error ? error->message : "");
    ck_assert_str_eq(entry->name, "hello");
    return g_strdup(vl_json_get_string(vl_json_object_get(hello, "nonce")));
}

static void
guest_hello(const char *nonce)
{
    g_autofree char *line =
        g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"version\":1,\"nonce\":\"%s\","
                        "\"agent\":{\"name\":\"scripted\",\"version\":\"9.9\"}}",
                        nonce);

    guest_send(line);
}

static gboolean
is_responsive(gpointer data)
{
    return vl_guest_link_state(f.link) == VL_AGENT_RESPONSIVE;
}

static gboolean
is_state(gpointer data)
{
    return vl_guest_link_state(f.link) == (VlAgentState)GPOINTER_TO_INT(data);
}

static gboolean
reports_at_least(gpointer data)
{
    return f.reports >= GPOINTER_TO_UINT(data);
}

static void
handshake(void)
{
    g_autofree char *nonce = hello_nonce();

    guest_hello(nonce);
    wait_for(is_responsive, NULL, "the handshake");
}

static VlGuestLinkInfo
info(void)
{
    VlGuestLinkInfo i;

    vl_guest_link_get_info(f.link, &i);
    return i;
}

#define OS_SECTION "\"os\":{\"id\":\"debian\",\"name\":\"Debian GNU/Linux\",\"arch\":\"x86_64\"}"
#define HOST_SECTION "\"host\":{\"hostname\":\"web1\"}"
#define NET_SECTION                                                                                \
    "\"network\":{\"interfaces\":[{\"name\":\"eth0\",\"addresses\":[{\"family\":\"ipv4\","         \
    "\"address\":\"192.0.2.7\",\"prefix\":24}]}]}"
#define MEM_SECTION "\"memory\":{\"total_kib\":1000,\"available_kib\":500,\"free_kib\":100}"

static const char *
section_string(const char *section, const char *member)
{
    int i = vl_guest_cache_section_index(section);

    return vl_json_get_string(
        vl_json_object_get(vl_guest_cache_section(f.cache, (guint)i), member));
}

/* Handshake ---------------------------------------------------------------------------------- */

START_TEST(test_handshake)
{
    g_autofree char *nonce = hello_nonce();
    VlGuestLinkInfo i;

    ck_assert_uint_ge(strlen(nonce), VL_NONCE_MIN_LEN);
    ck_assert_int_eq(vl_guest_link_state(f.link), VL_AGENT_ABSENT);

    /* Left over from an earlier connection: dropped without being counted as invalid. */
    guest_send("{\"type\":\"report\",\"seq\":1,\"full\":true,\"sections\":{" OS_SECTION "}}");
    guest_hello("0123456789abcdef0123456789abcdef"); /* an earlier connection's nonce */
    guest_hello(nonce);
    wait_for(is_responsive, NULL, "the handshake");

    i = info();
    ck_assert_str_eq(i.agent_name, "scripted");
    ck_assert_str_eq(i.agent_version, "9.9");
    ck_assert_uint_eq(i.protocol, 1);
    ck_assert_int_gt(i.connected_since, 0);
    ck_assert_uint_eq(i.counters.invalid, 0);
    ck_assert_uint_eq(i.counters.connects, 1);
    ck_assert_ptr_null(vl_guest_cache_section(f.cache, 0));
    ck_assert_uint_eq(f.reports, 0);
    ck_assert_uint_eq(f.states->len, 1);
    ck_assert_int_eq(GPOINTER_TO_INT(f.states->pdata[0]), VL_AGENT_RESPONSIVE);
}
END_TEST

START_TEST(test_guest_greets_first)
{
    /* The agent's own greeting (no nonce) gets a fresh hello; the first nonce is then void. */
    g_autofree char *first = hello_nonce();
    g_autofree char *second = NULL;

    guest_send(
        "{\"type\":\"hello\",\"versions\":[1],\"agent\":{\"name\":\"a\",\"version\":\"1\"}}");
    second = hello_nonce();
    ck_assert_str_ne(first, second);
    guest_hello(first);
    guest_hello(second);
    wait_for(is_responsive, NULL, "the handshake with the second nonce");
}
END_TEST

START_TEST(test_agent_restart)
{
    g_autofree char *nonce = NULL;

    handshake();
    guest_send(
        "{\"type\":\"hello\",\"versions\":[1],\"agent\":{\"name\":\"a\",\"version\":\"2\"}}");
    nonce = hello_nonce();
    ck_assert_int_eq(vl_guest_link_state(f.link), VL_AGENT_ABSENT);
    guest_hello(nonce);
    wait_for(is_responsive, NULL, "the handshake after the restart");
    ck_assert_uint_eq(f.states->len, 3); /* responsive, absent, responsive */
}
END_TEST

START_TEST(test_version_mismatch)
{
    g_autofree char *nonce = hello_nonce();
    g_autofree char *line = g_strdup_printf(
        "{\"type\":\"hello\",\"versions\":[7],\"nonce\":\"%s\",\"agent\":{\"name\":\"a\","
        "\"version\":\"1\"}}",
        nonce);

    guest_send(line);
    guest_send("{\"type\":\"heartbeat\",\"seq\":2,\"memory\":{\"total_kib\":1}}");
    while (info().counters.invalid < 1) {
        g_main_context_iteration(NULL, FALSE);
    }
    ck_assert_int_eq(vl_guest_link_state(f.link), VL_AGENT_ABSENT);
}
END_TEST

/* Reports -------------------------------------------------------------------------------------- */

START_TEST(test_reports_merge)
{
    handshake();
    guest_send("{\"type\":\"report\",\"seq\":1,\"full\":true,\"sections\":{" OS_SECTION
               "," HOST_SECTION "}}");
    wait_for(reports_at_least, GUINT_TO_POINTER(1), "the full report");
    ck_assert(f.last_full);
    ck_assert_uint_eq(f.last_mask, 0x3); /* os, host */
    ck_assert_str_eq(section_string("os", "id"), "debian");
    ck_assert_str_eq(section_string("host", "hostname"), "web1");
    ck_assert_int_gt(vl_guest_cache_updated(f.cache, 0), 0);

    /* A partial report replaces only what it carries. */
    guest_send("{\"type\":\"report\",\"seq\":2,\"full\":false,\"sections\":{" NET_SECTION
               ",\"host\":{\"hostname\":\"web2\"}}}");
    wait_for(reports_at_least, GUINT_TO_POINTER(2), "the partial report");
    ck_assert(!f.last_full);
    ck_assert_str_eq(section_string("os", "id"), "debian");
    ck_assert_str_eq(section_string("host", "hostname"), "web2");
    ck_assert_ptr_nonnull(
        vl_guest_cache_section(f.cache, (guint)vl_guest_cache_section_index("network")));

    /* A full report is the whole truth: sections it lacks are gone. */
    guest_send("{\"type\":\"report\",\"seq\":3,\"full\":true,\"sections\":{" MEM_SECTION "}}");
    wait_for(reports_at_least, GUINT_TO_POINTER(3), "the second full report");
    ck_assert_ptr_null(vl_guest_cache_section(f.cache, 0));
    ck_assert_ptr_null(section_string("host", "hostname"));
    ck_assert_ptr_nonnull(
        vl_guest_cache_section(f.cache, (guint)vl_guest_cache_section_index("memory")));
}
END_TEST

static gboolean
heartbeat_merged(gpointer data)
{
    int i = vl_guest_cache_section_index("memory");

    return vl_json_get_int(vl_json_object_get(vl_guest_cache_section(f.cache, (guint)i),
                                              "available_kib")) == 321;
}

START_TEST(test_heartbeat_merges_memory)
{
    int i = vl_guest_cache_section_index("memory");
    const VlJson *memory;

    handshake();
    guest_send("{\"type\":\"report\",\"seq\":1,\"full\":true,\"sections\":{" MEM_SECTION "}}");
    wait_for(reports_at_least, GUINT_TO_POINTER(1), "the report");
    guest_send("{\"type\":\"heartbeat\",\"seq\":2,\"uptime_s\":5,"
               "\"memory\":{\"total_kib\":1000,\"available_kib\":321}}");
    wait_for(heartbeat_merged, NULL, "the heartbeat");
    memory = vl_guest_cache_section(f.cache, (guint)i);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(memory, "free_kib")), 100); /* kept */
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(memory, "total_kib")), 1000);
    ck_assert(vl_report_validate_section("memory", memory, NULL));
}
END_TEST

static gboolean
invalid_at_least(gpointer data)
{
    return info().counters.invalid >= GPOINTER_TO_UINT(data);
}

START_TEST(test_bad_frames_counted_not_cached)
{
    handshake();
    guest_send("this is not json");
    guest_send("{\"type\":\"no_such_message\"}");
    guest_send("{\"type\":\"report\",\"seq\":1,\"full\":true,\"sections\":{\"os\":{\"id\":7}}}");
    guest_send("[1,2,3]");
    guest_send("{\"type\":\"command\",\"id\":\"x\",\"name\":\"ping\",\"args\":{}}"); /* host's */
    wait_for(invalid_at_least, GUINT_TO_POINTER(5), "five refusals");
    ck_assert_uint_eq(f.reports, 0);
    ck_assert_ptr_null(vl_guest_cache_section(f.cache, 0));

    /* The link goes on. */
    guest_send("{\"type\":\"report\",\"seq\":2,\"full\":false,\"sections\":{" OS_SECTION "}}");
    wait_for(reports_at_least, GUINT_TO_POINTER(1), "a good report after bad ones");
    ck_assert_str_eq(section_string("os", "id"), "debian");
    ck_assert_uint_eq(info().counters.invalid, 5);
}
END_TEST

START_TEST(test_oversized_frame_dropped)
{
    g_autofree char *big = NULL;
    GString *line = g_string_new("{\"type\":\"report\",\"seq\":1,\"full\":false,\"sections\":{"
                                 "\"os\":{\"id\":\"");

    handshake();
    for (guint i = 0; i < 3000; i++) {
        g_string_append(line, "xxx");
    }
    g_string_append(line, "\",\"name\":\"n\",\"arch\":\"a\"}}}");
    big = g_string_free(line, FALSE);
    guest_send(big);
    guest_send("{\"type\":\"report\",\"seq\":2,\"full\":false,\"sections\":{" HOST_SECTION "}}");
    wait_for(reports_at_least, GUINT_TO_POINTER(1), "the report after the big one");
    ck_assert_uint_eq(f.last_mask, 0x2);
    ck_assert_ptr_null(vl_guest_cache_section(f.cache, 0));
    ck_assert_uint_ge(info().counters.dropped_bytes, 4096);
    ck_assert_uint_eq(info().counters.invalid, 1);
}
END_TEST

START_TEST(test_half_frames)
{
    const char *report =
        "{\"type\":\"report\",\"seq\":1,\"full\":false,\"sections\":{" HOST_SECTION "}}\n";

    handshake();
    /* One byte at a time, with the loop running between them. */
    for (const char *p = report; *p; p++) {
        ck_assert_int_eq(write(f.guest, p, 1), 1);
        g_main_context_iteration(NULL, FALSE);
    }
    wait_for(reports_at_least, GUINT_TO_POINTER(1), "the report sent byte by byte");
    ck_assert_str_eq(section_string("host", "hostname"), "web1");
}
END_TEST

START_TEST(test_events_passed_on)
{
    handshake();
    guest_send("{\"type\":\"event\",\"seq\":4,\"time\":1763769700,\"event\":\"session_lock\","
               "\"data\":{\"user\":\"alice\",\"session\":\"3\"}}");
    guest_send("{\"type\":\"event\",\"seq\":5,\"time\":1763769700,\"event\":\"session_lock\","
               "\"data\":{\"user\":7}}"); /* user not a string: refused */
    wait_for(invalid_at_least, GUINT_TO_POINTER(1), "the bad event");
    ck_assert_uint_eq(f.events, 1);
}
END_TEST

/* An agent that says it stops is absent at once; its next hello makes it responsive again. */
START_TEST(test_agent_stopping_is_absent)
{
    handshake();
    guest_send("{\"type\":\"event\",\"seq\":6,\"time\":1763769700,\"event\":\"agent_stopping\","
               "\"data\":{}}");
    wait_for(is_state, GINT_TO_POINTER(VL_AGENT_ABSENT), "absent after agent_stopping");
    ck_assert_uint_eq(f.events, 1); /* passed on too */
    guest_send("{\"type\":\"hello\",\"versions\":[1],\"agent\":{\"name\":\"scripted\","
               "\"version\":\"9.9\"}}");
    handshake();
}
END_TEST

/* Rate limit ----------------------------------------------------------------------------------- */

static gboolean
frames_at_least(gpointer data)
{
    return info().counters.frames >= GPOINTER_TO_UINT(data);
}

START_TEST(test_rate_limit_slows_not_drops)
{
    VlGuestLinkLimits limits = default_limits;
    GString *burst = g_string_new(NULL);

    teardown();
    memset(&f, 0, sizeof(f));
    limits.rate_messages = 200;
    limits.rate_burst = 5;
    start_with(&limits);
    handshake();
    /* 60 reports in one write: more than the burst, so reading pauses and resumes. */
    for (guint i = 0; i < 60; i++) {
        g_string_append_printf(burst,
                               "{\"type\":\"report\",\"seq\":%u,\"full\":false,\"sections\":{"
                               "\"host\":{\"hostname\":\"h%u\"}}}\n",
                               i + 1, i);
    }
    ck_assert_int_eq(write(f.guest, burst->str, burst->len), (ssize_t)burst->len);
    g_string_free(burst, TRUE);
    wait_for(frames_at_least, GUINT_TO_POINTER(61), "every report (hello + 60)");
    ck_assert_uint_eq(f.reports, 60);
    ck_assert_uint_gt(info().counters.rate_limited, 0);
    ck_assert_uint_eq(info().counters.invalid, 0);
    ck_assert_str_eq(section_string("host", "hostname"), "h59"); /* in order, the last wins */
}
END_TEST

START_TEST(test_hangup_while_paused_does_not_spin)
{
    VlGuestLinkLimits limits = default_limits;
    guint iterations = 0;

    teardown();
    memset(&f, 0, sizeof(f));
    limits.rate_messages = 20;
    limits.rate_burst = 1;
    start_with(&limits);
    handshake();
    for (guint i = 0; i < 5; i++) {
        guest_send("{\"type\":\"heartbeat\",\"seq\":2,\"memory\":{\"total_kib\":1}}");
    }
    close(f.guest); /* hung up while the link is paused by its rate */
    f.guest = -1;
    /* Each blocking iteration is a wakeup: a handful per paused frame, not a busy loop on the
     * hang-up the kernel keeps reporting. */
    while (vl_guest_link_state(f.link) != VL_AGENT_ABSENT) {
        ck_assert_uint_lt(++iterations, 200);
        g_main_context_iteration(NULL, TRUE);
    }
    ck_assert_uint_eq(info().counters.frames, 6); /* hello and the five, none lost */
}
END_TEST

/* Commands ------------------------------------------------------------------------------------- */

typedef struct {
    gboolean done;
    VlJson *result;
    GError *error;
} Reply;

static void
on_reply(const VlJson *result, const GError *error, gpointer user_data)
{
    Reply *r = user_data;

    ck_assert(!r->done);
    r->done = TRUE;
    r->result = result ? vl_json_ref((VlJson *)result) : NULL;
    r->error = error ? g_error_copy(error) : NULL;
}

static gboolean
reply_done(gpointer data)
{
    return ((Reply *)data)->done;
}

static void
reply_clear(Reply *r)
{
    g_clear_pointer(&r->result, vl_json_unref);
    g_clear_error(&r->error);
    r->done = FALSE;
}

/* Reads the command the link sent; returns its id. */
static char *
guest_command(const char *want_name)
{
    g_autoptr(VlJson) command = guest_recv();
    g_autoptr(GError) error = NULL;

    ck_assert_msg(vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_HOST, command, NULL, &error),
                  "%s", error ? error->message : "");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(command, "type")), "command");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(command, "name")), want_name);
    return g_strdup(vl_json_get_string(vl_json_object_get(command, "id")));
}

START_TEST(test_command_replies)
{
    Reply r = {0};
    g_autofree char *id1 = NULL;
    g_autofree char *id2 = NULL;
    g_autofree char *id3 = NULL;
    g_autofree char *line = NULL;

    handshake();
    vl_guest_link_command(f.link, "ping", NULL, 30, on_reply, &r);
    id1 = guest_command("ping");
    guest_send("{\"type\":\"reply\",\"id\":\"nobody\",\"result\":{}}"); /* no such command */
    line = g_strdup_printf("{\"type\":\"reply\",\"id\":\"%s\",\"result\":{\"time\":42}}", id1);
    guest_send(line);
    wait_for(reply_done, &r, "the ping reply");
    ck_assert_ptr_null(r.error);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(r.result, "time")), 42);
    ck_assert_uint_eq(info().counters.invalid, 1);
    reply_clear(&r);

    vl_guest_link_command(f.link, "log_off", NULL, 30, on_reply, &r);
    id2 = guest_command("log_off");
    g_free(line);
    line = g_strdup_printf("{\"type\":\"error\",\"id\":\"%s\",\"code\":\"disabled\","
                           "\"message\":\"command log_off is disabled by configuration\"}",
                           id2);
    guest_send(line);
    wait_for(reply_done, &r, "the error");
    ck_assert_ptr_nonnull(r.error);
    ck_assert(g_error_matches(r.error, VL_CALL_ERROR, VL_RPC_DISABLED));
    ck_assert_ptr_nonnull(strstr(r.error->message, "disabled by configuration"));
    reply_clear(&r);

    /* A result that breaks the catalogue is the agent's failure, not a result. */
    vl_guest_link_command(f.link, "ping", NULL, 30, on_reply, &r);
    id3 = guest_command("ping");
    g_free(line);
    line =
        g_strdup_printf("{\"type\":\"reply\",\"id\":\"%s\",\"result\":{\"time\":\"noon\"}}", id3);
    guest_send(line);
    wait_for(reply_done, &r, "the bad reply");
    ck_assert(g_error_matches(r.error, VL_CALL_ERROR, VL_RPC_FAILED));
    reply_clear(&r);
}
END_TEST

START_TEST(test_command_without_agent)
{
    Reply r = {0};

    vl_guest_link_command(f.link, "ping", NULL, 30, on_reply, &r);
    ck_assert(r.done); /* at once */
    ck_assert(g_error_matches(r.error, VL_CALL_ERROR, VL_RPC_AGENT_UNAVAILABLE));
    reply_clear(&r);
}
END_TEST

START_TEST(test_command_timeout)
{
    Reply r = {0};
    g_autofree char *id = NULL;

    handshake();
    vl_guest_link_command(f.link, "ping", NULL, 1, on_reply, &r);
    id = guest_command("ping");
    wait_for(reply_done, &r, "the timeout");
    ck_assert(g_error_matches(r.error, VL_CALL_ERROR, VL_RPC_TIMEOUT));
    reply_clear(&r);
}
END_TEST

START_TEST(test_disconnect_fails_pending)
{
    Reply r = {0};
    g_autofree char *id = NULL;

    handshake();
    vl_guest_link_command(f.link, "lock_screen", NULL, 30, on_reply, &r);
    id = guest_command("lock_screen");
    close(f.guest);
    f.guest = -1;
    wait_for(reply_done, &r, "the failure");
    ck_assert(g_error_matches(r.error, VL_CALL_ERROR, VL_RPC_AGENT_UNAVAILABLE));
    ck_assert_int_eq(vl_guest_link_state(f.link), VL_AGENT_ABSENT);
    reply_clear(&r);
}
END_TEST

START_TEST(test_unresponsive_after_three_heartbeats)
{
    VlGuestLinkLimits limits = default_limits;

    teardown();
    memset(&f, 0, sizeof(f));
    limits.heartbeat_s = 1;
    start_with(&limits);
    handshake();
    wait_for(is_state, GINT_TO_POINTER(VL_AGENT_CONNECTED), "unresponsive after 3 s of silence");
    guest_send("{\"type\":\"heartbeat\",\"seq\":2,\"memory\":{\"total_kib\":1}}");
    wait_for(is_responsive, NULL, "responsive again after a heartbeat");
}
END_TEST

/* Reconnection over a path --------------------------------------------------------------------- */

static int
accept_one(int listener)
{
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

        if (fd >= 0) {
            return fd;
        }
        ck_assert_int_eq(errno, EAGAIN);
        ck_assert_msg(g_get_monotonic_time() < end, "the link never connected");
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
}

START_TEST(test_reconnects_to_path)
{
    g_autofree char *dir = g_dir_make_tmp("vl-link-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "agent.sock", NULL);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    strcpy(addr.sun_path, path);
    ck_assert_int_eq(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(listener, 4), 0);
    guint64 base = info().counters.connects; /* the socketpair of setup() */

    close(f.guest);
    f.guest = -1;
    vl_guest_link_start(f.link, path);
    ck_assert_str_eq(vl_guest_link_path(f.link), path);

    for (guint round = 1; round <= 3; round++) {
        g_string_truncate(f.input, 0);
        f.guest = accept_one(listener);
        handshake();
        ck_assert_uint_eq(info().counters.connects, base + round);
        close(f.guest); /* the host side of QEMU goes away; the link comes back */
        f.guest = -1;
        wait_for(is_state, GINT_TO_POINTER(VL_AGENT_ABSENT), "the disconnection");
    }
    vl_guest_link_stop(f.link);
    close(listener);
    unlink(path);
    rmdir(dir);
}
END_TEST

static Suite *
link_suite(void)
{
    Suite *s = suite_create("guest-link");
    TCase *tc = tcase_create("handshake");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_handshake);
    tcase_add_test(tc, test_guest_greets_first);
    tcase_add_test(tc, test_agent_restart);
    tcase_add_test(tc, test_version_mismatch);
    suite_add_tcase(s, tc);

    tc = tcase_create("messages");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reports_merge);
    tcase_add_test(tc, test_heartbeat_merges_memory);
    tcase_add_test(tc, test_bad_frames_counted_not_cached);
    tcase_add_test(tc, test_oversized_frame_dropped);
    tcase_add_test(tc, test_half_frames);
    tcase_add_test(tc, test_events_passed_on);
    tcase_add_test(tc, test_agent_stopping_is_absent);
    tcase_add_test(tc, test_rate_limit_slows_not_drops);
    tcase_add_test(tc, test_hangup_while_paused_does_not_spin);
    suite_add_tcase(s, tc);

    tc = tcase_create("commands");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_command_replies);
    tcase_add_test(tc, test_command_without_agent);
    tcase_add_test(tc, test_command_timeout);
    tcase_add_test(tc, test_disconnect_fails_pending);
    tcase_add_test(tc, test_unresponsive_after_three_heartbeats);
    tcase_add_test(tc, test_reconnects_to_path);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(link_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
