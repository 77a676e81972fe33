/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystems collector (guest-agent/linux/filesystems.c) on fixtures/filesystems/<case>/
 * trees holding proc/1/mountinfo, its mountinfo parser fed directly (chunking, huge lines,
 * bounds), and this machine's mounts against statvfs("/").
 */
#include <check.h>
#include <string.h>
#include <sys/statvfs.h>

#include "collector-check.h"
#include "linux/filesystems.h"
#include "linux/vl-collectors-linux.h"

static VlJson *
collect_case(const char *name, const char *const *exclude)
{
    g_autofree char *relative = g_build_filename("filesystems", name, NULL);
    g_autofree char *root = fixture_path(relative);
    VlCollectContext ctx = {.root = root, .fs_exclude = exclude};

    return collect_valid(&vl_collector_filesystems, &ctx);
}

static const char *
member(const VlJson *entry, const char *name)
{
    const VlJson *value = vl_json_object_get(entry, name);

    return value ? vl_json_get_string(value) : NULL;
}

/* expected: mountpoint, type, device (NULL: none) triples, ended by a NULL mount point. */
static void
assert_mounts(const VlJson *section, const char *const (*expected)[3])
{
    guint n = 0;

    ck_assert_int_eq(vl_json_kind(section), VL_JSON_ARRAY);
    for (; expected[n][0]; n++) {
        const VlJson *entry = vl_json_array_get(section, n);

        ck_assert_msg(entry != NULL, "entry %u (%s) missing", n, expected[n][0]);
        ck_assert_str_eq(member(entry, "mountpoint"), expected[n][0]);
        ck_assert_pstr_eq(member(entry, "type"), expected[n][1]);
        ck_assert_pstr_eq(member(entry, "device"), expected[n][2]);
    }
    ck_assert_uint_eq(vl_json_array_length(section), n);
}

static const VlJson *
find_mount(const VlJson *section, const char *mountpoint)
{
    for (guint i = 0; i < vl_json_array_length(section); i++) {
        const VlJson *entry = vl_json_array_get(section, i);

        if (g_str_equal(member(entry, "mountpoint"), mountpoint)) {
            return entry;
        }
    }
    return NULL;
}

/* The section for text fed in chunks of chunk bytes (0: at once), without sizes, as JSON. */
static char *
parse_text(const char *text, gsize len, gsize chunk, const char *const *exclude)
{
    g_autoptr(VlFilesystems) fs = vl_filesystems_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autoptr(GError) error = NULL;

    for (gsize off = 0; off < len;) {
        gsize n = chunk ? MIN(chunk, len - off) : len;

        vl_filesystems_feed(fs, text + off, n);
        off += n;
    }
    vl_filesystems_end(fs);
    vl_filesystems_write(fs, exclude, NULL, b);
    section = vl_json_builder_finish(b);
    ck_assert_msg(vl_report_validate_section("filesystems", section, &error), "%s",
                  error ? error->message : "");
    return vl_json_to_string(section, NULL);
}

/* Fixtures ------------------------------------------------------------------------------------ */

START_TEST(test_basic)
{
    /* Disks, network and host shares stay; virtual filesystems, overlay and squashfs go. */
    static const char *const expected[][3] = {
        {"/", "ext4", "/dev/vda1"},
        {"/boot", "ext4", "/dev/vda2"},
        {"/boot/efi", "vfat", "/dev/vda3"},
        {"/home", "btrfs", "/dev/vdb1"},
        {"/srv/data", "xfs", "/dev/mapper/vg0-data"},
        {"/mnt/nfs", "nfs4", "fileserver:/export/home"},
        {"/mnt/share", "cifs", "//winserver/share"},
        {"/mnt/host", "virtiofs", "hostshare"},
        {"/mnt/9p", "9p", "hostshare9p"},
        {"/media/cdrom", "iso9660", "/dev/sr0"},
        {"/home/alice/remote", "fuse.sshfs", "alice@build:/home/alice"},
        {"/tank/data", "zfs", "tank/data"},
        {NULL, NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_case("basic", NULL);

    assert_mounts(section, expected);
}
END_TEST

static void
assert_sizes_of(const VlJson *entry, const char *path)
{
    struct statvfs st;
    guint64 frsize;

    ck_assert_int_eq(statvfs(path, &st), 0);
    frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
    ck_assert_msg(vl_json_object_get(entry, "total_bytes") != NULL, "no total_bytes for %s", path);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(entry, "total_bytes")),
                     (gint64)(st.f_blocks * frsize));
    ck_assert_int_ge(vl_json_get_int(vl_json_object_get(entry, "used_bytes")), 0);
    ck_assert_int_le(vl_json_get_int(vl_json_object_get(entry, "used_bytes")),
                     (gint64)(st.f_blocks * frsize));
}

START_TEST(test_fixture_sizes)
{
    /*
     * Below a fixture root, sizes are those of the folder standing for the mount point when
     * there is one ("/" is the fixture itself, srv/data is in it), and absent otherwise.
     */
    g_autofree char *root = fixture_path("filesystems/basic");
    g_autofree char *data = g_build_filename(root, "srv", "data", NULL);
    g_autoptr(VlJson) section = collect_case("basic", NULL);
    const VlJson *boot = find_mount(section, "/boot");

    assert_sizes_of(find_mount(section, "/"), root);
    assert_sizes_of(find_mount(section, "/srv/data"), data);
    ck_assert_ptr_nonnull(boot);
    ck_assert_ptr_null(vl_json_object_get(boot, "total_bytes"));
    ck_assert_ptr_null(vl_json_object_get(boot, "used_bytes"));
}
END_TEST

START_TEST(test_escapes)
{
    static const char *const expected[][3] = {
        {"/", "ext4", "/dev/vda1"},
        {"/media/alice/My Disk", "exfat", "/dev/sdb1"},
        {"/mnt/tab\tand\nnewline", "ext4", "/dev/vdc"},
        {"/mnt/back\\slash", "ext4", "/dev/vdd"},
        {"/mnt/share", "cifs", "//server/My Share"},
        /* Not three octal digits of a byte: left as written. */
        {"/mnt/not\\9escape\\40short\\400big", "ext4", "/dev/vde"},
        /* /mnt/nul\000byte is skipped. */
        {"/mnt/caf\xc3\xa9", "ext4", "/dev/vdg"},
        /* Not UTF-8, escaped or not: U+FFFD. */
        {"/mnt/latin1-caf\xef\xbf\xbd", "ext4", "/dev/vdh"},
        {"/mnt/raw-caf\xef\xbf\xbd", "ext4", "/dev/vdi"},
        {"/mnt/trailing\\", "ext4", "/dev/vdj"},
        {"/mnt/end\\04", "ext4", "/dev/vdk"},
        {NULL, NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_case("escapes", NULL);

    assert_mounts(section, expected);
}
END_TEST

START_TEST(test_exclude)
{
    static const char *const globs[] = {"/mnt/*", "/media/usb*", "*/docker/*", NULL};
    static const char *const expected[][3] = {
        {"/", "ext4", "/dev/vda1"},
        {"/data", "xfs", "/dev/vdc1"},
        {"/media/cdrom", "iso9660", "/dev/sr0"},
        {NULL, NULL, NULL},
    };
    static const char *const root_glob[] = {"/", NULL};
    g_autoptr(VlJson) section = collect_case("exclude", globs);
    g_autoptr(VlJson) without_root = collect_case("exclude", root_glob);
    g_autoptr(VlJson) all = collect_case("exclude", NULL);

    assert_mounts(section, expected);
    ck_assert_uint_eq(vl_json_array_length(all), 8);
    ck_assert_uint_eq(vl_json_array_length(without_root), 7);
    ck_assert_ptr_null(find_mount(without_root, "/"));
}
END_TEST

START_TEST(test_duplicates)
{
    /* The last mount on a path wins, in its place; a tmpfs over /data hides it entirely. */
    static const char *const expected[][3] = {
        {"/", "ext4", "/dev/vda1"},
        {"/srv", "xfs", "/dev/vdd1"},
        {"/mnt", "nfs4", "server:/export"},
        {"/backup", "ext4", "/dev/vde1"},
        {NULL, NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_case("duplicates", NULL);

    assert_mounts(section, expected);
}
END_TEST

START_TEST(test_malformed)
{
    static const char *const expected[][3] = {
        {"/", "ext4", "/dev/vda1"},
        {"/optional", "ext4", "/dev/vdb"},
        {"/no-source", "ext4", NULL},
        {"/crlf", "ext4", "/dev/vdc"},
        {"/last-without-newline", "ext4", "/dev/vdz"},
        {NULL, NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_case("malformed", NULL);

    assert_mounts(section, expected);
}
END_TEST

START_TEST(test_missing_mountinfo)
{
    g_autofree char *root = fixture_path("filesystems/no-such-tree");
    VlCollectContext ctx = {.root = root};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) section = collect_section(&vl_collector_filesystems, &ctx, &error);

    ck_assert_ptr_null(section);
    ck_assert_msg(g_error_matches(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_MISSING), "%s",
                  error ? error->message : "no error");
}
END_TEST

/* The parser ------------------------------------------------------------------------------------
 */

START_TEST(test_chunking)
{
    static const char *const cases[] = {"basic", "escapes", "malformed", "duplicates"};

    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        g_autofree char *relative =
            g_build_filename("filesystems", cases[c], "proc/1/mountinfo", NULL);
        g_autofree char *path = fixture_path(relative);
        g_autofree char *text = NULL;
        g_autofree char *whole = NULL;
        gsize len = 0;
        static const gsize chunks[] = {1, 2, 3, 5, 64, 4096};

        ck_assert(g_file_get_contents(path, &text, &len, NULL));
        whole = parse_text(text, len, 0, NULL);
        for (guint i = 0; i < G_N_ELEMENTS(chunks); i++) {
            g_autofree char *chunked = parse_text(text, len, chunks[i], NULL);

            ck_assert_msg(g_str_equal(whole, chunked), "%s in chunks of %" G_GSIZE_FORMAT, cases[c],
                          chunks[i]);
        }
    }
}
END_TEST

START_TEST(test_huge_line)
{
    /* A line over VL_MOUNTINFO_LINE_MAX is skipped whole; the lines around it are not. */
    g_autoptr(GString) text = g_string_new("22 1 254:1 / / rw - ext4 /dev/vda1 rw\n");
    g_autofree char *json = NULL;

    g_string_append(text, "23 22 254:2 / /");
    for (gsize i = 0; i < 4 * VL_MOUNTINFO_LINE_MAX; i++) {
        g_string_append_c(text, 'x');
    }
    g_string_append(text, " rw - ext4 /dev/vdb rw\n24 22 254:3 / /after rw - ext4 /dev/vdc rw\n");
    json = parse_text(text->str, text->len, 1000, NULL);
    ck_assert_str_eq(json,
                     "[{\"mountpoint\":\"/\",\"type\":\"ext4\",\"device\":\"/dev/vda1\"},"
                     "{\"mountpoint\":\"/after\",\"type\":\"ext4\",\"device\":\"/dev/vdc\"}]");
}
END_TEST

START_TEST(test_path_bounds)
{
    /* 4096 bytes once decoded fit; 4097 do not, whether written plainly or escaped. */
    g_autofree char *fits = g_strnfill(4095, 'a');
    g_autofree char *over = g_strnfill(4096, 'b');
    g_autoptr(GString) escaped = g_string_new(NULL);
    g_autofree char *text = NULL;
    g_autofree char *json = NULL;
    g_autoptr(VlJson) section = NULL;

    for (int i = 0; i < 4095; i++) {
        g_string_append(escaped, "\\040");
    }
    text = g_strdup_printf("1 0 8:1 / /%s rw - ext4 /dev/sda1 rw\n"
                           "2 0 8:2 / /%s rw - ext4 /dev/sda2 rw\n"
                           "3 0 8:3 / /%s rw - ext4 /dev/sda3 rw\n"
                           "4 0 8:4 / /%sx rw - ext4 /dev/sda4 rw\n",
                           fits, over, escaped->str, escaped->str);
    json = parse_text(text, strlen(text), 0, NULL);
    section = vl_json_parse(json, strlen(json), NULL);
    ck_assert_uint_eq(vl_json_array_length(section), 2);
    ck_assert_str_eq(member(vl_json_array_get(section, 0), "device"), "/dev/sda1");
    ck_assert_uint_eq(strlen(member(vl_json_array_get(section, 0), "mountpoint")), 4096);
    ck_assert_str_eq(member(vl_json_array_get(section, 1), "device"), "/dev/sda3");
    ck_assert_uint_eq(strlen(member(vl_json_array_get(section, 1), "mountpoint")), 4096);
}
END_TEST

START_TEST(test_entry_limits)
{
    /*
     * 20000 distinct mount points: the first VL_FILESYSTEMS_TRACKED are tracked, the first
     * VL_FILESYSTEMS_MAX reported; a later mount on a tracked path still replaces it.
     */
    g_autoptr(VlFilesystems) fs = vl_filesystems_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autoptr(GError) error = NULL;
    char line[128];
    int n;

    for (guint i = 0; i < 20000; i++) {
        n = g_snprintf(line, sizeof(line), "%u 1 8:1 / /m%05u rw - ext4 /dev/sda%u rw\n", i, i, i);
        vl_filesystems_feed(fs, line, (gsize)n);
    }
    n = g_snprintf(line, sizeof(line), "1 1 8:1 / /m00000 rw - tmpfs tmpfs rw\n");
    vl_filesystems_feed(fs, line, (gsize)n);
    vl_filesystems_end(fs);
    vl_filesystems_write(fs, NULL, NULL, b);
    section = vl_json_builder_finish(b);
    ck_assert_msg(vl_report_validate_section("filesystems", section, &error), "%s",
                  error ? error->message : "");
    ck_assert_uint_eq(vl_json_array_length(section), VL_FILESYSTEMS_MAX);
    /* /m00000 is now tmpfs and gone, so the list starts at /m00001 and ends at /m04096. */
    ck_assert_str_eq(member(vl_json_array_get(section, 0), "mountpoint"), "/m00001");
    ck_assert_str_eq(member(vl_json_array_get(section, VL_FILESYSTEMS_MAX - 1), "mountpoint"),
                     "/m04096");
}
END_TEST

START_TEST(test_tracked_limit)
{
    /* Past VL_FILESYSTEMS_TRACKED distinct mount points, new ones are not tracked. */
    g_autoptr(VlFilesystems) fs = vl_filesystems_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    char line[128];
    int n;

    for (guint i = 0; i < VL_FILESYSTEMS_TRACKED + 10; i++) {
        /* Only the last 10 would be reported: the others are tmpfs. */
        n = g_snprintf(line, sizeof(line), "%u 1 8:1 / /m%05u rw - %s x rw\n", i, i,
                       i < VL_FILESYSTEMS_TRACKED - 1 ? "tmpfs" : "ext4");
        vl_filesystems_feed(fs, line, (gsize)n);
    }
    vl_filesystems_end(fs);
    vl_filesystems_write(fs, NULL, NULL, b);
    section = vl_json_builder_finish(b);
    ck_assert_uint_eq(vl_json_array_length(section), 1);
    ck_assert_str_eq(member(vl_json_array_get(section, 0), "mountpoint"), "/m16383");
}
END_TEST

START_TEST(test_pseudo_types)
{
    static const char *const pseudo[] = {
        "proc",    "sysfs",    "devtmpfs", "tmpfs",   "cgroup",     "cgroup2",
        "overlay", "squashfs", "autofs",   "devpts",  "mqueue",     "fuse.gvfsd-fuse",
        "fusectl", "ramfs",    "debugfs",  "tracefs", "securityfs", NULL};
    static const char *const real[] = {"ext4",    "xfs",        "btrfs",    "vfat", "nfs",
                                       "nfs4",    "cifs",       "virtiofs", "9p",   "zfs",
                                       "fuseblk", "fuse.sshfs", "iso9660",  "ceph", NULL};

    for (const char *const *t = pseudo; *t; t++) {
        ck_assert_msg(vl_filesystems_type_is_pseudo(*t), "%s should be left out", *t);
    }
    for (const char *const *t = real; *t; t++) {
        ck_assert_msg(!vl_filesystems_type_is_pseudo(*t), "%s should be kept", *t);
    }
}
END_TEST

START_TEST(test_pseudo_root)
{
    /* "/" is always reported, even on an overlay (a live system, composefs). */
    static const char text[] = "1 0 0:30 / / rw - overlay overlay rw,lowerdir=/a\n"
                               "2 1 0:31 / /run rw - tmpfs tmpfs rw\n";
    g_autofree char *json = parse_text(text, sizeof(text) - 1, 0, NULL);

    ck_assert_str_eq(json, "[{\"mountpoint\":\"/\",\"type\":\"overlay\",\"device\":\"overlay\"}]");
}
END_TEST

/* This machine ----------------------------------------------------------------------------------
 */

START_TEST(test_here_root)
{
    VlCollectContext ctx = {.root = "/"};
    g_autoptr(VlJson) section = collect_valid(&vl_collector_filesystems, &ctx);
    const VlJson *root = find_mount(section, "/");

    ck_assert_msg(root != NULL, "no / in the section");
    ck_assert_ptr_nonnull(member(root, "type"));
    assert_sizes_of(root, "/");
    for (guint i = 0; i < vl_json_array_length(section); i++) {
        const char *type = member(vl_json_array_get(section, i), "type");

        ck_assert_msg(g_str_equal(member(vl_json_array_get(section, i), "mountpoint"), "/") ||
                          !vl_filesystems_type_is_pseudo(type),
                      "%s reported", type);
    }
}
END_TEST

static Suite *
filesystems_suite(void)
{
    Suite *s = suite_create("collector-filesystems");
    TCase *tc = tcase_create("fixtures");

    tcase_add_test(tc, test_basic);
    tcase_add_test(tc, test_fixture_sizes);
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_exclude);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_missing_mountinfo);
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_add_test(tc, test_chunking);
    tcase_add_test(tc, test_huge_line);
    tcase_add_test(tc, test_path_bounds);
    tcase_add_test(tc, test_entry_limits);
    tcase_add_test(tc, test_tracked_limit);
    tcase_add_test(tc, test_pseudo_types);
    tcase_add_test(tc, test_pseudo_root);
    suite_add_tcase(s, tc);

    tc = tcase_create("this-machine");
    tcase_add_test(tc, test_here_root);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(filesystems_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
