/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory collector (guest-agent/linux/memory.c) on /proc/meminfo snapshots in
 * fixtures/memory/<case>/proc/meminfo, and on this machine.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "collector-check.h"
#include "linux/memory.h"
#include "linux/vl-collectors-linux.h"

#define ABSENT (-1)

/* Fixture trees that parse ------------------------------------------------------------------ */

static const struct {
    const char *name;
    gint64 total, available, free, cached, swap_total, swap_free;
    guint n_members;
} good_cases[] = {
    {"debian12", 2014220, 1655432, 981312, 741028, 1048572, 1048060, 6},
    /* 2.6.32 has no MemAvailable: left out, not guessed. */
    {"old-kernel", 502068, ABSENT, 41336, 306172, 1015800, 1002096, 5},
    {"minimal", 1024, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, 1},
    {"int64-max", G_MAXINT64, ABSENT, 0, ABSENT, ABSENT, ABSENT, 2},
    /* Lines of keys the collector does not use are not parsed at all. */
    {"unknown-lines-ignored", 4096, ABSENT, 2048, ABSENT, ABSENT, ABSENT, 2},
};

START_TEST(test_good)
{
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_memory, good_cases[_i].name);

    ck_assert_int_eq(section_int(section, "total_kib", ABSENT), good_cases[_i].total);
    ck_assert_int_eq(section_int(section, "available_kib", ABSENT), good_cases[_i].available);
    ck_assert_int_eq(section_int(section, "free_kib", ABSENT), good_cases[_i].free);
    ck_assert_int_eq(section_int(section, "cached_kib", ABSENT), good_cases[_i].cached);
    ck_assert_int_eq(section_int(section, "swap_total_kib", ABSENT), good_cases[_i].swap_total);
    ck_assert_int_eq(section_int(section, "swap_free_kib", ABSENT), good_cases[_i].swap_free);
    ck_assert_uint_eq(vl_json_object_size(section), good_cases[_i].n_members);
}
END_TEST

/* Fixture trees that fail ------------------------------------------------------------------- */

static const struct {
    const char *name;
    VlCollectorError code;
    const char *message; /* a part of the error message, after the file name */
} bad_cases[] = {
    {"overflow", VL_COLLECTOR_ERROR_PARSE, "line 1: MemTotal is too large"},
    {"no-total", VL_COLLECTOR_ERROR_PARSE, "no MemTotal line"},
    {"empty", VL_COLLECTOR_ERROR_PARSE, "no MemTotal line"},
    {"bad-unit", VL_COLLECTOR_ERROR_PARSE, "line 1: MemTotal is not in kB"},
    {"no-unit", VL_COLLECTOR_ERROR_PARSE, "line 1: MemTotal is not in kB"},
    {"not-a-number", VL_COLLECTOR_ERROR_PARSE, "line 1: MemTotal has no decimal value"},
    {"negative", VL_COLLECTOR_ERROR_PARSE, "line 1: MemTotal has no decimal value"},
    {"trailing-text", VL_COLLECTOR_ERROR_PARSE, "line 1: MemTotal has trailing text"},
    {"duplicate", VL_COLLECTOR_ERROR_PARSE, "line 3: MemTotal appears twice"},
    {"binary", VL_COLLECTOR_ERROR_PARSE, "not a text file (NUL byte at offset 18)"},
    {"does-not-exist", VL_COLLECTOR_ERROR_MISSING, "No such file or directory"},
};

START_TEST(test_bad)
{
    assert_collect_fails(&vl_collector_memory, bad_cases[_i].name, "proc/meminfo",
                         bad_cases[_i].code, bad_cases[_i].message);
}
END_TEST

START_TEST(test_too_large)
{
    g_autofree char *root = g_dir_make_tmp("vl-memory-XXXXXX", NULL);
    g_autofree char *proc = g_build_filename(root, "proc", NULL);
    g_autofree char *file = g_build_filename(proc, "meminfo", NULL);
    g_autoptr(GString) text = g_string_new("MemTotal: 1000 kB\n");
    VlCollectContext ctx = {.root = root};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) section = NULL;

    /* Padding lines are ignored by the parser: only the size bound can refuse this file. */
    while (text->len <= 64 * 1024) {
        g_string_append(text, "Padding:               0 kB\n");
    }
    ck_assert_int_eq(g_mkdir(proc, 0700), 0);
    ck_assert(g_file_set_contents(file, text->str, (gssize)text->len, NULL));
    section = collect_section(&vl_collector_memory, &ctx, &error);
    ck_assert_ptr_null(section);
    ck_assert(g_error_matches(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ));
    ck_assert_ptr_nonnull(strstr(error->message, "is larger than"));

    /* Just under the bound it is read. */
    g_string_truncate(text, 64 * 1024);
    g_string_truncate(text, (gsize)(strrchr(text->str, '\n') - text->str) + 1);
    ck_assert(g_file_set_contents(file, text->str, (gssize)text->len, NULL));
    g_clear_error(&error);
    section = collect_section(&vl_collector_memory, &ctx, &error);
    ck_assert_msg(section != NULL, "%s", error ? error->message : "?");
    ck_assert_int_eq(section_int(section, "total_kib", ABSENT), 1000);

    ck_assert_int_eq(g_unlink(file), 0);
    ck_assert_int_eq(g_rmdir(proc), 0);
    ck_assert_int_eq(g_rmdir(root), 0);
}
END_TEST

/* The parser on its own --------------------------------------------------------------------- */

START_TEST(test_parse_not_terminated)
{
    /* The parser honours len: what follows is not read (and would not parse). */
    const char text[] = "MemTotal: 77 kBXXXXX";
    VlMeminfo info;
    g_autoptr(GError) error = NULL;

    ck_assert(vl_meminfo_parse(text, strlen("MemTotal: 77 kB"), &info, &error));
    ck_assert_int_eq(info.total_kib, 77);
    ck_assert(!vl_meminfo_parse(text, strlen(text), &info, &error));
}
END_TEST

START_TEST(test_parse_keys_exact)
{
    /* SwapCached is not Cached, MemTotalX is not MemTotal. */
    const char text[] = "SwapCached: 5 kB\nMemTotalX: 9 kB\nMemTotal: 10 kB\n";
    VlMeminfo info;

    ck_assert(vl_meminfo_parse(text, strlen(text), &info, NULL));
    ck_assert_int_eq(info.total_kib, 10);
    ck_assert_int_eq(info.cached_kib, ABSENT);
}
END_TEST

/* This machine ------------------------------------------------------------------------------ */

/* The figure of key in /proc/meminfo, read with sscanf rather than the collector's parser. */
static gint64
system_figure(const char *key)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    ck_assert(g_file_get_contents("/proc/meminfo", &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char name[64];
        long long value;

        if (sscanf(*l, "%63[^:]: %lld kB", name, &value) == 2 && g_str_equal(name, key)) {
            return value;
        }
    }
    return ABSENT;
}

START_TEST(test_this_machine)
{
    VlCollectContext ctx = {.root = "/"};
    g_autoptr(VlJson) section = collect_valid(&vl_collector_memory, &ctx);
    gint64 total = system_figure("MemTotal");

    /* Total and swap size do not move while the test runs; the rest does. */
    ck_assert_int_gt(total, 0);
    ck_assert_int_eq(section_int(section, "total_kib", ABSENT), total);
    ck_assert_int_eq(section_int(section, "swap_total_kib", ABSENT), system_figure("SwapTotal"));
    ck_assert_int_le(section_int(section, "free_kib", ABSENT), total);
    if (system_figure("MemAvailable") != ABSENT) {
        ck_assert_int_ge(section_int(section, "available_kib", ABSENT), 0);
    }
}
END_TEST

static Suite *
memory_suite(void)
{
    Suite *s = suite_create("collector-memory");
    TCase *tc;

    tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, test_good, 0, G_N_ELEMENTS(good_cases));
    tcase_add_loop_test(tc, test_bad, 0, G_N_ELEMENTS(bad_cases));
    tcase_add_test(tc, test_too_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_add_test(tc, test_parse_not_terminated);
    tcase_add_test(tc, test_parse_keys_exact);
    suite_add_tcase(s, tc);

    tc = tcase_create("system");
    tcase_add_test(tc, test_this_machine);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(memory_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
