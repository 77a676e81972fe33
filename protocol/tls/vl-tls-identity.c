/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TLS identity's files: key.pem and cert.pem, read with care and written atomically.
 */
#include "vl-file.h"
#include "vl-tls-identity-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

/* The same text ends every error about a file of the identity that cannot be trusted. */
#define START_OVER                                                                                 \
    "remove both " VL_TLS_KEY_FILE " and " VL_TLS_CERT_FILE " to make a new identity (peers that " \
    "pinned the old certificate must then pin the new one)"

struct _VlTlsIdentity {
    char *dir;
    char *key_path;
    char *cert_path;
    EVP_PKEY *key;
    X509 *cert;
    char *cert_pem;
    char *fingerprint;
    gint64 not_after;
    gboolean created;
};

/* Files ---------------------------------------------------------------------------------------- */

/* Replaces path (in dir) with data, mode 0600, atomically and durably (vl-file.h). */
static gboolean
write_atomic(const char *dir, const char *path, const char *data, gsize len, GError **error)
{
    const char *step = NULL;
    int errsv = 0;

    if (vl_file_replace(path, data, len, &step, &errsv)) {
        return TRUE;
    }
    if (g_str_equal(step, "flushing its folder")) {
        vl_tls_set_error(error, VL_TLS_ERROR_WRITE, NULL,
                         "cannot flush the folder %s after writing %s: %s", dir, path,
                         g_strerror(errsv));
    } else {
        vl_tls_set_error(error, VL_TLS_ERROR_WRITE, NULL,
                         "cannot write %s (%s: %s; is the folder writable and the disk not "
                         "full?)",
                         path, step, g_strerror(errsv));
    }
    return FALSE;
}

/* Whether path exists; FALSE with error set when that cannot be told. */
static gboolean
file_exists(const char *path, gboolean *ret_exists, GError **error)
{
    struct stat st;

    if (g_stat(path, &st) == 0) {
        *ret_exists = TRUE;
        return TRUE;
    }
    if (errno == ENOENT) {
        *ret_exists = FALSE;
        return TRUE;
    }
    vl_tls_set_error(error, VL_TLS_ERROR_READ, NULL, "cannot read %s: %s", path, g_strerror(errno));
    return FALSE;
}

/* A key file must never prompt for a passphrase (vmlinkd runs with no terminal). */
static int
no_passphrase(char *buf, int size, int rwflag, void *data)
{
    return -1;
}

static EVP_PKEY *
load_key(const char *path, GError **error)
{
    g_autoptr(BIO) bio = NULL;
    EVP_PKEY *key;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        vl_tls_set_error(error, VL_TLS_ERROR_READ, NULL, "cannot read %s: %s", path,
                         g_strerror(errno));
        return NULL;
    }
    /* Checked on the open file, so that it is the file we read. */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        vl_tls_set_error(error, VL_TLS_ERROR_READ, NULL, "%s is not a regular file", path);
        return NULL;
    }
    /* Whoever owns the file can replace the key: it must be us. */
    if (st.st_uid != geteuid()) {
        g_autofree char *fix = g_strdup_printf("run chown %u %s", (unsigned)geteuid(), path);

        close(fd);
        vl_tls_set_error(error, VL_TLS_ERROR_PERMISSIONS, fix, "%s is owned by uid %u, not %u",
                         path, (unsigned)st.st_uid, (unsigned)geteuid());
        return NULL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        g_autofree char *fix =
            g_strdup_printf("run chmod 600 %s; if someone may have read it, " START_OVER, path);

        close(fd);
        vl_tls_set_error(error, VL_TLS_ERROR_PERMISSIONS, fix,
                         "%s is open to group or others (mode %04o)", path,
                         (unsigned)(st.st_mode & 07777));
        return NULL;
    }
    /* Read straight from the file: OpenSSL keeps the decoded key in memory it wipes, and there
     * is no copy of ours to forget. */
    bio = BIO_new_fd(fd, BIO_CLOSE);
    if (!bio) {
        close(fd);
        vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot read %s", path);
        return NULL;
    }
    key = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
    if (!key) {
        vl_tls_set_error(error, VL_TLS_ERROR_DAMAGED, "restore it from a backup, or " START_OVER,
                         "%s is damaged or encrypted (an unencrypted PEM private key is expected)",
                         path);
    }
    return key;
}

static X509 *
load_cert(const char *path, GError **error)
{
    g_autofree char *pem = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;
    X509 *cert;

    if (!g_file_get_contents(path, &pem, &len, &local)) {
        vl_tls_set_error(error, VL_TLS_ERROR_READ, NULL, "%s", local->message);
        return NULL;
    }
    cert = vl_tls_parse_one_cert(pem, len, path, VL_TLS_ERROR_DAMAGED, &local);
    if (!cert) {
        vl_tls_set_error(error, VL_TLS_ERROR_DAMAGED, "restore it from a backup, or " START_OVER,
                         "%s", local->message);
    }
    return cert;
}

static gboolean
write_key(const char *dir, const char *path, EVP_PKEY *key, GError **error)
{
    /* Secure memory: the PEM text of the key is wiped when the BIO is freed. */
    g_autoptr(BIO) bio = BIO_new(BIO_s_secmem());
    char *data = NULL;
    long len;

    if (!bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
        (len = BIO_get_mem_data(bio, &data)) <= 0) {
        vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot write a private key as PEM");
        return FALSE;
    }
    return write_atomic(dir, path, data, len, error);
}

/* Flushes dir, so that a rename in it survives a crash before the next step. */
static gboolean
sync_dir(const char *dir, GError **error)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0) {
        int errsv = errno;

        if (fd >= 0) {
            close(fd);
        }
        vl_tls_set_error(error, VL_TLS_ERROR_WRITE, NULL, "cannot flush the folder %s: %s", dir,
                         g_strerror(errsv));
        return FALSE;
    }
    close(fd);
    return TRUE;
}

static gboolean
rename_durably(const char *dir, const char *from, const char *to, GError **error)
{
    if (g_rename(from, to) < 0) {
        vl_tls_set_error(error, VL_TLS_ERROR_WRITE, NULL, "cannot rename %s to %s: %s", from, to,
                         g_strerror(errno));
        return FALSE;
    }
    return sync_dir(dir, error);
}

static gboolean
remove_file(const char *path, GError **error)
{
    if (g_unlink(path) < 0 && errno != ENOENT) {
        vl_tls_set_error(error, VL_TLS_ERROR_WRITE, NULL, "cannot remove %s: %s", path,
                         g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* The files of a rotation in progress (vl_tls_identity_rotate). */
typedef struct {
    char *key;
    char *cert;
} NewPaths;

static void
new_paths_clear(NewPaths *p)
{
    g_free(p->key);
    g_free(p->cert);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NewPaths, new_paths_clear)

static void
new_paths_init(NewPaths *p, const VlTlsIdentity *id)
{
    p->key = g_strconcat(id->key_path, VL_TLS_ROTATE_SUFFIX, NULL);
    p->cert = g_strconcat(id->cert_path, VL_TLS_ROTATE_SUFFIX, NULL);
}

/*
 * A rotation a crash interrupted: key.pem.new gone means key.pem is the new key, and only the
 * certificate's rename is missing; otherwise nothing changed yet and the new files go.
 */
static gboolean
recover_rotation(const VlTlsIdentity *id, GError **error)
{
    g_auto(NewPaths) p = {0};
    gboolean key_new, cert_new, key_exists;

    new_paths_init(&p, id);
    if (!file_exists(p.key, &key_new, error) || !file_exists(p.cert, &cert_new, error) ||
        !file_exists(id->key_path, &key_exists, error)) {
        return FALSE;
    }
    if (cert_new && !key_new && key_exists) {
        return rename_durably(id->dir, p.cert, id->cert_path, error);
    }
    return remove_file(p.key, error) && remove_file(p.cert, error);
}

/* The identity --------------------------------------------------------------------------------- */

/* A new P-256 key. ECDSA P-256 rather than Ed25519: every TLS 1.2 client, libcurl build and
 * OpenSSL or other TLS peer a manager may use speaks it, and its handshakes are fast. */
static EVP_PKEY *
new_key(GError **error)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    if (!key) {
        vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot generate a P-256 key");
    }
    return key;
}

/* A certificate with what the accessors give of it, all worked out before anything changes. */
typedef struct {
    X509 *cert;
    char *pem;
    char *fingerprint;
    gint64 not_after;
} CertInfo;

static void
cert_info_clear(CertInfo *info)
{
    X509_free(info->cert);
    g_free(info->pem);
    g_free(info->fingerprint);
    memset(info, 0, sizeof(*info));
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CertInfo, cert_info_clear)

/* Describes cert (taking it) into info. */
static gboolean
cert_info_init(CertInfo *info, X509 *cert, GError **error)
{
    info->cert = cert;
    return (info->pem = vl_tls_cert_to_pem(cert, error)) &&
           (info->fingerprint = vl_tls_cert_fingerprint(cert, error)) &&
           vl_tls_cert_not_after(cert, &info->not_after, error);
}

/* Makes info the identity's certificate, and clears info. */
static void
identity_take_cert(VlTlsIdentity *id, CertInfo *info)
{
    X509_free(id->cert);
    g_free(id->cert_pem);
    g_free(id->fingerprint);
    id->cert = g_steal_pointer(&info->cert);
    id->cert_pem = g_steal_pointer(&info->pem);
    id->fingerprint = g_steal_pointer(&info->fingerprint);
    id->not_after = info->not_after;
}

/* Makes, writes and takes a new certificate for the identity's key; on error the identity (in
 * memory and on disk) is unchanged. */
static gboolean
identity_issue_cert(VlTlsIdentity *id, const X509_NAME *subject, guint validity_days,
                    GError **error)
{
    g_auto(CertInfo) info = {0};
    X509 *cert = vl_tls_make_cert(id->key, subject, validity_days, error);

    if (!cert || !cert_info_init(&info, cert, error) ||
        !write_atomic(id->dir, id->cert_path, info.pem, strlen(info.pem), error)) {
        return FALSE;
    }
    identity_take_cert(id, &info);
    return TRUE;
}

VlTlsIdentity *
vl_tls_identity_load_or_create(const char *dir, const char *common_name, guint validity_days,
                               GError **error)
{
    g_autoptr(VlTlsIdentity) id = NULL;
    g_auto(CertInfo) info = {0};
    gboolean key_exists, cert_exists;
    X509 *cert;

    g_return_val_if_fail(dir != NULL, NULL);
    g_return_val_if_fail(common_name != NULL && *common_name, NULL);
    g_return_val_if_fail(validity_days > 0 && validity_days <= INT_MAX, NULL);

    id = g_new0(VlTlsIdentity, 1);
    id->dir = g_strdup(dir);
    id->key_path = g_build_filename(dir, VL_TLS_KEY_FILE, NULL);
    id->cert_path = g_build_filename(dir, VL_TLS_CERT_FILE, NULL);

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        vl_tls_set_error(error, VL_TLS_ERROR_WRITE, NULL, "cannot create the folder %s: %s", dir,
                         g_strerror(errno));
        return NULL;
    }
    if (!recover_rotation(id, error) || !file_exists(id->key_path, &key_exists, error) ||
        !file_exists(id->cert_path, &cert_exists, error)) {
        return NULL;
    }
    if (cert_exists && !key_exists) {
        vl_tls_set_error(error, VL_TLS_ERROR_DAMAGED,
                         "restore " VL_TLS_KEY_FILE " from a backup, or remove " VL_TLS_CERT_FILE
                         " to make a new identity (peers that pinned the old certificate must then "
                         "pin the new one)",
                         "%s exists but %s does not", id->cert_path, id->key_path);
        return NULL;
    }

    if (key_exists) {
        id->key = load_key(id->key_path, error);
        if (!id->key) {
            return NULL;
        }
    } else {
        id->key = new_key(error);
        if (!id->key || !write_key(dir, id->key_path, id->key, error)) {
            return NULL;
        }
    }

    if (!cert_exists) {
        /* Also after a crash between writing key.pem and cert.pem: the key was never
         * certified, so nobody pinned it, and a certificate for it is all that is missing. */
        g_autoptr(X509_NAME) subject = X509_NAME_new();

        if (!subject ||
            !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                        (const unsigned char *)common_name, -1, -1, 0)) {
            vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot make the name CN=%s",
                             common_name);
            return NULL;
        }
        if (!identity_issue_cert(id, subject, validity_days, error)) {
            return NULL;
        }
        id->created = TRUE;
        return g_steal_pointer(&id);
    }

    if (!(cert = load_cert(id->cert_path, error))) {
        return NULL;
    }
    if (X509_check_private_key(cert, id->key) != 1) {
        X509_free(cert);
        vl_tls_set_error(error, VL_TLS_ERROR_MISMATCH,
                         "restore the pair from a backup, or " START_OVER,
                         "%s is not the certificate of %s", id->cert_path, id->key_path);
        return NULL;
    }
    if (!cert_info_init(&info, cert, error)) {
        return NULL;
    }
    identity_take_cert(id, &info);
    return g_steal_pointer(&id);
}

gboolean
vl_tls_identity_renew_if_needed(VlTlsIdentity *id, guint renew_before_days, guint validity_days,
                                gboolean *ret_renewed, GError **error)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;

    g_return_val_if_fail(id != NULL, FALSE);
    g_return_val_if_fail(validity_days > 0 && validity_days <= INT_MAX, FALSE);

    if (ret_renewed) {
        *ret_renewed = FALSE;
    }
    if (id->not_after - now > (gint64)renew_before_days * VL_TLS_SECONDS_PER_DAY) {
        return TRUE;
    }
    /* The same subject: the identity stays the same, only its dates move. */
    if (!identity_issue_cert(id, X509_get_subject_name(id->cert), validity_days, error)) {
        return FALSE;
    }
    if (ret_renewed) {
        *ret_renewed = TRUE;
    }
    return TRUE;
}

gboolean
vl_tls_identity_rotate(VlTlsIdentity *id, guint validity_days, GError **error)
{
    g_auto(NewPaths) p = {0};
    g_auto(CertInfo) info = {0};
    g_autoptr(EVP_PKEY) key = NULL;
    X509 *cert;

    g_return_val_if_fail(id != NULL, FALSE);
    g_return_val_if_fail(validity_days > 0 && validity_days <= INT_MAX, FALSE);

    new_paths_init(&p, id);
    if (!(key = new_key(error)) ||
        !(cert = vl_tls_make_cert(key, X509_get_subject_name(id->cert), validity_days, error)) ||
        !cert_info_init(&info, cert, error)) {
        return FALSE;
    }
    /* The key first: a cert.pem.new alone then always means the key is in place. */
    if (!write_key(id->dir, p.key, key, error) ||
        !write_atomic(id->dir, p.cert, info.pem, strlen(info.pem), error) ||
        !rename_durably(id->dir, p.key, id->key_path, error)) {
        g_unlink(p.key);
        g_unlink(p.cert);
        return FALSE;
    }
    /* The point of no return: the next load finishes what is left. */
    (void)rename_durably(id->dir, p.cert, id->cert_path, NULL);
    EVP_PKEY_free(id->key);
    id->key = g_steal_pointer(&key);
    identity_take_cert(id, &info);
    return TRUE;
}

const char *
vl_tls_identity_fingerprint(const VlTlsIdentity *id)
{
    return id->fingerprint;
}

const char *
vl_tls_identity_cert_pem(const VlTlsIdentity *id)
{
    return id->cert_pem;
}

gint64
vl_tls_identity_not_after(const VlTlsIdentity *id)
{
    return id->not_after;
}

EVP_PKEY *
vl_tls_identity_key(const VlTlsIdentity *id)
{
    return id->key;
}

X509 *
vl_tls_identity_cert(const VlTlsIdentity *id)
{
    return id->cert;
}

const char *
vl_tls_identity_dir(const VlTlsIdentity *id)
{
    return id->dir;
}

gboolean
vl_tls_identity_created(const VlTlsIdentity *id)
{
    return id->created;
}

void
vl_tls_identity_free(VlTlsIdentity *id)
{
    if (!id) {
        return;
    }
    EVP_PKEY_free(id->key);
    X509_free(id->cert);
    g_free(id->cert_pem);
    g_free(id->fingerprint);
    g_free(id->dir);
    g_free(id->key_path);
    g_free(id->cert_path);
    g_free(id);
}
