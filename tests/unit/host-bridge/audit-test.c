/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The audit log: the record's shape, the file (modes, appending, reopening after logrotate, an
 * existing file too open or not vmlinkd's), journal-only mode, the journal's structured field,
 * and rate-limited refusals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "vl-audit.h"
#include "vl-check.h"
#include "vl-json.h"
#include "vl-jsonrpc.h"

/* What the log writer saw: every VMLINK_AUDIT field, one per line; and every warning. */
static GString *journal;
static GString *warnings;

static GLogWriterOutput
capture(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (g_str_equal(fields[i].key, "VMLINK_AUDIT")) {
            g_string_append_printf(journal, "%s\n", (const char *)fields[i].value);
        } else if ((level & G_LOG_LEVEL_WARNING) && g_str_equal(fields[i].key, "MESSAGE")) {
            g_string_append_printf(warnings, "%s\n", (const char *)fields[i].value);
        }
    }
    return G_LOG_WRITER_HANDLED;
}

static void
setup(void)
{
    journal = g_string_new(NULL);
    warnings = g_string_new(NULL);
    g_log_set_writer_func(capture, NULL, NULL);
}

/* The folder of the running test (each runs in a process of its own), removed at its exit. */
static char *test_dir;

static void
remove_test_dir(void)
{
    g_autofree char *rm = g_strdup_printf("rm -rf %s", test_dir);

    (void)!system(rm);
}

static char *
tmp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("vl-audit-XXXXXX", &error);

    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    test_dir = g_strdup(dir);
    atexit(remove_test_dir);
    return dir;
}

static char **
read_lines(const char *path)
{
    g_autofree char *text = NULL;

    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    ck_assert(g_str_has_suffix(text, "\n"));
    text[strlen(text) - 1] = '\0';
    return g_strsplit(text, "\n", -1);
}

static VlJson *
parse(const char *line)
{
    g_autoptr(GError) error = NULL;
    VlJson *json = vl_json_parse(line, strlen(line), &error);

    ck_assert_msg(json != NULL, "%s: %s", line, error ? error->message : "");
    return json;
}

static const char *
get_string(const VlJson *json, const char *a, const char *b)
{
    const VlJson *node = vl_json_object_get(json, a);

    return vl_json_get_string(b ? vl_json_object_get(node, b) : node);
}

START_TEST(test_format)
{
    VlAuditWho local = {.address = NULL, .uid = 0};
    VlAuditWho remote = {
        .manager = "engine1", .address = "192.0.2.7", .uid = -1, .fingerprint = "AB:CD"};
    g_autoptr(GError) error = g_error_new_literal(VL_CALL_ERROR, VL_RPC_NOT_FOUND, "no VM web9");
    /* 2026-01-02T03:04:05.678Z */
    gint64 when = G_GINT64_CONSTANT(1767323045678000);
    g_autofree char *ok = vl_audit_format(&local, "vm.start", "web1", NULL, 0, when);
    g_autofree char *failed = vl_audit_format(&remote, "vm.start", "web9", error, 3, when);
    g_autoptr(VlJson) a = parse(ok);
    g_autoptr(VlJson) b = parse(failed);

    ck_assert_str_eq(get_string(a, "time", NULL), "2026-01-02T03:04:05.678Z");
    ck_assert_str_eq(get_string(a, "what", NULL), "vm.start");
    ck_assert_str_eq(get_string(a, "target", NULL), "web1");
    ck_assert_str_eq(get_string(a, "result", NULL), "ok");
    ck_assert_str_eq(get_string(a, "who", "address"), "local");
    ck_assert_int_eq(vl_json_kind(vl_json_object_get(vl_json_object_get(a, "who"), "manager")),
                     VL_JSON_NULL);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vl_json_object_get(a, "who"), "uid")), 0);
    ck_assert_ptr_null(vl_json_object_get(a, "error"));
    ck_assert_ptr_null(vl_json_object_get(a, "repeated"));

    ck_assert_str_eq(get_string(b, "who", "manager"), "engine1");
    ck_assert_str_eq(get_string(b, "who", "address"), "192.0.2.7");
    ck_assert_str_eq(get_string(b, "who", "fingerprint"), "AB:CD");
    ck_assert_ptr_null(vl_json_object_get(vl_json_object_get(b, "who"), "uid"));
    ck_assert_str_eq(get_string(b, "result", NULL), "error");
    ck_assert_str_eq(get_string(b, "error", NULL), "no VM web9");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(b, "repeated")), 3);
    /* One line: the file is one record per line. */
    ck_assert_ptr_null(strchr(failed, '\n'));
}
END_TEST

START_TEST(test_file_and_journal)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "sub", "audit.log", NULL);
    g_autofree char *sub = g_path_get_dirname(path);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAudit) audit = vl_audit_new(path, &error);
    VlAuditWho who = {.address = "192.0.2.7", .uid = -1};
    g_auto(GStrv) lines = NULL;
    struct stat st;

    ck_assert_ptr_nonnull(audit);
    /* Made at once, with the modes of a log that holds who did what. */
    ck_assert_int_eq(stat(sub, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0750);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);

    vl_audit_record(audit, &who, "vm.start", "web1", NULL);
    vl_audit_record(audit, &who, "vm.destroy", "web2", NULL);
    lines = read_lines(path);
    ck_assert_uint_eq(g_strv_length(lines), 2);
    ck_assert_ptr_nonnull(strstr(lines[1], "\"what\":\"vm.destroy\""));
    /* The journal got the same lines, as a field of their own. */
    ck_assert_ptr_nonnull(strstr(journal->str, lines[0]));
    ck_assert_ptr_nonnull(strstr(journal->str, lines[1]));
}
END_TEST

START_TEST(test_reopen_after_rotation)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "audit.log", NULL);
    g_autofree char *rotated = g_build_filename(dir, "audit.log.1", NULL);
    g_autoptr(VlAudit) audit = vl_audit_new(path, NULL);
    VlAuditWho who = {.uid = 0};
    g_auto(GStrv) old_lines = NULL;
    g_auto(GStrv) new_lines = NULL;

    vl_audit_record(audit, &who, "vm.start", "before", NULL);
    /* What logrotate does without copytruncate: move the file away, no signal. */
    ck_assert_int_eq(rename(path, rotated), 0);
    vl_audit_record(audit, &who, "vm.start", "after", NULL);
    old_lines = read_lines(rotated);
    new_lines = read_lines(path);
    ck_assert_uint_eq(g_strv_length(old_lines), 1);
    ck_assert_uint_eq(g_strv_length(new_lines), 1);
    ck_assert_ptr_nonnull(strstr(old_lines[0], "\"before\""));
    ck_assert_ptr_nonnull(strstr(new_lines[0], "\"after\""));
}
END_TEST

START_TEST(test_journal_only)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlAudit) audit = vl_audit_new("none", &error);
    VlAuditWho who = {.uid = -1};

    ck_assert_ptr_nonnull(audit);
    vl_audit_record(audit, &who, "vm.start", "web1", NULL);
    vl_audit_record(NULL, &who, "vm.stop", "web1", NULL);
    ck_assert_ptr_nonnull(strstr(journal->str, "vm.start"));
    ck_assert_ptr_nonnull(strstr(journal->str, "vm.stop"));

    ck_assert_ptr_null(vl_audit_new("relative/audit.log", &error));
    ck_assert_ptr_nonnull(strstr(error->message, "absolute"));
}
END_TEST

START_TEST(test_refusals_rate_limited)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "audit.log", NULL);
    g_autoptr(VlAudit) audit = vl_audit_new(path, NULL);
    VlAuditWho who = {.address = "192.0.2.7", .uid = -1};
    VlAuditWho other = {.address = "192.0.2.8", .uid = -1};
    g_autoptr(GError) owned = g_error_new_literal(VL_CALL_ERROR, VL_RPC_OWNED, "owned by engine1");
    g_autoptr(GError) expired = g_error_new_literal(VL_CALL_ERROR, VL_RPC_UNAUTHORIZED, "expired");
    g_auto(GStrv) lines = NULL;

    /* A client retrying in a loop: its first refusal is written, the rest counted. */
    for (guint i = 0; i < 50; i++) {
        vl_audit_refusal(audit, &who, "vm.list", owned);
    }
    vl_audit_refusal(audit, &who, "vm.list", expired);
    vl_audit_refusal(audit, &who, "vm.start", owned);
    vl_audit_refusal(audit, &other, "vm.list", owned);
    lines = read_lines(path);
    ck_assert_uint_eq(g_strv_length(lines), 4);
    ck_assert_ptr_nonnull(strstr(lines[0], "\"result\":\"error\""));
    ck_assert_ptr_nonnull(strstr(lines[0], "owned by engine1"));
}
END_TEST

START_TEST(test_existing_file_too_open)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "audit.log", NULL);
    g_autoptr(VlAudit) audit = NULL;
    VlAuditWho who = {.address = "192.0.2.7", .uid = -1};
    g_auto(GStrv) lines = NULL;
    struct stat st;

    /* Left readable by all (an old install, a careless copy): narrowed, and said. */
    ck_assert(
        g_file_set_contents_full(path, "{\"old\":1}\n", -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
    ck_assert_int_eq(chmod(path, 0644), 0);
    audit = vl_audit_new(path, NULL);
    ck_assert_ptr_nonnull(audit);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_ptr_nonnull(strstr(warnings->str, "made it 0600"));
    vl_audit_record(audit, &who, "vm.start", "web1", NULL);
    lines = read_lines(path);
    ck_assert_uint_eq(g_strv_length(lines), 2);
    ck_assert_ptr_nonnull(strstr(lines[1], "\"what\":\"vm.start\""));
}
END_TEST

START_TEST(test_existing_file_of_another_user)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "audit.log", NULL);
    g_autofree char *text = NULL;
    g_autoptr(VlAudit) audit = NULL;
    VlAuditWho who = {.address = "192.0.2.7", .uid = -1};
    uid_t other = geteuid() == 0 ? 65534 : geteuid() + 1;

    ck_assert(g_file_set_contents_full(path, "", -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
    if (chown(path, other, (gid_t)-1) < 0) {
        return; /* not root: no file of another user can be made here */
    }
    /* Whoever owns it could rewrite the records: refused, said, and the journal still gets
     * every record. */
    audit = vl_audit_new(path, NULL);
    ck_assert_ptr_nonnull(audit);
    ck_assert_ptr_nonnull(strstr(warnings->str, "belongs to uid 65534"));
    vl_audit_record(audit, &who, "vm.start", "web1", NULL);
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    ck_assert_str_eq(text, "");
    ck_assert_ptr_nonnull(strstr(journal->str, "\"what\":\"vm.start\""));
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_format,
        test_file_and_journal,
        test_reopen_after_rotation,
        test_journal_only,
        test_refusals_rate_limited,
        test_existing_file_too_open,
        test_existing_file_of_another_user,
        NULL,
    };
    /* Each test runs in a child of this process (libcheck forks): they inherit the capture. */
    setup();
    return vl_check_run(vl_check_suite("audit", tests));
}
