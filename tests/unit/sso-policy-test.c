/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who single sign-on may log in (vl-sso-policy): names, login.defs, each rule of the policy,
 * and accounts from this machine's real user database (root, nobody).
 */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl-check.h"
#include "vl-sso-policy.h"

START_TEST(test_user_names)
{
    const char *good[] = {"alice",       "a",        "svc-kiosk",
                          "j.doe",       "user_1",   "alice@corp.example",
                          "CORP\\alice", "machine$", "1000"};
    const char *bad[] = {"",          "-rf", "a b", "a/b",         "a:b",       "tab\there",
                         "new\nline", "$",   "a$b", "caf\xc3\xa9", "semi;colon"};
    char *long_name = g_strnfill(257, 'a');
    char *longest = g_strnfill(256, 'a');

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        ck_assert_msg(vl_sso_user_name_valid(good[i]), "refused: %s", good[i]);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!vl_sso_user_name_valid(bad[i]), "accepted: %s", bad[i]);
    }
    ck_assert(!vl_sso_user_name_valid(NULL));
    ck_assert(!vl_sso_user_name_valid(long_name));
    ck_assert(vl_sso_user_name_valid(longest));
    g_free(long_name);
    g_free(longest);
}
END_TEST

START_TEST(test_console_names)
{
    const char *good[] = {"graphical", "tty1", "ttyS0", "hvc0", "ttyAMA0", "console"};
    const char *bad[] = {"",
                         "/dev/tty1",
                         "tty 1",
                         "1tty",
                         "tty-1",
                         "../tty1",
                         "abcdefghijklmnopqrstuvwxyz0123456"}; /* 33 */

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        ck_assert_msg(vl_sso_console_name_valid(good[i]), "refused: %s", good[i]);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!vl_sso_console_name_valid(bad[i]), "accepted: %s", bad[i]);
    }
}
END_TEST

static void
assert_range(const char *text, guint32 want_min, guint32 want_max)
{
    guint32 min = 1000;
    guint32 max = 60000;

    vl_sso_parse_login_defs(text, strlen(text), &min, &max);
    ck_assert_msg(min == want_min && max == want_max, "%s: %u..%u, not %u..%u", text, min, max,
                  want_min, want_max);
}

START_TEST(test_login_defs)
{
    assert_range("", 1000, 60000);
    assert_range("UID_MIN 500\nUID_MAX 29999\n", 500, 29999);
    assert_range("# UID_MIN 5\n\tUID_MIN\t\t 2000   \nSYS_UID_MIN 100\n", 2000, 60000);
    assert_range("UID_MIN 2000\nUID_MIN 3000\n", 3000, 60000); /* the last one counts */
    assert_range("UID_MIN\nUID_MAX\n", 1000, 60000);           /* no value */
    assert_range("UID_MIN -1\nUID_MAX 0x100\n", 1000, 60000);  /* not UIDs */
    assert_range("UID_MIN 4294967295\n", 1000, 60000);         /* (uid_t)-1 is no UID */
    assert_range("UID_MIN 70000\n", 1000, 60000);              /* above UID_MAX: neither */
    assert_range("UID_MAX 999\n", 1000, 60000);
    assert_range("UID_MIN 10\r\nUID_MAX 20\r\n", 10, 20);
    assert_range("UID_MIN 10", 10, 60000); /* no final newline */
}
END_TEST

START_TEST(test_uid_range_sources)
{
    g_autofree char *root = g_dir_make_tmp("vl-sso-policy-XXXXXX", NULL);
    g_autofree char *etc = g_build_filename(root, "etc", NULL);
    g_autofree char *defs = g_build_filename(etc, "login.defs", NULL);
    VlSsoPolicy p;
    guint32 min;
    guint32 max;

    vl_sso_policy_init(&p);
    vl_sso_policy_uid_range(&p, root, &min, &max); /* no login.defs: the defaults */
    ck_assert_uint_eq(min, VL_SSO_DEFAULT_UID_MIN);
    ck_assert_uint_eq(max, VL_SSO_DEFAULT_UID_MAX);

    ck_assert_int_eq(g_mkdir(etc, 0755), 0);
    ck_assert(g_file_set_contents(defs, "UID_MIN 500\nUID_MAX 999\n", -1, NULL));
    vl_sso_policy_uid_range(&p, root, &min, &max);
    ck_assert_uint_eq(min, 500);
    ck_assert_uint_eq(max, 999);

    p.uid_max = 5000; /* the configuration wins, key by key */
    vl_sso_policy_uid_range(&p, root, &min, &max);
    ck_assert_uint_eq(min, 500);
    ck_assert_uint_eq(max, 5000);

    g_unlink(defs);
    g_rmdir(etc);
    g_rmdir(root);
    vl_sso_policy_clear(&p);
}
END_TEST

static VlSsoAccount
account(const char *name, guint32 uid, char **groups)
{
    return (VlSsoAccount){(char *)name, uid, uid, groups};
}

START_TEST(test_rules)
{
    char *staff[] = {"staff", "users", NULL};
    char *wheel[] = {"root", "wheel", NULL};
    char *none[] = {NULL};
    VlSsoAccount alice = account("alice", 1000, staff);
    VlSsoAccount high = account("hugh", 60001, none);
    VlSsoAccount daemon = account("daemon", 1, none);
    VlSsoAccount root = account("root", 0, wheel);
    VlSsoAccount toor = account("toor", 0, staff); /* another name for UID 0 */
    VlSsoPolicy p;

    vl_sso_policy_init(&p);
    /* Defaults: normal users only. */
    ck_assert(vl_sso_policy_allows_account(&p, &alice, 1000, 60000));
    ck_assert(!vl_sso_policy_allows_account(&p, &high, 1000, 60000));
    ck_assert(!vl_sso_policy_allows_account(&p, &daemon, 1000, 60000));
    ck_assert(!vl_sso_policy_allows_account(&p, &root, 1000, 60000));
    ck_assert(!vl_sso_policy_allows_account(&p, &toor, 1000, 60000));
    /* The range is the one given. */
    ck_assert(!vl_sso_policy_allows_account(&p, &alice, 1001, 60000));
    ck_assert(vl_sso_policy_allows_account(&p, &high, 1000, 65000));

    /* Names and groups add to the range; nothing but allow-root lets UID 0 in. */
    g_strfreev(p.users);
    p.users = g_strsplit("daemon;root", ";", -1);
    g_strfreev(p.groups);
    p.groups = g_strsplit("wheel;staff", ";", -1);
    ck_assert(vl_sso_policy_allows_account(&p, &daemon, 1000, 60000));
    ck_assert(!vl_sso_policy_allows_account(&p, &root, 1000, 60000));
    ck_assert(!vl_sso_policy_allows_account(&p, &toor, 1000, 60000));
    p.allow_root = TRUE;
    ck_assert(vl_sso_policy_allows_account(&p, &root, 1000, 60000));
    ck_assert(vl_sso_policy_allows_account(&p, &toor, 1000, 60000));

    /* Without normal users, only the lists count. */
    p.normal_users = FALSE;
    p.allow_root = FALSE;
    g_strfreev(p.users);
    p.users = g_new0(char *, 1);
    g_strfreev(p.groups);
    p.groups = g_strsplit("users", ";", -1);
    ck_assert(vl_sso_policy_allows_account(&p, &alice, 1000, 60000)); /* in "users" */
    ck_assert(!vl_sso_policy_allows_account(&p, &high, 1000, 65000));
    g_strfreev(p.groups);
    p.groups = g_new0(char *, 1);
    ck_assert(!vl_sso_policy_allows_account(&p, &alice, 1000, 60000));
    vl_sso_policy_clear(&p);
}
END_TEST

START_TEST(test_consoles)
{
    VlSsoPolicy p;

    vl_sso_policy_init(&p);
    ck_assert(vl_sso_policy_allows_console(&p, "ttyS0"));
    ck_assert(vl_sso_policy_allows_console(&p, "graphical"));
    ck_assert(!vl_sso_policy_allows_console(&p, "tty2"));
    ck_assert(!vl_sso_policy_allows_console(&p, NULL));
    vl_sso_policy_clear(&p);
}
END_TEST

/* This machine's own user database, through NSS, as the agent asks it in a guest. */
START_TEST(test_lookup)
{
    g_autoptr(VlSsoAccount) root = vl_sso_account_lookup("root");
    g_autoptr(VlSsoAccount) nobody = vl_sso_account_lookup("nobody");

    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(root->name, "root");
    ck_assert_uint_eq(root->uid, 0);
    ck_assert(g_strv_contains((const char *const *)root->groups, "root"));
    ck_assert_ptr_nonnull(nobody);
    ck_assert_uint_eq(nobody->uid, 65534);
    ck_assert_ptr_null(vl_sso_account_lookup("vl-no-such-user-here"));
    ck_assert_ptr_null(vl_sso_account_lookup("-root"));
    ck_assert_ptr_null(vl_sso_account_lookup("root "));
    ck_assert_ptr_null(vl_sso_account_lookup(""));
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_user_names, test_console_names, test_login_defs, test_uid_range_sources,
        test_rules,      test_consoles,      test_lookup,     NULL,
    };

    return vl_check_run(vl_check_suite("sso-policy", tests));
}
