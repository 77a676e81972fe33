/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-state-file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vl-file.h"
#include "vl-json-check.h"

/* clang-format off */
G_DEFINE_QUARK(vl-state-file-error-quark, vl_state_file_error)
/* clang-format on */

#define DIGEST_HEX_LEN 64
/* The state is a flat object of strings; deeper nesting means damage, not a newer vmlinkd. */
#define MAX_DEPTH 32
#define TRAILER "}\n"

#define DAMAGED_ADVICE                                                                             \
    "it was left as is and nothing in it is trusted. Restore it from a backup, or move it away, "  \
    "set the password again (vmlinkd --set-password) and take ownership again from the manager"

/* FALSE only when OpenSSL cannot give SHA-256 at all (no default provider). */
static gboolean
sha256_hex(const char *data, gsize len, char ret_hex[DIGEST_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 ||
        md_len * 2 != DIGEST_HEX_LEN) {
        return FALSE;
    }
    for (guint i = 0; i < md_len; i++) {
        g_snprintf(ret_hex + 2 * i, 3, "%02x", md[i]);
    }
    return TRUE;
}

static char *
header_for(const char *digest_hex)
{
    return g_strdup_printf("{\"format\":%d,\"sha256\":\"%s\",\"data\":", VL_STATE_FILE_FORMAT,
                           digest_hex);
}

/* Writing ------------------------------------------------------------------------------------ */

static void
set_write_error(GError **error, const char *path, const char *step, int errsv)
{
    g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_WRITE,
                "cannot write the state file %s (%s: %s); it was not changed", path, step,
                g_strerror(errsv));
}

/* The whole file: header, the state's compact JSON, trailer. */
static GString *
build_content(const char *path, const VlJson *state, GError **error)
{
    gsize data_len = 0;
    g_autofree char *data = vl_json_to_string(state, &data_len);
    g_autofree char *header = NULL;
    g_autoptr(GError) check_error = NULL;
    char digest[DIGEST_HEX_LEN + 1];
    GString *content;

    /* Never write what the reader would call damaged. */
    if (!vl_json_check(data, data_len, MAX_DEPTH, &check_error)) {
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_WRITE,
                    "cannot write the state file %s: the state is not valid JSON (%s); it was "
                    "not changed",
                    path, check_error->message);
        return NULL;
    }
    if (!sha256_hex(data, data_len, digest)) {
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_WRITE,
                    "cannot write the state file %s: OpenSSL has no SHA-256; it was not changed",
                    path);
        return NULL;
    }
    header = header_for(digest);
    if (strlen(header) + data_len + strlen(TRAILER) > VL_STATE_FILE_MAX_SIZE) {
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_WRITE,
                    "cannot write the state file %s: the state is %" G_GSIZE_FORMAT
                    " bytes, more than the %d a state file can hold; it was not changed",
                    path, data_len, VL_STATE_FILE_MAX_SIZE);
        return NULL;
    }
    content = g_string_sized_new(strlen(header) + data_len + strlen(TRAILER));
    g_string_append(content, header);
    g_string_append_len(content, data, (gssize)data_len);
    g_string_append(content, TRAILER);
    return content;
}

gboolean
vl_state_file_write(const char *path, const VlJson *state, GError **error)
{
    g_autofree char *base = NULL;
    g_autoptr(GString) content = NULL;
    const char *step = NULL;
    int errsv = 0;

    g_return_val_if_fail(path != NULL && state != NULL, FALSE);
    g_return_val_if_fail(vl_json_kind(state) == VL_JSON_OBJECT, FALSE);

    base = g_path_get_basename(path);
    if (g_str_has_suffix(path, "/") || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_WRITE,
                    "cannot write the state file %s: not a file name", path);
        return FALSE;
    }
    content = build_content(path, state, error);
    if (content == NULL) {
        return FALSE;
    }
    if (vl_file_replace(path, content->str, content->len, &step, &errsv)) {
        return TRUE;
    }
    if (g_str_equal(step, "flushing its folder")) {
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_UNFLUSHED,
                    "the state file %s was replaced but its folder could not be flushed to disk "
                    "(%s): the new state may not survive a crash",
                    path, g_strerror(errsv));
    } else {
        set_write_error(error, path, step, errsv);
    }
    return FALSE;
}

/* Reading ------------------------------------------------------------------------------------ */

static void
set_damaged(GError **error, const char *path, const char *what)
{
    g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_DAMAGED,
                "the state file %s is damaged (%s): " DAMAGED_ADVICE, path, what);
}

static gboolean
is_digest_hex(const char *s)
{
    if (s == NULL || strlen(s) != DIGEST_HEX_LEN) {
        return FALSE;
    }
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s) && !(*s >= 'a' && *s <= 'f')) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Opens path and checks who may touch it and how big it is; the fd, or -1 with an error. */
static int
open_checked(const char *path, GError **error)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int errsv = errno;

    if (fd < 0) {
        if (errsv == ENOENT) {
            g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_MISSING,
                        "there is no state file %s", path);
        } else {
            g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_READ,
                        "cannot open the state file %s: %s", path, g_strerror(errsv));
        }
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        errsv = errno;
        close(fd);
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_READ,
                    "cannot read the state file %s: %s", path, g_strerror(errsv));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_READ,
                    "the state file %s is not a regular file", path);
        return -1;
    }
    /* Whoever else can write it could pin their own certificate; whoever can read it, see it. */
    if (st.st_uid != geteuid()) {
        close(fd);
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_PERMISSIONS,
                    "the state file %s belongs to uid %u, not to vmlinkd's user (uid %u), so it is "
                    "not trusted: check its content, then `chown %u %s`",
                    path, (guint)st.st_uid, (guint)geteuid(), (guint)geteuid(), path);
        return -1;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_PERMISSIONS,
                    "the state file %s has mode %04o: group or others may read or write it, so it "
                    "is not trusted: check its content, then `chmod 600 %s`",
                    path, (guint)(st.st_mode & 07777), path);
        return -1;
    }
    if (st.st_size > VL_STATE_FILE_MAX_SIZE) {
        g_autofree char *what =
            g_strdup_printf("%" G_GINT64_FORMAT " bytes, more than the %d a state file can be",
                            (gint64)st.st_size, VL_STATE_FILE_MAX_SIZE);
        close(fd);
        set_damaged(error, path, what);
        return -1;
    }
    return fd;
}

/* Reads at most VL_STATE_FILE_MAX_SIZE + 1 bytes: one more than allowed tells a file that grew. */
static char *
read_bounded(int fd, const char *path, gsize *ret_len, GError **error)
{
    g_autofree char *buf = g_malloc(VL_STATE_FILE_MAX_SIZE + 2);
    gsize len = 0;

    while (len <= VL_STATE_FILE_MAX_SIZE) {
        ssize_t n = read(fd, buf + len, VL_STATE_FILE_MAX_SIZE + 1 - len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_READ,
                        "cannot read the state file %s: %s", path, g_strerror(errno));
            return NULL;
        }
        if (n == 0) {
            break;
        }
        len += (gsize)n;
    }
    if (len > VL_STATE_FILE_MAX_SIZE) {
        g_autofree char *what =
            g_strdup_printf("more than the %d bytes a state file can be", VL_STATE_FILE_MAX_SIZE);
        set_damaged(error, path, what);
        return NULL;
    }
    buf[len] = '\0';
    *ret_len = len;
    return g_steal_pointer(&buf);
}

/* The data object of a file's text, checked against its digest; NULL with _DAMAGED. */
static VlJson *
parse_content(const char *text, gsize len, const char *path, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlJson) root = NULL;
    g_autofree char *header = NULL;
    g_autofree char *what = NULL;
    VlJson *format, *digest, *data, *result;
    const char *data_text;
    gsize data_len;
    gsize header_len, trailer_len = strlen(TRAILER);
    char actual[DIGEST_HEX_LEN + 1];

    if (len == 0) {
        set_damaged(error, path, "it is empty");
        return NULL;
    }
    if (!vl_json_check(text, len, MAX_DEPTH, &local_error) ||
        (root = vl_json_parse(text, len, &local_error)) == NULL) {
        what = g_strdup_printf("not valid JSON, perhaps cut short: %s", local_error->message);
        set_damaged(error, path, what);
        return NULL;
    }
    if (vl_json_kind(root) != VL_JSON_OBJECT) {
        set_damaged(error, path, "not a JSON object");
        return NULL;
    }
    format = vl_json_object_get(root, "format");
    if (vl_json_kind(format) != VL_JSON_INT) {
        set_damaged(error, path, "no format number");
        return NULL;
    }
    if (vl_json_get_int(format) != VL_STATE_FILE_FORMAT) {
        what = g_strdup_printf("format %" G_GINT64_FORMAT ", and this vmlinkd reads format %d: was "
                               "it written by another version?",
                               vl_json_get_int(format), VL_STATE_FILE_FORMAT);
        set_damaged(error, path, what);
        return NULL;
    }
    digest = vl_json_object_get(root, "sha256");
    data = vl_json_object_get(root, "data");
    if (!is_digest_hex(vl_json_get_string(digest)) || vl_json_kind(data) != VL_JSON_OBJECT ||
        vl_json_object_size(root) != 3) {
        set_damaged(error, path, "not the members format, sha256 and data");
        return NULL;
    }
    /* The digest is over the bytes of data as written, so find them where vmlinkd puts them. */
    header = header_for(vl_json_get_string(digest));
    header_len = strlen(header);
    if (len < header_len + trailer_len || memcmp(text, header, header_len) != 0 ||
        memcmp(text + len - trailer_len, TRAILER, trailer_len) != 0) {
        set_damaged(error, path, "not in the layout vmlinkd writes: was it edited?");
        return NULL;
    }
    data_text = text + header_len;
    data_len = len - header_len - trailer_len;
    if (!sha256_hex(data_text, data_len, actual)) {
        g_set_error(error, VL_STATE_FILE_ERROR, VL_STATE_FILE_ERROR_READ,
                    "cannot check the state file %s: OpenSSL has no SHA-256", path);
        return NULL;
    }
    if (strcmp(actual, vl_json_get_string(digest)) != 0) {
        set_damaged(error, path,
                    "its digest does not match its data: the content is not what vmlinkd wrote");
        return NULL;
    }
    /*
     * The data's own text, parsed again as a root of its own: the caller owns it, and its
     * members keep the order they were written in.
     */
    if (!vl_json_check(data_text, data_len, MAX_DEPTH, &local_error) ||
        (result = vl_json_parse(data_text, data_len, &local_error)) == NULL) {
        what = g_strdup_printf("its data is not valid JSON: %s", local_error->message);
        set_damaged(error, path, what);
        return NULL;
    }
    if (vl_json_kind(result) != VL_JSON_OBJECT) {
        vl_json_unref(result);
        set_damaged(error, path, "its data is not an object");
        return NULL;
    }
    return result;
}

VlJson *
vl_state_file_read(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    int fd;

    g_return_val_if_fail(path != NULL, NULL);

    fd = open_checked(path, error);
    if (fd < 0) {
        return NULL;
    }
    text = read_bounded(fd, path, &len, error);
    close(fd);
    if (text == NULL) {
        return NULL;
    }
    return parse_content(text, len, path, error);
}

/* Editing ------------------------------------------------------------------------------------ */

typedef struct {
    VlJsonBuilder *builder;
    const char *name;
    const VlJson *value;
    gboolean done;
} WithMember;

static void
copy_member(const char *name, VlJson *value, gpointer user_data)
{
    WithMember *w = user_data;

    if (g_str_equal(name, w->name)) {
        if (w->value == NULL || w->done) {
            return;
        }
        value = (VlJson *)w->value;
        w->done = TRUE;
    }
    vl_json_builder_member(w->builder, name);
    vl_json_builder_add_node(w->builder, value);
}

VlJson *
vl_state_file_with_member(const VlJson *state, const char *name, const VlJson *value)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    WithMember w = {.builder = b, .name = name, .value = value};

    vl_json_builder_begin_object(b);
    vl_json_object_foreach(state, copy_member, &w);
    if (value && !w.done) {
        vl_json_builder_member(b, name);
        vl_json_builder_add_node(b, value);
    }
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}
