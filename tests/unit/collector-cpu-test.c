/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cpu collector (guest-agent/linux/cpu.c) on fixtures/cpu/<case>/ trees holding
 * sys/devices/system/cpu/online and proc/loadavg, and on this machine.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector-check.h"
#include "linux/cpu.h"
#include "linux/vl-collectors-linux.h"

#define NO_LOAD (-1.0)

static double
member_load(const VlJson *section, const char *name)
{
    const VlJson *value = vl_json_object_get(section, name);

    if (value == NULL) {
        return NO_LOAD;
    }
    ck_assert(vl_json_kind(value) == VL_JSON_DOUBLE || vl_json_kind(value) == VL_JSON_INT);
    return vl_json_get_double(value);
}

/* Fixture trees that parse ------------------------------------------------------------------ */

static const struct {
    const char *name;
    gint64 count;
    double load1, load5, load15;
} good_cases[] = {
    {"one", 1, 0.00, 0.01, 0.05},
    {"four", 4, 0.52, 0.58, 0.59},
    {"holes", 8, 12.50, 8.25, 4.00},
    {"offline-first", 2, 0, 0, 0},
    {"no-newline", 2, 1, 2, 3},
    /* No /proc/loadavg: the loads are left out, the count stays. */
    {"no-loadavg", 8, NO_LOAD, NO_LOAD, NO_LOAD},
    {"busy", 64, 123456.99, 0, 100.10},
    /* A million CPUs: clamped to the catalogue's bound rather than refused. */
    {"huge", VL_CPU_COUNT_MAX, 0, 0, 0},
};

START_TEST(test_good)
{
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_cpu, good_cases[_i].name);
    const VlJson *count = vl_json_object_get(section, "count");

    ck_assert_int_eq(vl_json_get_int(count), good_cases[_i].count);
    ck_assert_double_eq_tol(member_load(section, "load1"), good_cases[_i].load1, 1e-9);
    ck_assert_double_eq_tol(member_load(section, "load5"), good_cases[_i].load5, 1e-9);
    ck_assert_double_eq_tol(member_load(section, "load15"), good_cases[_i].load15, 1e-9);
    ck_assert_uint_eq(vl_json_object_size(section), good_cases[_i].load1 == NO_LOAD ? 1 : 4);
}
END_TEST

/* Fixture trees that fail ------------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *file; /* the file the error must name */
    VlCollectorError code;
    const char *message; /* a part of the error message, after the file name */
} bad_cases[] = {
    {"empty-list", "online", VL_COLLECTOR_ERROR_PARSE, "no CPU listed"},
    {"newline-only", "online", VL_COLLECTOR_ERROR_PARSE, "no CPU listed"},
    {"descending", "online", VL_COLLECTOR_ERROR_PARSE, "descending range at offset 1"},
    {"overlapping", "online", VL_COLLECTOR_ERROR_PARSE, "not ascending and disjoint"},
    {"unsorted", "online", VL_COLLECTOR_ERROR_PARSE, "not ascending and disjoint"},
    {"repeated", "online", VL_COLLECTOR_ERROR_PARSE, "not ascending and disjoint"},
    {"trailing-comma", "online", VL_COLLECTOR_ERROR_PARSE, "expected a CPU number at offset 4"},
    {"spaces", "online", VL_COLLECTOR_ERROR_PARSE, "expected ',' or '-' at offset 1"},
    {"cpu-too-large", "online", VL_COLLECTOR_ERROR_PARSE, "CPU number too large at offset 2"},
    {"negative", "online", VL_COLLECTOR_ERROR_PARSE, "expected a CPU number at offset 0"},
    /* Outside "/", no sysconf fallback: the fixture says nothing about this machine. */
    {"no-online", "online", VL_COLLECTOR_ERROR_MISSING, "No such file or directory"},
    {"load-two", "loadavg", VL_COLLECTOR_ERROR_PARSE, "expected a space after a load average"},
    {"load-negative", "loadavg", VL_COLLECTOR_ERROR_PARSE, "expected a load average at offset 0"},
    {"load-nan", "loadavg", VL_COLLECTOR_ERROR_PARSE, "expected a load average at offset 0"},
    {"load-exponent", "loadavg", VL_COLLECTOR_ERROR_PARSE,
     "expected a space after a load average at offset 1"},
    {"load-long", "loadavg", VL_COLLECTOR_ERROR_PARSE, "load average too long at offset 0"},
    {"load-empty", "loadavg", VL_COLLECTOR_ERROR_PARSE, "expected a load average at offset 0"},
    {"load-tabs", "loadavg", VL_COLLECTOR_ERROR_PARSE, "expected a space after a load average"},
};

START_TEST(test_bad)
{
    const char *file = g_str_equal(bad_cases[_i].file, "online") ? "sys/devices/system/cpu/online"
                                                                 : "proc/loadavg";

    assert_collect_fails(&vl_collector_cpu, bad_cases[_i].name, file, bad_cases[_i].code,
                         bad_cases[_i].message);
}
END_TEST

/* The parsers on their own ------------------------------------------------------------------ */

static const struct {
    const char *text;
    guint count; /* 0: refused */
} lists[] = {
    {"0", 1},
    {"0\n", 1},
    {"7", 1},
    {"0-0", 1},
    {"0-1,3-4,6-7,9-10", 8},
    {"1000000", 1},
    {"0-65535", 65536},
    {"0-65536", VL_CPU_COUNT_MAX},
    {"00-03", 4}, /* leading zeros are still numbers */
    {"0\n\n", 0},
    {"\n0", 0},
    {"0,", 0},
    {",0", 0},
    {"0--1", 0},
    {"0-", 0},
    {"-", 0},
    {"0-1-2", 0},
    {"1000001", 0},
    {"99999999999999999999", 0},
    {"0 ", 0},
    {" 0", 0},
};

START_TEST(test_list_parse)
{
    guint count = 0;
    g_autoptr(GError) error = NULL;
    gboolean ok = vl_cpu_list_parse(lists[_i].text, strlen(lists[_i].text), &count, &error);

    if (lists[_i].count == 0) {
        ck_assert_msg(!ok, "accepted \"%s\"", lists[_i].text);
        ck_assert(g_error_matches(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE));
    } else {
        ck_assert_msg(ok, "refused \"%s\": %s", lists[_i].text, error->message);
        ck_assert_uint_eq(count, lists[_i].count);
    }
}
END_TEST

START_TEST(test_parsers_honour_len)
{
    double load[3];
    guint count;

    ck_assert(vl_cpu_list_parse("0-3,5", 3, &count, NULL));
    ck_assert_uint_eq(count, 4);
    ck_assert(!vl_cpu_list_parse("0-3", 0, &count, NULL));
    ck_assert(vl_loadavg_parse("1.5 2.5 3.5junk", 11, load, NULL));
    ck_assert_double_eq(load[2], 3.5);
    ck_assert(!vl_loadavg_parse("1.5 2.5 3.5junk", 12, load, NULL));
    ck_assert(!vl_loadavg_parse("1.5 2.5 3.5", 8, load, NULL));
}
END_TEST

/* This machine ------------------------------------------------------------------------------ */

START_TEST(test_this_machine)
{
    VlCollectContext ctx = {.root = "/"};
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(VlJson) section = NULL;
    static const char *const names[] = {"load1", "load5", "load15"};

    /*
     * Compared with the text of /proc/loadavg, which the collector reads: getloadavg() takes
     * sysinfo()'s finer fixed-point figures, which differ from the two printed decimals by up
     * to 0.01 (seen: 0.89502 against "0.89").
     */
    ck_assert(g_file_get_contents("/proc/loadavg", &before, NULL, NULL));
    section = collect_valid(&vl_collector_cpu, &ctx);
    ck_assert(g_file_get_contents("/proc/loadavg", &after, NULL, NULL));

    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(section, "count")),
                     sysconf(_SC_NPROCESSORS_ONLN));
    for (int i = 0; i < 3; i++) {
        double load = member_load(section, names[i]);

        ck_assert(isfinite(load) && load >= 0);
    }
    /* When the kernel did not update the averages meanwhile, they must be the same. */
    if (g_str_equal(before, after)) {
        g_auto(GStrv) fields = g_strsplit(before, " ", -1);

        ck_assert_uint_ge(g_strv_length(fields), 3);
        for (int i = 0; i < 3; i++) {
            ck_assert_double_eq_tol(member_load(section, names[i]), g_ascii_strtod(fields[i], NULL),
                                    1e-9);
        }
    }
}
END_TEST

static Suite *
cpu_suite(void)
{
    Suite *s = suite_create("collector-cpu");
    TCase *tc;

    tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, test_good, 0, G_N_ELEMENTS(good_cases));
    tcase_add_loop_test(tc, test_bad, 0, G_N_ELEMENTS(bad_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_add_loop_test(tc, test_list_parse, 0, G_N_ELEMENTS(lists));
    tcase_add_test(tc, test_parsers_honour_len);
    suite_add_tcase(s, tc);

    tc = tcase_create("system");
    tcase_add_test(tc, test_this_machine);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(cpu_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
