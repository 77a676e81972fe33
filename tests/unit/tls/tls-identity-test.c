/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS identity: made, loaded, renewed, refused when damaged; checked against the real
 * openssl command and in a real TLS 1.3 handshake.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "vl-check.h"
#include "vl-openssl.h"
#include "vl-test-tls.h"
#include "vl-test-util.h"
#include "vl-tls-identity.h"

#define DAY (24 * 60 * 60)

/* Helpers -------------------------------------------------------------------------------------- */

/* A fresh temporary folder, removed when the test ends. */
typedef struct {
    char *root;
} TmpDir;

static void
tmp_dir_clear(TmpDir *t)
{
    if (t->root) {
        vl_test_remove_tree(t->root);
        g_free(t->root);
    }
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TmpDir, tmp_dir_clear)

static void
tmp_dir_init(TmpDir *t)
{
    t->root = vl_test_make_tmp_dir("vl-tls-XXXXXX");
}

static char *
path_in(const char *dir, const char *name)
{
    return g_build_filename(dir, name, NULL);
}

static VlTlsIdentity *
make_identity(const char *dir, guint validity_days)
{
    g_autoptr(GError) error = NULL;
    VlTlsIdentity *id = vl_tls_identity_load_or_create(dir, "host.example", validity_days, &error);

    ck_assert_msg(id != NULL, "%s", error ? error->message : "");
    return id;
}

static char *
read_file(const char *path)
{
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, &error), "%s", error->message);
    return text;
}

static void
write_file(const char *path, const char *text, int mode)
{
    g_autoptr(GError) error = NULL;

    /* CONSISTENT: with NONE, GLib 2.74 writes over the old file without truncating it. */
    ck_assert_msg(
        g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, &error),
        "%s", error ? error->message : "");
}

static guint
count_files(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    guint n = 0;

    ck_assert_ptr_nonnull(dir);
    while (g_dir_read_name(dir)) {
        n++;
    }
    return n;
}

static guint
file_mode(const char *path)
{
    struct stat st;

    ck_assert_int_eq(g_stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* The failure is error's domain and code, its message holds want (if any), and OpenSSL's error
 * queue was left empty. */
static void
assert_error(const GError *error, int code, const char *want)
{
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(error->domain == VL_TLS_ERROR && error->code == code, "code %d, not %d: %s",
                  error->code, code, error->message);
    ck_assert_msg(!want || strstr(error->message, want), "'%s' not in: %s", want, error->message);
    ck_assert_uint_eq(ERR_peek_error(), 0);
}

/* The identity's certificate, re-dated to have expired yesterday and signed again by its key:
 * what a bridge that was switched off for a long time finds. */
static char *
expired_pem(VlTlsIdentity *id)
{
    g_autoptr(X509) cert = vl_test_redated(id, -30 * DAY, -DAY);
    g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;

    ck_assert(PEM_write_bio_X509(bio, cert));
    len = BIO_get_mem_data(bio, &data);
    return g_strndup(data, len);
}

/* Making and loading --------------------------------------------------------------------------- */

START_TEST(test_create_and_load)
{
    g_auto(TmpDir) tmp = {0};
    g_autofree char *dir = NULL;
    g_autofree char *key = NULL;
    g_autofree char *cert = NULL;
    g_autofree char *key_text = NULL;
    g_autoptr(VlTlsIdentity) id = NULL;
    g_autoptr(VlTlsIdentity) again = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    const char *fp;

    tmp_dir_init(&tmp);
    dir = g_build_filename(tmp.root, "state", "tls", NULL); /* two levels to make */
    key = path_in(dir, "key.pem");
    cert = path_in(dir, "cert.pem");
    id = make_identity(dir, 365);

    ck_assert(vl_tls_identity_created(id));
    ck_assert_str_eq(vl_tls_identity_dir(id), dir);
    ck_assert_uint_eq(file_mode(dir), 0700);
    ck_assert_uint_eq(file_mode(key), 0600);
    ck_assert_uint_eq(file_mode(cert), 0600);
    /* No temporary file left behind. */
    ck_assert_uint_eq(count_files(dir), 2);
    key_text = read_file(key);
    ck_assert_ptr_nonnull(strstr(key_text, "-----BEGIN PRIVATE KEY-----"));

    fp = vl_tls_identity_fingerprint(id);
    ck_assert_uint_eq(strlen(fp), 32 * 3 - 1);
    ck_assert(g_regex_match_simple("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", fp, 0, 0));
    ck_assert_int_le(ABS(vl_tls_identity_not_after(id) - (now + 365 * DAY)), 60);
    ck_assert_ptr_nonnull(strstr(vl_tls_identity_cert_pem(id), "-----BEGIN CERTIFICATE-----"));

    /* The second start loads the same identity. */
    again = make_identity(dir, 365);
    ck_assert(!vl_tls_identity_created(again));
    ck_assert_str_eq(vl_tls_identity_fingerprint(again), fp);
    ck_assert_str_eq(vl_tls_identity_cert_pem(again), vl_tls_identity_cert_pem(id));
    ck_assert_int_eq(vl_tls_identity_not_after(again), vl_tls_identity_not_after(id));
    ck_assert_int_eq(EVP_PKEY_eq(vl_tls_identity_key(again), vl_tls_identity_key(id)), 1);
}
END_TEST

START_TEST(test_certificate_contents)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(VlTlsIdentity) id = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    X509 *cert;
    EVP_PKEY *key;
    BASIC_CONSTRAINTS *bc;
    X509_NAME_ENTRY *cn;
    BIGNUM *serial;
    char group[64];
    int crit = -1;
    int at;

    tmp_dir_init(&tmp);
    id = make_identity(tmp.root, 90);
    cert = vl_tls_identity_cert(id);
    key = vl_tls_identity_key(id);

    /* ECDSA P-256, signed with SHA-256. */
    ck_assert(EVP_PKEY_is_a(key, "EC"));
    ck_assert(EVP_PKEY_get_group_name(key, group, sizeof(group), NULL));
    ck_assert_str_eq(group, "prime256v1");
    ck_assert_int_eq(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
    ck_assert_int_eq(X509_verify(cert, key), 1);

    ck_assert_int_eq(X509_get_version(cert), X509_VERSION_3);
    /* Random 128-bit serial: more than 64 bits set apart from one chance in 2^64. */
    serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    ck_assert_int_le(BN_num_bits(serial), 128);
    ck_assert_int_gt(BN_num_bits(serial), 64);
    ck_assert(!BN_is_negative(serial));
    BN_free(serial);

    /* Self-signed, CN=common_name. */
    ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
    ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(cert)), 1);
    cn = X509_NAME_get_entry(X509_get_subject_name(cert), 0);
    ck_assert_int_eq(OBJ_obj2nid(X509_NAME_ENTRY_get_object(cn)), NID_commonName);
    ck_assert_str_eq((const char *)ASN1_STRING_get0_data(X509_NAME_ENTRY_get_data(cn)),
                     "host.example");

    /* Dates: an hour back for clock skew, validity days ahead. */
    {
        int days, secs;
        ASN1_TIME *then = ASN1_TIME_set(NULL, (time_t)now);

        ck_assert(ASN1_TIME_diff(&days, &secs, then, X509_get0_notBefore(cert)));
        ck_assert_int_eq(days, 0);
        ck_assert_int_le(ABS(secs + 3600), 60);
        ck_assert(ASN1_TIME_diff(&days, &secs, then, X509_get0_notAfter(cert)));
        ck_assert_int_le(ABS((gint64)days * DAY + secs - 90 * DAY), 60);
        ASN1_TIME_free(then);
    }

    /* Extensions: CA:FALSE critical, digitalSignature critical, serverAuth+clientAuth, SKI. */
    bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
    ck_assert_ptr_nonnull(bc);
    ck_assert_int_eq(bc->ca, 0);
    ck_assert_int_eq(crit, 1);
    BASIC_CONSTRAINTS_free(bc);
    ck_assert_uint_eq(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
    at = X509_get_ext_by_NID(cert, NID_key_usage, -1);
    ck_assert_int_ge(at, 0);
    ck_assert_int_eq(X509_EXTENSION_get_critical(X509_get_ext(cert, at)), 1);
    ck_assert_uint_eq(X509_get_extended_key_usage(cert), XKU_SSL_SERVER | XKU_SSL_CLIENT);
    at = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
    ck_assert_int_eq(X509_EXTENSION_get_critical(X509_get_ext(cert, at)), 0);
    ck_assert_ptr_nonnull(X509_get0_subject_key_id(cert));
    ck_assert_int_eq(X509_get_ext_count(cert), 4);
    ck_assert(!(X509_get_extension_flags(cert) & EXFLAG_CA));
}
END_TEST

START_TEST(test_openssl_command_agrees)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(VlTlsIdentity) id = NULL;
    g_autofree char *cert = NULL;
    g_autofree char *fp_out = NULL;
    g_autofree char *verify_out = NULL;
    g_autofree char *text = NULL;
    g_autofree char *want = NULL;

    tmp_dir_init(&tmp);
    id = make_identity(tmp.root, 30);
    cert = path_in(tmp.root, "cert.pem");

    {
        const char *argv[] = {"openssl", "x509", "-noout", "-fingerprint",
                              "-sha256", "-in",  cert,     NULL};
        fp_out = vl_test_run(argv);
    }
    want = g_strdup_printf("=%s\n", vl_tls_identity_fingerprint(id));
    ck_assert_msg(g_str_has_suffix(fp_out, want), "openssl: %s, we: %s", fp_out, want);

    /* Trusted as its own anchor, as a peer that pins it does. */
    {
        const char *argv[] = {"openssl", "verify", "-CAfile", cert, cert, NULL};
        verify_out = vl_test_run(argv);
    }
    ck_assert_msg(g_str_has_suffix(verify_out, ": OK\n"), "%s", verify_out);

    /* The text form, for a person reading it: the extensions are there. */
    {
        const char *argv[] = {"openssl", "x509", "-noout", "-text", "-in", cert, NULL};
        text = vl_test_run(argv);
    }
    ck_assert_ptr_nonnull(strstr(text, "X509v3 Basic Constraints: critical"));
    ck_assert_ptr_nonnull(strstr(text, "TLS Web Server Authentication, TLS Web Client"));
    ck_assert_ptr_nonnull(strstr(text, "ASN1 OID: prime256v1"));
}
END_TEST

/* Renewing ------------------------------------------------------------------------------------- */

START_TEST(test_renew_when_due)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlTlsIdentity) id = NULL;
    g_autoptr(VlTlsIdentity) reloaded = NULL;
    g_autofree char *key = NULL;
    g_autofree char *key_before = NULL;
    g_autofree char *key_after = NULL;
    g_autofree char *old_fp = NULL;
    g_autofree char *cert = NULL;
    g_autofree char *cert_text = NULL;
    g_autoptr(X509) original = NULL;
    g_autofree char *stale = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    gboolean renewed = FALSE;

    tmp_dir_init(&tmp);
    key = path_in(tmp.root, "key.pem");
    id = make_identity(tmp.root, 1);
    original = X509_dup(vl_tls_identity_cert(id));
    old_fp = g_strdup(vl_tls_identity_fingerprint(id));
    key_before = read_file(key);
    /* What a crash in the middle of a write leaves: removed by the next write. */
    stale = path_in(tmp.root, ".cert.pem.tmp-0123456789ab");
    write_file(stale, "half a certificate", 0600);

    /* Expires in a day, renewal a week before: due. */
    ck_assert_msg(vl_tls_identity_renew_if_needed(id, 7, 30, &renewed, &error), "%s",
                  error ? error->message : "");
    ck_assert(renewed);
    ck_assert_str_ne(vl_tls_identity_fingerprint(id), old_fp);
    ck_assert_int_le(ABS(vl_tls_identity_not_after(id) - (now + 30 * DAY)), 60);
    ck_assert_int_eq(X509_check_private_key(vl_tls_identity_cert(id), vl_tls_identity_key(id)), 1);

    /* Written in place: same key, the new certificate, still 0600. */
    key_after = read_file(key);
    ck_assert_str_eq(key_after, key_before);
    cert = path_in(tmp.root, "cert.pem");
    cert_text = read_file(cert);
    ck_assert_str_eq(cert_text, vl_tls_identity_cert_pem(id));
    ck_assert_uint_eq(file_mode(cert), 0600);
    ck_assert(!g_file_test(stale, G_FILE_TEST_EXISTS));
    ck_assert_uint_eq(count_files(tmp.root), 2);
    reloaded = make_identity(tmp.root, 1);
    ck_assert_str_eq(vl_tls_identity_fingerprint(reloaded), vl_tls_identity_fingerprint(id));
    ck_assert_int_eq(
        EVP_PKEY_eq(X509_get0_pubkey(vl_tls_identity_cert(reloaded)), vl_tls_identity_key(id)), 1);
    /* The subject stays; the serial is new. */
    ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(vl_tls_identity_cert(reloaded)),
                                   X509_get_subject_name(original)),
                     0);
    ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(vl_tls_identity_cert(reloaded)),
                                      X509_get0_serialNumber(original)),
                     0);

    /* 30 days left, renewal 7 days before: not due. */
    g_free(old_fp);
    old_fp = g_strdup(vl_tls_identity_fingerprint(id));
    ck_assert(vl_tls_identity_renew_if_needed(id, 7, 30, &renewed, &error));
    ck_assert(!renewed);
    ck_assert_str_eq(vl_tls_identity_fingerprint(id), old_fp);
    ck_assert(vl_tls_identity_renew_if_needed(id, 7, 30, NULL, &error));
}
END_TEST

START_TEST(test_renew_expired)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlTlsIdentity) id = NULL;
    g_autoptr(VlTlsIdentity) expired = NULL;
    g_autofree char *cert = NULL;
    g_autofree char *pem = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    gboolean renewed = FALSE;

    tmp_dir_init(&tmp);
    cert = path_in(tmp.root, "cert.pem");
    id = make_identity(tmp.root, 365);
    pem = expired_pem(id);
    write_file(cert, pem, 0600);

    /* An expired certificate loads, so that it can be renewed: no manual recovery. */
    expired = make_identity(tmp.root, 365);
    ck_assert_int_lt(vl_tls_identity_not_after(expired), now);
    ck_assert(!vl_tls_cert_pem_check(vl_tls_identity_cert_pem(expired), 16384, &error));
    assert_error(error, VL_TLS_ERROR_EXPIRED, "expired on");
    g_clear_error(&error);

    ck_assert(vl_tls_identity_renew_if_needed(expired, 0, 365, &renewed, &error));
    ck_assert(renewed);
    ck_assert_int_gt(vl_tls_identity_not_after(expired), now + 364 * DAY);
    ck_assert(vl_tls_cert_pem_check(vl_tls_identity_cert_pem(expired), 16384, &error));
    ck_assert_int_eq(EVP_PKEY_eq(vl_tls_identity_key(expired), vl_tls_identity_key(id)), 1);
}
END_TEST

/* Rotating ------------------------------------------------------------------------------------- */

START_TEST(test_rotate)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlTlsIdentity) id = NULL;
    g_autoptr(VlTlsIdentity) reloaded = NULL;
    g_autoptr(X509) original = NULL;
    g_autoptr(EVP_PKEY) old_key = NULL;
    g_autofree char *old_fp = NULL;
    g_autofree char *key = NULL;
    g_autofree char *cert_text = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    tmp_dir_init(&tmp);
    id = make_identity(tmp.root, 30);
    original = X509_dup(vl_tls_identity_cert(id));
    old_key = vl_tls_identity_key(id);
    EVP_PKEY_up_ref(old_key);
    old_fp = g_strdup(vl_tls_identity_fingerprint(id));

    ck_assert_msg(vl_tls_identity_rotate(id, 90, &error), "%s", error ? error->message : "");
    /* A new key and certificate, same subject, the new validity. */
    ck_assert_str_ne(vl_tls_identity_fingerprint(id), old_fp);
    ck_assert_int_ne(EVP_PKEY_eq(vl_tls_identity_key(id), old_key), 1);
    ck_assert_int_eq(X509_check_private_key(vl_tls_identity_cert(id), vl_tls_identity_key(id)), 1);
    ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(vl_tls_identity_cert(id)),
                                   X509_get_subject_name(original)),
                     0);
    ck_assert_int_le(ABS(vl_tls_identity_not_after(id) - (now + 90 * DAY)), 60);

    /* On disk: the new pair, 0600, nothing else left over. */
    key = path_in(tmp.root, "key.pem");
    ck_assert_uint_eq(file_mode(key), 0600);
    ck_assert_uint_eq(count_files(tmp.root), 2);
    {
        g_autofree char *cert = path_in(tmp.root, "cert.pem");

        cert_text = read_file(cert);
    }
    ck_assert_str_eq(cert_text, vl_tls_identity_cert_pem(id));
    reloaded = make_identity(tmp.root, 30);
    ck_assert_str_eq(vl_tls_identity_fingerprint(reloaded), vl_tls_identity_fingerprint(id));
    ck_assert_int_eq(EVP_PKEY_eq(vl_tls_identity_key(reloaded), vl_tls_identity_key(id)), 1);
    ck_assert(!vl_tls_identity_created(reloaded));
}
END_TEST

/* Copies from's file name to to's folder as name (key files keep mode 0600). */
static void
copy_file(const char *from_dir, const char *file, const char *to_dir, const char *name)
{
    g_autofree char *from = path_in(from_dir, file);
    g_autofree char *to = path_in(to_dir, name);
    g_autofree char *text = read_file(from);

    write_file(to, text, 0600);
}

/* What a crash during a rotation leaves in old's folder: the new pair (from new_dir) part
 * written, part renamed. */
typedef enum {
    CRASH_KEY_WRITTEN,  /* key.pem.new */
    CRASH_PAIR_WRITTEN, /* key.pem.new, cert.pem.new */
    CRASH_KEY_RENAMED,  /* key.pem new, cert.pem.new */
} Crash;

static void
simulate_crash(const char *dir, const char *new_dir, Crash crash)
{
    if (crash == CRASH_KEY_RENAMED) {
        copy_file(new_dir, "key.pem", dir, "key.pem");
    } else {
        copy_file(new_dir, "key.pem", dir, "key.pem.new");
    }
    if (crash != CRASH_KEY_WRITTEN) {
        copy_file(new_dir, "cert.pem", dir, "cert.pem.new");
    }
}

START_TEST(test_rotate_interrupted)
{
    static const struct {
        Crash crash;
        gboolean finished; /* the load finds the new identity, else the old */
    } cases[] = {
        {CRASH_KEY_WRITTEN, FALSE},
        {CRASH_PAIR_WRITTEN, FALSE},
        {CRASH_KEY_RENAMED, TRUE},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(TmpDir) old_dir = {0};
        g_auto(TmpDir) new_dir = {0};
        g_autoptr(VlTlsIdentity) old_id = NULL;
        g_autoptr(VlTlsIdentity) new_id = NULL;
        g_autoptr(VlTlsIdentity) loaded = NULL;
        g_autoptr(VlTlsIdentity) again = NULL;
        const VlTlsIdentity *want;

        tmp_dir_init(&old_dir);
        tmp_dir_init(&new_dir);
        old_id = make_identity(old_dir.root, 30);
        new_id = make_identity(new_dir.root, 30);
        simulate_crash(old_dir.root, new_dir.root, cases[i].crash);

        /* Never an identity that does not load: the old one or the new one, whole. */
        loaded = make_identity(old_dir.root, 30);
        want = cases[i].finished ? new_id : old_id;
        ck_assert_msg(
            g_str_equal(vl_tls_identity_fingerprint(loaded), vl_tls_identity_fingerprint(want)),
            "case %zu: not the %s identity", i, cases[i].finished ? "new" : "old");
        ck_assert_int_eq(EVP_PKEY_eq(vl_tls_identity_key(loaded), vl_tls_identity_key(want)), 1);
        ck_assert_uint_eq(count_files(old_dir.root), 2);
        again = make_identity(old_dir.root, 30);
        ck_assert_str_eq(vl_tls_identity_fingerprint(again), vl_tls_identity_fingerprint(want));
    }
}
END_TEST

START_TEST(test_rotate_then_renew)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlTlsIdentity) id = NULL;
    g_autoptr(VlTlsIdentity) reloaded = NULL;
    gboolean renewed = FALSE;

    /* A rotated identity is a normal one: renewed in place when due, same (new) key. */
    tmp_dir_init(&tmp);
    id = make_identity(tmp.root, 30);
    ck_assert(vl_tls_identity_rotate(id, 1, &error));
    ck_assert(vl_tls_identity_renew_if_needed(id, 7, 30, &renewed, &error));
    ck_assert(renewed);
    reloaded = make_identity(tmp.root, 30);
    ck_assert_str_eq(vl_tls_identity_fingerprint(reloaded), vl_tls_identity_fingerprint(id));
    ck_assert_int_eq(EVP_PKEY_eq(vl_tls_identity_key(reloaded), vl_tls_identity_key(id)), 1);
}
END_TEST

/* Refusing ------------------------------------------------------------------------------------- */

START_TEST(test_mismatch_refused)
{
    g_auto(TmpDir) a = {0};
    g_auto(TmpDir) b = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlTlsIdentity) id_b = NULL;
    g_autofree char *cert_a = NULL;
    g_autofree char *key_a = NULL;
    g_autofree char *after = NULL;

    tmp_dir_init(&a);
    tmp_dir_init(&b);
    vl_tls_identity_free(make_identity(a.root, 30));
    id_b = make_identity(b.root, 30);
    cert_a = path_in(a.root, "cert.pem");
    key_a = path_in(a.root, "key.pem");
    write_file(cert_a, vl_tls_identity_cert_pem(id_b), 0600);

    ck_assert_ptr_null(vl_tls_identity_load_or_create(a.root, "host.example", 30, &error));
    assert_error(error, VL_TLS_ERROR_MISMATCH, cert_a);
    ck_assert_ptr_nonnull(strstr(error->message, key_a));
    ck_assert_ptr_nonnull(strstr(error->message, "remove both"));
    /* Left for the admin to decide. */
    after = read_file(cert_a);
    ck_assert_str_eq(after, vl_tls_identity_cert_pem(id_b));
}
END_TEST

START_TEST(test_damaged_refused)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(GError) error = NULL;
    g_autofree char *cert = NULL;
    g_autofree char *key = NULL;
    g_autofree char *key_text = NULL;
    g_autofree char *after = NULL;
    g_autofree char *truncated = NULL;
    g_autoptr(VlTlsIdentity) id = NULL;
    g_autoptr(VlTlsIdentity) remade = NULL;

    tmp_dir_init(&tmp);
    cert = path_in(tmp.root, "cert.pem");
    key = path_in(tmp.root, "key.pem");
    id = make_identity(tmp.root, 30);
    key_text = read_file(key);

    /* A damaged certificate: refused, named, left in place. */
    truncated = g_strndup(vl_tls_identity_cert_pem(id), 200);
    write_file(cert, truncated, 0600);
    ck_assert_ptr_null(vl_tls_identity_load_or_create(tmp.root, "host.example", 30, &error));
    assert_error(error, VL_TLS_ERROR_DAMAGED, cert);
    ck_assert_ptr_nonnull(strstr(error->message, "OpenSSL:"));
    ck_assert_ptr_nonnull(strstr(error->message, "remove both"));
    g_clear_error(&error);
    after = read_file(cert);
    ck_assert_str_eq(after, truncated);

    /* A damaged key, likewise. */
    write_file(cert, vl_tls_identity_cert_pem(id), 0600);
    write_file(key, "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n",
               0600);
    ck_assert_ptr_null(vl_tls_identity_load_or_create(tmp.root, "host.example", 30, &error));
    assert_error(error, VL_TLS_ERROR_DAMAGED, key);
    g_clear_error(&error);
    g_clear_pointer(&after, g_free);
    after = read_file(key);
    ck_assert_ptr_nonnull(strstr(after, "not base64"));

    /* An encrypted key: refused without asking for a passphrase (vmlinkd has no terminal). */
    write_file(key, key_text, 0600);
    {
        g_autofree char *plain = path_in(tmp.root, "plain.pem");
        const char *argv[] = {"openssl",  "pkey",   "-in",  plain, "-aes256",
                              "-passout", "pass:x", "-out", key,   NULL};

        ck_assert_int_eq(g_rename(key, plain), 0);
        g_free(vl_test_run(argv));
        g_unlink(plain);
    }
    ck_assert_ptr_null(vl_tls_identity_load_or_create(tmp.root, "host.example", 30, &error));
    assert_error(error, VL_TLS_ERROR_DAMAGED, "encrypted");
    g_clear_error(&error);

    /* A certificate without its key cannot be used, and is not replaced. */
    g_unlink(key);
    ck_assert_ptr_null(vl_tls_identity_load_or_create(tmp.root, "host.example", 30, &error));
    assert_error(error, VL_TLS_ERROR_DAMAGED, "does not");
    g_clear_error(&error);
    ck_assert(g_file_test(cert, G_FILE_TEST_EXISTS));

    /* A key without its certificate (a crash between the two writes) gets one. */
    write_file(key, key_text, 0600);
    g_unlink(cert);
    remade = make_identity(tmp.root, 30);
    ck_assert(vl_tls_identity_created(remade));
    ck_assert_int_eq(EVP_PKEY_eq(vl_tls_identity_key(remade), vl_tls_identity_key(id)), 1);
    ck_assert_str_ne(vl_tls_identity_fingerprint(remade), vl_tls_identity_fingerprint(id));
}
END_TEST

START_TEST(test_key_mode_refused)
{
    g_auto(TmpDir) tmp = {0};
    g_autoptr(GError) error = NULL;
    g_autofree char *key = NULL;

    tmp_dir_init(&tmp);
    vl_tls_identity_free(make_identity(tmp.root, 30));
    key = path_in(tmp.root, "key.pem");
    ck_assert_int_eq(g_chmod(key, 0644), 0);

    ck_assert_ptr_null(vl_tls_identity_load_or_create(tmp.root, "host.example", 30, &error));
    assert_error(error, VL_TLS_ERROR_PERMISSIONS, "chmod 600");
    ck_assert_ptr_nonnull(strstr(error->message, key));
    ck_assert_ptr_nonnull(strstr(error->message, "0644"));
    g_clear_error(&error);

    ck_assert_int_eq(g_chmod(key, 0600), 0);
    vl_tls_identity_free(make_identity(tmp.root, 30));

    /* Owned by someone else, who could replace it (only root can give a file away). */
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(key, 65534, 65534), 0);
        ck_assert_ptr_null(vl_tls_identity_load_or_create(tmp.root, "host.example", 30, &error));
        assert_error(error, VL_TLS_ERROR_PERMISSIONS, "owned by uid 65534");
        ck_assert_ptr_nonnull(strstr(error->message, "chown"));
    }
}
END_TEST

/* Certificates from peers ---------------------------------------------------------------------- */

START_TEST(test_peer_certificates)
{
    g_auto(TmpDir) a = {0};
    g_auto(TmpDir) b = {0};
    g_autoptr(GError) error = NULL;
    g_autoptr(VlTlsIdentity) id_a = NULL;
    g_autoptr(VlTlsIdentity) id_b = NULL;
    g_autofree char *fp = NULL;
    g_autofree char *two = NULL;
    g_autofree char *expired = NULL;
    g_autofree char *with_text = NULL;
    const char *pem;

    tmp_dir_init(&a);
    tmp_dir_init(&b);
    id_a = make_identity(a.root, 30);
    id_b = make_identity(b.root, 30);
    pem = vl_tls_identity_cert_pem(id_a);

    fp = vl_tls_fingerprint_of_pem(pem, &error);
    ck_assert_msg(fp != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(fp, vl_tls_identity_fingerprint(id_a));
    ck_assert(vl_tls_cert_pem_check(pem, strlen(pem), &error));
    /* Text around the PEM block (as `openssl x509 -text` writes) is no second certificate. */
    with_text = g_strconcat("Certificate:\n  some text\n", pem, "\n", NULL);
    ck_assert(vl_tls_cert_pem_check(with_text, 16384, &error));

    /* Two certificates: which one would be pinned? Neither. */
    two = g_strconcat(pem, vl_tls_identity_cert_pem(id_b), NULL);
    ck_assert(!vl_tls_cert_pem_check(two, 16384, &error));
    assert_error(error, VL_TLS_ERROR_INVALID, "more than one");
    g_clear_error(&error);
    ck_assert_ptr_null(vl_tls_fingerprint_of_pem(two, &error));
    assert_error(error, VL_TLS_ERROR_INVALID, "more than one");
    g_clear_error(&error);

    /* Garbage, and nothing. */
    ck_assert(!vl_tls_cert_pem_check("hello", 16384, &error));
    assert_error(error, VL_TLS_ERROR_INVALID, "not a PEM certificate");
    g_clear_error(&error);
    ck_assert_ptr_null(vl_tls_fingerprint_of_pem("", &error));
    assert_error(error, VL_TLS_ERROR_INVALID, NULL);
    g_clear_error(&error);
    ck_assert(!vl_tls_cert_pem_check(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 16384, &error));
    assert_error(error, VL_TLS_ERROR_INVALID, NULL);
    g_clear_error(&error);

    /* Expired. */
    expired = expired_pem(id_a);
    ck_assert(!vl_tls_cert_pem_check(expired, 16384, &error));
    assert_error(error, VL_TLS_ERROR_EXPIRED, NULL);
    g_clear_error(&error);

    /* Too long: refused before it is parsed. */
    ck_assert(!vl_tls_cert_pem_check(pem, strlen(pem) - 1, &error));
    assert_error(error, VL_TLS_ERROR_INVALID, "longer than");
    g_clear_error(&error);
}
END_TEST

/* A real handshake ----------------------------------------------------------------------------- */

/* Peers pin certificates and compare fingerprints after the handshake; there is no CA to check
 * the chain against, so the handshake itself accepts any certificate. */
static int
accept_any(int ok, X509_STORE_CTX *ctx)
{
    return 1;
}

static SSL *
new_ssl(VlTlsIdentity *id, gboolean server, int fd)
{
    g_autoptr(SSL_CTX) ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    SSL *ssl;

    ck_assert_ptr_nonnull(ctx);
    ck_assert(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION));
    ck_assert_int_eq(SSL_CTX_use_certificate(ctx, vl_tls_identity_cert(id)), 1);
    ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, vl_tls_identity_key(id)), 1);
    ck_assert_int_eq(SSL_CTX_check_private_key(ctx), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
    ssl = SSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    ck_assert_int_eq(SSL_set_fd(ssl, fd), 1);
    return ssl;
}

/* One step of a non-blocking handshake; TRUE once done. */
static gboolean
handshake_step(SSL *ssl)
{
    int r = SSL_do_handshake(ssl);
    int e;

    if (r == 1) {
        return TRUE;
    }
    e = SSL_get_error(ssl, r);
    ck_assert_msg(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE,
                  "handshake failed: SSL error %d, %s", e,
                  ERR_reason_error_string(ERR_peek_error()));
    return FALSE;
}

static char *
peer_fingerprint(SSL *ssl)
{
    g_autoptr(X509) peer = SSL_get1_peer_certificate(ssl);
    g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    g_autofree char *pem = NULL;
    long len;
    char *fp;

    ck_assert_ptr_nonnull(peer);
    ck_assert(PEM_write_bio_X509(bio, peer));
    len = BIO_get_mem_data(bio, &data);
    pem = g_strndup(data, len);
    fp = vl_tls_fingerprint_of_pem(pem, &error);
    ck_assert_msg(fp != NULL, "%s", error ? error->message : "");
    return fp;
}

START_TEST(test_tls_handshake)
{
    g_auto(TmpDir) bridge_dir = {0};
    g_auto(TmpDir) manager_dir = {0};
    g_autoptr(VlTlsIdentity) bridge = NULL;
    g_autoptr(VlTlsIdentity) manager = NULL;
    g_autoptr(SSL) server = NULL;
    g_autoptr(SSL) client = NULL;
    g_autofree char *seen_by_manager = NULL;
    g_autofree char *seen_by_bridge = NULL;
    gboolean server_done = FALSE, client_done = FALSE;
    char buf[8] = {0};
    int sv[2];

    tmp_dir_init(&bridge_dir);
    tmp_dir_init(&manager_dir);
    bridge = make_identity(bridge_dir.root, 30);
    manager = make_identity(manager_dir.root, 30);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    server = new_ssl(bridge, TRUE, sv[0]);
    client = new_ssl(manager, FALSE, sv[1]);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);

    for (int i = 0; i < 100 && !(server_done && client_done); i++) {
        client_done = client_done || handshake_step(client);
        server_done = server_done || handshake_step(server);
    }
    ck_assert(server_done && client_done);
    ck_assert_int_eq(SSL_version(client), TLS1_3_VERSION);

    /* Mutual: each side sees the other's identity, by the fingerprint it would pin. */
    seen_by_manager = peer_fingerprint(client);
    seen_by_bridge = peer_fingerprint(server);
    ck_assert_str_eq(seen_by_manager, vl_tls_identity_fingerprint(bridge));
    ck_assert_str_eq(seen_by_bridge, vl_tls_identity_fingerprint(manager));

    /* And data goes through. */
    ck_assert_int_eq(SSL_write(client, "ping", 4), 4);
    ck_assert_int_eq(SSL_read(server, buf, sizeof(buf)), 4);
    ck_assert_str_eq(buf, "ping");

    close(sv[0]);
    close(sv[1]);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_create_and_load,        test_certificate_contents,
        test_openssl_command_agrees, test_renew_when_due,
        test_renew_expired,          test_rotate,
        test_rotate_interrupted,     test_rotate_then_renew,
        test_mismatch_refused,       test_damaged_refused,
        test_key_mode_refused,       test_peer_certificates,
        test_tls_handshake,          NULL,
    };

    return vl_check_run(vl_check_suite("tls-identity", tests));
}
