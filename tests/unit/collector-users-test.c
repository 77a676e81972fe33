/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The users collector: against python3-dbusmock's logind template on a private bus started
 * here, and against utmp files, the one in fixtures/users/debian (made with utmpdump -r from
 * utmp.txt there) and others written here, garbage included.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <utmpx.h>

#include "collector-check.h"
#include "linux/users.h"
#include "linux/vl-collectors-linux.h"
#include "vl-logind-mock.h"

#define LOGIND_PATH "/org/freedesktop/login1"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"
#define SESSION_IFACE "org.freedesktop.login1.Session"

/* The debian fixture's sessions, as read from its utmp. */
#define DEBIAN_USERS                                                                               \
    "[{\"name\":\"alice\",\"tty\":\"pts/2\",\"remote_host\":\"2001:db8::7\","                      \
    "\"since\":1763770200},"                                                                       \
    "{\"name\":\"alice\",\"tty\":\"tty2\",\"since\":1763769600},"                                  \
    "{\"name\":\"bob\",\"tty\":\"pts/0\",\"remote_host\":\"198.51.100.7\",\"since\":1763769900}]"

static void
assert_users(const VlJson *users, const char *expected)
{
    g_autofree char *text = vl_json_to_string(users, NULL);

    ck_assert_str_eq(text, expected);
}

static VlJson *
collect_root(const char *root, GDBusConnection *bus)
{
    VlCollectContext ctx = {.root = root, .system_bus = bus};

    return collect_valid(&vl_collector_users, &ctx);
}

/* A private bus and a logind mock (tests/common/vl-logind-mock.c), started for each test in
 * check's child process, so that they go away whatever a test does. */

static VlLogindMock *logind;

static void
start_mock(gboolean with_logind)
{
    g_autoptr(GError) error = NULL;

    logind = vl_logind_mock_start(with_logind, &error);
    ck_assert_msg(logind != NULL, "private bus: %s", error ? error->message : "?");
}

static void
setup_logind(void)
{
    start_mock(TRUE);
}

static void
setup_bus_only(void)
{
    start_mock(FALSE);
}

static void
stop_mock(void)
{
    g_clear_pointer(&logind, vl_logind_mock_stop);
}

static GVariant *
call(GDBusConnection *bus, const char *path, const char *iface, const char *method, GVariant *args)
{
    g_autoptr(GError) error = NULL;
    GVariant *reply = vl_logind_mock_call(logind, path, iface, method, args, &error);

    ck_assert_msg(reply != NULL, "%s.%s: %s", iface, method, error ? error->message : "");
    return reply;
}

/* The test's connection to the private bus. */
static GDBusConnection *
connect_bus(gboolean with_logind)
{
    return g_object_ref(vl_logind_mock_bus(logind));
}

static char *
add_session(GDBusConnection *bus, const char *id, guint32 uid, const char *name, gboolean active)
{
    g_autoptr(GError) error = NULL;
    char *path = vl_logind_mock_add_session(logind, id, uid, name, active, FALSE, &error);

    ck_assert_msg(path != NULL, "AddSession: %s", error ? error->message : "");
    return path;
}

static void
set_property(GDBusConnection *bus, const char *path, const char *name, GVariant *value)
{
    g_variant_unref(call(bus, path, "org.freedesktop.DBus.Properties", "Set",
                         g_variant_new("(ssv)", SESSION_IFACE, name, value)));
}

/* logind --------------------------------------------------------------------------------- */

START_TEST(test_logind_sessions)
{
    g_autoptr(GDBusConnection) bus = connect_bus(TRUE);
    g_autofree char *root = fixture_path("users/debian");
    g_autofree char *alice = add_session(bus, "3", 1000, "alice", TRUE);
    g_autofree char *bob = add_session(bus, "12", 1001, "bob", FALSE);
    g_autofree char *alice2 = add_session(bus, "c2", 1000, "alice", FALSE);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(VlJson) users = NULL;

    set_property(bus, alice, "TTY", g_variant_new_string("tty1"));
    set_property(bus, alice, "Timestamp",
                 g_variant_new_uint64(G_GUINT64_CONSTANT(1763769600123456)));
    reply = call(bus, alice, SESSION_IFACE, "SetLockedHint", g_variant_new("(b)", TRUE));
    set_property(bus, bob, "Seat", g_variant_new("(so)", "", "/"));
    set_property(bus, bob, "TTY", g_variant_new_string("pts/0"));
    set_property(bus, bob, "RemoteHost", g_variant_new_string("198.51.100.7"));
    set_property(bus, bob, "Remote", g_variant_new_boolean(TRUE));
    set_property(bus, bob, "Timestamp", g_variant_new_uint64(G_GUINT64_CONSTANT(1763769900000000)));
    set_property(bus, alice2, "Timestamp", g_variant_new_uint64(0));

    /* logind, not utmp, though the root has a utmp with other sessions. */
    users = collect_root(root, bus);
    assert_users(users,
                 "[{\"name\":\"alice\",\"session\":\"3\",\"seat\":\"seat0\",\"tty\":\"tty1\","
                 "\"since\":1763769600,\"locked\":true},"
                 "{\"name\":\"alice\",\"session\":\"c2\",\"seat\":\"seat0\",\"locked\":false},"
                 "{\"name\":\"bob\",\"session\":\"12\",\"tty\":\"pts/0\","
                 "\"remote_host\":\"198.51.100.7\",\"since\":1763769900,\"locked\":false}]");
}
END_TEST

START_TEST(test_logind_no_sessions)
{
    g_autoptr(GDBusConnection) bus = connect_bus(TRUE);
    g_autofree char *root = fixture_path("users/debian");
    g_autoptr(VlJson) users = collect_root(root, bus);

    assert_users(users, "[]");
}
END_TEST

START_TEST(test_logind_people_only)
{
    static const struct {
        const char *id;
        const char *klass;
        const char *state;
    } sessions[] = {
        {"1", "user", "active"},       {"2", "greeter", "online"}, {"3", "lock-screen", "online"},
        {"4", "background", "active"}, {"5", "manager", "active"}, {"6", "user", "closing"},
        {"7", "user-early", "online"},
    };
    g_autoptr(GDBusConnection) bus = connect_bus(TRUE);
    g_autoptr(VlJson) users = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(sessions); i++) {
        g_autofree char *path = add_session(bus, sessions[i].id, 1000 + i, "u", FALSE);

        set_property(bus, path, "Class", g_variant_new_string(sessions[i].klass));
        set_property(bus, path, "State", g_variant_new_string(sessions[i].state));
    }
    users = collect_root("/nonexistent", bus);
    assert_users(users, "[{\"name\":\"u\",\"session\":\"1\",\"seat\":\"seat0\",\"since\":0,"
                        "\"locked\":false},"
                        "{\"name\":\"u\",\"session\":\"7\",\"seat\":\"seat0\",\"since\":0,"
                        "\"locked\":false}]");
}
END_TEST

START_TEST(test_logind_odd_properties)
{
    g_autoptr(GDBusConnection) bus = connect_bus(TRUE);
    g_autofree char *a = add_session(bus, "1", 1000, "alice", FALSE);
    g_autofree char *b = add_session(bus, "2", 1001, "bob", FALSE);
    g_autofree char *c = add_session(bus, "3", 1002, "carol", FALSE);
    g_autofree char *long_name = g_strnfill(257, 'n');
    g_autofree char *long_tty = g_strnfill(65, 't');
    g_autoptr(VlJson) users = NULL;

    /* Wrong types are left out, not trusted. */
    set_property(bus, a, "Timestamp", g_variant_new_string("yesterday"));
    set_property(bus, a, "LockedHint", g_variant_new_string("no"));
    set_property(bus, a, "Seat", g_variant_new_string("seat0"));
    /* Longer than the catalogue allows: a name cannot be cut, so the session is left out; a
     * tty is only left out. An empty Id: the one ListSessions gave. */
    set_property(bus, b, "Name", g_variant_new_string(long_name));
    set_property(bus, c, "TTY", g_variant_new_string(long_tty));
    set_property(bus, c, "Id", g_variant_new_string(""));

    users = collect_root("/nonexistent", bus);
    assert_users(users, "[{\"name\":\"alice\",\"session\":\"1\"},"
                        "{\"name\":\"carol\",\"session\":\"3\",\"seat\":\"seat0\","
                        "\"since\":0,\"locked\":false}]");
}
END_TEST

START_TEST(test_logind_failure)
{
    g_autoptr(GDBusConnection) bus = connect_bus(TRUE);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) users = NULL;
    VlCollectContext ctx = {.root = "/nonexistent", .system_bus = bus};

    /* logind is there but refuses: an error, not a silent switch to utmp. */
    reply = call(bus, LOGIND_PATH, MOCK_IFACE, "AddMethod",
                 g_variant_new("(sssss)", "org.freedesktop.login1.Manager", "ListSessions", "",
                               "a(susso)",
                               "raise dbus.exceptions.DBusException('not you', "
                               "name='org.freedesktop.DBus.Error.AccessDenied')"));
    users = collect_section(&vl_collector_users, &ctx, &error);
    ck_assert_ptr_null(users);
    ck_assert(g_error_matches(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ));
    ck_assert_str_eq(error->message, "logind: not you");
}
END_TEST

START_TEST(test_bus_without_logind)
{
    g_autoptr(GDBusConnection) bus = connect_bus(FALSE);
    g_autofree char *root = fixture_path("users/debian");
    g_autoptr(VlJson) users = collect_root(root, bus);

    assert_users(users, DEBIAN_USERS);
}
END_TEST

/* utmp ----------------------------------------------------------------------------------- */

static struct utmpx
record(short type, const char *user, const char *line, const char *host, gint32 sec)
{
    struct utmpx u;

    memset(&u, 0, sizeof(u));
    u.ut_type = type;
    memcpy(u.ut_user, user, MIN(strlen(user), sizeof(u.ut_user)));
    memcpy(u.ut_line, line, MIN(strlen(line), sizeof(u.ut_line)));
    memcpy(u.ut_host, host, MIN(strlen(host), sizeof(u.ut_host)));
    u.ut_tv.tv_sec = sec;
    return u;
}

/* A new root folder with var/run/utmp holding the bytes given. */
static char *
utmp_root(const void *bytes, gsize len)
{
    g_autofree char *root = g_dir_make_tmp("vl-users-test-XXXXXX", NULL);
    g_autofree char *dir = NULL;
    g_autofree char *file = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_nonnull(root);
    dir = g_build_filename(root, "var", "run", NULL);
    file = g_build_filename(dir, "utmp", NULL);
    ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
    ck_assert_msg(g_file_set_contents(file, bytes, (gssize)len, &error), "%s", error->message);
    return g_steal_pointer(&root);
}

static void
remove_root(const char *root)
{
    g_autofree char *file = g_build_filename(root, "var", "run", "utmp", NULL);
    g_autofree char *run = g_build_filename(root, "var", "run", NULL);
    g_autofree char *var = g_build_filename(root, "var", NULL);

    g_unlink(file);
    g_rmdir(run);
    g_rmdir(var);
    g_rmdir(root);
}

START_TEST(test_utmp_fixture)
{
    g_autofree char *root = fixture_path("users/debian");
    g_autoptr(VlJson) users = collect_root(root, NULL);

    assert_users(users, DEBIAN_USERS);
}
END_TEST

START_TEST(test_utmp_garbage)
{
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    struct utmpx records[9];
    guint8 noise[sizeof(struct utmpx)];
    g_autofree char *root = NULL;
    g_autoptr(VlJson) users = NULL;
    char full_user[sizeof(records[0].ut_user)];

    memset(full_user, 'z', sizeof(full_user));
    records[0] = record(USER_PROCESS, "carol", "pts/3", "host.example.org", 1763769700);
    records[1] = record(USER_PROCESS, "bad\xff", "pts/4", "", 1);        /* name not UTF-8 */
    records[2] = record(USER_PROCESS, "", "pts/5", "", 1);               /* no name */
    records[3] = record(USER_PROCESS, "dave", "pts/6\xfe", "h\xff", -5); /* tty, host, time bad */
    records[4] = record(DEAD_PROCESS, "erin", "pts/7", "", 1);
    records[5] = record(LOGIN_PROCESS, "LOGIN", "tty1", "", 1);
    records[6] = record(USER_PROCESS, "x", "", "", 0);
    records[7] = record(USER_PROCESS, "", "", "", 0);
    memcpy(records[7].ut_user, full_user, sizeof(full_user)); /* 32 bytes, no NUL */
    records[8] = record(7777, "mallory", "pts/9", "", 1);     /* no such type */
    g_byte_array_append(bytes, (const guint8 *)records, sizeof(records));
    for (gsize i = 0; i < sizeof(noise); i++) {
        noise[i] = (guint8)(i * 131 + 7);
    }
    noise[0] = USER_PROCESS;
    noise[1] = 0;
    noise[offsetof(struct utmpx, ut_user)] = 0xff; /* a name that is not UTF-8 */
    g_byte_array_append(bytes, noise, sizeof(noise));
    g_byte_array_append(bytes, (const guint8 *)&records[0], 200); /* a partial record */

    root = utmp_root(bytes->data, bytes->len);
    users = collect_root(root, NULL);
    remove_root(root);
    ck_assert_int_eq(vl_json_array_length(users), 4);
    {
        g_autofree char *first = vl_json_to_string(vl_json_array_get(users, 0), NULL);
        g_autofree char *second = vl_json_to_string(vl_json_array_get(users, 1), NULL);
        g_autofree char *third = vl_json_to_string(vl_json_array_get(users, 2), NULL);
        g_autofree char *fourth = vl_json_to_string(vl_json_array_get(users, 3), NULL);

        ck_assert_str_eq(first, "{\"name\":\"carol\",\"tty\":\"pts/3\","
                                "\"remote_host\":\"host.example.org\",\"since\":1763769700}");
        ck_assert_str_eq(second, "{\"name\":\"dave\"}");
        ck_assert_str_eq(third, "{\"name\":\"x\"}");
        ck_assert_str_eq(fourth, "{\"name\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"}");
    }
}
END_TEST

START_TEST(test_utmp_parse_direct)
{
    struct utmpx records[2];
    g_autoptr(GPtrArray) users = NULL;
    g_autoptr(GPtrArray) none = NULL;
    g_autoptr(GPtrArray) partial = NULL;
    const VlUser *user;

    records[0] = record(USER_PROCESS, "alice", "tty1", "", 1763769600);
    records[1] = record(USER_PROCESS, "bob", "pts/0", "198.51.100.7", 1763769900);
    users = vl_users_parse_utmp(records, sizeof(records));
    ck_assert_int_eq(users->len, 2);
    user = g_ptr_array_index(users, 1);
    ck_assert_str_eq(user->name, "bob");
    ck_assert_str_eq(user->tty, "pts/0");
    ck_assert_str_eq(user->remote_host, "198.51.100.7");
    ck_assert_int_eq(user->since, 1763769900);
    ck_assert_ptr_null(user->session);
    ck_assert(!user->have_locked);

    none = vl_users_parse_utmp("", 0);
    ck_assert_int_eq(none->len, 0);
    /* One byte short of two records: one user. */
    partial = vl_users_parse_utmp(records, sizeof(records) - 1);
    ck_assert_int_eq(partial->len, 1);
}
END_TEST

START_TEST(test_utmp_missing_or_empty)
{
    g_autofree char *root = utmp_root("", 0);
    g_autoptr(VlJson) empty = collect_root(root, NULL);
    g_autoptr(VlJson) missing = NULL;

    remove_root(root);
    assert_users(empty, "[]");
    missing = collect_root(root, NULL); /* the root is gone now */
    assert_users(missing, "[]");
}
END_TEST

START_TEST(test_utmp_bounds)
{
    g_autoptr(GArray) records = g_array_new(FALSE, FALSE, sizeof(struct utmpx));
    g_autofree char *root = NULL;
    g_autoptr(VlJson) users = NULL;

    /* Written in reverse: the section is sorted, and holds the first VL_USERS_MAX read. */
    for (int i = VL_USERS_MAX + 903; i >= 0; i--) {
        g_autofree char *name = g_strdup_printf("user%05d", i);
        struct utmpx u = record(USER_PROCESS, name, "pts/0", "", 1);

        g_array_append_val(records, u);
    }
    root = utmp_root(records->data, records->len * sizeof(struct utmpx));
    users = collect_root(root, NULL);
    remove_root(root);
    ck_assert_int_eq(vl_json_array_length(users), VL_USERS_MAX);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vl_json_array_get(users, 0), "name")),
                     "user00904");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_array_get(users, VL_USERS_MAX - 1), "name")),
        "user04999");
}
END_TEST

START_TEST(test_utmp_too_large)
{
    gsize len = 4 * 1024 * 1024 + sizeof(struct utmpx);
    g_autofree guint8 *zeros = g_malloc0(len);
    g_autofree char *root = utmp_root(zeros, len);
    VlCollectContext ctx = {.root = root};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) users = collect_section(&vl_collector_users, &ctx, &error);

    remove_root(root);
    ck_assert_ptr_null(users);
    ck_assert(g_error_matches(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ));
}
END_TEST

static Suite *
users_suite(void)
{
    Suite *s = suite_create("collector-users");
    TCase *tc;

    tc = tcase_create("logind");
    tcase_add_checked_fixture(tc, setup_logind, stop_mock);
    tcase_add_test(tc, test_logind_sessions);
    tcase_add_test(tc, test_logind_no_sessions);
    tcase_add_test(tc, test_logind_people_only);
    tcase_add_test(tc, test_logind_odd_properties);
    tcase_add_test(tc, test_logind_failure);
    suite_add_tcase(s, tc);

    tc = tcase_create("no-logind");
    tcase_add_checked_fixture(tc, setup_bus_only, stop_mock);
    tcase_add_test(tc, test_bus_without_logind);
    suite_add_tcase(s, tc);

    tc = tcase_create("utmp");
    tcase_add_test(tc, test_utmp_fixture);
    tcase_add_test(tc, test_utmp_garbage);
    tcase_add_test(tc, test_utmp_parse_direct);
    tcase_add_test(tc, test_utmp_missing_or_empty);
    tcase_add_test(tc, test_utmp_bounds);
    tcase_add_test(tc, test_utmp_too_large);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(users_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
