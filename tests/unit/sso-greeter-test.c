/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The greeter's bus name and signal on a real dbus-daemon: a system bus configured like
 * Debian's (default context of /usr/share/dbus-1/system.conf) that includes the real
 * packaging/dbus/org.vmlink.Agent.conf. Subscribers run as root in this process and as uid 65534
 * in forked children, which drop their privileges before they connect. Needs root to own the
 * name and to change user: skipped otherwise.
 *
 * Nothing here waits for a signal not to come: after what is tested, the same connection sends
 * a sentinel signal that everyone may receive, and the bus keeps the order of one connection's
 * messages, so a subscriber holding the sentinel would hold the token before it.
 *
 * The children are forked before this process makes any D-Bus connection: a child of a process
 * whose GDBus worker thread runs would inherit GDBus's state without the thread. (So the tests
 * need libcheck's fork mode, its default.)
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vl-sso-greeter.h"
#include "vl-sso.h"

#define WAIT_MS 5000 /* every wait's bound; reaching it fails the test */
#define NOBODY 65534
#define TOKEN "Tq3kX9_zR-8mYw2LpV6cN1bHs4JdF0gUeO7aWiK5xQy"
#define SENTINEL_PATH "/org/vmlink/Test"
#define SENTINEL_INTERFACE "org.vmlink.Test"
#define SENTINEL_SIGNAL "Sentinel"
#define DBUS_REQUEST_NAME_DO_NOT_QUEUE 4
#define DBUS_REQUEST_NAME_PRIMARY_OWNER 1

/* The bus of the test: Debian's system.conf reduced to its default context, with %s for the
 * listening address, rules before the policy, the policy's include and the site's include. */
#define BUS_CONFIG                                                                                 \
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"         \
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"                          \
    "<busconfig>\n"                                                                                \
    "  <type>system</type>\n"                                                                      \
    "  <auth>EXTERNAL</auth>\n"                                                                    \
    "  <listen>%s</listen>\n"                                                                      \
    "  <policy context=\"default\">\n"                                                             \
    "    <allow user=\"*\"/>\n"                                                                    \
    "    <deny own=\"*\"/>\n"                                                                      \
    "    <deny send_type=\"method_call\"/>\n"                                                      \
    "    <allow send_type=\"signal\"/>\n"                                                          \
    "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"                     \
    "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"                             \
    "    <allow receive_type=\"method_call\"/>\n"                                                  \
    "    <allow receive_type=\"method_return\"/>\n"                                                \
    "    <allow receive_type=\"error\"/>\n"                                                        \
    "    <allow receive_type=\"signal\"/>\n"                                                       \
    "    <allow send_destination=\"org.freedesktop.DBus\"\n"                                       \
    "           send_interface=\"org.freedesktop.DBus\"/>\n"                                       \
    "    <allow send_destination=\"org.freedesktop.DBus\"\n"                                       \
    "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"                        \
    "    <allow send_destination=\"org.freedesktop.DBus\"\n"                                       \
    "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"                            \
    "    <deny send_destination=\"org.freedesktop.DBus\" "                                         \
    "send_interface=\"org.freedesktop.DBus\"\n"                                                    \
    "          send_member=\"UpdateActivationEnvironment\"/>\n"                                    \
    "  </policy>\n"                                                                                \
    "%s%s%s"                                                                                       \
    "</busconfig>\n"

typedef struct {
    char *dir;
    char *config;
    char *socket;
    char *site;
    char *address;
    GPid pid;
} Bus;

/* Reads FD into BUF until BUF holds MARKER, or to the end of the stream when MARKER is NULL.
 * FALSE when WAIT_MS pass first, or the stream ends before MARKER. */
static gboolean
read_until(int fd, GString *buf, const char *marker)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;

    while (marker == NULL || strstr(buf->str, marker) == NULL) {
        gint64 left_ms = (deadline - g_get_monotonic_time()) / G_TIME_SPAN_MILLISECOND;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char chunk[256];
        ssize_t n;
        int r;

        if (left_ms <= 0) {
            return FALSE;
        }
        r = poll(&p, 1, (int)left_ms);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return FALSE;
        }
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return marker == NULL;
        }
        g_string_append_len(buf, chunk, n);
    }
    return TRUE;
}

static void
on_daemon_setup(gpointer user_data)
{
    /* A failed check ends the test without its cleanup: the daemon goes with it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts a dbus-daemon: BEFORE (rules, or NULL) ahead of the policy, which is included when
 * WITH_POLICY, then a site's own policy file holding SITE (or none when NULL), as in
 * /etc/dbus-1/system.d/. */
static void
bus_start(Bus *b, const char *before, gboolean with_policy, const char *site)
{
    const char *daemon = g_getenv("VL_DBUS_DAEMON");
    const char *policy = g_getenv("VL_DBUS_POLICY");
    g_autoptr(GError) error = NULL;
    g_autofree char *config_arg = NULL;
    g_autofree char *listen = NULL;
    g_autofree char *policy_include = NULL;
    g_autofree char *site_include = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    int out_fd;

    ck_assert_msg(daemon != NULL && policy != NULL, "VL_DBUS_DAEMON and VL_DBUS_POLICY unset");
    b->dir = g_dir_make_tmp("vl-sso-greeter-XXXXXX", &error);
    ck_assert_msg(b->dir != NULL, "%s", error ? error->message : "");
    /* The unprivileged children must reach the socket (which dbus-daemon makes 0777). */
    ck_assert_int_eq(chmod(b->dir, 0755), 0);
    b->config = g_build_filename(b->dir, "system.conf", NULL);
    b->socket = g_build_filename(b->dir, "system_bus_socket", NULL);
    b->site = g_build_filename(b->dir, "site.conf", NULL);
    if (site != NULL) {
        ck_assert(g_file_set_contents(b->site, site, -1, NULL));
    }

    listen = g_markup_printf_escaped("unix:path=%s", b->socket);
    policy_include =
        with_policy ? g_markup_printf_escaped("  <include>%s</include>\n", policy) : g_strdup("");
    site_include =
        site ? g_markup_printf_escaped("  <include>%s</include>\n", b->site) : g_strdup("");
    text = g_strdup_printf(BUS_CONFIG, listen, before ? before : "", policy_include, site_include);
    ck_assert(g_file_set_contents(b->config, text, -1, NULL));

    config_arg = g_strdup_printf("--config-file=%s", b->config);
    {
        const char *argv[] = {daemon,        config_arg,        "--nofork",
                              "--nopidfile", "--print-address", NULL};

        ck_assert_msg(g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                               on_daemon_setup, NULL, &b->pid, NULL, &out_fd, NULL,
                                               &error),
                      "cannot start %s: %s", daemon, error ? error->message : "");
    }
    ck_assert_msg(read_until(out_fd, out, "\n"), "dbus-daemon printed no address within %d ms",
                  WAIT_MS);
    close(out_fd);
    b->address = g_strdup(g_strstrip(out->str));
}

static void
bus_stop(Bus *b)
{
    kill(b->pid, SIGTERM);
    waitpid(b->pid, NULL, 0);
    g_spawn_close_pid(b->pid);
    g_unlink(b->socket);
    g_unlink(b->config);
    g_unlink(b->site);
    g_rmdir(b->dir);
    g_free(b->address);
    g_free(b->socket);
    g_free(b->site);
    g_free(b->config);
    g_free(b->dir);
}

static GDBusConnection *
try_connect(const char *address, GError **error)
{
    return g_dbus_connection_new_for_address_sync(
        address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, error);
}

static GDBusConnection *
bus_connect(const Bus *b)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *c = try_connect(b->address, &error);

    ck_assert_msg(c != NULL, "cannot connect to %s: %s", b->address, error ? error->message : "");
    return c;
}

static GVariant *
call_bus(GDBusConnection *c, const char *method, GVariant *args, const char *reply_type,
         GError **error)
{
    return g_dbus_connection_call_sync(
        c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method, args,
        G_VARIANT_TYPE(reply_type), G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, error);
}

/* The bus handles one connection's messages in order: once it answers, the match rules sent
 * before are in place. */
static gboolean
sync_with_bus(GDBusConnection *c, GError **error)
{
    g_autoptr(GVariant) reply = call_bus(c, "GetId", NULL, "(s)", error);

    return reply != NULL;
}

static gboolean
on_wait_expired(gpointer user_data)
{
    gboolean *expired = user_data;

    *expired = TRUE;
    return G_SOURCE_REMOVE;
}

/* Iterates the default main context until *FLAG, at most WAIT_MS; returns *FLAG. */
static gboolean
iterate_until(const gboolean *flag)
{
    g_autoptr(GSource) timer = g_timeout_source_new(WAIT_MS);
    gboolean expired = FALSE;

    g_source_set_callback(timer, on_wait_expired, &expired, NULL);
    g_source_attach(timer, NULL);
    while (!*flag && !expired) {
        g_main_context_iteration(NULL, TRUE);
    }
    g_source_destroy(timer);
    return *flag;
}

/* What one connection receives: each TokenReady and whether the sentinel came. */
typedef struct {
    GDBusConnection *conn;
    GPtrArray *tokens;  /* of char * */
    GPtrArray *senders; /* of char *, the unique name that sent each token */
    gboolean sentinel;
    guint token_id;
    guint sentinel_id;
} Subscriber;

static void
on_token(GDBusConnection *conn, const char *sender, const char *path, const char *interface,
         const char *signal, GVariant *parameters, gpointer user_data)
{
    Subscriber *s = user_data;
    const char *token = "(not one string)";

    if (g_variant_is_of_type(parameters, G_VARIANT_TYPE("(s)"))) {
        g_variant_get(parameters, "(&s)", &token);
    }
    g_ptr_array_add(s->tokens, g_strdup(token));
    g_ptr_array_add(s->senders, g_strdup(sender));
}

static void
on_sentinel(GDBusConnection *conn, const char *sender, const char *path, const char *interface,
            const char *signal, GVariant *parameters, gpointer user_data)
{
    Subscriber *s = user_data;

    s->sentinel = TRUE;
}

/* Subscribes on CONN to TokenReady from SENDER (NULL: from anyone, to see everything the bus
 * delivers) and to the sentinel from anyone. */
static gboolean
subscriber_init(Subscriber *s, GDBusConnection *conn, const char *sender, GError **error)
{
    s->conn = g_object_ref(conn);
    s->tokens = g_ptr_array_new_with_free_func(g_free);
    s->senders = g_ptr_array_new_with_free_func(g_free);
    s->sentinel = FALSE;
    s->token_id = g_dbus_connection_signal_subscribe(
        conn, sender, VL_SSO_GREETER_INTERFACE, VL_SSO_GREETER_SIGNAL, VL_SSO_GREETER_OBJECT_PATH,
        NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_token, s, NULL);
    s->sentinel_id = g_dbus_connection_signal_subscribe(
        conn, NULL, SENTINEL_INTERFACE, SENTINEL_SIGNAL, SENTINEL_PATH, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_sentinel, s, NULL);
    return sync_with_bus(conn, error);
}

static void
subscriber_clear(Subscriber *s)
{
    g_dbus_connection_signal_unsubscribe(s->conn, s->token_id);
    g_dbus_connection_signal_unsubscribe(s->conn, s->sentinel_id);
    g_ptr_array_unref(s->tokens);
    g_ptr_array_unref(s->senders);
    g_object_unref(s->conn);
}

static void
emit_sentinel(GDBusConnection *conn)
{
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_dbus_connection_emit_signal(conn, NULL, SENTINEL_PATH, SENTINEL_INTERFACE,
                                                SENTINEL_SIGNAL, NULL, &error),
                  "%s", error ? error->message : "");
}

static void
wait_for_sentinel(Subscriber *s)
{
    ck_assert_msg(iterate_until(&s->sentinel), "no sentinel signal within %d ms", WAIT_MS);
}

/* The greeter on its own connection, asserted to have decided within WAIT_MS. */
static VlSsoGreeter *
greeter_start(GDBusConnection *conn)
{
    VlSsoGreeter *g = vl_sso_greeter_new(conn);

    ck_assert_msg(vl_sso_greeter_wait(g, WAIT_MS), "the bus did not answer within %d ms", WAIT_MS);
    return g;
}

/* A forked child running as NOBODY; what it found comes as lines through REPORT. */
typedef struct {
    pid_t pid;
    int report;
} Child;

typedef void (*ChildBody)(const char *address, int report);

static void report(int fd, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
report(int fd, const char *format, ...)
{
    g_autofree char *line = NULL;
    va_list args;
    gsize done = 0;
    gsize len;

    va_start(args, format);
    line = g_strdup_vprintf(format, args);
    va_end(args);
    len = strlen(line);
    while (done < len) {
        ssize_t n = write(fd, line + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        done += (gsize)n;
    }
}

static void
child_start(Child *c, const Bus *b, ChildBody body)
{
    int fds[2];

    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    c->pid = fork();
    ck_assert_int_ge(c->pid, 0);
    if (c->pid == 0) {
        close(fds[0]);
        /* Groups first, then the group, then the user: each step needs the privilege the next
         * one drops. A failure is reported, never ignored, or the test would prove nothing. */
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0 ||
            getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY ||
            getegid() != NOBODY || setuid(0) == 0) {
            report(fds[1], "error: cannot drop to uid %d: %s\n", NOBODY, g_strerror(errno));
            _exit(1);
        }
        body(b->address, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    c->report = fds[0];
}

/* Reads the child's report to its end and reaps it. */
static char *
child_finish(Child *c, GString *out)
{
    int status = 0;
    gboolean ended = read_until(c->report, out, NULL);

    if (!ended) {
        kill(c->pid, SIGKILL);
    }
    waitpid(c->pid, &status, 0);
    close(c->report);
    ck_assert_msg(ended, "the child did not finish within %d ms; it said: %s", WAIT_MS, out->str);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed: %s", out->str);
    return out->str;
}

/* As NOBODY: subscribes to TokenReady from anyone, says "ready", then reports each token and the
 * sentinel. */
static void
child_receive(const char *address, int fd)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = try_connect(address, &error);
    Subscriber s;

    if (conn == NULL || !subscriber_init(&s, conn, NULL, &error)) {
        report(fd, "error: %s\n", error->message);
        _exit(1);
    }
    report(fd, "ready\n");
    iterate_until(&s.sentinel);
    for (guint i = 0; i < s.tokens->len; i++) {
        report(fd, "token %s\n", (const char *)g_ptr_array_index(s.tokens, i));
    }
    report(fd, s.sentinel ? "sentinel\n" : "no sentinel\n");
    subscriber_clear(&s);
}

/* As NOBODY: asks for the agent's name and reports the bus's answer. */
static void
child_request_name(const char *address, int fd)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = try_connect(address, &error);
    g_autoptr(GVariant) reply = NULL;
    g_autofree char *remote = NULL;
    guint32 code;

    if (conn == NULL) {
        report(fd, "error: %s\n", error->message);
        _exit(1);
    }
    reply = call_bus(conn, "RequestName",
                     g_variant_new("(su)", VL_SSO_GREETER_BUS_NAME, DBUS_REQUEST_NAME_DO_NOT_QUEUE),
                     "(u)", &error);
    if (reply == NULL) {
        remote = g_dbus_error_get_remote_error(error);
        report(fd, "refused %s\n", remote ? remote : error->message);
        return;
    }
    g_variant_get(reply, "(u)", &code);
    report(fd, "reply %u\n", code);
}

/* Makes OTHER own the agent's name before the greeter can. */
static void
own_name(GDBusConnection *other)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;
    guint32 code = 0;

    reply = call_bus(other, "RequestName",
                     g_variant_new("(su)", VL_SSO_GREETER_BUS_NAME, DBUS_REQUEST_NAME_DO_NOT_QUEUE),
                     "(u)", &error);
    ck_assert_msg(reply != NULL, "%s", error ? error->message : "");
    g_variant_get(reply, "(u)", &code);
    ck_assert_uint_eq(code, DBUS_REQUEST_NAME_PRIMARY_OWNER);
}

static char *
name_owner(GDBusConnection *c)
{
    g_autoptr(GVariant) reply =
        call_bus(c, "GetNameOwner", g_variant_new("(s)", VL_SSO_GREETER_BUS_NAME), "(s)", NULL);
    char *owner = NULL;

    if (reply != NULL) {
        g_variant_get(reply, "(s)", &owner);
    }
    return owner;
}

/* The agent's messages, caught to check what an admin is told. */
typedef struct {
    GPtrArray *messages;
} Log;

static void
on_log(const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
    Log *log = user_data;

    if (level & G_LOG_LEVEL_MESSAGE) {
        g_ptr_array_add(log->messages, g_strdup(message));
        return;
    }
    g_log_default_handler(domain, level, message, NULL);
}

/* (a) As root the greeter owns the name; a root subscriber, filtering on the name as a greeter
 * does, gets exactly the token, from the greeter's connection; a malformed token is refused; and
 * freeing the greeter gives the name back. */
START_TEST(test_root_receives_token)
{
    Bus b;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) agent_conn = NULL;
    g_autoptr(GDBusConnection) sub_conn = NULL;
    g_autoptr(VlSsoGreeter) g = NULL;
    g_autofree char *owner = NULL;
    Subscriber s;

    ck_assert_uint_eq(strlen(TOKEN), VL_SSO_TOKEN_LEN);
    bus_start(&b, NULL, TRUE, NULL);
    agent_conn = bus_connect(&b);
    g = greeter_start(agent_conn);
    ck_assert(vl_sso_greeter_available(g));

    sub_conn = bus_connect(&b);
    ck_assert_msg(subscriber_init(&s, sub_conn, VL_SSO_GREETER_BUS_NAME, &error), "%s",
                  error ? error->message : "");
    ck_assert_msg(vl_sso_greeter_announce(g, TOKEN, &error), "%s", error ? error->message : "");
    ck_assert(!vl_sso_greeter_announce(g, "not a token", &error));
    ck_assert(g_error_matches(error, VL_SSO_GREETER_ERROR, VL_SSO_GREETER_ERROR_INVALID));
    emit_sentinel(agent_conn);
    wait_for_sentinel(&s);
    ck_assert_uint_eq(s.tokens->len, 1);
    ck_assert_str_eq(g_ptr_array_index(s.tokens, 0), TOKEN);
    ck_assert_str_eq(g_ptr_array_index(s.senders, 0),
                     g_dbus_connection_get_unique_name(agent_conn));

    g_clear_pointer(&g, vl_sso_greeter_free);
    owner = name_owner(sub_conn);
    ck_assert_msg(owner == NULL, "%s still owned by %s after the greeter was freed",
                  VL_SSO_GREETER_BUS_NAME, owner);
    subscriber_clear(&s);
    g_clear_object(&sub_conn);
    g_clear_object(&agent_conn);
    bus_stop(&b);
}
END_TEST

/* (b) A subscriber of uid 65534, listening for TokenReady from anyone, gets the sentinel sent
 * after the token but not the token, while a root subscriber gets both. */
START_TEST(test_unprivileged_does_not_receive)
{
    Bus b;
    Child child;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GDBusConnection) agent_conn = NULL;
    g_autoptr(GDBusConnection) sub_conn = NULL;
    g_autoptr(VlSsoGreeter) g = NULL;
    const char *said;
    Subscriber s;

    bus_start(&b, NULL, TRUE, NULL);
    child_start(&child, &b, child_receive);
    ck_assert_msg(read_until(child.report, out, "ready\n"), "the child is not ready: %s", out->str);

    agent_conn = bus_connect(&b);
    g = greeter_start(agent_conn);
    ck_assert(vl_sso_greeter_available(g));
    sub_conn = bus_connect(&b);
    ck_assert_msg(subscriber_init(&s, sub_conn, NULL, &error), "%s", error ? error->message : "");
    ck_assert_msg(vl_sso_greeter_announce(g, TOKEN, &error), "%s", error ? error->message : "");
    emit_sentinel(agent_conn);

    wait_for_sentinel(&s);
    ck_assert_uint_eq(s.tokens->len, 1);
    ck_assert_str_eq(g_ptr_array_index(s.tokens, 0), TOKEN);
    said = child_finish(&child, out);
    ck_assert_msg(strstr(said, "\nsentinel\n") != NULL, "the child got no sentinel: %s", said);
    ck_assert_msg(strstr(said, "token") == NULL, "uid %d received the token: %s", NOBODY, said);

    subscriber_clear(&s);
    g_clear_pointer(&g, vl_sso_greeter_free);
    g_clear_object(&sub_conn);
    g_clear_object(&agent_conn);
    bus_stop(&b);
}
END_TEST

/* (c) The bus refuses org.vmlink.Agent to a connection of uid 65534, while the name is free: the
 * greeter as root gets it right after. */
START_TEST(test_unprivileged_cannot_own)
{
    Bus b;
    Child child;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GDBusConnection) agent_conn = NULL;
    g_autoptr(VlSsoGreeter) g = NULL;
    const char *said;

    bus_start(&b, NULL, TRUE, NULL);
    child_start(&child, &b, child_request_name);
    said = child_finish(&child, out);
    ck_assert_str_eq(said, "refused org.freedesktop.DBus.Error.AccessDenied\n");

    agent_conn = bus_connect(&b);
    g = greeter_start(agent_conn);
    ck_assert(vl_sso_greeter_available(g));
    g_clear_pointer(&g, vl_sso_greeter_free);
    g_clear_object(&agent_conn);
    bus_stop(&b);
}
END_TEST

/* (d) When another root connection owns the name first, the greeter is not available, announce
 * fails with NOT_OWNER naming the name, its connection sends no TokenReady at all, and it does
 * not wait in line for the name. */
START_TEST(test_announce_without_name)
{
    Bus b;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) squatter = NULL;
    g_autoptr(GDBusConnection) agent_conn = NULL;
    g_autoptr(GDBusConnection) sub_conn = NULL;
    g_autoptr(VlSsoGreeter) g = NULL;
    g_autoptr(GVariant) released = NULL;
    g_autofree char *owner = NULL;
    Subscriber s;

    bus_start(&b, NULL, TRUE, NULL);
    squatter = bus_connect(&b);
    own_name(squatter);
    agent_conn = bus_connect(&b);
    g = greeter_start(agent_conn);
    ck_assert(!vl_sso_greeter_available(g));

    sub_conn = bus_connect(&b);
    ck_assert_msg(subscriber_init(&s, sub_conn, NULL, &error), "%s", error ? error->message : "");
    ck_assert(!vl_sso_greeter_announce(g, TOKEN, &error));
    ck_assert(g_error_matches(error, VL_SSO_GREETER_ERROR, VL_SSO_GREETER_ERROR_NOT_OWNER));
    ck_assert_msg(strstr(error->message, VL_SSO_GREETER_BUS_NAME) != NULL, "%s", error->message);
    emit_sentinel(agent_conn);
    wait_for_sentinel(&s);
    ck_assert_uint_eq(s.tokens->len, 0);

    /* Not queued behind the owner either: when it lets go, the name is nobody's. */
    g_clear_error(&error);
    released = call_bus(squatter, "ReleaseName", g_variant_new("(s)", VL_SSO_GREETER_BUS_NAME),
                        "(u)", &error);
    ck_assert_msg(released != NULL, "%s", error ? error->message : "");
    owner = name_owner(sub_conn);
    ck_assert_msg(owner == NULL, "%s passed on to %s", VL_SSO_GREETER_BUS_NAME, owner);
    g_clear_pointer(&g, vl_sso_greeter_free);
    subscriber_clear(&s);
    g_clear_object(&sub_conn);
    g_clear_object(&agent_conn);
    g_clear_object(&squatter);
    bus_stop(&b);
}
END_TEST

/* (e) The site example, with the greeter's user set to 65534's, lets that user receive the
 * token: the same child as in (b) then gets it, so in (b) it was the policy that kept it out. */
START_TEST(test_site_allows_greeter_user)
{
    Bus b;
    Child child;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GDBusConnection) agent_conn = NULL;
    g_autoptr(VlSsoGreeter) g = NULL;
    g_autofree char *dir = g_path_get_dirname(g_getenv("VL_DBUS_POLICY"));
    g_autofree char *example_path = g_build_filename(dir, "vmlink-greeter.conf.example", NULL);
    g_autofree char *example = NULL;
    g_autofree char *quoted = NULL;
    g_autofree char *expected = NULL;
    g_autoptr(GString) site = NULL;
    struct passwd *pw = getpwuid(NOBODY);
    const char *said;

    ck_assert_msg(pw != NULL, "no user of uid %d", NOBODY);
    ck_assert_msg(g_file_get_contents(example_path, &example, NULL, &error), "%s",
                  error ? error->message : "");
    site = g_string_new(example);
    quoted = g_strdup_printf("\"%s\"", pw->pw_name);
    ck_assert_uint_eq(g_string_replace(site, "\"Debian-gdm\"", quoted, 0), 1);

    bus_start(&b, NULL, TRUE, site->str);
    child_start(&child, &b, child_receive);
    ck_assert_msg(read_until(child.report, out, "ready\n"), "the child is not ready: %s", out->str);

    agent_conn = bus_connect(&b);
    g = greeter_start(agent_conn);
    ck_assert(vl_sso_greeter_available(g));
    ck_assert_msg(vl_sso_greeter_announce(g, TOKEN, &error), "%s", error ? error->message : "");
    emit_sentinel(agent_conn);
    said = child_finish(&child, out);
    expected = g_strdup_printf("ready\ntoken %s\nsentinel\n", TOKEN);
    ck_assert_str_eq(said, expected);

    g_clear_pointer(&g, vl_sso_greeter_free);
    g_clear_object(&agent_conn);
    bus_stop(&b);
}
END_TEST

/* Peer.Ping to DESTINATION from C; NULL when it was answered, else the D-Bus error's name. */
static char *
ping(GDBusConnection *c, const char *destination)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        c, destination, "/", "org.freedesktop.DBus.Peer", "Ping", NULL, G_VARIANT_TYPE_UNIT,
        G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, &error);

    if (reply != NULL) {
        return NULL;
    }
    return g_dbus_error_is_remote_error(error) ? g_dbus_error_get_remote_error(error)
                                               : g_strdup(error->message);
}

/* (f) Nobody may call methods on the name, not even root on a bus whose earlier rule lets root
 * call anything (it does: another root connection answers), whether by the name or by the
 * connection's unique name; and the rule keeps out calls only: the agent's connection still
 * receives the signals others broadcast, as it must for logind's. */
START_TEST(test_no_method_calls)
{
    Bus b;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) agent_conn = NULL;
    g_autoptr(GDBusConnection) caller = NULL;
    g_autoptr(GDBusConnection) other = NULL;
    g_autoptr(VlSsoGreeter) g = NULL;
    g_autofree char *by_name = NULL;
    g_autofree char *by_unique = NULL;
    g_autofree char *to_other = NULL;
    Subscriber s;

    bus_start(&b, "  <policy user=\"root\">\n    <allow send_type=\"method_call\"/>\n  </policy>\n",
              TRUE, NULL);
    agent_conn = bus_connect(&b);
    g = greeter_start(agent_conn);
    ck_assert(vl_sso_greeter_available(g));
    caller = bus_connect(&b);
    other = bus_connect(&b);

    to_other = ping(caller, g_dbus_connection_get_unique_name(other));
    ck_assert_msg(to_other == NULL, "the permissive rule does not work: %s", to_other);
    by_name = ping(caller, VL_SSO_GREETER_BUS_NAME);
    ck_assert_str_eq(by_name, "org.freedesktop.DBus.Error.AccessDenied");
    by_unique = ping(caller, g_dbus_connection_get_unique_name(agent_conn));
    ck_assert_str_eq(by_unique, "org.freedesktop.DBus.Error.AccessDenied");

    ck_assert_msg(subscriber_init(&s, agent_conn, NULL, &error), "%s", error ? error->message : "");
    emit_sentinel(caller);
    wait_for_sentinel(&s);

    subscriber_clear(&s);
    g_clear_pointer(&g, vl_sso_greeter_free);
    g_clear_object(&other);
    g_clear_object(&caller);
    g_clear_object(&agent_conn);
    bus_stop(&b);
}
END_TEST

static void
assert_one_message(Log *log, const char *needle, const char *also)
{
    ck_assert_msg(log->messages->len == 1, "%u messages instead of one", log->messages->len);
    ck_assert_msg(strstr(g_ptr_array_index(log->messages, 0), needle) != NULL &&
                      (also == NULL || strstr(g_ptr_array_index(log->messages, 0), also) != NULL),
                  "the message does not name %s%s%s: %s", needle, also ? " and " : "",
                  also ? also : "", (const char *)g_ptr_array_index(log->messages, 0));
}

/* (g) Without the policy installed, or without a system bus, the greeter is made all the same,
 * is not available, says so in one message naming the name and the policy file, and announce
 * fails with NOT_OWNER. */
START_TEST(test_no_policy_no_bus)
{
    Bus b;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) agent_conn = NULL;
    g_autoptr(VlSsoGreeter) g = NULL;
    Log log = {g_ptr_array_new_with_free_func(g_free)};
    GLogFunc old_handler;

    bus_start(&b, NULL, FALSE, NULL);
    agent_conn = bus_connect(&b);
    old_handler = g_log_set_default_handler(on_log, &log);
    g = greeter_start(agent_conn);
    g_log_set_default_handler(old_handler, NULL);
    ck_assert(!vl_sso_greeter_available(g));
    assert_one_message(&log, VL_SSO_GREETER_BUS_NAME, "/dbus-1/system.d/org.vmlink.Agent.conf");
    ck_assert(!vl_sso_greeter_announce(g, TOKEN, &error));
    ck_assert(g_error_matches(error, VL_SSO_GREETER_ERROR, VL_SSO_GREETER_ERROR_NOT_OWNER));
    g_clear_pointer(&g, vl_sso_greeter_free);
    g_clear_object(&agent_conn);
    bus_stop(&b);

    g_ptr_array_set_size(log.messages, 0);
    g_clear_error(&error);
    old_handler = g_log_set_default_handler(on_log, &log);
    g = greeter_start(NULL);
    g_log_set_default_handler(old_handler, NULL);
    ck_assert(!vl_sso_greeter_available(g));
    assert_one_message(&log, "no system bus", NULL);
    ck_assert(!vl_sso_greeter_announce(g, TOKEN, &error));
    ck_assert(g_error_matches(error, VL_SSO_GREETER_ERROR, VL_SSO_GREETER_ERROR_NOT_OWNER));
    g_ptr_array_unref(log.messages);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sso-greeter");
    TCase *tc = tcase_create("greeter");
    SRunner *sr;
    int failed;

    if (getuid() != 0) {
        printf("skipped: owning %s and dropping to uid %d need root\n", VL_SSO_GREETER_BUS_NAME,
               NOBODY);
        return 77;
    }
    tcase_add_test(tc, test_root_receives_token);
    tcase_add_test(tc, test_unprivileged_does_not_receive);
    tcase_add_test(tc, test_unprivileged_cannot_own);
    tcase_add_test(tc, test_announce_without_name);
    tcase_add_test(tc, test_site_allows_greeter_user);
    tcase_add_test(tc, test_no_method_calls);
    tcase_add_test(tc, test_no_policy_no_bus);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
