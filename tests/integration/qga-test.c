/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU guest agent protocol (issue 8): vmlink-agent started the way scripts start qemu-ga
 * (-m unix-listen -p PATH -b LIST), and Debian's qemu-ga 7.2 beside it on this machine, both
 * asked the same over one connection each. qemu-ga is the reference: the answers agree field by
 * field (host name, OS, time zone, users, CPUs, memory blocks, sync, filesystems and disks),
 * every error comes with qemu-ga's class and description, and what differs is the list in
 * docs/qga-compat.md (the version in guest-info, guest-get-load, which qemu-ga 7.2 lacks).
 *
 * For guest-get-fsinfo to have more than "/" to compare, main() mounts an ext4 image on a loop
 * device, and again by a bind mount, for the whole run (root only; said and left out when it
 * cannot), and unmounts them at the end, on SIGTERM (meson's timeout) and SIGINT too.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vl-check.h"
#include "vl-line-socket.h"
#include "vl-protocol.h"
#include "vl-test-util.h"

#define WAIT_MS 20000
#define BLOCKED "guest-shutdown" /* never run here */

typedef struct {
    GSubprocess *process;
    VlLineSocket *sock;
} Peer;

static char *work_dir;
static Peer ours;
static Peer reference;

static void
start(Peer *peer, const char *const *argv, const char *socket_path)
{
    g_autoptr(GError) error = NULL;
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    fprintf(stderr, "%.3f starting %s\n", g_get_monotonic_time() / 1e6, argv[0]);
    peer->process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &error);
    ck_assert_msg(peer->process != NULL, "%s: %s", argv[0], error ? error->message : "");
    while ((peer->sock = vl_line_socket_connect(socket_path, 1, NULL)) == NULL) {
        ck_assert_msg(g_get_monotonic_time() < end, "%s does not listen on %s", argv[0],
                      socket_path);
        g_usleep(20000);
    }
    fprintf(stderr, "%.3f %s listens\n", g_get_monotonic_time() / 1e6, argv[0]);
}

static void
on_exited(GObject *source, GAsyncResult *result, gpointer user_data)
{
    *(gboolean *)user_data = TRUE;
}

/* SIGTERM; a program that has not ended within 5 s is said so and killed (qemu-ga 7.2 at
 * times does not end on SIGTERM). */
static void
stop(Peer *peer)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    gboolean exited = FALSE;

    g_clear_pointer(&peer->sock, vl_line_socket_free);
    if (peer->process == NULL) {
        return;
    }
    g_subprocess_wait_async(peer->process, NULL, on_exited, &exited);
    g_subprocess_send_signal(peer->process, SIGTERM);
    while (!exited && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(10000);
    }
    if (!exited) {
        fprintf(stderr, "%.3f %s (%s) did not end on SIGTERM: killed\n",
                g_get_monotonic_time() / 1e6, peer == &ours ? "vmlink-agent" : "qemu-ga",
                g_subprocess_get_identifier(peer->process));
        g_subprocess_force_exit(peer->process);
        while (!exited) {
            g_main_context_iteration(NULL, TRUE);
        }
    }
    g_clear_object(&peer->process);
}

static void
setup(void)
{
    g_autofree char *ours_path = NULL;
    g_autofree char *qga_path = NULL;
    g_autofree char *state = NULL;

    work_dir = vl_test_make_tmp_dir("vl-qga-test-XXXXXX");
    ours_path = g_build_filename(work_dir, "vmlink.sock", NULL);
    qga_path = g_build_filename(work_dir, "qemu-ga.sock", NULL);
    state = g_build_filename(work_dir, "state", NULL);
    {
        const char *argv[] = {
            g_getenv("VL_AGENT"), "-m", "unix-listen", "-p", ours_path, "-b", BLOCKED, NULL};
        const char *qga[] = {g_getenv("VL_QEMU_GA"),
                             "-m",
                             "unix-listen",
                             "-p",
                             qga_path,
                             "-t",
                             state,
                             "-b",
                             BLOCKED,
                             NULL};

        ck_assert_msg(argv[0] && qga[0], "VL_AGENT and VL_QEMU_GA come from meson");
        ck_assert_int_eq(g_mkdir(state, 0700), 0);
        start(&ours, argv, ours_path);
        start(&reference, qga, qga_path);
    }
}

static void
teardown(void)
{
    stop(&ours);
    stop(&reference);
    vl_test_remove_tree(work_dir);
    g_clear_pointer(&work_dir, g_free);
}

/* Sends REQUEST and returns the answer, parsed; *ret_sentinel tells whether 0xFF came first. */
static VlJson *
ask(Peer *peer, const char *request, gboolean *ret_sentinel)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = g_strconcat(request, "\n", NULL);
    g_autofree char *answer = NULL;
    const char *text;
    VlJson *parsed;

    /* On stderr, shown when the test fails: what waited on whom. */
    fprintf(stderr, "%.3f %s <- %s\n", g_get_monotonic_time() / 1e6,
            peer == &ours ? "vmlink-agent" : "qemu-ga", request);
    ck_assert_msg(vl_line_socket_send(peer->sock, line, strlen(line), &error), "%s",
                  error ? error->message : "");
    answer = vl_line_socket_recv(peer->sock, WAIT_MS, &error);
    fprintf(stderr, "%.3f %s -> %s\n", g_get_monotonic_time() / 1e6,
            peer == &ours ? "vmlink-agent" : "qemu-ga", answer ? "answer" : "nothing");
    ck_assert_msg(answer != NULL, "no answer to %s: %s", request, error ? error->message : "");
    text = answer;
    if (ret_sentinel) {
        *ret_sentinel = text[0] == '\xff';
    }
    if (text[0] == '\xff') {
        text++;
    }
    parsed = vl_json_parse(text, strlen(text), &error);
    ck_assert_msg(parsed != NULL, "%s: %s", text, error ? error->message : "");
    return parsed;
}

static char *
text_of(const VlJson *node)
{
    return node ? vl_json_to_string(node, NULL) : g_strdup("(none)");
}

/* The answers of both, as text; REQUEST must succeed on ours. */
static void
ask_both(const char *request, char **ret_ours, char **ret_reference)
{
    g_autoptr(VlJson) a = ask(&ours, request, NULL);
    g_autoptr(VlJson) b = ask(&reference, request, NULL);

    ck_assert_msg(vl_json_object_get(a, "return") != NULL, "%s: %s", request,
                  text_of(vl_json_object_get(a, "error")));
    *ret_ours = text_of(vl_json_object_get(a, "return"));
    *ret_reference = text_of(vl_json_object_get(b, "return"));
}

static void
assert_same(const char *request)
{
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    ask_both(request, &a, &b);
    ck_assert_msg(g_str_equal(a, b), "%s:\nvmlink-agent: %s\nqemu-ga:      %s", request, a, b);
    printf("%s: the same as qemu-ga's: %s\n", request, a);
}

START_TEST(test_answers_agree)
{
    assert_same("{\"execute\":\"guest-ping\"}");
    assert_same("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":123456789}}");
    assert_same("{\"execute\":\"guest-get-host-name\"}");
    assert_same("{\"execute\":\"guest-get-osinfo\"}");
    assert_same("{\"execute\":\"guest-get-timezone\"}");
    assert_same("{\"execute\":\"guest-get-users\"}");
    assert_same("{\"execute\":\"guest-get-memory-block-info\"}");
}
END_TEST

/* qemu-ga lists CPUs last first; the same set. */
START_TEST(test_vcpus_agree)
{
    g_autoptr(VlJson) a = ask(&ours, "{\"execute\":\"guest-get-vcpus\"}", NULL);
    g_autoptr(VlJson) b = ask(&reference, "{\"execute\":\"guest-get-vcpus\"}", NULL);
    const VlJson *mine = vl_json_object_get(a, "return");
    const VlJson *theirs = vl_json_object_get(b, "return");
    guint n = vl_json_array_length(mine);

    ck_assert_uint_gt(n, 0);
    ck_assert_uint_eq(n, vl_json_array_length(theirs));
    for (guint i = 0; i < n; i++) {
        g_autofree char *x = text_of(vl_json_array_get(mine, i));
        gboolean found = FALSE;

        for (guint j = 0; j < n; j++) {
            g_autofree char *y = text_of(vl_json_array_get(theirs, j));
            g_autoptr(VlJson) px = vl_json_parse(x, strlen(x), NULL);
            g_autoptr(VlJson) py = vl_json_parse(y, strlen(y), NULL);

            found |= vl_json_get_int(vl_json_object_get(px, "logical-id")) ==
                         vl_json_get_int(vl_json_object_get(py, "logical-id")) &&
                     vl_json_get_bool(vl_json_object_get(px, "online")) ==
                         vl_json_get_bool(vl_json_object_get(py, "online")) &&
                     vl_json_get_bool(vl_json_object_get(px, "can-offline")) ==
                         vl_json_get_bool(vl_json_object_get(py, "can-offline"));
        }
        ck_assert_msg(found, "qemu-ga does not list %s", x);
    }
}
END_TEST

/* Every interface of this machine in both, the same addresses and hardware address, counters
 * for the same ones (their values move between the two questions). */
START_TEST(test_interfaces_agree)
{
    g_autoptr(VlJson) a = ask(&ours, "{\"execute\":\"guest-network-get-interfaces\"}", NULL);
    g_autoptr(VlJson) b = ask(&reference, "{\"execute\":\"guest-network-get-interfaces\"}", NULL);
    const VlJson *mine = vl_json_object_get(a, "return");
    const VlJson *theirs = vl_json_object_get(b, "return");

    ck_assert_uint_gt(vl_json_array_length(theirs), 0);
    ck_assert_uint_eq(vl_json_array_length(mine), vl_json_array_length(theirs));
    for (guint i = 0; i < vl_json_array_length(theirs); i++) {
        const VlJson *t = vl_json_array_get(theirs, i);
        const char *name = vl_json_get_string(vl_json_object_get(t, "name"));
        const VlJson *m = NULL;

        for (guint j = 0; j < vl_json_array_length(mine); j++) {
            if (g_strcmp0(
                    vl_json_get_string(vl_json_object_get(vl_json_array_get(mine, j), "name")),
                    name) == 0) {
                m = vl_json_array_get(mine, j);
            }
        }
        ck_assert_msg(m != NULL, "vmlink-agent does not list %s", name);
        {
            g_autofree char *mh = text_of(vl_json_object_get(m, "hardware-address"));
            g_autofree char *th = text_of(vl_json_object_get(t, "hardware-address"));
            g_autofree char *ma = text_of(vl_json_object_get(m, "ip-addresses"));
            g_autofree char *ta = text_of(vl_json_object_get(t, "ip-addresses"));

            ck_assert_msg(g_str_equal(mh, th), "%s: %s, not %s", name, mh, th);
            ck_assert_msg(g_str_equal(ma, ta), "%s:\n%s\nnot\n%s", name, ma, ta);
            ck_assert_msg((vl_json_object_get(m, "statistics") == NULL) ==
                              (vl_json_object_get(t, "statistics") == NULL),
                          "%s: counters in one answer only", name);
        }
        printf("%s: the same as qemu-ga's\n", name);
    }
}
END_TEST

/* node as JSON with every object's members sorted: qemu-ga writes them in its hash's order. */
static void canonical_append(const VlJson *node, GString *out);

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
collect_name(const char *name, VlJson *value, gpointer user_data)
{
    g_ptr_array_add(user_data, (gpointer)name);
}

static void
canonical_append(const VlJson *node, GString *out)
{
    if (vl_json_kind(node) == VL_JSON_OBJECT) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();

        vl_json_object_foreach(node, collect_name, names);
        g_ptr_array_sort(names, compare_names);
        g_string_append_c(out, '{');
        for (guint i = 0; i < names->len; i++) {
            g_string_append_printf(out, "%s\"%s\":", i ? "," : "", (const char *)names->pdata[i]);
            canonical_append(vl_json_object_get(node, names->pdata[i]), out);
        }
        g_string_append_c(out, '}');
    } else if (vl_json_kind(node) == VL_JSON_ARRAY) {
        g_string_append_c(out, '[');
        for (guint i = 0; i < vl_json_array_length(node); i++) {
            g_string_append(out, i ? "," : "");
            canonical_append(vl_json_array_get(node, i), out);
        }
        g_string_append_c(out, ']');
    } else {
        g_autofree char *text = vl_json_to_string(node, NULL);

        g_string_append(out, text);
    }
}

static char *
canonical(const VlJson *node)
{
    GString *out = g_string_new(NULL);

    canonical_append(node, out);
    return g_string_free(out, FALSE);
}

/* One filesystem of both answers: all but the space used the same; that moves between the
 * questions on a live system, so it is only within 1 GiB. */
static gboolean
same_filesystem(const VlJson *m, const VlJson *t, GString *why)
{
    static const char *const exact[] = {"name", "mountpoint", "type", "total-bytes", "disk"};
    const VlJson *mu = vl_json_object_get(m, "used-bytes");
    const VlJson *tu = vl_json_object_get(t, "used-bytes");

    for (gsize i = 0; i < G_N_ELEMENTS(exact); i++) {
        g_autofree char *a = vl_json_object_get(m, exact[i])
                                 ? canonical(vl_json_object_get(m, exact[i]))
                                 : g_strdup("(none)");
        g_autofree char *b = vl_json_object_get(t, exact[i])
                                 ? canonical(vl_json_object_get(t, exact[i]))
                                 : g_strdup("(none)");

        if (!g_str_equal(a, b)) {
            g_string_append_printf(why, "%s: %s, not %s", exact[i], a, b);
            return FALSE;
        }
    }
    if ((mu == NULL) != (tu == NULL) ||
        (mu && ABS(vl_json_get_int(mu) - vl_json_get_int(tu)) > (G_GINT64_CONSTANT(1) << 30))) {
        g_string_append(why, "used-bytes differ");
        return FALSE;
    }
    return TRUE;
}

static gboolean
same_fsinfo(const VlJson *mine, const VlJson *theirs, GString *why)
{
    if (vl_json_array_length(mine) != vl_json_array_length(theirs)) {
        g_string_append_printf(why, "%u filesystems, not %u", vl_json_array_length(mine),
                               vl_json_array_length(theirs));
        return FALSE;
    }
    for (guint i = 0; i < vl_json_array_length(theirs); i++) {
        if (!same_filesystem(vl_json_array_get(mine, i), vl_json_array_get(theirs, i), why)) {
            g_string_append_printf(why, " (filesystem %u)", i);
            return FALSE;
        }
    }
    return TRUE;
}

static char *loop_mount; /* the loop-mounted image's mount point, or NULL */

/* guest-get-fsinfo's answer from peer, as canonical text. */
static char *
fsinfo_of(Peer *peer)
{
    g_autoptr(VlJson) a = ask(peer, "{\"execute\":\"guest-get-fsinfo\"}", NULL);
    const VlJson *value = vl_json_object_get(a, "return");

    ck_assert_msg(value != NULL, "no answer: %s", text_of(a));
    return canonical(value);
}

/* Every filesystem in the same order, each field the same (the space used near enough). Asked
 * again, up to three times, when they differ: something else on this machine may mount or
 * unmount between the two questions. */
START_TEST(test_fsinfo_agree)
{
    g_autoptr(GString) why = g_string_new(NULL);
    g_autofree char *ours_text = NULL;
    g_autofree char *theirs_text = NULL;
    gboolean same = FALSE;

    for (guint attempt = 0; attempt < 3 && !same; attempt++) {
        g_autoptr(VlJson) a = ask(&ours, "{\"execute\":\"guest-get-fsinfo\"}", NULL);
        g_autoptr(VlJson) b = ask(&reference, "{\"execute\":\"guest-get-fsinfo\"}", NULL);
        const VlJson *mine = vl_json_object_get(a, "return");
        const VlJson *theirs = vl_json_object_get(b, "return");

        ck_assert_msg(mine && theirs, "no answer: %s / %s", text_of(a), text_of(b));
        g_string_truncate(why, 0);
        same = same_fsinfo(mine, theirs, why);
        g_free(ours_text);
        g_free(theirs_text);
        ours_text = canonical(mine);
        theirs_text = canonical(theirs);
    }
    ck_assert_msg(same, "guest-get-fsinfo: %s\nvmlink-agent: %s\nqemu-ga:      %s", why->str,
                  ours_text, theirs_text);
    if (loop_mount) {
        ck_assert_msg(strstr(ours_text, loop_mount) != NULL, "%s is not in %s", loop_mount,
                      ours_text);
    }
    printf("guest-get-fsinfo: the same as qemu-ga's: %s\n", ours_text);
}
END_TEST

/* Where test_fsinfo_follows_mounts binds the image again, in a folder it then renames. */
static char *follow_above;
static char *follow_mount;
static char *moved_above;
static char *moved_mount;

/* The agent keeps the list of mounts between requests while the kernel says the table is the
 * same: a bind mount made after a first request is in the next answer (as in qemu-ga's); when
 * the folder above it is renamed (which changes no mount) the next answer has its new path;
 * after its unmount it is gone. */
START_TEST(test_fsinfo_follows_mounts)
{
    g_autofree char *before = NULL;
    g_autofree char *mounted = NULL;
    g_autofree char *reference_mounted = NULL;
    g_autofree char *moved = NULL;
    g_autofree char *reference_moved = NULL;
    g_autofree char *after = NULL;
    int r;

    if (follow_mount == NULL) {
        printf("guest-get-fsinfo after a mount: left out, no loop-mounted filesystem\n");
        return;
    }
    before = fsinfo_of(&ours);
    ck_assert_msg(g_mkdir_with_parents(follow_mount, 0755) == 0, "%s: %s", follow_mount,
                  g_strerror(errno));
    r = mount(loop_mount, follow_mount, NULL, MS_BIND, NULL);
    ck_assert_msg(r == 0, "bind mount on %s: %s", follow_mount, g_strerror(errno));
    mounted = fsinfo_of(&ours);
    reference_mounted = fsinfo_of(&reference);
    r = rename(follow_above, moved_above);
    if (r == 0) {
        moved = fsinfo_of(&ours);
        reference_moved = fsinfo_of(&reference);
    }
    umount2(r == 0 ? moved_mount : follow_mount, MNT_DETACH);
    ck_assert_msg(r == 0, "rename %s: %s", follow_above, g_strerror(errno));
    after = fsinfo_of(&ours);
    ck_assert_msg(strstr(before, follow_mount) == NULL, "%s before its mount: %s", follow_mount,
                  before);
    ck_assert_msg(strstr(reference_mounted, follow_mount) != NULL, "qemu-ga: %s not in %s",
                  follow_mount, reference_mounted);
    ck_assert_msg(strstr(mounted, follow_mount) != NULL, "%s not in %s", follow_mount, mounted);
    ck_assert_msg(strstr(reference_moved, moved_mount) != NULL, "qemu-ga: %s not in %s",
                  moved_mount, reference_moved);
    ck_assert_msg(strstr(moved, moved_mount) != NULL && strstr(moved, follow_mount) == NULL,
                  "after the rename to %s: %s", moved_mount, moved);
    ck_assert_msg(strstr(after, moved_mount) == NULL, "%s after its unmount: %s", moved_mount,
                  after);
}
END_TEST

/* Every disk and partition, in the same order, each the same. */
START_TEST(test_disks_agree)
{
    g_autoptr(VlJson) a = ask(&ours, "{\"execute\":\"guest-get-disks\"}", NULL);
    g_autoptr(VlJson) b = ask(&reference, "{\"execute\":\"guest-get-disks\"}", NULL);
    g_autofree char *mine = NULL;
    g_autofree char *theirs = NULL;

    ck_assert_msg(vl_json_object_get(a, "return") && vl_json_object_get(b, "return"),
                  "no answer: %s / %s", text_of(a), text_of(b));
    mine = canonical(vl_json_object_get(a, "return"));
    theirs = canonical(vl_json_object_get(b, "return"));
    ck_assert_msg(vl_json_array_length(vl_json_object_get(b, "return")) > 0, "%s", theirs);
    ck_assert_msg(g_str_equal(mine, theirs), "guest-get-disks:\nvmlink-agent: %s\nqemu-ga:      %s",
                  mine, theirs);
    printf("guest-get-disks: the same as qemu-ga's: %s\n", mine);
}
END_TEST

START_TEST(test_sync_delimited)
{
    gboolean sentinel_a = FALSE;
    gboolean sentinel_b = FALSE;
    const char *request =
        "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":42},\"id\":\"s1\"}";
    g_autoptr(VlJson) a = ask(&ours, request, &sentinel_a);
    g_autoptr(VlJson) b = NULL;
    g_autofree char *ta = text_of(a);
    g_autofree char *tb = NULL;

    /* qemu-ga answers the 0xFF itself with a parse error first; skip it. */
    b = ask(&reference, request, &sentinel_b);
    if (vl_json_object_get(b, "error")) {
        vl_json_unref(g_steal_pointer(&b));
        b = ask(&reference, "", &sentinel_b);
    }
    tb = text_of(b);
    ck_assert(sentinel_a);
    ck_assert(sentinel_b);
    ck_assert_str_eq(ta, "{\"return\":42,\"id\":\"s1\"}");
    ck_assert_str_eq(ta, tb);
}
END_TEST

START_TEST(test_time_and_info)
{
    g_autoptr(VlJson) a = ask(&ours, "{\"execute\":\"guest-get-time\"}", NULL);
    g_autoptr(VlJson) b = ask(&reference, "{\"execute\":\"guest-get-time\"}", NULL);
    g_autoptr(VlJson) info = ask(&ours, "{\"execute\":\"guest-info\"}", NULL);
    const VlJson *list =
        vl_json_object_get(vl_json_object_get(info, "return"), "supported_commands");
    gint64 now_ns = g_get_real_time() * 1000;
    gint64 mine = vl_json_get_int(vl_json_object_get(a, "return"));
    gint64 theirs = vl_json_get_int(vl_json_object_get(b, "return"));
    gboolean blocked_listed = FALSE;

    /* Nanoseconds of the same clock: both within a minute of the test's. */
    ck_assert_int_lt(ABS(mine - now_ns), 60 * G_GINT64_CONSTANT(1000000000));
    ck_assert_int_lt(ABS(theirs - now_ns), 60 * G_GINT64_CONSTANT(1000000000));
    /* The blocked command is listed, disabled, as qemu-ga lists it. */
    for (guint i = 0; i < vl_json_array_length(list); i++) {
        const VlJson *c = vl_json_array_get(list, i);

        if (g_str_equal(vl_json_get_string(vl_json_object_get(c, "name")), BLOCKED)) {
            blocked_listed = !vl_json_get_bool(vl_json_object_get(c, "enabled")) &&
                             !vl_json_get_bool(vl_json_object_get(c, "success-response"));
        }
    }
    ck_assert_msg(blocked_listed, "guest-info does not list %s as disabled", BLOCKED);
}
END_TEST

/* Requests qemu-ga refuses, and the words it uses: ours must use the same. */
START_TEST(test_errors_agree)
{
    static const char *const requests[] = {
        "[1,2]",
        "\"hello\"",
        "{}",
        "{\"id\":5}",
        "{\"foo\":1}",
        "{\"execute\":1}",
        "{\"execute\":\"guest-ping\",\"arguments\":[]}",
        "{\"execute\":\"guest-foo\",\"id\":\"u1\"}",
        "{\"execute\":\"guest-ping\",\"arguments\":{\"x\":1}}",
        "{\"execute\":\"guest-sync\"}",
        "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\"a\"}}",
        "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1,\"x\":2}}",
        "{\"execute\":\"" BLOCKED "\",\"id\":3}",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(requests); i++) {
        g_autoptr(VlJson) a = ask(&ours, requests[i], NULL);
        g_autoptr(VlJson) b = ask(&reference, requests[i], NULL);
        g_autofree char *ta = text_of(a);
        g_autofree char *tb = text_of(b);

        ck_assert_msg(vl_json_object_get(a, "error") != NULL, "%s: %s", requests[i], ta);
        ck_assert_msg(g_str_equal(ta, tb), "%s:\nvmlink-agent: %s\nqemu-ga:      %s", requests[i],
                      ta, tb);
    }
}
END_TEST

/* Where the two differ on purpose (docs/qga-compat.md). */
START_TEST(test_known_differences)
{
    g_autoptr(VlJson) load = ask(&ours, "{\"execute\":\"guest-get-load\"}", NULL);
    g_autoptr(VlJson) no_load = ask(&reference, "{\"execute\":\"guest-get-load\"}", NULL);
    g_autoptr(VlJson) info = ask(&ours, "{\"execute\":\"guest-info\"}", NULL);

    ck_assert_ptr_nonnull(vl_json_object_get(vl_json_object_get(load, "return"), "load1"));
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(no_load, "error"), "class")),
        "CommandNotFound");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(info, "return"), "version")),
        VL_VERSION);
}
END_TEST

/* The loop-mounted image (main): its folder and file, and the mount by bind of it. */
static char *loop_dir;
static char *loop_image;
static char *bind_mount;

/* Unmounts what mount_loop() mounted: only system calls, so that a signal handler may too.
 * Lazily: the loop device goes when nothing holds the filesystem any more (autoclear). */
static void
unmount_loop(void)
{
    if (follow_mount) {
        umount2(follow_mount, MNT_DETACH);
        umount2(moved_mount, MNT_DETACH);
    }
    if (bind_mount) {
        umount2(bind_mount, MNT_DETACH);
    }
    if (loop_mount) {
        umount2(loop_mount, MNT_DETACH);
    }
}

/* Removes the image and the folders: only system calls too. */
static void
remove_loop_files(void)
{
    const char *const dirs[] = {follow_mount, follow_above, moved_mount,
                                moved_above,  bind_mount,   loop_mount};

    if (loop_image) {
        unlink(loop_image);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (dirs[i]) {
            rmdir(dirs[i]);
        }
    }
    if (loop_dir) {
        rmdir(loop_dir);
    }
}

static void
on_signal(int signo)
{
    unmount_loop();
    remove_loop_files();
    signal(signo, SIG_DFL);
    raise(signo);
}

/* A second and third filesystem for guest-get-fsinfo: an ext4 image on a loop device, and a
 * bind mount of it. FALSE, with why, when this machine cannot (not root, no mkfs.ext4, no loop
 * devices). */
static gboolean
mount_loop(GString *why)
{
    const char *image;
    g_autofree char *mnt = NULL;
    g_autofree char *bind = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    int status = 0;
    int fd;

    if (geteuid() != 0) {
        g_string_append(why, "not root");
        return FALSE;
    }
    loop_dir = g_dir_make_tmp("vl-qga-loop-XXXXXX", &error);
    if (loop_dir == NULL) {
        g_string_append(why, error->message);
        return FALSE;
    }
    image = loop_image = g_build_filename(loop_dir, "fs.img", NULL);
    mnt = g_build_filename(loop_dir, "mnt", NULL);
    bind = g_build_filename(loop_dir, "bind", NULL);
    fd = open(image, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, 32 << 20) < 0 || g_mkdir(mnt, 0755) < 0 ||
        g_mkdir(bind, 0755) < 0) {
        g_string_append_printf(why, "%s: %s", image, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return FALSE;
    }
    close(fd);
    {
        const char *mkfs[] = {"mkfs.ext4", "-q", "-F", image, NULL};
        const char *mount_argv[] = {"mount", "-o", "loop", image, mnt, NULL};

        if (!g_spawn_sync(NULL, (char **)mkfs, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                          &status, &error) ||
            !g_spawn_check_wait_status(status, &error)) {
            g_string_append_printf(why, "mkfs.ext4: %s %s", error->message, err ? err : "");
            return FALSE;
        }
        g_clear_pointer(&err, g_free);
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        if (!g_spawn_sync(NULL, (char **)mount_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                          &err, &status, &error) ||
            !g_spawn_check_wait_status(status, &error)) {
            g_string_append_printf(why, "mount -o loop: %s %s", error->message, err ? err : "");
            return FALSE;
        }
    }
    loop_mount = g_steal_pointer(&mnt);
    if (mount(loop_mount, bind, NULL, MS_BIND, NULL) < 0) {
        g_string_append_printf(why, "bind mount on %s: %s", bind, g_strerror(errno));
        return FALSE;
    }
    bind_mount = g_steal_pointer(&bind);
    return TRUE;
}

int
main(void)
{
    Suite *s = suite_create("qga");
    TCase *tc = tcase_create("unix-listen");
    g_autoptr(GString) why = g_string_new(NULL);
    SRunner *sr;
    int failed;

    if (!mount_loop(why)) {
        printf("qga: no loop-mounted filesystem (%s): guest-get-fsinfo is compared on this "
               "machine's own mounts only\n",
               why->str);
    } else {
        follow_above = g_build_filename(loop_dir, "above", NULL);
        follow_mount = g_build_filename(follow_above, "again", NULL);
        moved_above = g_build_filename(loop_dir, "moved", NULL);
        moved_mount = g_build_filename(moved_above, "again", NULL);
    }
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_answers_agree);
    tcase_add_test(tc, test_vcpus_agree);
    tcase_add_test(tc, test_interfaces_agree);
    tcase_add_test(tc, test_fsinfo_agree);
    tcase_add_test(tc, test_fsinfo_follows_mounts);
    tcase_add_test(tc, test_disks_agree);
    tcase_add_test(tc, test_sync_delimited);
    tcase_add_test(tc, test_time_and_info);
    tcase_add_test(tc, test_errors_agree);
    tcase_add_test(tc, test_known_differences);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    unmount_loop();
    if (loop_dir) {
        vl_test_remove_tree(loop_dir);
    }
    return failed == 0 ? 0 : 1;
}
