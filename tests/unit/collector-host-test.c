/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host collector (guest-agent/linux/host.c) on fixtures/host/<case>/ trees holding
 * proc/sys/kernel/{hostname,domainname,random/boot_id}, proc/uptime, etc/hosts,
 * etc/localtime and etc/timezone, and on this machine. Zone offsets come from this machine's
 * tzdata; the zones used either have no daylight saving time or are checked against both of
 * their offsets, so the tests do not depend on the date.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector-check.h"
#include "linux/host.h"
#include "linux/vl-collectors-linux.h"

#define ABSENT G_MININT64

/* Fixture trees that parse ------------------------------------------------------------------ */

static const struct {
    const char *name;
    const char *hostname, *fqdn, *timezone;
    gint64 offset, offset_dst; /* the zone's two offsets; equal when it has no DST */
    gint64 uptime;
    const char *boot_id;
} good_cases[] = {
    {"debian", "web1", "web1.example.org", "Europe/Paris", 3600, 7200, 421,
     "0f5c3d8e2b7a4c1e9d6f0a2b4c6d8e0f"},
    {"tokyo-relative", "tokyo", "tokyo", "Asia/Tokyo", 32400, 32400, ABSENT, NULL},
    /* A copied /etc/localtime has no name, and below a fixture root no offset. */
    {"copied-localtime", "alpine", "alpine", NULL, ABSENT, ABSENT, 12345, NULL},
    /* /etc/timezone, padded; the kernel's domainname completes the FQDN. */
    {"domainname", "node7", "node7.cluster.example", "Asia/Kolkata", 19800, 19800, 0, NULL},
    {"dotted-hostname", "db.internal.example", "db.internal.example", "Etc/UTC", 0, 0, ABSENT,
     NULL},
    /* Skipped: a comment, a line without a domain name (WEB2 is web2), an invalid address. */
    {"hosts-traps", "web2", "web2.lan.example", "America/New_York", -18000, -14400, ABSENT, NULL},
    /* A well-formed zone this machine does not know: named, no offset. */
    {"plain", "vm", "vm", "Mars/Olympus_Mons", ABSENT, ABSENT, ABSENT, NULL},
    {"bad-zone", "vm2", "vm2", NULL, ABSENT, ABSENT, ABSENT, NULL},
    /* In tzdata's folder but not a zone file: never handed to GLib, which would assert. */
    {"zone-tab", "tab", "tab", "zone.tab", ABSENT, ABSENT, ABSENT, NULL},
    /* A kernel whose hostname was never set; no FQDN made of nothing. */
    {"empty-hostname", "(none)", NULL, NULL, ABSENT, ABSENT, ABSENT, NULL},
};

START_TEST(test_good)
{
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_host, good_cases[_i].name);
    gint64 offset = section_int(section, "utc_offset_s", ABSENT);

    ck_assert_str_eq(section_string(section, "hostname"), good_cases[_i].hostname);
    ck_assert_pstr_eq(section_string(section, "fqdn"), good_cases[_i].fqdn);
    ck_assert_pstr_eq(section_string(section, "timezone"), good_cases[_i].timezone);
    ck_assert_msg(offset == good_cases[_i].offset || offset == good_cases[_i].offset_dst,
                  "%s: offset %" G_GINT64_FORMAT, good_cases[_i].name, offset);
    ck_assert_int_eq(section_int(section, "uptime_s", ABSENT), good_cases[_i].uptime);
    ck_assert_pstr_eq(section_string(section, "boot_id"), good_cases[_i].boot_id);
}
END_TEST

/* Fixture trees that fail ------------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *file; /* the file the error must name */
    VlCollectorError code;
    const char *message;
} bad_cases[] = {
    {"uptime-garbage", "proc/uptime", VL_COLLECTOR_ERROR_PARSE,
     "expected seconds since boot at offset 0"},
    {"uptime-overflow", "proc/uptime", VL_COLLECTOR_ERROR_PARSE, "uptime too large"},
    {"uptime-no-decimals", "proc/uptime", VL_COLLECTOR_ERROR_PARSE,
     "expected decimals at offset 3"},
    {"uptime-negative", "proc/uptime", VL_COLLECTOR_ERROR_PARSE,
     "expected seconds since boot at offset 0"},
    {"boot-id-short", "proc/sys/kernel/random/boot_id", VL_COLLECTOR_ERROR_PARSE, "not a UUID"},
    {"boot-id-not-hex", "proc/sys/kernel/random/boot_id", VL_COLLECTOR_ERROR_PARSE, "not a UUID"},
    {"boot-id-dashes", "proc/sys/kernel/random/boot_id", VL_COLLECTOR_ERROR_PARSE, "not a UUID"},
    {"hostname-utf8", "proc/sys/kernel/hostname", VL_COLLECTOR_ERROR_PARSE, "not UTF-8"},
    {"hostname-control", "proc/sys/kernel/hostname", VL_COLLECTOR_ERROR_PARSE,
     "control character at offset 3"},
    {"hostname-missing", "proc/sys/kernel/hostname", VL_COLLECTOR_ERROR_READ,
     "No such file or directory"},
    {"domainname-bad", "proc/sys/kernel/domainname", VL_COLLECTOR_ERROR_PARSE,
     "control character at offset 3"},
    {"timezone-folder", "etc/timezone", VL_COLLECTOR_ERROR_READ, "is not a regular file"},
};

START_TEST(test_bad)
{
    assert_collect_fails(&vl_collector_host, bad_cases[_i].name, bad_cases[_i].file,
                         bad_cases[_i].code, bad_cases[_i].message);
}
END_TEST

/* The parsers on their own ------------------------------------------------------------------ */

static const struct {
    const char *target;
    const char *zone;
} links[] = {
    {"/usr/share/zoneinfo/Europe/Paris", "Europe/Paris"},
    {"../usr/share/zoneinfo/Etc/GMT+5", "Etc/GMT+5"},
    {"/usr/share/lib/zoneinfo/UTC", "UTC"},
    {"zoneinfo/America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
    {"/usr/share/zoneinfo/posix/Asia/Tokyo", "posix/Asia/Tokyo"},
    {"/usr/share/zoneinfo/", NULL},
    {"/usr/share/zoneinfo/../../../etc/shadow", NULL},
    {"/usr/share/zoneinfo/Europe//Paris", NULL},
    {"/usr/share/zoneinfo/Europe/./Paris", NULL},
    {"/usr/share/zoneinfo/Europe/Paris/", NULL},
    {"/usr/share/zoneinfo/Europe/Par is", NULL},
    {"/usr/share/zoneinfo/Caf\xc3\xa9", NULL},
    {"/etc/localtime.real", NULL},
    {"/usr/share/myzoneinfo/Europe/Paris", NULL},
    {"/usr/share/zoneinfo/Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     NULL}, /* 65 bytes */
};

START_TEST(test_zone_from_link)
{
    g_autofree char *zone = vl_host_zone_from_link(links[_i].target);

    ck_assert_pstr_eq(zone, links[_i].zone);
}
END_TEST

static const struct {
    const char *text;
    const char *hostname;
    const char *fqdn;
} hosts[] = {
    {"127.0.1.1 a.example a\n", "a", "a.example"},
    {"127.0.1.1 a.example a", "A", "a.example"},
    {"127.0.1.1\ta.example\t\ta\r\n", "a", "a.example"},
    {"::1 a.example a\n", "a", "a.example"},
    {"127.0.1.1 a.example\n", "a.example", "a.example"}, /* the canonical name itself */
    {"127.0.1.1 a.example b\n", "a", NULL},
    {"127.0.1.1 a a.example\n", "a", NULL}, /* canonical without a domain */
    {"#127.0.1.1 a.example a\n", "a", NULL},
    {"127.0.1.1 a.example#a\n", "a", NULL},
    {"a.example a\n", "a", NULL},
    {"999.0.0.1 a.example a\n", "a", NULL},
    {"127.0.1.1 .example a\n", "a", NULL},
    {"127.0.1.1 a..example a\n", "a", NULL},
    {"127.0.1.1 a.exa/mple a\n", "a", NULL},
    {"", "a", NULL},
    {"\n\n\n", "a", NULL},
};

START_TEST(test_hosts_lookup)
{
    g_autofree char *fqdn =
        vl_host_hosts_lookup(hosts[_i].text, strlen(hosts[_i].text), hosts[_i].hostname);

    ck_assert_pstr_eq(fqdn, hosts[_i].fqdn);
}
END_TEST

START_TEST(test_parsers)
{
    gint64 seconds = -1;
    char *s = NULL;

    ck_assert(vl_host_uptime_parse("9223372036854775807.99", 22, &seconds, NULL));
    ck_assert_int_eq(seconds, G_MAXINT64);
    ck_assert(!vl_host_uptime_parse("9223372036854775808", 19, &seconds, NULL));
    ck_assert(vl_host_uptime_parse("17", 2, &seconds, NULL));
    ck_assert_int_eq(seconds, 17);
    ck_assert(vl_host_uptime_parse("17.5x", 4, &seconds, NULL)); /* len is honoured */
    ck_assert(!vl_host_uptime_parse("17.5x", 5, &seconds, NULL));
    ck_assert(!vl_host_uptime_parse("", 0, &seconds, NULL));

    ck_assert(vl_host_boot_id_parse("0F5C3D8E-2B7A-4C1E-9D6F-0A2B4C6D8E0F", 36, &s, NULL));
    ck_assert_str_eq(s, "0f5c3d8e2b7a4c1e9d6f0a2b4c6d8e0f");
    g_free(g_steal_pointer(&s));
    ck_assert(!vl_host_boot_id_parse("0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f\n\n", 38, &s, NULL));
    ck_assert(!vl_host_boot_id_parse("0f5c3d8e2b7a4c1e9d6f0a2b4c6d8e0f", 32, &s, NULL));

    ck_assert(vl_host_line_parse("", 0, 10, &s, NULL));
    ck_assert_str_eq(s, "");
    g_free(g_steal_pointer(&s));
    ck_assert(vl_host_line_parse("0123456789\n", 11, 10, &s, NULL));
    g_free(g_steal_pointer(&s));
    ck_assert(!vl_host_line_parse("0123456789a", 11, 10, &s, NULL));
    ck_assert(!vl_host_line_parse("a\n\n", 3, 10, &s, NULL));
    ck_assert(!vl_host_line_parse("a\0b", 3, 10, &s, NULL));
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_write_unusable)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *long_name = g_strnfill(254, 'h');
    VlHostInfo info = {
        .hostname = long_name,
        .fqdn = (char *)"not a domain",
        .timezone = (char *)"../x",
        .has_utc_offset = TRUE,
        .utc_offset_s = 50401,
        .uptime_s = -1,
        .boot_id = (char *)"\xff",
    };

    vl_host_write(&info, b);
    section = vl_json_builder_finish(b);
    ck_assert_msg(vl_report_validate_section("host", section, &error), "%s", error->message);
    ck_assert_str_eq(section_string(section, "hostname"), "(none)");
    ck_assert_uint_eq(vl_json_object_size(section), 1);
}
END_TEST

/* This machine ------------------------------------------------------------------------------ */

static gint64
boottime(void)
{
    struct timespec ts;

    ck_assert_int_eq(clock_gettime(CLOCK_BOOTTIME, &ts), 0);
    return ts.tv_sec;
}

START_TEST(test_this_machine)
{
    VlCollectContext ctx = {.root = "/"};
    gint64 before = boottime();
    g_autoptr(VlJson) section = collect_valid(&vl_collector_host, &ctx);
    gint64 after = boottime();
    g_autofree char *boot_id = NULL;
    g_auto(GStrv) boot_id_parts = NULL;
    g_autofree char *no_dashes = NULL;
    g_autofree char *localtime = g_file_read_link("/etc/localtime", NULL);
    char hostname[256] = "";
    const char *fqdn = section_string(section, "fqdn");
    const char *zone = section_string(section, "timezone");
    time_t now = time(NULL);
    struct tm tm;

    ck_assert_int_eq(gethostname(hostname, sizeof(hostname) - 1), 0);
    ck_assert_str_eq(section_string(section, "hostname"), hostname);
    ck_assert_ptr_nonnull(fqdn);
    ck_assert(g_ascii_strcasecmp(fqdn, hostname) == 0 || strchr(fqdn, '.'));

    /* Whole seconds of the same clock, read before and after. */
    ck_assert_int_ge(section_int(section, "uptime_s", ABSENT), before - 1);
    ck_assert_int_le(section_int(section, "uptime_s", ABSENT), after);

    ck_assert(g_file_get_contents("/proc/sys/kernel/random/boot_id", &boot_id, NULL, NULL));
    boot_id_parts = g_strsplit(g_strstrip(boot_id), "-", -1);
    no_dashes = g_strjoinv("", boot_id_parts);
    ck_assert_str_eq(section_string(section, "boot_id"), no_dashes);

    if (localtime && strstr(localtime, "zoneinfo/")) {
        ck_assert_str_eq(zone, strstr(localtime, "zoneinfo/") + strlen("zoneinfo/"));
    }
    /* The offset every program here sees, with the system's zone (TZ unset). */
    g_unsetenv("TZ");
    tzset();
    ck_assert_ptr_nonnull(localtime_r(&now, &tm));
    ck_assert_int_eq(section_int(section, "utc_offset_s", ABSENT), tm.tm_gmtoff);
}
END_TEST

static Suite *
host_suite(void)
{
    Suite *s = suite_create("collector-host");
    TCase *tc;

    tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, test_good, 0, G_N_ELEMENTS(good_cases));
    tcase_add_loop_test(tc, test_bad, 0, G_N_ELEMENTS(bad_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_add_loop_test(tc, test_zone_from_link, 0, G_N_ELEMENTS(links));
    tcase_add_loop_test(tc, test_hosts_lookup, 0, G_N_ELEMENTS(hosts));
    tcase_add_test(tc, test_parsers);
    tcase_add_test(tc, test_write_unusable);
    suite_add_tcase(s, tc);

    tc = tcase_create("system");
    tcase_add_test(tc, test_this_machine);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(host_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
