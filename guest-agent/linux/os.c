/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * os: the distribution from os-release(5), the kernel from uname(2).
 *
 * On "/", kernel_release, kernel_version and arch come from uname(2). Below another root (a
 * fixture tree) they come from the files through which the kernel publishes the same strings,
 * <root>/proc/sys/kernel/osrelease and version (left out when absent) and
 * <root>/proc/sys/kernel/arch; a
 * tree without the latter describes a system of this machine's architecture, so uname(2)'s
 * machine is used (arch is required).
 */
#include "os.h"

#include <string.h>
#include <sys/utsname.h>

#include "vl-collector.h"
#include "vl-collectors-linux.h"

#define OS_RELEASE_MAX_SIZE (64 * 1024) /* real ones are under 1 KiB */
#define KERNEL_FILE_MAX_SIZE 4096

/* Catalogue bounds of the os section (protocol/vl-guest-catalogue.c). */
#define ID_MAX 64
#define NAME_MAX_BYTES 256
#define ARCH_MAX 32

const char *const vl_os_release_paths[VL_OS_RELEASE_N_PATHS] = {"/etc/os-release",
                                                                "/usr/lib/os-release"};

void
vl_os_release_clear(VlOsRelease *rel)
{
    g_clear_pointer(&rel->id, g_free);
    g_clear_pointer(&rel->name, g_free);
    g_clear_pointer(&rel->version_id, g_free);
    g_clear_pointer(&rel->version, g_free);
    g_clear_pointer(&rel->variant, g_free);
    g_clear_pointer(&rel->variant_id, g_free);
    g_clear_pointer(&rel->pretty_name, g_free);
}

static gboolean
is_key(const char *s, gsize len)
{
    if (len == 0 || !(g_ascii_isalpha(s[0]) || s[0] == '_')) {
        return FALSE;
    }
    for (gsize i = 1; i < len; i++) {
        if (!(g_ascii_isalnum(s[i]) || s[i] == '_')) {
            return FALSE;
        }
    }
    return TRUE;
}

/* The slot of rel that key fills, or NULL for keys the os section does not report. */
static char **
release_slot(VlOsRelease *rel, const char *key, gsize key_len)
{
    static const struct {
        const char *key;
        gsize offset;
    } slots[] = {
        {"ID", G_STRUCT_OFFSET(VlOsRelease, id)},
        {"NAME", G_STRUCT_OFFSET(VlOsRelease, name)},
        {"VERSION_ID", G_STRUCT_OFFSET(VlOsRelease, version_id)},
        {"PRETTY_NAME", G_STRUCT_OFFSET(VlOsRelease, pretty_name)},
        {"VERSION", G_STRUCT_OFFSET(VlOsRelease, version)},
        {"VARIANT", G_STRUCT_OFFSET(VlOsRelease, variant)},
        {"VARIANT_ID", G_STRUCT_OFFSET(VlOsRelease, variant_id)},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(slots); i++) {
        if (strlen(slots[i].key) == key_len && memcmp(slots[i].key, key, key_len) == 0) {
            return G_STRUCT_MEMBER_P(rel, slots[i].offset);
        }
    }
    return NULL;
}

gboolean
vl_os_release_parse(const char *text, gsize len, VlOsRelease *ret, GError **error)
{
    g_auto(VlOsRelease) rel = {0};
    const char *nul = memchr(text, '\0', len);
    const char *p = text;
    const char *end = text + len;

    if (nul) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "not a text file (NUL byte at offset %zu)", (size_t)(nul - text));
        return FALSE;
    }
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        g_autofree char *line = g_strndup(p, (gsize)((eol ? eol : end) - p));
        const char *eq;
        char **slot;
        char *value;

        p = eol ? eol + 1 : end;
        g_strstrip(line);
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        eq = strchr(line, '=');
        if (eq == NULL || !is_key(line, (gsize)(eq - line))) {
            continue;
        }
        slot = release_slot(&rel, line, (gsize)(eq - line));
        if (slot == NULL) {
            continue;
        }
        /* Unbalanced quotes and the like: a bad line, skipped like any other. */
        value = g_shell_unquote(eq + 1, NULL);
        if (value) {
            g_free(*slot);
            *slot = value;
        }
    }
    *ret = rel;
    memset(&rel, 0, sizeof(rel));
    return TRUE;
}

gboolean
vl_os_kernel_line_parse(const char *text, gsize len, gsize max_len, char **ret_line, GError **error)
{
    gsize n = len;

    if (n > 0 && text[n - 1] == '\n') {
        n--;
    }
    if (n == 0) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "empty");
        return FALSE;
    }
    if (n > max_len) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "longer than %" G_GSIZE_FORMAT " bytes", max_len);
        return FALSE;
    }
    for (gsize i = 0; i < n; i++) {
        if ((guchar)text[i] < 0x20 || text[i] == 0x7f) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                        "control character at offset %" G_GSIZE_FORMAT, i);
            return FALSE;
        }
    }
    if (!g_utf8_validate(text, (gssize)n, NULL)) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "not UTF-8");
        return FALSE;
    }
    *ret_line = g_strndup(text, n);
    return TRUE;
}

/*
 * value made to fit a string field of 1..max bytes: NULL when it is NULL, empty or not UTF-8.
 * A longer value is cut at a character boundary when cut is set, else NULL.
 */
static char *
fit_string(const char *value, gsize max, gboolean cut)
{
    gsize len;

    if (value == NULL || value[0] == '\0' || !g_utf8_validate(value, -1, NULL)) {
        return NULL;
    }
    len = strlen(value);
    if (len <= max) {
        return g_strdup(value);
    }
    if (!cut) {
        return NULL;
    }
    /* Back off continuation bytes (10xxxxxx) so the cut falls before a character. */
    len = max;
    while (len > 0 && ((guchar)value[len] & 0xc0) == 0x80) {
        len--;
    }
    return len > 0 ? g_strndup(value, len) : NULL;
}

void
vl_os_fields_clear(VlOsFields *fields)
{
    g_clear_pointer(&fields->id, g_free);
    g_clear_pointer(&fields->name, g_free);
    g_clear_pointer(&fields->version_id, g_free);
    g_clear_pointer(&fields->pretty_name, g_free);
    g_clear_pointer(&fields->kernel_release, g_free);
    g_clear_pointer(&fields->arch, g_free);
    g_clear_pointer(&fields->version, g_free);
    g_clear_pointer(&fields->variant, g_free);
    g_clear_pointer(&fields->variant_id, g_free);
    g_clear_pointer(&fields->kernel_version, g_free);
}

void
vl_os_fit(const VlOsRelease *rel, const char *kernel_release, const char *kernel_version,
          const char *arch, VlOsFields *ret)
{
    static const VlOsRelease none = {0};

    if (rel == NULL) {
        rel = &none;
    }
    ret->id = fit_string(rel->id, ID_MAX, FALSE);
    ret->name = fit_string(rel->name, NAME_MAX_BYTES, TRUE);
    ret->version_id = fit_string(rel->version_id, ID_MAX, FALSE);
    ret->pretty_name = fit_string(rel->pretty_name, NAME_MAX_BYTES, TRUE);
    ret->kernel_release = fit_string(kernel_release, NAME_MAX_BYTES, FALSE);
    ret->arch = fit_string(arch, ARCH_MAX, FALSE);
    ret->version = fit_string(rel->version, NAME_MAX_BYTES, TRUE);
    ret->variant = fit_string(rel->variant, NAME_MAX_BYTES, TRUE);
    ret->variant_id = fit_string(rel->variant_id, ID_MAX, FALSE);
    ret->kernel_version = fit_string(kernel_version, NAME_MAX_BYTES, TRUE);
    /* os-release(5)'s defaults; an arch nobody can name. */
    if (ret->id == NULL) {
        ret->id = g_strdup("linux");
    }
    if (ret->name == NULL) {
        ret->name = g_strdup("Linux");
    }
    if (ret->arch == NULL) {
        ret->arch = g_strdup("unknown");
    }
}

static void
write_fields(const VlOsFields *f, VlJsonBuilder *b)
{
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "id", f->id);
    vl_json_builder_add_member_string(b, "name", f->name);
    vl_json_builder_add_member_string(b, "version_id", f->version_id);
    vl_json_builder_add_member_string(b, "pretty_name", f->pretty_name);
    vl_json_builder_add_member_string(b, "kernel_release", f->kernel_release);
    vl_json_builder_add_member_string(b, "arch", f->arch);
    vl_json_builder_add_member_string(b, "version", f->version);
    vl_json_builder_add_member_string(b, "variant", f->variant);
    vl_json_builder_add_member_string(b, "variant_id", f->variant_id);
    vl_json_builder_add_member_string(b, "kernel_version", f->kernel_version);
    vl_json_builder_end_object(b);
}

void
vl_os_write(const VlOsRelease *rel, const char *kernel_release, const char *kernel_version,
            const char *arch, VlJsonBuilder *b)
{
    g_auto(VlOsFields) fields = {0};

    vl_os_fit(rel, kernel_release, kernel_version, arch, &fields);
    write_fields(&fields, b);
}

/* Only regular files are opened: a FIFO would block the agent. */
static gboolean
check_regular(const char *path, GError **error)
{
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ, "%s is not a regular file",
                    path);
        return FALSE;
    }
    return TRUE;
}

/* Reads the first os-release file that exists; rel stays cleared when there is none. */
static gboolean
read_os_release(const VlCollectContext *ctx, VlOsRelease *rel, GError **error)
{
    for (gsize i = 0; i < VL_OS_RELEASE_N_PATHS; i++) {
        g_autofree char *path = vl_collect_path(ctx, vl_os_release_paths[i]);
        g_autofree char *text = NULL;
        gsize len = 0;

        /* A dangling /etc/os-release symlink counts as absent, as in os-release(5). */
        if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
            continue;
        }
        if (!check_regular(path, error)) {
            return FALSE;
        }
        if (!vl_collect_read(ctx, vl_os_release_paths[i], OS_RELEASE_MAX_SIZE, &text, &len,
                             error)) {
            return FALSE;
        }
        if (!vl_os_release_parse(text, len, rel, error)) {
            g_prefix_error(error, "%s: ", path);
            return FALSE;
        }
        return TRUE;
    }
    return TRUE;
}

/* A one-line kernel file below ctx->root; *ret_line stays NULL when the file is absent. */
static gboolean
read_kernel_line(const VlCollectContext *ctx, const char *file, gsize max_len, char **ret_line,
                 GError **error)
{
    g_autofree char *path = vl_collect_path(ctx, file);
    g_autofree char *text = NULL;
    gsize len = 0;

    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        return TRUE;
    }
    if (!check_regular(path, error)) {
        return FALSE;
    }
    if (!vl_collect_read(ctx, file, KERNEL_FILE_MAX_SIZE, &text, &len, error)) {
        return FALSE;
    }
    if (!vl_os_kernel_line_parse(text, len, max_len, ret_line, error)) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    return TRUE;
}

gboolean
vl_os_read(const VlCollectContext *ctx, VlOsFields *ret, GError **error)
{
    g_auto(VlOsRelease) rel = {0};
    g_autofree char *kernel_release = NULL;
    g_autofree char *kernel_version = NULL;
    g_autofree char *arch = NULL;
    struct utsname uts;

    if (uname(&uts) < 0) {
        /* Cannot fail with a valid buffer; a zeroed one makes arch "unknown" if it ever did. */
        memset(&uts, 0, sizeof(uts));
    }
    if (!read_os_release(ctx, &rel, error)) {
        return FALSE;
    }
    if (g_str_equal(ctx->root, "/")) {
        kernel_release = g_strdup(uts.release);
        kernel_version = g_strdup(uts.version);
        arch = g_strdup(uts.machine);
    } else {
        if (!read_kernel_line(ctx, "/proc/sys/kernel/osrelease", NAME_MAX_BYTES, &kernel_release,
                              error) ||
            !read_kernel_line(ctx, "/proc/sys/kernel/version", NAME_MAX_BYTES, &kernel_version,
                              error) ||
            !read_kernel_line(ctx, "/proc/sys/kernel/arch", ARCH_MAX, &arch, error)) {
            return FALSE;
        }
        if (arch == NULL) {
            arch = g_strdup(uts.machine);
        }
    }
    vl_os_fit(&rel, kernel_release, kernel_version, arch, ret);
    return TRUE;
}

static gboolean
os_collect(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_auto(VlOsFields) fields = {0};

    if (!vl_os_read(ctx, &fields, error)) {
        return FALSE;
    }
    write_fields(&fields, b);
    return TRUE;
}

const VlCollector vl_collector_os = {.name = "os", .collect = os_collect};
