/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The manager's folder (vl-manager.c): made on first use with private modes, the same id and
 * identity on every open, pins written, read and forgotten, and bridges recognised by their
 * pinned certificate or a renewal of it.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "test-util.h"
#include "vl-manager.h"
#include "vl-openssl.h"
#include "vl-tls-context.h"

/* A folder made by tmp_dir(), removed with its parent when it goes out of scope. */
typedef char TmpDir;

static void
tmp_dir_remove(TmpDir *dir)
{
    g_autofree char *parent = g_path_get_dirname(dir);
    g_autofree char *quoted = g_shell_quote(parent);
    g_autofree char *rm = g_strdup_printf("rm -rf %s", quoted);

    g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL);
    g_free(dir);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TmpDir, tmp_dir_remove)

static TmpDir *
tmp_dir(void)
{
    g_autofree char *parent = g_dir_make_tmp("vl-manager-XXXXXX", NULL);

    ck_assert_ptr_nonnull(parent);
    /* A folder that does not exist yet, inside a fresh one: vl_manager_open makes it. */
    return g_build_filename(parent, "vmlink", NULL);
}

static VlManager *
open_ok(const char *dir)
{
    g_autoptr(GError) error = NULL;
    VlManager *m = vl_manager_open(dir, &error);

    ck_assert_msg(m != NULL, "%s", error ? error->message : "?");
    return m;
}

static guint
mode_of(const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static X509 *
cert_of(const char *pem)
{
    g_autoptr(BIO) bio = BIO_new_mem_buf(pem, -1);

    return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

START_TEST(test_made_on_first_use)
{
    g_autoptr(TmpDir) dir = tmp_dir();
    g_autoptr(VlManager) m = open_ok(dir);
    g_autofree char *conf = g_build_filename(dir, "manager.conf", NULL);
    g_autofree char *key = g_build_filename(dir, "identity", "key.pem", NULL);
    const char *id = vl_manager_id(m);
    const char *dash = strrchr(id, '-');

    ck_assert_uint_eq(mode_of(dir), 0700);
    ck_assert_uint_eq(mode_of(conf), 0600);
    ck_assert_uint_eq(mode_of(key), 0600);
    ck_assert_str_eq(vl_manager_dir(m), dir);
    ck_assert(vl_tls_identity_created(vl_manager_identity(m)));
    /* <short host name>-<8 hex digits>, in the id's characters. */
    ck_assert_ptr_nonnull(dash);
    ck_assert_uint_eq(strlen(dash + 1), 8);
    for (const char *p = id; *p; p++) {
        ck_assert(g_ascii_isalnum(*p) || strchr("._@-", *p));
    }
}
END_TEST

START_TEST(test_stable_across_opens)
{
    g_autoptr(TmpDir) dir = tmp_dir();
    g_autoptr(VlManager) first = open_ok(dir);
    g_autoptr(VlManager) second = open_ok(dir);

    ck_assert_str_eq(vl_manager_id(first), vl_manager_id(second));
    ck_assert_str_eq(vl_tls_identity_fingerprint(vl_manager_identity(first)),
                     vl_tls_identity_fingerprint(vl_manager_identity(second)));
    ck_assert(!vl_tls_identity_created(vl_manager_identity(second)));
}
END_TEST

START_TEST(test_bad_id_refused)
{
    g_autoptr(TmpDir) dir = tmp_dir();
    g_autofree char *conf = g_build_filename(dir, "manager.conf", NULL);
    g_autoptr(GError) error = NULL;
    VlManager *m;

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
    ck_assert(g_file_set_contents(conf, "[manager]\nid=bad id/..\n", -1, NULL));
    m = vl_manager_open(dir, &error);
    ck_assert_ptr_null(m);
    ck_assert(g_error_matches(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_CONFIG));
    ck_assert_ptr_nonnull(strstr(error->message, conf));
}
END_TEST

START_TEST(test_given_id_kept)
{
    g_autoptr(TmpDir) dir = tmp_dir();
    g_autofree char *conf = g_build_filename(dir, "manager.conf", NULL);
    g_autoptr(VlManager) m = NULL;

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
    ck_assert(g_file_set_contents(conf, "[manager]\nid=engine1@dc-2\n", -1, NULL));
    m = open_ok(dir);
    ck_assert_str_eq(vl_manager_id(m), "engine1@dc-2");
}
END_TEST

START_TEST(test_pins)
{
    g_autoptr(TmpDir) dir = tmp_dir();
    g_autoptr(TmpDir) bridge_dir = tmp_dir();
    g_autoptr(VlManager) m = open_ok(dir);
    g_autoptr(VlManager) bridge = open_ok(bridge_dir); /* any identity stands for a bridge */
    const char *pem = vl_tls_identity_cert_pem(vl_manager_identity(bridge));
    g_autofree char *path = vl_manager_pin_path(m, "kvm1", 8899);
    g_autoptr(GError) error = NULL;
    g_autofree char *read_back = NULL;
    g_autofree char *v6 = NULL;

    ck_assert_ptr_null(vl_manager_pinned(m, "kvm1", 8899));
    ck_assert(vl_manager_pin(m, "kvm1", 8899, pem, &error));
    ck_assert_str_eq(path + strlen(dir), "/hosts/kvm1_8899.pem");
    ck_assert_uint_eq(mode_of(path), 0600);
    read_back = vl_manager_pinned(m, "kvm1", 8899);
    ck_assert_str_eq(read_back, pem);
    ck_assert_ptr_null(vl_manager_pinned(m, "kvm1", 8900)); /* per port */
    ck_assert(vl_manager_pin(m, "::1", 8899, pem, &error));
    v6 = vl_manager_pinned(m, "::1", 8899);
    ck_assert_ptr_nonnull(v6);

    /* Not a certificate, or a name that would leave the folder: refused. */
    ck_assert(!vl_manager_pin(m, "kvm2", 8899, "not a certificate", &error));
    ck_assert(g_error_matches(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_PIN));
    g_clear_error(&error);
    ck_assert(!vl_manager_pin(m, "../x", 8899, pem, &error));
    g_clear_error(&error);

    /* Forgotten, twice: the second is not an error. */
    ck_assert(vl_manager_pin(m, "kvm1", 8899, NULL, &error));
    ck_assert(vl_manager_pin(m, "kvm1", 8899, NULL, &error));
    ck_assert_ptr_null(vl_manager_pinned(m, "kvm1", 8899));
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
}
END_TEST

START_TEST(test_knows_bridge)
{
    g_autoptr(TmpDir) dir = tmp_dir();
    g_autoptr(TmpDir) bridge_dir = tmp_dir();
    g_autoptr(TmpDir) stranger_dir = tmp_dir();
    g_autoptr(VlManager) m = open_ok(dir);
    g_autoptr(VlManager) bridge = open_ok(bridge_dir);
    g_autoptr(VlManager) stranger = open_ok(stranger_dir);
    VlTlsIdentity *bid = vl_manager_identity(bridge);
    g_autoptr(GError) error = NULL;
    g_autofree char *host = NULL;
    g_autofree char *v6host = NULL;
    gboolean renewed = FALSE;
    g_autoptr(X509) renewed_cert = NULL;

    ck_assert(!vl_manager_knows_bridge(m, vl_tls_identity_cert(bid), &host));
    ck_assert_ptr_null(host);
    ck_assert(vl_manager_pin(m, "kvm1", 8899, vl_tls_identity_cert_pem(bid), &error));
    ck_assert(vl_manager_knows_bridge(m, vl_tls_identity_cert(bid), &host));
    ck_assert_str_eq(host, "kvm1:8899");
    ck_assert(
        !vl_manager_knows_bridge(m, vl_tls_identity_cert(vl_manager_identity(stranger)), NULL));

    /* Renewed in place (same key, new certificate): still known. */
    ck_assert(vl_tls_identity_renew_if_needed(bid, 400, 365, &renewed, &error));
    ck_assert(renewed);
    renewed_cert = cert_of(vl_tls_identity_cert_pem(bid));
    ck_assert(vl_manager_knows_bridge(m, renewed_cert, NULL));

    /* An IPv6 pin is named with brackets. */
    ck_assert(vl_manager_pin(m, "kvm1", 8899, NULL, &error));
    ck_assert(vl_manager_pin(m, "fd00::5", 9000, vl_tls_identity_cert_pem(bid), &error));
    ck_assert(vl_manager_knows_bridge(m, renewed_cert, &v6host));
    ck_assert_str_eq(v6host, "[fd00::5]:9000");
}
END_TEST

static Suite *
manager_suite(void)
{
    Suite *s = suite_create("manager");
    TCase *tc = tcase_create("manager");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_made_on_first_use);
    tcase_add_test(tc, test_stable_across_opens);
    tcase_add_test(tc, test_bad_id_refused);
    tcase_add_test(tc, test_given_id_kept);
    tcase_add_test(tc, test_pins);
    tcase_add_test(tc, test_knows_bridge);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return vl_check_run(manager_suite());
}
