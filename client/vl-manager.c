/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The manager's folder (see vl-manager.h). Everything is made on first use and read on every
 * open; files are replaced atomically (vl_file_replace) so that a crash never leaves half an id
 * or half a pin.
 */
#include "vl-manager.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl-file.h"
#include "vl-openssl.h"
#include "vl-protocol.h"
#include "vl-tls-context.h"

#define CONFIG_FILE "manager.conf"
#define CONFIG_GROUP "manager"
#define IDENTITY_DIR "identity"
#define HOSTS_DIR "hosts"
#define PIN_SUFFIX ".pem"
/* X.509 limits a common name to 64 characters: "vmlink manager " and the id's start. */
#define CN_MAX_LEN 64

/* clang-format off */
G_DEFINE_QUARK(vl-manager-error-quark, vl_manager_error)
/* clang-format on */

struct _VlManager {
    char *dir;
    char *id;
    VlTlsIdentity *identity;
};

static gboolean
id_char_ok(char c)
{
    return g_ascii_isalnum(c) || c == '.' || c == '_' || c == '@' || c == '-';
}

static gboolean
id_is_valid(const char *id)
{
    gsize len = strlen(id);

    if (len == 0 || len > VL_MANAGER_ID_MAX_LEN) {
        return FALSE;
    }
    for (const char *p = id; *p; p++) {
        if (!id_char_ok(*p)) {
            return FALSE;
        }
    }
    return TRUE;
}

/* "<short host name>-<8 hex>": which machine made it, unique among several on one machine. */
static char *
new_id(void)
{
    g_autofree char *host = g_strdup(g_get_host_name());
    char *dot = strchr(host, '.');
    GString *id = g_string_new(NULL);

    if (dot) {
        *dot = '\0';
    }
    for (const char *p = host; *p && id->len < 64; p++) {
        g_string_append_c(id, id_char_ok(*p) ? *p : '-');
    }
    if (id->len == 0) {
        g_string_append(id, "manager");
    }
    g_string_append_printf(id, "-%08x", g_random_int());
    return g_string_free(id, FALSE);
}

static gboolean
replace_file(const char *path, const char *data, VlManagerError code, GError **error)
{
    const char *step = NULL;
    int errsv = 0;

    if (!vl_file_replace(path, data, strlen(data), &step, &errsv)) {
        g_set_error(error, VL_MANAGER_ERROR, code, "cannot write %s: %s failed: %s", path, step,
                    g_strerror(errsv));
        return FALSE;
    }
    return TRUE;
}

/* Makes dir (0700) when missing; an existing one must be a folder of ours, closed to others. */
static gboolean
ensure_dir(const char *dir, GError **error)
{
    struct stat st;

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        int errsv = errno;
        g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_FOLDER, "cannot make %s: %s", dir,
                    g_strerror(errsv));
        return FALSE;
    }
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_FOLDER,
                    "%s is not a folder of this user: move it away, vmlinkctl makes a new one",
                    dir);
        return FALSE;
    }
    /* It holds the manager's key: others must not even list it. */
    if ((st.st_mode & 077) != 0 && chmod(dir, 0700) < 0) {
        int errsv = errno;
        g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_FOLDER,
                    "%s is open to others and cannot be closed: %s (chmod 700 %s)", dir,
                    g_strerror(errsv), dir);
        return FALSE;
    }
    return TRUE;
}

static char *
load_or_make_id(const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, CONFIG_FILE, NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local_error = NULL;
    g_autofree char *id = NULL;
    g_autofree char *data = NULL;

    if (g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &local_error)) {
        id = g_key_file_get_string(kf, CONFIG_GROUP, "id", NULL);
        if (id) {
            g_strstrip(id);
        }
        if (id == NULL || !id_is_valid(id)) {
            g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_CONFIG,
                        "%s: [" CONFIG_GROUP "] id must be 1 to %d letters, digits, '.', '-', "
                        "'_' or '@' (bridges know this manager by it: fix the file rather than "
                        "remove it)",
                        path, VL_MANAGER_ID_MAX_LEN);
            return NULL;
        }
        return g_steal_pointer(&id);
    }
    if (!g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_CONFIG, "cannot read %s: %s", path,
                    local_error->message);
        return NULL;
    }
    id = new_id();
    g_key_file_set_comment(kf, NULL, NULL,
                           " vmlinkctl's manager: bridges owned by this manager know it by this "
                           "id.",
                           NULL);
    g_key_file_set_string(kf, CONFIG_GROUP, "id", id);
    data = g_key_file_to_data(kf, NULL, NULL);
    if (!replace_file(path, data, VL_MANAGER_ERROR_CONFIG, error)) {
        return NULL;
    }
    return g_steal_pointer(&id);
}

VlManager *
vl_manager_open(const char *dir, GError **error)
{
    g_autoptr(VlManager) m = g_new0(VlManager, 1);
    g_autofree char *id_dir = NULL;
    g_autofree char *cn = NULL;

    m->dir = dir ? g_strdup(dir) : g_build_filename(g_get_user_config_dir(), "vmlink", NULL);
    if (!ensure_dir(m->dir, error)) {
        return NULL;
    }
    m->id = load_or_make_id(m->dir, error);
    if (m->id == NULL) {
        return NULL;
    }
    id_dir = g_build_filename(m->dir, IDENTITY_DIR, NULL);
    cn = g_strdup_printf("vmlink manager %s", m->id);
    if (strlen(cn) > CN_MAX_LEN) {
        cn[CN_MAX_LEN] = '\0';
    }
    m->identity = vl_tls_identity_load_or_create(id_dir, cn, VL_MANAGER_CERT_DAYS, error);
    if (m->identity == NULL) {
        return NULL;
    }
    /* Renewed in place (same key) while still valid, so bridges keep accepting it. */
    if (!vl_tls_identity_renew_if_needed(m->identity, VL_MANAGER_RENEW_DAYS, VL_MANAGER_CERT_DAYS,
                                         NULL, error)) {
        return NULL;
    }
    return g_steal_pointer(&m);
}

void
vl_manager_free(VlManager *manager)
{
    if (manager) {
        vl_tls_identity_free(manager->identity);
        g_free(manager->id);
        g_free(manager->dir);
        g_free(manager);
    }
}

const char *
vl_manager_id(const VlManager *manager)
{
    return manager->id;
}

VlTlsIdentity *
vl_manager_identity(const VlManager *manager)
{
    return manager->identity;
}

const char *
vl_manager_dir(const VlManager *manager)
{
    return manager->dir;
}

/* Pins --------------------------------------------------------------------------------------- */

static gboolean
pin_host_ok(const char *host)
{
    return host && *host && *host != '.' && strchr(host, '/') == NULL;
}

char *
vl_manager_pin_path(const VlManager *manager, const char *host, guint16 port)
{
    g_autofree char *name = g_strdup_printf("%s_%u" PIN_SUFFIX, host, port);

    return g_build_filename(manager->dir, HOSTS_DIR, name, NULL);
}

char *
vl_manager_pinned(const VlManager *manager, const char *host, guint16 port)
{
    g_autofree char *path = NULL;
    g_autoptr(GError) local_error = NULL;
    char *pem = NULL;

    if (!pin_host_ok(host)) {
        return NULL;
    }
    path = vl_manager_pin_path(manager, host, port);
    if (!g_file_get_contents(path, &pem, NULL, &local_error)) {
        if (!g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_warning("%s", local_error->message);
        }
        return NULL;
    }
    return pem;
}

gboolean
vl_manager_pin(VlManager *manager, const char *host, guint16 port, const char *pem, GError **error)
{
    g_autofree char *hosts = g_build_filename(manager->dir, HOSTS_DIR, NULL);
    g_autofree char *path = NULL;
    g_autoptr(GError) local_error = NULL;
    g_autofree char *fingerprint = NULL;

    if (!pin_host_ok(host)) {
        g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_PIN, "\"%s\" cannot name a pin file",
                    host ? host : "");
        return FALSE;
    }
    path = vl_manager_pin_path(manager, host, port);
    if (pem == NULL) {
        if (g_unlink(path) < 0 && errno != ENOENT) {
            int errsv = errno;
            g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_PIN, "cannot remove %s: %s", path,
                        g_strerror(errsv));
            return FALSE;
        }
        return TRUE;
    }
    fingerprint = vl_tls_fingerprint_of_pem(pem, &local_error);
    if (fingerprint == NULL) {
        g_set_error(error, VL_MANAGER_ERROR, VL_MANAGER_ERROR_PIN,
                    "the certificate to pin for %s:%u is not one PEM certificate: %s", host, port,
                    local_error->message);
        return FALSE;
    }
    if (!ensure_dir(hosts, error)) {
        return FALSE;
    }
    return replace_file(path, pem, VL_MANAGER_ERROR_PIN, error);
}

/* "HOST:PORT" ("[V6]:PORT") of a pin file's name, or NULL when it is not one. */
static char *
host_of_pin_name(const char *name)
{
    g_autofree char *base = NULL;
    const char *underscore;
    guint64 port;

    if (!g_str_has_suffix(name, PIN_SUFFIX) || name[0] == '.') {
        return NULL;
    }
    base = g_strndup(name, strlen(name) - strlen(PIN_SUFFIX));
    underscore = strrchr(base, '_');
    if (underscore == NULL || underscore == base ||
        !g_ascii_string_to_unsigned(underscore + 1, 10, 1, 65535, &port, NULL)) {
        return NULL;
    }
    base[underscore - base] = '\0';
    return strchr(base, ':') ? g_strdup_printf("[%s]:%" G_GUINT64_FORMAT, base, port)
                             : g_strdup_printf("%s:%" G_GUINT64_FORMAT, base, port);
}

gboolean
vl_manager_knows_bridge(const VlManager *manager, X509 *cert, char **ret_host)
{
    g_autofree char *hosts = g_build_filename(manager->dir, HOSTS_DIR, NULL);
    g_autoptr(GDir) d = g_dir_open(hosts, 0, NULL);
    const char *name;

    if (ret_host) {
        *ret_host = NULL;
    }
    if (d == NULL || cert == NULL) {
        return FALSE;
    }
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *host = host_of_pin_name(name);
        g_autofree char *path = NULL;
        g_autofree char *pem = NULL;

        if (host == NULL) {
            continue;
        }
        path = g_build_filename(hosts, name, NULL);
        if (!g_file_get_contents(path, &pem, NULL, NULL)) {
            continue;
        }
        if (vl_tls_pin_matches(cert, pem, NULL, NULL)) {
            if (ret_host) {
                *ret_host = g_steal_pointer(&host);
            }
            return TRUE;
        }
    }
    return FALSE;
}
