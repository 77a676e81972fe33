/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The os collector (guest-agent/linux/os.c) on fixtures/os/<case>/ trees holding os-release
 * files and proc/sys/kernel/{osrelease,arch}, and on this machine. Well-formed os-release files
 * are also read by /bin/sh, the reader os-release(5) is written for, and both must agree.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "collector-check.h"
#include "linux/os.h"
#include "linux/vl-collectors-linux.h"

static const char *
this_machine(void)
{
    static struct utsname uts;

    ck_assert_int_eq(uname(&uts), 0);
    return uts.machine;
}

/*
 * ID, NAME, VERSION_ID and PRETTY_NAME as /bin/sh sees them after sourcing path; a variable the
 * file does not set is NULL.
 */
static void
shell_read(const char *path, char *ret[4])
{
    const char *argv[] = {
        "/bin/sh",
        "-c",
        "set -e; . \"$1\"; for v in ID NAME VERSION_ID PRETTY_NAME; do "
        "eval \"if [ -n \\\"\\${$v+set}\\\" ]; then printf '1%s\\n' \\\"\\$$v\\\"; "
        "else printf '0\\n'; fi\"; done",
        "sh",
        path,
        NULL,
    };
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) lines = NULL;
    int status = 0;

    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                               &status, &error),
                  "%s", error ? error->message : "?");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "sh cannot source %s", path);
    lines = g_strsplit(out, "\n", -1);
    ck_assert_uint_ge(g_strv_length(lines), 4);
    for (int i = 0; i < 4; i++) {
        ret[i] = lines[i][0] == '1' ? g_strdup(lines[i] + 1) : NULL;
    }
}

/* Asserts that the section says what /bin/sh reads from path (empty values count as unset). */
static void
assert_same_as_shell(const VlJson *section, const char *path)
{
    static const char *const members[] = {"id", "name", "version_id", "pretty_name"};
    static const char *const defaults[] = {"linux", "Linux", NULL, NULL};
    char *shell[4];

    shell_read(path, shell);
    for (int i = 0; i < 4; i++) {
        const char *want = shell[i] && shell[i][0] ? shell[i] : defaults[i];
        ck_assert_msg(g_strcmp0(section_string(section, members[i]), want) == 0,
                      "%s: %s is \"%s\", /bin/sh says \"%s\"", path, members[i],
                      section_string(section, members[i]), want);
        g_free(shell[i]);
    }
}

/* Fixture trees that parse ------------------------------------------------------------------ */

#define MACHINE "(this machine)"

static const struct {
    const char *name;
    const char *id, *os_name, *version_id, *pretty_name, *kernel_release, *arch;
    const char *sourced; /* the os-release file /bin/sh must agree with, or NULL */
} good_cases[] = {
    {"debian12", "debian", "Debian GNU/Linux", "12", "Debian GNU/Linux 12 (bookworm)",
     "6.1.0-27-cloud-amd64", "x86_64", "etc/os-release"},
    /* Only /usr/lib/os-release: the fallback. */
    {"fedora40", "fedora", "Fedora Linux", "40", "Fedora Linux 40 (Cloud Edition)",
     "6.8.5-301.fc40.x86_64", "x86_64", "usr/lib/os-release"},
    {"ubuntu-quoting", "ubuntu", "Ubuntu", "24.04", "Ubuntu 24.04.1 LTS \"Noble\" $5 \\ `tick`",
     "6.8.0-45-generic", "x86_64", "etc/os-release"},
    {"alpine-arm64", "alpine", "Alpine Linux", "3.20.3", "Alpine Linux v3.20", "6.6.49-0-virt",
     "aarch64", "etc/os-release"},
    {"dangling-etc", "opensuse-tumbleweed", "openSUSE Tumbleweed", "20241120", NULL, NULL, MACHINE,
     "usr/lib/os-release"},
    /* No os-release: the defaults of os-release(5); no proc: no kernel_release. */
    {"missing", "linux", "Linux", NULL, NULL, NULL, MACHINE, NULL},
    /* An empty /etc/os-release is the file, not a reason to read /usr/lib/os-release. */
    {"empty", "linux", "Linux", NULL, NULL, NULL, MACHINE, NULL},
    /* Comments, bad keys, unbalanced quotes skipped; CRLF and indentation tolerated. */
    {"bad-lines", "indented", "unquoted with spaces", "7", "last wins", NULL, MACHINE, NULL},
    /* Cut at a character boundary: text for people. Left out: identifiers. */
    {"long-values", "linux", NULL /* 256 N */, NULL, NULL /* 255 P */, NULL, MACHINE, NULL},
    {"invalid-utf8", "debian", "Linux", NULL, NULL, NULL, MACHINE, NULL},
    {"no-arch", "debian", "Linux", NULL, NULL, "6.1.0-27-amd64", MACHINE, NULL},
};

/* What guest-get-osinfo also tells (issue 8): the version and edition for people, the kernel's
 * build. */
START_TEST(test_version_and_edition)
{
    g_autoptr(VlJson) fedora = collect_fixture(&vl_collector_os, "fedora40");
    g_autoptr(VlJson) missing = collect_fixture(&vl_collector_os, "missing");

    ck_assert_str_eq(section_string(fedora, "version"), "40 (Cloud Edition)");
    ck_assert_str_eq(section_string(fedora, "variant"), "Cloud Edition");
    ck_assert_str_eq(section_string(fedora, "variant_id"), "cloud");
    ck_assert_str_eq(section_string(fedora, "kernel_version"),
                     "#1 SMP PREEMPT_DYNAMIC Fri Apr 12 20:32:24 UTC 2024");
    ck_assert_ptr_null(section_string(missing, "version"));
    ck_assert_ptr_null(section_string(missing, "variant"));
    ck_assert_ptr_null(section_string(missing, "kernel_version"));
}
END_TEST

START_TEST(test_good)
{
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_os, good_cases[_i].name);
    const char *arch = good_cases[_i].arch;

    if (g_str_equal(arch, MACHINE)) {
        arch = this_machine();
    }
    ck_assert_str_eq(section_string(section, "id"), good_cases[_i].id);
    if (good_cases[_i].os_name) {
        ck_assert_str_eq(section_string(section, "name"), good_cases[_i].os_name);
    }
    ck_assert_pstr_eq(section_string(section, "version_id"), good_cases[_i].version_id);
    if (good_cases[_i].pretty_name || !g_str_equal(good_cases[_i].name, "long-values")) {
        ck_assert_pstr_eq(section_string(section, "pretty_name"), good_cases[_i].pretty_name);
    }
    ck_assert_pstr_eq(section_string(section, "kernel_release"), good_cases[_i].kernel_release);
    ck_assert_str_eq(section_string(section, "arch"), arch);
    if (good_cases[_i].sourced) {
        g_autofree char *relative =
            g_build_filename("os", good_cases[_i].name, good_cases[_i].sourced, NULL);
        g_autofree char *path = fixture_path(relative);
        assert_same_as_shell(section, path);
    }
}
END_TEST

START_TEST(test_long_values)
{
    g_autoptr(VlJson) section = collect_fixture(&vl_collector_os, "long-values");
    g_autofree char *n256 = g_strnfill(256, 'N');
    g_autofree char *p255 = g_strnfill(255, 'P');

    /* NAME is exactly at the bound: kept whole. */
    ck_assert_str_eq(section_string(section, "name"), n256);
    /* PRETTY_NAME's 256th and 257th bytes are one character, "é": cut before it. */
    ck_assert_str_eq(section_string(section, "pretty_name"), p255);
    /* ID and VERSION_ID are one byte over: left out (ID then takes its default). */
    ck_assert_str_eq(section_string(section, "id"), "linux");
    ck_assert_ptr_null(section_string(section, "version_id"));
}
END_TEST

/* Fixture trees that fail ------------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *file; /* the file the error must name */
    VlCollectorError code;
    const char *message;
} bad_cases[] = {
    {"garbage", "etc/os-release", VL_COLLECTOR_ERROR_PARSE,
     "not a text file (NUL byte at offset 17)"},
    {"etc-is-folder", "etc/os-release", VL_COLLECTOR_ERROR_READ, "is not a regular file"},
    {"kernel-empty", "proc/sys/kernel/osrelease", VL_COLLECTOR_ERROR_PARSE, ": empty"},
    {"kernel-control", "proc/sys/kernel/osrelease", VL_COLLECTOR_ERROR_PARSE,
     "control character at offset 5"},
    {"kernel-two-lines", "proc/sys/kernel/osrelease", VL_COLLECTOR_ERROR_PARSE,
     "control character at offset 5"},
    {"arch-too-long", "proc/sys/kernel/arch", VL_COLLECTOR_ERROR_PARSE, "longer than 32 bytes"},
};

START_TEST(test_bad)
{
    assert_collect_fails(&vl_collector_os, bad_cases[_i].name, bad_cases[_i].file,
                         bad_cases[_i].code, bad_cases[_i].message);
}
END_TEST

START_TEST(test_too_large)
{
    g_autofree char *root = g_dir_make_tmp("vl-os-XXXXXX", NULL);
    g_autofree char *etc = g_build_filename(root, "etc", NULL);
    g_autofree char *file = g_build_filename(etc, "os-release", NULL);
    g_autoptr(GString) text = g_string_new("ID=big\n");
    VlCollectContext ctx = {.root = root};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) section = NULL;

    while (text->len <= 64 * 1024) {
        g_string_append(text, "# padding padding padding padding padding padding padding\n");
    }
    ck_assert_int_eq(g_mkdir(etc, 0700), 0);
    ck_assert(g_file_set_contents(file, text->str, (gssize)text->len, NULL));
    section = collect_section(&vl_collector_os, &ctx, &error);
    ck_assert_ptr_null(section);
    ck_assert(g_error_matches(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ));
    ck_assert_ptr_nonnull(strstr(error->message, file));

    ck_assert_int_eq(g_unlink(file), 0);
    ck_assert_int_eq(g_rmdir(etc), 0);
    ck_assert_int_eq(g_rmdir(root), 0);
}
END_TEST

/* The parsers on their own ------------------------------------------------------------------ */

static const struct {
    const char *line;
    const char *id; /* NULL: the line sets nothing */
} assignments[] = {
    {"ID=plain", "plain"},
    {"ID=\"double\"", "double"},
    {"ID='single'", "single"},
    {"ID=\"a\"'b'c", "abc"},
    {"ID=\"with \\\"escaped\\\" quotes\"", "with \"escaped\" quotes"},
    {"ID='no \\escapes in single'", "no \\escapes in single"},
    {"ID=\"dollar \\$HOME stays\"", "dollar $HOME stays"},
    {"ID=$HOME", "$HOME"}, /* no expansion */
    {"ID=esc\\ aped", "esc aped"},
    {"\tID=tab\t", "tab"},
    {"ID=", ""},
    {"ID=\"unbalanced", NULL},
    {"ID='unbalanced", NULL},
    {"ID=trailing\\", "trailing"}, /* as sh: a line continuation into nothing */
    {"id=lower-case-key", NULL},
    {"#ID=comment", NULL},
    {"ID", NULL},
    {"XID=other", NULL},
    {"IDX=other", NULL},
};

START_TEST(test_assignment)
{
    g_auto(VlOsRelease) rel = {0};
    const char *line = assignments[_i].line;

    ck_assert(vl_os_release_parse(line, strlen(line), &rel, NULL));
    ck_assert_pstr_eq(rel.id, assignments[_i].id);
}
END_TEST

START_TEST(test_parse_honours_len)
{
    g_auto(VlOsRelease) rel = {0};
    const char text[] = "ID=abcdef";

    ck_assert(vl_os_release_parse(text, 5, &rel, NULL));
    ck_assert_str_eq(rel.id, "ab");
}
END_TEST

START_TEST(test_write_defaults)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *long_kernel = g_strnfill(257, 'k');

    /* Nothing usable at all still makes a valid section. */
    vl_os_write(NULL, long_kernel, NULL, "\xff", b);
    section = vl_json_builder_finish(b);
    ck_assert_msg(vl_report_validate_section("os", section, &error), "%s", error->message);
    ck_assert_str_eq(section_string(section, "id"), "linux");
    ck_assert_str_eq(section_string(section, "name"), "Linux");
    ck_assert_str_eq(section_string(section, "arch"), "unknown");
    ck_assert_ptr_null(section_string(section, "kernel_release"));
    ck_assert_uint_eq(vl_json_object_size(section), 3);
}
END_TEST

/* This machine ------------------------------------------------------------------------------ */

START_TEST(test_this_machine)
{
    VlCollectContext ctx = {.root = "/"};
    g_autoptr(VlJson) section = collect_valid(&vl_collector_os, &ctx);
    struct utsname uts;

    ck_assert_int_eq(uname(&uts), 0);
    ck_assert_str_eq(section_string(section, "kernel_release"), uts.release);
    ck_assert_str_eq(section_string(section, "arch"), uts.machine);
    if (g_file_test("/etc/os-release", G_FILE_TEST_EXISTS)) {
        assert_same_as_shell(section, "/etc/os-release");
    } else if (g_file_test("/usr/lib/os-release", G_FILE_TEST_EXISTS)) {
        assert_same_as_shell(section, "/usr/lib/os-release");
    } else {
        ck_assert_str_eq(section_string(section, "id"), "linux");
    }
}
END_TEST

static Suite *
os_suite(void)
{
    Suite *s = suite_create("collector-os");
    TCase *tc;

    tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, test_good, 0, G_N_ELEMENTS(good_cases));
    tcase_add_test(tc, test_long_values);
    tcase_add_test(tc, test_version_and_edition);
    tcase_add_loop_test(tc, test_bad, 0, G_N_ELEMENTS(bad_cases));
    tcase_add_test(tc, test_too_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_add_loop_test(tc, test_assignment, 0, G_N_ELEMENTS(assignments));
    tcase_add_test(tc, test_parse_honours_len);
    tcase_add_test(tc, test_write_defaults);
    suite_add_tcase(s, tc);

    tc = tcase_create("system");
    tcase_add_test(tc, test_this_machine);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(os_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
