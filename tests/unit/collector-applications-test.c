/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The applications collector (guest-agent/linux/applications.c) on fixtures/applications/<case>/
 * trees holding var/lib/dpkg/status (and updates/), its dpkg parser fed directly (chunking,
 * huge lines, bounds), and this machine's dpkg database compared with what dpkg-query says.
 *
 * fixtures/applications/many/ is written by make-many.py next to it: 500 installed packages in
 * a status file shaped like a real one, with expected.tsv, the section it must give.
 * fixtures/applications/rpm/ is an RPM database written by make-rpm.sh, read when the build
 * has librpm.
 */
#include <check.h>
#include <string.h>

#include "collector-check.h"
#include "linux/applications.h"
#include "linux/vl-collectors-linux.h"

static const char *
entry_name(const VlJson *entry)
{
    return vl_json_get_string(vl_json_object_get(entry, "name"));
}

/* The version of entry, or NULL when it has none. */
static const char *
entry_version(const VlJson *entry)
{
    const VlJson *version = vl_json_object_get(entry, "version");

    return version ? vl_json_get_string(version) : NULL;
}

/* expected: name, version pairs (version NULL: none), ended by a NULL name. */
static void
assert_section(const VlJson *section, const char *const (*expected)[2])
{
    guint n = 0;

    ck_assert_int_eq(vl_json_kind(section), VL_JSON_ARRAY);
    for (; expected[n][0]; n++) {
        const VlJson *entry = vl_json_array_get(section, n);

        ck_assert_msg(entry != NULL, "entry %u (%s) missing", n, expected[n][0]);
        ck_assert_str_eq(entry_name(entry), expected[n][0]);
        ck_assert_pstr_eq(entry_version(entry), expected[n][1]);
        ck_assert_uint_eq(vl_json_object_size(entry), expected[n][1] ? 2 : 1);
    }
    ck_assert_uint_eq(vl_json_array_length(section), n);
}

/* What the parser gives for text fed in chunks of chunk bytes (0: all at once), as JSON. */
static char *
parse_text(const char *text, gsize len, gsize chunk)
{
    g_autoptr(VlApplications) apps = vl_applications_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autoptr(GError) error = NULL;

    for (gsize off = 0; off < len;) {
        gsize n = chunk ? MIN(chunk, len - off) : len;

        vl_applications_feed_dpkg(apps, text + off, n);
        off += n;
    }
    vl_applications_end_dpkg(apps);
    vl_applications_write(apps, b);
    section = vl_json_builder_finish(b);
    ck_assert_msg(vl_report_validate_section("applications", section, &error), "%s",
                  error ? error->message : "");
    return vl_json_to_string(section, NULL);
}

/* Fixtures ------------------------------------------------------------------------------------ */

START_TEST(test_basic)
{
    /* Installed in any want state, including triggers-*; never half-done or removed ones. */
    static const char *const expected[][2] = {
        {"adduser", "3.134"},
        {"libc-bin", "2.36-9+deb12u14"},
        {"linux-image-amd64", "6.1.123-1"},
        {"lower-case-fields", "7.1"},
        {"man-db", "2.11.2-2"},
        {"no-version", NULL},
        {"openssh-server", "1:9.2p1-2+deb12u3"},
        {"padded", "4.2-1"},
        {"selected-for-removal", "0.5"},
        {NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "basic");

    assert_section(section, expected);
}
END_TEST

START_TEST(test_many)
{
    g_autofree char *path = fixture_path("applications/many/expected.tsv");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "many");
    guint n = 0;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "%s",
                  error ? error->message : "");
    lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line && **line; line++, n++) {
        g_auto(GStrv) cols = g_strsplit(*line, "\t", 2);
        const VlJson *entry = vl_json_array_get(section, n);

        ck_assert_uint_eq(g_strv_length(cols), 2);
        ck_assert_msg(entry != NULL, "entry %u (%s) missing", n, cols[0]);
        ck_assert_str_eq(entry_name(entry), cols[0]);
        ck_assert_pstr_eq(entry_version(entry), cols[1]);
    }
    ck_assert_uint_eq(n, 500);
    ck_assert_uint_eq(vl_json_array_length(section), 500);
}
END_TEST

START_TEST(test_malformed)
{
    /* Every broken stanza is left out; the good ones around them are not disturbed. */
    static const char *const expected[][2] = {
        {"good-last", "3.0"}, {"good-long-description", "2.0"},
        {"good-one", "1.0"},  {"good-two", "2:2.0~rc1+dfsg-3"},
        {NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "malformed");

    assert_section(section, expected);
}
END_TEST

START_TEST(test_crlf)
{
    static const char *const expected[][2] = {
        {"crlf-one", "1.0-1"},
        {"crlf-two", "2.0-1"},
        {NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "crlf");

    assert_section(section, expected);
}
END_TEST

START_TEST(test_multiarch)
{
    /* ":arch" only where one name is installed for several architectures. */
    static const char *const expected[][2] = {
        {"libc6:amd64", "2.36-9+deb12u14"},
        {"libc6:i386", "2.36-9+deb12u14"},
        {"libssl3:amd64", "3.0.15-1~deb12u1"},
        {"libssl3:armhf", "3.0.14-1~deb12u2"},
        {"libssl3:i386", "3.0.15-1~deb12u1"},
        {"zlib1g", "1:1.2.13.dfsg-1"},
        {NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "multiarch");

    assert_section(section, expected);
}
END_TEST

START_TEST(test_updates)
{
    /*
     * The journal in updates/ applies on top of status in name order: upgraded twice,
     * removed, reinstalled after being unpacked, new in a file without a final newline; an
     * empty file changes nothing and tmp.i (not all digits) is not read.
     */
    static const char *const expected[][2] = {
        {"new", "5"}, {"reinstalled", "1.1"}, {"stays", "1.0"}, {"upgraded", "2.0"}, {NULL, NULL},
    };
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "updates");

    assert_section(section, expected);
}
END_TEST

START_TEST(test_rpm)
{
    /*
     * An RPM database (make-rpm.sh): name:arch for multilib, every version of an install-only
     * package, epochs in the version, no gpg-pubkey. Without librpm in this build, nothing.
     */
    static const char *const expected[][2] = {
        {"bash", "5.2.26-1.fc40"},          {"fedora-release-common", "40-39"},
        {"glibc:i686", "2.39-17.fc40"},     {"glibc:x86_64", "2.39-17.fc40"},
        {"kernel-core", "6.8.5-301.fc40"},  {"kernel-core", "6.8.9-300.fc40"},
        {"openssl-libs", "1:3.2.1-2.fc40"}, {NULL, NULL},
    };
    static const char *const nothing[][2] = {{NULL, NULL}};
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "rpm");

    assert_section(section, vl_applications_with_rpm ? expected : nothing);
}
END_TEST

START_TEST(test_no_database)
{
    /* No dpkg (nor RPM) database at all: an empty section, not an error. */
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_applications, "no-such-tree");

    ck_assert_int_eq(vl_json_kind(section), VL_JSON_ARRAY);
    ck_assert_uint_eq(vl_json_array_length(section), 0);
}
END_TEST

START_TEST(test_unreadable_status)
{
    g_autofree char *root = fixture_path("applications/status-is-dir");
    VlCollectContext ctx = {.root = root};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) section = collect_section(&vl_collector_applications, &ctx, &error);

    ck_assert_ptr_null(section);
    ck_assert_msg(g_error_matches(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ), "%s",
                  error ? error->message : "no error");
}
END_TEST

/* The parser ------------------------------------------------------------------------------------
 */

START_TEST(test_chunking)
{
    /* Lines split across chunks anywhere give the same section as the file in one piece. */
    static const char *const cases[] = {"many", "malformed", "crlf", "basic"};

    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        g_autofree char *relative =
            g_build_filename("applications", cases[c], "var/lib/dpkg/status", NULL);
        g_autofree char *path = fixture_path(relative);
        g_autofree char *text = NULL;
        g_autofree char *whole = NULL;
        gsize len = 0;
        static const gsize chunks[] = {1, 2, 7, 1023, 1024, 1025, 4096};

        ck_assert(g_file_get_contents(path, &text, &len, NULL));
        whole = parse_text(text, len, 0);
        for (guint i = 0; i < G_N_ELEMENTS(chunks); i++) {
            g_autofree char *chunked = parse_text(text, len, chunks[i]);

            ck_assert_msg(g_str_equal(whole, chunked), "%s in chunks of %" G_GSIZE_FORMAT, cases[c],
                          chunks[i]);
        }
    }
}
END_TEST

START_TEST(test_huge_lines)
{
    /* A 4 MiB Description does not hide its package; a 4 MiB Package line is skipped. */
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *json = NULL;
    gsize huge = 4 << 20;

    g_string_append(text, "Package: long-description\nStatus: install ok installed\n"
                          "Version: 1\nDescription: ");
    for (gsize i = 0; i < huge; i++) {
        g_string_append_c(text, 'd');
    }
    g_string_append(text, "\n\nPackage: ");
    for (gsize i = 0; i < huge; i++) {
        g_string_append_c(text, 'p');
    }
    g_string_append(text, "\nStatus: install ok installed\nVersion: 1\n");
    json = parse_text(text->str, text->len, 65536);
    ck_assert_str_eq(json, "[{\"name\":\"long-description\",\"version\":\"1\"}]");
}
END_TEST

START_TEST(test_field_bounds)
{
    /* 256 bytes fit; 257 do not, in the name or the version. */
    g_autofree char *name256 = g_strnfill(256, 'n');
    g_autofree char *name257 = g_strnfill(257, 'n');
    g_autofree char *text =
        g_strdup_printf("Package: %s\nStatus: install ok installed\nVersion: %s\n\n"
                        "Package: %s\nStatus: install ok installed\nVersion: 1\n\n"
                        "Package: v257\nStatus: install ok installed\nVersion: %s\n",
                        name256, name256, name257, name257);
    g_autofree char *expected =
        g_strdup_printf("[{\"name\":\"%s\",\"version\":\"%s\"}]", name256, name256);
    g_autofree char *json = parse_text(text, strlen(text), 0);

    ck_assert_str_eq(json, expected);
}
END_TEST

START_TEST(test_add_bounds)
{
    g_autoptr(VlApplications) apps = vl_applications_new();
    g_autofree char *name256 = g_strnfill(256, 'n');
    g_autofree char *name257 = g_strnfill(257, 'n');
    g_autofree char *arch65 = g_strnfill(65, 'a');

    ck_assert(vl_applications_add(apps, name256, NULL, NULL));
    ck_assert(!vl_applications_add(apps, name257, NULL, "1"));
    ck_assert(!vl_applications_add(apps, "a:b", NULL, "1"));
    ck_assert(!vl_applications_add(apps, "a b", NULL, "1"));
    ck_assert(!vl_applications_add(apps, "", NULL, "1"));
    ck_assert(!vl_applications_add(apps, "ok", arch65, "1"));
    ck_assert(!vl_applications_add(apps, "ok", NULL, name257));
    ck_assert(!vl_applications_add(apps, "ok", NULL, "caf\xc3\xa9"));
    ck_assert(vl_applications_add(apps, "ok", "x86_64", "1:2.3-4.fc39"));
    ck_assert(vl_applications_add(apps, "ok", "x86_64", "1:2.3-5.fc39")); /* replaces */
    ck_assert_uint_eq(vl_applications_count(apps), 2);
}
END_TEST

START_TEST(test_long_multiarch_name)
{
    /* name:arch over 256 bytes cannot be reported: that entry is skipped, the others are not. */
    g_autoptr(VlApplications) apps = vl_applications_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autofree char *name = g_strnfill(251, 'n');
    g_autofree char *short_name = g_strconcat(name, ":i386", NULL);

    ck_assert(vl_applications_add(apps, name, "amd64", "1"));
    ck_assert(vl_applications_add(apps, name, "i386", "1"));
    vl_applications_write(apps, b);
    section = vl_json_builder_finish(b);
    ck_assert(vl_report_validate_section("applications", section, NULL));
    ck_assert_uint_eq(vl_json_array_length(section), 1);
    ck_assert_str_eq(entry_name(vl_json_array_get(section, 0)), short_name);
}
END_TEST

START_TEST(test_entry_limit)
{
    /* One more installed package than the catalogue allows: the first 100000 are kept. */
    g_autoptr(VlApplications) apps = vl_applications_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autoptr(GError) error = NULL;
    char stanza[128];

    for (guint i = 0; i <= VL_APPLICATIONS_MAX; i++) {
        int n = g_snprintf(stanza, sizeof(stanza),
                           "Package: p%06u\nStatus: install ok installed\nVersion: %u\n\n", i, i);

        vl_applications_feed_dpkg(apps, stanza, (gsize)n);
    }
    vl_applications_end_dpkg(apps);
    ck_assert_uint_eq(vl_applications_count(apps), VL_APPLICATIONS_MAX);
    /* Replacing one already listed still works when the list is full. */
    ck_assert(vl_applications_add(apps, "p000000", NULL, "2"));
    ck_assert(!vl_applications_add(apps, "p100000", NULL, "2"));

    vl_applications_write(apps, b);
    section = vl_json_builder_finish(b);
    ck_assert_msg(vl_report_validate_section("applications", section, &error), "%s",
                  error ? error->message : "");
    ck_assert_uint_eq(vl_json_array_length(section), VL_APPLICATIONS_MAX);
    ck_assert_str_eq(entry_version(vl_json_array_get(section, 0)), "2");
    ck_assert_str_eq(entry_name(vl_json_array_get(section, VL_APPLICATIONS_MAX - 1)), "p099999");
}
END_TEST

/* This machine ----------------------------------------------------------------------------------
 */

static char *
run(const char *const *argv)
{
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    int status = 0;

    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, &error),
                  "%s: %s", argv[0], error ? error->message : "?");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "%s failed", argv[0]);
    return g_steal_pointer(&out);
}

static VlJson *
collect_here(void)
{
    VlCollectContext ctx = {.root = "/"};

    return collect_valid(&vl_collector_applications, &ctx);
}

/* The entry of name, with or without ":arch", or NULL. */
static const VlJson *
find_package(const VlJson *section, const char *name)
{
    for (guint i = 0; i < vl_json_array_length(section); i++) {
        const VlJson *entry = vl_json_array_get(section, i);
        const char *n = entry_name(entry);

        if (g_str_equal(n, name) || (g_str_has_prefix(n, name) && n[strlen(name)] == ':')) {
            return entry;
        }
    }
    return NULL;
}

START_TEST(test_here_libc6)
{
    static const char *const argv[] = {"dpkg-query", "-W", "--showformat=${Version}", "libc6",
                                       NULL};
    g_autofree char *version = NULL;
    g_autoptr(VlJson) section = NULL;
    const VlJson *entry;

    if (!g_file_test("/var/lib/dpkg/status", G_FILE_TEST_EXISTS)) {
        return; /* not a dpkg system */
    }
    version = run(argv);
    section = collect_here();
    entry = find_package(section, "libc6");
    ck_assert_msg(entry != NULL, "libc6 not in the section");
    ck_assert_pstr_eq(entry_version(entry), version);
}
END_TEST

static int
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * What dpkg-query lists as installed, as the section would name it: name (or name:arch) TAB
 * version, sorted.
 */
static GPtrArray *
dpkg_query_installed(void)
{
    static const char *const argv[] = {
        "dpkg-query", "-W",
        "--showformat=${db:Status-Eflag} "
        "${db:Status-Status}\t${Package}\t${Architecture}\t${Version}\n",
        NULL};
    g_autofree char *out = run(argv);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_autoptr(GHashTable) archs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);

    for (int pass = 0; pass < 2; pass++) {
        for (char **line = lines; *line && **line; line++) {
            g_auto(GStrv) f = g_strsplit(*line, "\t", 4);
            gboolean installed = g_str_equal(f[0], "ok installed") ||
                                 g_str_equal(f[0], "ok triggers-awaited") ||
                                 g_str_equal(f[0], "ok triggers-pending");

            ck_assert_uint_eq(g_strv_length(f), 4);
            if (!installed) {
                continue;
            }
            if (pass == 0) {
                guint n = GPOINTER_TO_UINT(g_hash_table_lookup(archs, f[1]));
                g_hash_table_insert(archs, g_strdup(f[1]), GUINT_TO_POINTER(n + 1));
            } else if (GPOINTER_TO_UINT(g_hash_table_lookup(archs, f[1])) > 1) {
                g_ptr_array_add(rows, g_strdup_printf("%s:%s\t%s", f[1], f[2], f[3]));
            } else {
                g_ptr_array_add(rows, g_strdup_printf("%s\t%s", f[1], f[3]));
            }
        }
    }
    g_ptr_array_sort(rows, compare_strings);
    return rows;
}

static gboolean
same_rows(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len) {
        return FALSE;
    }
    for (guint i = 0; i < a->len; i++) {
        if (!g_str_equal(a->pdata[i], b->pdata[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

START_TEST(test_here_all)
{
    /* Every package dpkg-query calls installed, no other, with the same version. */
    if (!g_file_test("/var/lib/dpkg/status", G_FILE_TEST_EXISTS)) {
        return;
    }
    /* apt may run meanwhile: three tries to see the database as dpkg-query does. */
    for (int attempt = 0;; attempt++) {
        g_autoptr(GPtrArray) before = dpkg_query_installed();
        g_autoptr(VlJson) section = collect_here();
        g_autoptr(GPtrArray) after = dpkg_query_installed();
        g_autoptr(GPtrArray) ours = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < vl_json_array_length(section); i++) {
            const VlJson *entry = vl_json_array_get(section, i);
            const char *version = entry_version(entry);

            g_ptr_array_add(ours,
                            g_strdup_printf("%s\t%s", entry_name(entry), version ? version : ""));
        }
        g_ptr_array_sort(ours, compare_strings);
        if (same_rows(ours, before) || same_rows(ours, after)) {
            ck_assert_uint_gt(ours->len, 0);
            return;
        }
        if (attempt == 2) {
            for (guint i = 0; i < MIN(ours->len, after->len); i++) {
                ck_assert_str_eq(ours->pdata[i], after->pdata[i]);
            }
            ck_assert_uint_eq(ours->len, after->len);
        }
        g_usleep(G_USEC_PER_SEC);
    }
}
END_TEST

static Suite *
applications_suite(void)
{
    Suite *s = suite_create("collector-applications");
    TCase *tc = tcase_create("fixtures");

    tcase_add_test(tc, test_basic);
    tcase_add_test(tc, test_many);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_crlf);
    tcase_add_test(tc, test_multiarch);
    tcase_add_test(tc, test_updates);
    tcase_add_test(tc, test_rpm);
    tcase_add_test(tc, test_no_database);
    tcase_add_test(tc, test_unreadable_status);
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_add_test(tc, test_chunking);
    tcase_add_test(tc, test_huge_lines);
    tcase_add_test(tc, test_field_bounds);
    tcase_add_test(tc, test_add_bounds);
    tcase_add_test(tc, test_long_multiarch_name);
    tcase_add_test(tc, test_entry_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("this-machine");
    tcase_add_test(tc, test_here_libc6);
    tcase_add_test(tc, test_here_all);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(applications_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
