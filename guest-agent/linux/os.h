/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The os section's parsers, apart from file reading so that tests and the fuzzer can feed them
 * any bytes. Text arguments are len bytes that need not be NUL-terminated.
 */
#pragma once

#include <glib.h>

#include "vl-collector.h"
#include "vl-json.h"

G_BEGIN_DECLS

/* Where os-release(5) is, in the order it is looked for. */
#define VL_OS_RELEASE_N_PATHS 2
extern const char *const vl_os_release_paths[VL_OS_RELEASE_N_PATHS];

/* The os-release(5) values the os section reports, unquoted; NULL when not set. */
typedef struct {
    char *id;
    char *name;
    char *version_id;
    char *pretty_name;
    char *version;    /* "12 (bookworm)" */
    char *variant;    /* "Server Edition" */
    char *variant_id; /* "server" */
} VlOsRelease;

void vl_os_release_clear(VlOsRelease *rel);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VlOsRelease, vl_os_release_clear)

/*
 * Parses os-release text: KEY=value lines, values with shell quoting (as g_shell_unquote reads
 * it, without expansion); a later assignment of a key wins. Blank lines, comments and lines that
 * are not an assignment are skipped, as a reader of os-release must. Fails only on text that is
 * not text at all (a NUL byte), with VL_COLLECTOR_ERROR_PARSE. ret must be cleared; on failure it
 * is left cleared.
 */
gboolean vl_os_release_parse(const char *text, gsize len, VlOsRelease *ret, GError **error);

/*
 * Parses a one-line kernel file (proc/sys/kernel/osrelease, proc/sys/kernel/arch): one line of
 * 1 to max_len bytes of UTF-8 without control characters, an optional newline after it.
 */
gboolean vl_os_kernel_line_parse(const char *text, gsize len, gsize max_len, char **ret_line,
                                 GError **error);

/*
 * Writes the os section's object. rel may be NULL (no os-release file). Values that do not fit
 * the catalogue are made to fit: name, pretty_name, version, variant and the kernel's version
 * (text for people) are cut at a character boundary; identifiers (id, version_id, variant_id)
 * that are too long or not UTF-8 are left out, since a
 * cut identifier names something else. Without a usable ID or NAME the os-release(5) defaults
 * "linux" and "Linux" are written; an unusable arch is written as "unknown".
 */
void vl_os_write(const VlOsRelease *rel, const char *kernel_release, const char *kernel_version,
                 const char *arch, VlJsonBuilder *b);

/* The os section's values, made to fit as vl_os_write() writes them; NULL: left out. */
typedef struct {
    char *id;
    char *name;
    char *version_id;
    char *pretty_name;
    char *kernel_release;
    char *arch;
    char *version;
    char *variant;
    char *variant_id;
    char *kernel_version;
} VlOsFields;

void vl_os_fields_clear(VlOsFields *fields);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VlOsFields, vl_os_fields_clear)
void vl_os_fit(const VlOsRelease *rel, const char *kernel_release, const char *kernel_version,
               const char *arch, VlOsFields *ret);

/*
 * Reads what the os section reports, below ctx->root (see os.c), made to fit: the os section
 * and guest-get-osinfo (linux/qga-os.c) both come from here. ret must be cleared.
 */
gboolean vl_os_read(const VlCollectContext *ctx, VlOsFields *ret, GError **error);

G_END_DECLS
